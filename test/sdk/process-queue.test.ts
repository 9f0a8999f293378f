import { describe, expect, it } from 'vitest';
import { ProcessQueue } from '../../src/sdk/process-queue';
import { Message } from '../../src/sdk/index';

const msg = (offset: number) =>
  new Message({
    msgId: `id${offset}`,
    topic: 'T',
    brokerName: 'broker-a',
    queueId: 0,
    queueOffset: offset,
    tags: '',
    keys: '',
    properties: {},
    body: `m${offset}`,
    bodyEncoding: 'utf8',
    bornTimestamp: 0,
    storeTimestamp: 0,
    uniqueKey: `u${offset}`,
    reconsumeTimes: 0,
  });

describe('ProcessQueue (RocketMQ semantics)', () => {
  it('commits the lowest unprocessed offset, so a crash never skips a message', () => {
    const pq = new ProcessQueue(1);
    expect(pq.commitOffset).toBeUndefined();
    const ms = [10, 11, 12, 13].map(msg);
    pq.add(ms, 14);
    expect(pq.commitOffset).toBe(10);
    pq.done([ms[1], ms[2]]); // 11 and 12 finished first
    expect(pq.commitOffset).toBe(10);
    pq.done([ms[0]]);
    expect(pq.commitOffset).toBe(13);
    pq.done([ms[3]]);
    expect(pq.commitOffset).toBe(14); // nothing pending: where the next pull starts
    expect(pq.size).toBe(0);
  });

  it('moves past filtered offsets when nothing is pending', () => {
    const pq = new ProcessQueue(1);
    pq.add([], 5);
    expect(pq.commitOffset).toBe(5);
    pq.add([msg(9)], 20);
    expect(pq.commitOffset).toBe(9);
  });

  it('needs a commit when the offset moved or a verification was asked for', () => {
    const pq = new ProcessQueue(3);
    pq.add([msg(0)], 1);
    expect(pq.needsCommit).toBe(true);
    const ticket = pq.commitTicket()!;
    pq.markCommitted(ticket);
    expect(pq.needsCommit).toBe(false);
    pq.requestVerify();
    expect(pq.needsCommit).toBe(true);
    const second = pq.commitTicket()!;
    pq.requestVerify(); // asked again while the commit is in flight
    pq.markCommitted(second);
    expect(pq.needsCommit).toBe(true);
    pq.markCommitted(pq.commitTicket()!);
    expect(pq.needsCommit).toBe(false);
  });

  it('does not take a message twice, and ignores done() of a copy it does not hold', () => {
    const pq = new ProcessQueue(1);
    const first = msg(4);
    pq.add([first], 5);
    expect(pq.add([msg(4)], 5)).toEqual([]);
    pq.done([msg(4)]);
    expect(pq.isPending(first)).toBe(true);
    expect(pq.head(10)).toEqual([first]);
  });

  it('reports room once enough messages are processed', async () => {
    const pq = new ProcessQueue(1);
    const ms = [0, 1, 2].map(msg);
    pq.add(ms, 3);
    expect(await pq.waitForRoom(2, 10)).toBe(false);
    const waiting = pq.waitForRoom(3, 10_000);
    pq.done([ms[0]]);
    expect(await waiting).toBe(true);
  });
});
