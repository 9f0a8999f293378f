/**
 * `GET /topics/{topic}/messages` (consume, as pop) and `DELETE` (ack; with
 * `trans=commit|rollback`, end a transaction).
 */
import { parseReceiptHandle } from '../../core/receipt-handle';
import { parseTagExpression } from '../../core/tag-filter';
import { ackMessages, popMessages, type PoppedMessage } from '../../services/pop';
import {
  MAX_CONSUME_MESSAGES,
  MAX_RECEIPT_HANDLES,
  MAX_REQUEST_BYTES,
  MAX_WAIT_SECONDS,
  invisibleTimeMs,
} from './config';
import { answer, type ProtocolContext } from './context';
import { ProtocolError, protocolCodeOf, toProtocolError } from './errors';
import { messageElement, parseReceiptHandles, type ProtocolMessage } from './messages';
import { flaremqGroup, flaremqTopic, parseNamespace } from './namespace';
import { bodyText, intQuery, requiredQuery } from './request';
import { endTransactions, popHalfMessages } from './transactional';
import { el, type XmlNode } from './xml';

/** How a popped message shows in the protocol. */
export function fromPopped(p: PoppedMessage): ProtocolMessage {
  return {
    messageId: p.message.uniqueKey,
    receiptHandle: p.receiptHandle,
    body: p.message.body,
    publishTime: p.message.bornTimestamp,
    nextConsumeTime: p.invisibleUntil,
    firstConsumeTime: p.firstPopTimestamp,
    consumedTimes: p.deliveries,
    tag: p.message.tags,
    keys: p.message.keys.join(' '),
    properties: p.message.properties,
  };
}

function checkedTagExpression(tag: string | undefined): string | undefined {
  if (tag === undefined || tag === '') return undefined;
  try {
    parseTagExpression(tag);
  } catch (err) {
    throw toProtocolError(err) ?? err;
  }
  return tag;
}

/**
 * Consume: pops up to numOfMessages (1 to 16, default 1) for the consumer
 * group, waiting up to waitseconds (0 to 30) when there is none. `trans=order`
 * pops orderly (a sharding key's next message waits for the ack of the one
 * before); `trans=pop` consumes half messages to check (transactional
 * producers). Nothing after the wait: 404 MessageNotExist.
 */
export async function consume(c: ProtocolContext): Promise<Response> {
  const ns = parseNamespace(c.req.query('ns'));
  const topic = flaremqTopic(ns, c.req.param('topic') ?? '');
  const group = flaremqGroup(ns, requiredQuery(c.req.query('consumer'), 'consumer'));
  const maxMessages = intQuery(c.req.query('numOfMessages'), 'numOfMessages', 1, MAX_CONSUME_MESSAGES, 1);
  const waitMs = intQuery(c.req.query('waitseconds'), 'waitseconds', 0, MAX_WAIT_SECONDS, 0) * 1000;
  const expression = checkedTagExpression(c.req.query('tag'));
  const trans = c.req.query('trans');

  let messages: ProtocolMessage[];
  if (trans === 'pop') {
    messages = await popHalfMessages(c.env, ns, { topic, maxMessages, waitMs });
  } else if (trans === undefined || trans === '' || trans === 'order') {
    const popped = await popMessages(c.env, {
      topic,
      group,
      expression,
      maxMessages,
      waitMs,
      invisibleMs: invisibleTimeMs(c.env),
      orderly: trans === 'order',
    });
    messages = popped.messages.map(fromPopped);
  } else {
    throw new ProtocolError(
      'InvalidArgument',
      `trans '${trans.slice(0, 20)}' is not one of order (ordered consume) or pop (half messages) on GET`,
    );
  }
  if (messages.length === 0) throw new ProtocolError('MessageNotExist', 'Message not exist.');
  return answer(c, 200, el('Messages', await Promise.all(messages.map(messageElement))));
}

/** One handle that failed, as the protocol's `<Error>` of an `<Errors>` list. */
export interface HandleFailure {
  receiptHandle: string;
  code: string;
  message: string;
}

function errorsList(failures: HandleFailure[]): XmlNode {
  return el(
    'Errors',
    failures.map((f) =>
      el('Error', [el('ErrorCode', f.code), el('ErrorMessage', f.message), el('ReceiptHandle', f.receiptHandle)]),
    ),
  );
}

/**
 * Ack (or, with `trans=commit|rollback`, end transactions): every handle is
 * handled on its own. All done: 204. Any failed: 404 with the protocol's
 * `<Errors>` list, one `<Error>` (ErrorCode, ErrorMessage, ReceiptHandle) per
 * failed handle; the others are done.
 */
export async function ack(c: ProtocolContext): Promise<Response> {
  const ns = parseNamespace(c.req.query('ns'));
  const topic = flaremqTopic(ns, c.req.param('topic') ?? '');
  const group = flaremqGroup(ns, requiredQuery(c.req.query('consumer'), 'consumer'));
  const trans = c.req.query('trans');
  const handles = parseReceiptHandles(bodyText(c.get('body')), MAX_REQUEST_BYTES, MAX_RECEIPT_HANDLES);

  let failures: HandleFailure[];
  if (trans === 'commit' || trans === 'rollback') {
    failures = await endTransactions(c.env, ns, { topic, receiptHandles: handles, commit: trans === 'commit' });
  } else if (trans === undefined || trans === '') {
    // A handle of another topic is refused here; pop checks the rest (format, group, in flight). A handle of
    // the group's retry topic, issued by a consume of this topic (its retry messages), is this topic's.
    failures = [];
    const ours = handles.filter((h) => {
      const parsed = parseReceiptHandle(h);
      const other = parsed?.retryOf ?? parsed?.topic;
      if (other === undefined || other === topic) return true;
      failures.push({
        receiptHandle: h,
        code: 'ReceiptHandleError',
        message: `the handle is of topic '${other}', not '${topic}'`,
      });
      return false;
    });
    const results = ours.length === 0 ? [] : await ackMessages(c.env, { group, receiptHandles: ours });
    for (const r of results) {
      if (r.error)
        failures.push({
          receiptHandle: r.receiptHandle,
          code: protocolCodeOf(r.error.code).code,
          message: r.error.message,
        });
    }
  } else {
    throw new ProtocolError(
      'InvalidArgument',
      `trans '${trans.slice(0, 20)}' is not one of commit or rollback on DELETE`,
    );
  }
  if (failures.length === 0) return answer(c, 204);
  return answer(c, 404, errorsList(failures));
}
