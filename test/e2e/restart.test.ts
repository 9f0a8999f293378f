/**
 * Durability across a restart of the real local server: everything written
 * before `wrangler dev` stops (messages, consumer offsets, the topic) is there
 * when it starts again on the same state directory, and sending continues at
 * the next offsets.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { groupAlive, makeTempDir, startServer, type DevServer, stopAndRemove } from './server';

const TOPIC = 'e2e-restart';
const GROUP = 'e2e-restart-group';
const OTHER_GROUP = 'e2e-restart-idle-group';

type Json = any;

interface QueueRef {
  brokerName: string;
  queueId: number;
}

/** A message as sent, and where the server said it went. */
interface Sent {
  msgId: string;
  uniqueKey: string;
  brokerName: string;
  queueId: number;
  queueOffset: number;
  /** The exact bytes of the body. */
  bytes: Buffer;
  /** How the body comes back with the default encoding: text when it is UTF-8, base64 otherwise. */
  binary: boolean;
  tags: string;
  /** As the API shows keys: space separated. */
  keys: string;
  properties: Record<string, string>;
}

const queueKey = (q: QueueRef) => `${q.brokerName}/${q.queueId}`;

let tmp: string;
let stateDir: string;
let server: DevServer | null = null;

async function call(method: string, path: string, body?: unknown): Promise<Json> {
  if (!server) throw new Error('the server is not running');
  const res = await fetch(`${server.url}/api/v1${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (res.status !== 200) {
    throw new Error(
      `${method} ${path} answered ${res.status}: ${text}\n--- server output (tail) ---\n${server.output().slice(-8000)}`,
    );
  }
  return JSON.parse(text) as Json;
}

/** Every message of one queue, pulled from offset 0 until NO_NEW_MSG. */
async function pullAll(q: QueueRef, bodyEncoding?: 'base64'): Promise<{ messages: Json[]; last: Json }> {
  const messages: Json[] = [];
  let offset = 0;
  for (let round = 0; round < 100; round++) {
    const enc = bodyEncoding ? `&bodyEncoding=${bodyEncoding}` : '';
    const res = await call(
      'GET',
      `/topics/${TOPIC}/queues/${q.brokerName}/${q.queueId}/messages?offset=${offset}&maxMessages=7${enc}`,
    );
    if (res.status === 'NO_NEW_MSG') return { messages, last: res };
    expect(res.status, `pull ${queueKey(q)} at ${offset}`).toBe('FOUND');
    expect(res.messages.length).toBeGreaterThan(0);
    expect(res.nextBeginOffset).toBe(offset + res.messages.length);
    messages.push(...res.messages);
    offset = res.nextBeginOffset;
  }
  throw new Error(`pulling ${queueKey(q)} did not reach NO_NEW_MSG`);
}

/** The view the API must give of a sent message (the fields we control or were told). */
function expectedView(s: Sent) {
  return {
    msgId: s.msgId,
    topic: TOPIC,
    brokerName: s.brokerName,
    queueId: s.queueId,
    queueOffset: s.queueOffset,
    tags: s.tags,
    keys: s.keys,
    properties: s.properties,
    body: s.binary ? s.bytes.toString('base64') : s.bytes.toString('utf8'),
    bodyEncoding: s.binary ? 'base64' : 'utf8',
    uniqueKey: s.uniqueKey,
    reconsumeTimes: 0,
  };
}

// ---- what is sent before the restart ----------------------------------------

/** Bytes that are not UTF-8: every byte value, then random ones. */
const BINARY_A = Buffer.concat([Buffer.from(Array.from({ length: 256 }, (_, i) => 255 - i)), randomBytes(1000)]);
const BINARY_B = Buffer.from([0x00, 0xff, 0xfe, 0x80, 0xc3, 0x28, 0x00, 0x01, 0x02]);

interface Draft {
  request: Record<string, unknown>;
  bytes: Buffer;
  binary: boolean;
  tags: string;
  keys: string;
  properties: Record<string, string>;
}

function textDraft(body: string, tags: string, keys: string[] | string, properties: Record<string, string>): Draft {
  return {
    request: { body, tags, keys, properties },
    bytes: Buffer.from(body, 'utf8'),
    binary: false,
    tags,
    keys: Array.isArray(keys) ? keys.join(' ') : keys,
    properties,
  };
}

function binaryDraft(bytes: Buffer, tags: string, keys: string[], properties: Record<string, string>): Draft {
  return {
    request: { body: bytes.toString('base64'), bodyEncoding: 'base64', tags, keys, properties },
    bytes,
    binary: true,
    tags,
    keys: keys.join(' '),
    properties,
  };
}

const SINGLES: Draft[] = [
  textDraft('hello flaremq', 'TagA', ['order-1'], { source: 'e2e' }),
  textDraft('unicode: grüße, 你好, 🚀 and "quotes" \\ backslash', 'TagB', 'order-2 user-7', {
    lang: 'mixed',
    empty: '',
  }),
  binaryDraft(BINARY_B, 'Bin', ['bin-single'], { contentType: 'application/octet-stream' }),
  textDraft('{"json":"as a body","n":42}', 'TagA', ['order-3'], { 'x-trace-id': 'abc-123', 'with space': 'v a l' }),
  textDraft('no tags, no keys, no properties', '', [], {}),
  textDraft('line one\nline two\ttabbed\r\n', 'TagC', ['order-4', 'user-7'], { multi: 'line\nvalue' }),
  textDraft('seventh', 'TagA', ['order-5'], { seq: '7' }),
  textDraft('eighth', 'TagB', ['order-6'], { seq: '8' }),
];

const BATCH: Draft[] = [
  textDraft('batch 0', 'Batch', ['batch-0', 'order-1'], { i: '0' }),
  binaryDraft(BINARY_A, 'Batch', ['batch-bin'], { i: '1', encoding: 'raw' }),
  textDraft('batch 2 ✓', 'Batch', ['batch-2'], { i: '2' }),
  textDraft('batch 3', '', [], { i: '3' }),
  textDraft('batch 4', 'Batch', ['batch-4'], {}),
];

const SHARDED_BATCH: Draft[] = [
  textDraft('sharded 0', 'Sharded', ['shard-0'], { shard: 'customer-9' }),
  textDraft('sharded 1', 'Sharded', ['shard-1'], { shard: 'customer-9' }),
];

function record(draft: Draft, result: Json): Sent {
  expect(result.status).toBe('SEND_OK');
  expect(result.topic).toBe(TOPIC);
  expect(typeof result.msgId).toBe('string');
  return {
    msgId: result.msgId,
    uniqueKey: result.uniqueKey,
    brokerName: result.brokerName,
    queueId: result.queueId,
    queueOffset: result.queueOffset,
    bytes: draft.bytes,
    binary: draft.binary,
    tags: draft.tags,
    keys: draft.keys,
    properties: draft.properties,
  };
}

// ---- state shared by the steps ------------------------------------------------

let queues: QueueRef[] = [];
const sent: Sent[] = [];
/** Full pulled views of every queue before the restart, by queue. */
const before = new Map<string, Json[]>();
let offsetsBefore: Json;
let idleOffsetsBefore: Json;
let statusBefore: Json;
/** Queue -> committed offset for GROUP. */
const committed = new Map<string, number>();

function sentIn(q: QueueRef): Sent[] {
  return sent
    .filter((s) => s.brokerName === q.brokerName && s.queueId === q.queueId)
    .sort((a, b) => a.queueOffset - b.queueOffset);
}

describe('restart of wrangler dev on the same state directory', () => {
  beforeAll(async () => {
    tmp = makeTempDir('flaremq-e2e-restart-');
    stateDir = join(tmp, 'state');
    server = await startServer({ persistTo: stateDir });
  });

  afterAll(async () => {
    await stopAndRemove(server, tmp);
    server = null;
    expect(existsSync(tmp)).toBe(false);
  });

  it('creates a topic, sends messages and commits offsets', async () => {
    const route = await call('PUT', `/topics/${TOPIC}`, { queueNums: 2 });
    expect(route.topic).toBe(TOPIC);
    queues = route.queueDatas.flatMap((qd: Json) =>
      Array.from({ length: qd.readQueueNums as number }, (_, queueId) => ({
        brokerName: qd.brokerName as string,
        queueId,
      })),
    );
    expect(queues.length).toBeGreaterThanOrEqual(2);

    // Singles, round robin: one request each.
    for (const draft of SINGLES)
      sent.push(record(draft, await call('POST', `/topics/${TOPIC}/messages`, draft.request)));

    // A batch to one explicit queue: consecutive offsets there.
    const target = queues[queues.length - 1];
    const batch = await call('POST', `/topics/${TOPIC}/messages`, {
      queue: target,
      messages: BATCH.map((d) => d.request),
    });
    expect(batch.results).toHaveLength(BATCH.length);
    const batchSent = BATCH.map((d, i) => record(d, batch.results[i]));
    for (const [i, s] of batchSent.entries()) {
      expect({ brokerName: s.brokerName, queueId: s.queueId }).toEqual(target);
      expect(s.queueOffset).toBe(batchSent[0].queueOffset + i);
    }
    sent.push(...batchSent);

    // A batch by sharding key: all in one queue, consecutive.
    const sharded = await call('POST', `/topics/${TOPIC}/messages`, {
      shardingKey: 'customer-9',
      messages: SHARDED_BATCH.map((d) => d.request),
    });
    const shardedSent = SHARDED_BATCH.map((d, i) => record(d, sharded.results[i]));
    expect(shardedSent[1].queueOffset).toBe(shardedSent[0].queueOffset + 1);
    expect(queueKey(shardedSent[1])).toBe(queueKey(shardedSent[0]));
    sent.push(...shardedSent);

    // Offsets per queue are 0..n-1 and msgIds are unique.
    for (const q of queues) expect(sentIn(q).map((s) => s.queueOffset)).toEqual(sentIn(q).map((_, i) => i));
    expect(new Set(sent.map((s) => s.msgId)).size).toBe(sent.length);
    const used = queues.filter((q) => sentIn(q).length > 0).sort((a, b) => sentIn(b).length - sentIn(a).length);
    expect(used.length).toBeGreaterThanOrEqual(2);

    // Commit offsets for GROUP on some queues: one on its own, the others in one request.
    const [first, ...rest] = used; // first holds the batch: at least 5 messages
    const one = await call('PUT', `/groups/${GROUP}/offsets`, { topic: TOPIC, ...first, offset: 1 });
    expect(one.offsets).toMatchObject([{ ...first, offset: 1 }]);
    committed.set(queueKey(first), 1);
    const many = rest.slice(0, 2).map((q, i) => ({ ...q, offset: i === 0 ? sentIn(q).length : 0 }));
    if (many.length > 0) {
      const res = await call('PUT', `/groups/${GROUP}/offsets`, { topic: TOPIC, offsets: many });
      expect(res.offsets).toMatchObject(many);
      for (const c of many) committed.set(queueKey(c), c.offset);
    }
    // A later commit replaces an earlier one.
    await call('PUT', `/groups/${GROUP}/offsets`, { topic: TOPIC, ...first, offset: 2 });
    committed.set(queueKey(first), 2);

    offsetsBefore = await call('GET', `/groups/${GROUP}/offsets?topic=${TOPIC}`);
    idleOffsetsBefore = await call('GET', `/groups/${OTHER_GROUP}/offsets?topic=${TOPIC}`);
    statusBefore = await call('GET', `/topics/${TOPIC}/status`);
    for (const o of offsetsBefore.offsets) {
      expect(o.offset, queueKey(o)).toBe(committed.get(queueKey(o)) ?? -1);
      expect(o.maxOffset, queueKey(o)).toBe(sentIn(o).length);
    }

    // What the server shows before the restart is what was sent.
    for (const q of queues) {
      const { messages } = await pullAll(q);
      expect(messages).toMatchObject(sentIn(q).map(expectedView));
      before.set(queueKey(q), messages);
    }
  });

  it('stops the server and starts it again on the same state directory', async () => {
    const oldPid = server!.pid;
    await server!.stop();
    server = null;
    expect(groupAlive(oldPid)).toBe(false); // the whole process tree is gone
    expect(existsSync(stateDir)).toBe(true);

    server = await startServer({ persistTo: stateDir });
  });

  it('still has every message, byte for byte, at the same offsets and ids', async () => {
    for (const q of queues) {
      const { messages, last } = await pullAll(q);
      const expected = sentIn(q);
      // Exactly as before the restart (timestamps included) and as sent.
      expect(messages).toEqual(before.get(queueKey(q)));
      expect(messages).toMatchObject(expected.map(expectedView));
      expect(last).toMatchObject({ minOffset: 0, maxOffset: expected.length, nextBeginOffset: expected.length });

      // The raw bytes, every body asked for as base64.
      const raw = await pullAll(q, 'base64');
      expect(raw.messages.map((m: Json) => m.bodyEncoding)).toEqual(expected.map(() => 'base64'));
      expect(raw.messages.map((m: Json) => Buffer.from(m.body, 'base64').toString('hex'))).toEqual(
        expected.map((s) => s.bytes.toString('hex')),
      );
    }

    const status = await call('GET', `/topics/${TOPIC}/status`);
    expect(status).toEqual(statusBefore);
  });

  it('still finds messages by id and by key', async () => {
    const picks = [
      sent[0],
      sent.find((s) => s.binary && s.bytes.equals(BINARY_B))!,
      sent.find((s) => s.bytes.equals(BINARY_A))!,
      sent[sent.length - 1],
    ];
    for (const s of picks) {
      const view = await call('GET', `/messages/${s.msgId}`);
      expect(view).toMatchObject(expectedView(s));
      expect(view).toEqual(before.get(queueKey(s))![s.queueOffset]);
    }
    const raw = await call('GET', `/messages/${picks[2].msgId}?bodyEncoding=base64`);
    expect(Buffer.from(raw.body, 'base64').equals(BINARY_A)).toBe(true);

    const byKey = await call('GET', `/topics/${TOPIC}/messages?key=order-1`);
    const withKey = sent.filter((s) => s.keys.split(' ').includes('order-1'));
    expect(byKey.messages.map((m: Json) => m.msgId).sort()).toEqual(withKey.map((s) => s.msgId).sort());

    const byUniqueKey = await call('GET', `/topics/${TOPIC}/messages?uniqueKey=${sent[3].uniqueKey}`);
    expect(byUniqueKey.messages.map((m: Json) => m.msgId)).toEqual([sent[3].msgId]);
  });

  it('keeps the committed consumer offsets', async () => {
    const offsets = await call('GET', `/groups/${GROUP}/offsets?topic=${TOPIC}`);
    expect(offsets).toEqual(offsetsBefore);
    for (const o of offsets.offsets) expect(o.offset, queueKey(o)).toBe(committed.get(queueKey(o)) ?? -1);
    expect(await call('GET', `/groups/${OTHER_GROUP}/offsets?topic=${TOPIC}`)).toEqual(idleOffsetsBefore);
  });

  it('sends at the next offsets: none is reused', async () => {
    const oldIds = new Set(sent.map((s) => s.msgId));
    const after: Sent[] = [];
    for (const [i, q] of queues.entries()) {
      const draft = textDraft(`after restart ${i}`, 'After', [`after-${i}`], { round: '2' });
      const s = record(draft, await call('POST', `/topics/${TOPIC}/messages`, { ...draft.request, queue: q }));
      expect(queueKey(s)).toBe(queueKey(q));
      expect(s.queueOffset, queueKey(q)).toBe(sentIn(q).length);
      expect(oldIds.has(s.msgId)).toBe(false);
      after.push(s);
    }
    // Round robin and a batch work too, each at its queue's next offset.
    const rr = textDraft('after restart, round robin', 'After', ['after-rr'], {});
    const rrSent = record(rr, await call('POST', `/topics/${TOPIC}/messages`, rr.request));
    expect(rrSent.queueOffset).toBe(
      sentIn(rrSent).length + after.filter((s) => queueKey(s) === queueKey(rrSent)).length,
    );
    after.push(rrSent);
    const batchTarget = queues[0];
    const batchDrafts = [
      binaryDraft(randomBytes(64), 'After', ['after-batch'], { n: '0' }),
      textDraft('after batch 1', 'After', [], { n: '1' }),
    ];
    const batch = await call('POST', `/topics/${TOPIC}/messages`, {
      queue: batchTarget,
      messages: batchDrafts.map((d) => d.request),
    });
    const nextInTarget = sentIn(batchTarget).length + after.filter((s) => queueKey(s) === queueKey(batchTarget)).length;
    batchDrafts.forEach((d, i) => {
      const s = record(d, batch.results[i]);
      expect(s.queueOffset).toBe(nextInTarget + i);
      after.push(s);
    });

    for (const s of after) {
      // Binary bodies here may happen to be valid UTF-8; compare those as bytes below.
      if (!s.binary) expect(await call('GET', `/messages/${s.msgId}`)).toMatchObject(expectedView(s));
      const raw = await call('GET', `/messages/${s.msgId}?bodyEncoding=base64`);
      expect(Buffer.from(raw.body, 'base64').equals(s.bytes)).toBe(true);
    }
    // Old messages are untouched, the new ones follow them.
    sent.push(...after);
    for (const q of queues) {
      const { messages } = await pullAll(q);
      const old = before.get(queueKey(q))!;
      expect(messages.slice(0, old.length)).toEqual(old);
      expect(messages.map((m: Json) => m.msgId)).toEqual(sentIn(q).map((s) => s.msgId));
      expect(messages.map((m: Json) => m.queueOffset)).toEqual(sentIn(q).map((_, i) => i));
    }
    expect(new Set(sent.map((s) => s.msgId)).size).toBe(sent.length);

    // Offsets of the group did not move, but the lag grew with the new messages.
    const offsets = await call('GET', `/groups/${GROUP}/offsets?topic=${TOPIC}`);
    for (const o of offsets.offsets) {
      expect(o.offset, queueKey(o)).toBe(committed.get(queueKey(o)) ?? -1);
      expect(o.maxOffset, queueKey(o)).toBe(sentIn(o).length);
    }
  });
});
