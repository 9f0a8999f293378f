/**
 * Transactional messages over the protocol, on src/services/transactions.ts:
 * a publish with `__TransCheckT` sends a half message; `trans=pop` on GET
 * (consumeHalfMessage) hands out the half messages due for a check;
 * `trans=commit|rollback` on DELETE ends them. Receipt handles are flaremq's
 * transaction handles.
 *
 * The protocol's publish names no producer group (the SDKs' group id only
 * appears on consumeHalfMessage, commit and rollback), so every half message
 * published in a namespace belongs to one producer group,
 * {@link HTTP_PRODUCER_GROUP} in that namespace (`ns%HTTP_TRANSACTION_PRODUCER`),
 * and any transactional producer of the topic checks and ends them, as the
 * protocol has it.
 */
import { decodeTransactionHandle } from '../../core/transaction-handle';
import { toFlareError } from '../../core/errors';
import type { SendRequest } from '../../core/message';
import {
  commitTransaction,
  popHalfMessages as popHalves,
  rollbackTransaction,
  sendHalfMessage as sendHalf,
  type PendingHalfMessage,
} from '../../services/transactions';
import { invisibleTimeMs, type ProtocolEnv } from './config';
import type { HandleFailure } from './consume';
import { protocolCodeOf } from './errors';
import type { ProtocolMessage } from './messages';
import { flaremqGroup } from './namespace';

/** The producer group of the half messages published through the protocol (in each namespace). */
export const HTTP_PRODUCER_GROUP = 'HTTP_TRANSACTION_PRODUCER';

export interface HalfMessageSent {
  messageId: string;
  receiptHandle: string;
}

/**
 * Sends a half message, first checked `checkImmunitySeconds` after the send
 * (0: after the TRANSACTION_TIMEOUT_MS var, 6 s by default).
 */
export async function sendHalfMessage(
  env: ProtocolEnv,
  ns: string | undefined,
  req: SendRequest,
  checkImmunitySeconds: number,
): Promise<HalfMessageSent> {
  const producerGroup = flaremqGroup(ns, HTTP_PRODUCER_GROUP);
  const transaction =
    checkImmunitySeconds > 0 ? { producerGroup, checkImmunityMs: checkImmunitySeconds * 1000 } : { producerGroup };
  const sent = await sendHalf(env, { request: req, transaction });
  return { messageId: sent.uniqueKey, receiptHandle: sent.transactionHandle };
}

function fromHalf(p: PendingHalfMessage, poppedAt: number, invisibleMs: number): ProtocolMessage {
  const m = p.half.message;
  return {
    messageId: m.uniqueKey,
    receiptHandle: p.transactionHandle,
    body: m.body,
    publishTime: m.bornTimestamp,
    nextConsumeTime: poppedAt + invisibleMs,
    firstConsumeTime: poppedAt,
    consumedTimes: p.half.checkTimes,
    tag: m.tags,
    keys: m.keys.join(' '),
    properties: m.properties,
  };
}

/** consumeHalfMessage: half messages of the topic due for a check, with long polling. */
export async function popHalfMessages(
  env: ProtocolEnv,
  ns: string | undefined,
  args: { topic: string; maxMessages: number; waitMs: number },
): Promise<ProtocolMessage[]> {
  const invisibleMs = invisibleTimeMs(env);
  const { messages } = await popHalves(env, {
    producerGroup: flaremqGroup(ns, HTTP_PRODUCER_GROUP),
    topic: args.topic,
    maxMessages: args.maxMessages,
    invisibleMs,
    waitMs: args.waitMs,
  });
  const now = Date.now();
  return messages.map((p) => fromHalf(p, now, invisibleMs));
}

/** Commits or rolls back each handle on its own; the failures, one per failed handle. */
export async function endTransactions(
  env: ProtocolEnv,
  ns: string | undefined,
  args: { topic: string; receiptHandles: string[]; commit: boolean },
): Promise<HandleFailure[]> {
  const producerGroup = flaremqGroup(ns, HTTP_PRODUCER_GROUP);
  const outcomes = await Promise.all(
    args.receiptHandles.map(async (receiptHandle): Promise<HandleFailure | null> => {
      try {
        const topic = decodeTransactionHandle(receiptHandle).topic;
        if (topic !== args.topic)
          return {
            receiptHandle,
            code: 'ReceiptHandleError',
            message: `the handle is of topic '${topic}', not '${args.topic}'`,
          };
        const end = args.commit ? commitTransaction : rollbackTransaction;
        await end(env, { transactionHandle: receiptHandle, producerGroup });
        return null;
      } catch (err) {
        const flare = toFlareError(err);
        if (!flare) throw err;
        return { receiptHandle, code: protocolCodeOf(flare.code).code, message: flare.detail };
      }
    }),
  );
  return outcomes.filter((f): f is HandleFailure => f !== null);
}
