import { describe, expect, it } from 'vitest';
import { createTopic, pull, uniqueName } from './helpers';
import { openStream, type TestSocket } from './stream-helpers';

async function producer(topic: string): Promise<TestSocket> {
  const opened = await openStream(`/topics/${topic}/stream`);
  if (!opened.socket) throw new Error(`refused: ${opened.status} ${JSON.stringify(opened.body)}`);
  return opened.socket;
}

const answers = (s: TestSocket) => s.frames.filter((f) => f?.type === 'sent' || f?.type === 'error');

describe('producer stream', () => {
  it('sends each frame as a REST send and answers it by id', async () => {
    const topic = uniqueName('ps');
    await createTopic(topic, { queueNums: 1, brokerNames: ['broker-a'] });
    const s = await producer(topic);
    s.send({ id: 1, send: { messages: [{ body: 'a' }, { body: 'b', tags: 'T' }] } });
    s.send({ id: 2, send: { body: 'c', keys: 'k1' } });
    await s.until(() => answers(s).length === 2, 'two answers');
    const one = s.frames.find((f) => f.id === 1);
    expect(one).toMatchObject({ type: 'sent', id: 1 });
    expect(one.results).toHaveLength(2);
    expect(one.results[0]).toMatchObject({ status: 'SEND_OK', topic, brokerName: 'broker-a', queueId: 0 });
    expect(s.frames.find((f) => f.id === 2).results).toHaveLength(1);
    const read = await pull(topic, 'broker-a', 0, { offset: 0, maxMessages: 10 });
    expect(read.messages.map((m: { body: string }) => m.body).sort()).toEqual(['a', 'b', 'c']);
    s.close();
  });

  it("answers a client's mistake with the REST error code and stays open", async () => {
    const topic = uniqueName('ps');
    await createTopic(topic, { queueNums: 1, brokerNames: ['broker-a'] });
    const s = await producer(topic);
    s.send('{');
    s.send({ send: { body: 'x' } });
    s.send({ id: 3, send: { messages: [] } });
    s.send({ id: 4, send: { body: 'x', properties: { UNIQ_KEY: 'mine' } } });
    s.send({ id: 5, send: { body: 'x', delayLevel: 99 } });
    s.send({ id: 6, send: { body: 'x', queue: { brokerName: 'broker-a', queueId: 7 } } });
    s.send({ id: 7, send: { body: 'fine' } });
    await s.until(() => answers(s).length === 7, 'seven answers');
    const codes = Object.fromEntries(s.frames.filter((f) => f.type === 'error').map((f) => [f.id ?? 'none', f.code]));
    expect(codes).toMatchObject({
      3: 'INVALID_REQUEST',
      4: 'RESERVED_PROPERTY',
      5: 'INVALID_DELAY',
      6: 'QUEUE_NOT_EXIST',
    });
    expect(
      s.frames
        .filter((f) => f.type === 'error' && f.id === undefined)
        .map((f) => f.code)
        .sort(),
    ).toEqual(['INVALID_REQUEST', 'MALFORMED_JSON']);
    expect(s.frames.find((f) => f.id === 7)).toMatchObject({ type: 'sent' });
    expect(s.closeCode).toBeUndefined();
    s.close();
  });

  it('closes with 1009 on a frame over 1 MiB and with 1008 past its window of unanswered sends', async () => {
    const topic = uniqueName('ps');
    await createTopic(topic, { queueNums: 1, brokerNames: ['broker-a'] });
    const big = await producer(topic);
    big.send({ id: 1, send: { body: 'x'.repeat(1024 * 1024) } });
    await big.until(() => big.closeCode !== undefined, 'closed');
    expect(big.closeCode).toBe(1009);
    const eager = await producer(topic);
    for (let id = 0; id < 200; id++) eager.send({ id, send: { body: `m${id}` } });
    await eager.until(() => eager.closeCode !== undefined, 'closed');
    expect(eager.closeCode).toBe(1008);
    expect(eager.frames.find((f) => f.type === 'error' && f.code === 'STREAM_WINDOW_FULL')).toBeDefined();
  });

  it('refuses a plain GET with 426', async () => {
    const topic = uniqueName('ps');
    const opened = await openStream(`/topics/${topic}/stream`, { upgrade: 'h2c' });
    expect(opened.status).toBe(426);
    expect(opened.body.error.code).toBe('UPGRADE_REQUIRED');
  });
});
