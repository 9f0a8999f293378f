/**
 * Sending a failed message back for retry (or to the DLQ), as RocketMQ's
 * DefaultMQPushConsumerImpl.sendMessageBack: first by id, so that the server
 * copies the stored original; if the server cannot read it (its master is
 * down, or retention deleted it), again with the copy this consumer holds,
 * which the server sends instead (RocketMQ's sendMessageBackAsNormalMessage).
 * So a send-back does not fail, and pin the queue's offset, for want of the
 * original.
 */
import type { ConsumedMessage } from './consumed-message';
import { hasCode, isRetriable } from './errors';
import type { GroupApi, MessageCopy, RetryAnswer } from './group-api';
import { toWire } from './message';
import { withRetry, type RetryOptions } from './retry';

/** Answers where the message went (the retry topic, or the DLQ). */
export async function sendBack(
  api: GroupApi,
  m: ConsumedMessage,
  delayLevel: number,
  retry: RetryOptions,
): Promise<RetryAnswer> {
  try {
    return await withRetry(() => api.retry(m.msgId, delayLevel), retry);
  } catch (err) {
    if (!hasCode(err, 'MESSAGE_NOT_FOUND') && !hasCode(err, 'TOPIC_NOT_EXIST') && !isRetriable(err)) throw err;
    const copy = copyOf(m);
    return await withRetry(() => api.retry(m.msgId, delayLevel, copy), retry);
  }
}

/** The message as this consumer holds it, in a send's wire form. */
function copyOf(m: ConsumedMessage): MessageCopy {
  const wire = toWire({
    body: m.body,
    tags: m.tags === '' ? undefined : m.tags,
    keys: m.keys.length === 0 ? undefined : m.keys,
    properties: m.properties,
    uniqueKey: m.uniqueKey,
    bornTimestamp: m.bornTimestamp,
  });
  return { ...wire, reconsumeTimes: m.reconsumeTimes };
}
