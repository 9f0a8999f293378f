/** How messages are shown: one line each in a table, or every field of one. */
import type { Message } from '../../sdk/index';
import { time } from '../context';
import { fields, table } from '../output';

/** The JSON form of a message (its body as text). */
export function messageJson(m: Message): Record<string, unknown> {
  return {
    msgId: m.msgId,
    topic: m.topic,
    queue: m.queue,
    queueOffset: m.queueOffset,
    tags: m.tags,
    keys: m.keys,
    properties: m.properties,
    bornTimestamp: m.bornTimestamp,
    storeTimestamp: m.storeTimestamp,
    uniqueKey: m.uniqueKey,
    reconsumeTimes: m.reconsumeTimes,
    body: m.text(),
  };
}

const preview = (text: string) => (text.length > 60 ? `${text.slice(0, 57)}...` : text).replace(/\s+/g, ' ');

export function printMessages(messages: Message[]): void {
  table(
    ['MSG ID', 'TOPIC', 'QUEUE', 'OFFSET', 'TAGS', 'KEYS', 'STORED', 'BODY'],
    messages.map((m) => [
      m.msgId,
      m.topic,
      `${m.queue.brokerName}/${m.queue.queueId}`,
      m.queueOffset,
      m.tags,
      m.keys.join(' '),
      time(m.storeTimestamp),
      preview(m.text()),
    ]),
  );
}

export function printMessage(m: Message): void {
  fields([
    ['msgId', m.msgId],
    ['topic', m.topic],
    ['queue', `${m.queue.topic} ${m.queue.brokerName}/${m.queue.queueId}`],
    ['queueOffset', m.queueOffset],
    ['tags', m.tags],
    ['keys', m.keys.join(' ')],
    ['uniqueKey', m.uniqueKey],
    ['bornTimestamp', time(m.bornTimestamp)],
    ['storeTimestamp', time(m.storeTimestamp)],
    ['reconsumeTimes', m.reconsumeTimes],
    ...Object.entries(m.properties).map(([k, v]): [string, unknown] => [`property ${k}`, v]),
  ]);
  process.stdout.write(`\n${m.text()}\n`);
}
