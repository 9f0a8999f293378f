import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { MAX_POP_MESSAGES } from '../../src/core/limits';
import { call, createTopic, send, uniqueName } from './helpers';
import { changedRows, dumpStorage } from './storage-dump';

const queueObject = (topic: string) => env.MESSAGE_QUEUE.getByName(`${topic}/broker-a/0/0`);

describe('pop state costs O(1) rows per receive, not per message', () => {
  it('a pop of 32 messages and an ack of its 32 handles each change at most 3 rows; a change of invisibility at most 4', async () => {
    const topic = uniqueName('PopRows');
    const group = uniqueName('GID_rows');
    await createTopic(topic, { queueNums: 1, brokerNames: ['broker-a'] });
    expect((await call('PUT', `/groups/${group}`, { consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET' })).status).toBe(200);
    for (let i = 0; i < MAX_POP_MESSAGES + 1; i++) await send(topic, { body: `m${i}` });

    let before = await dumpStorage(queueObject(topic));
    const popped = await call('POST', `/groups/${group}/pop`, {
      topic,
      maxMessages: MAX_POP_MESSAGES,
      invisibleMs: 60_000,
    });
    expect(popped.body.messages).toHaveLength(MAX_POP_MESSAGES);
    const afterPop = await dumpStorage(queueObject(topic));
    expect(changedRows(before, afterPop).length).toBeLessThanOrEqual(3);

    const [last] = await call('POST', `/groups/${group}/pop`, { topic, invisibleMs: 60_000 }).then(
      (r) => r.body.messages,
    );
    before = await dumpStorage(queueObject(topic));
    const changed = await call('POST', `/groups/${group}/invisible`, {
      receiptHandle: last.receiptHandle,
      invisibleMs: 120_000,
    });
    expect(changed.status).toBe(200);
    // Its checkpoint (done: it moves to mqp_acked, two rows), the new one, the handle counter.
    expect(changedRows(before, await dumpStorage(queueObject(topic))).length).toBeLessThanOrEqual(4);

    before = await dumpStorage(queueObject(topic));
    const handles = popped.body.messages.map((m: { receiptHandle: string }) => m.receiptHandle);
    expect((await call('POST', `/groups/${group}/ack`, { receiptHandles: handles })).body.acked).toBe(MAX_POP_MESSAGES);
    expect(changedRows(before, await dumpStorage(queueObject(topic))).length).toBeLessThanOrEqual(3);
    // Repeated (its answer was lost), the ack is answered the same, and writes nothing.
    before = await dumpStorage(queueObject(topic));
    expect((await call('POST', `/groups/${group}/ack`, { receiptHandles: handles })).body.acked).toBe(MAX_POP_MESSAGES);
    expect(changedRows(before, await dumpStorage(queueObject(topic)))).toEqual([]);
  });
});
