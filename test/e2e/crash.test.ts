/**
 * Crash safety: `wrangler dev` with persisted state takes sends from several
 * concurrent producers and is killed with SIGKILL (the whole process tree)
 * in the middle of it; started again on the same state, it must still hold
 * every send it answered SEND_OK, exactly once, at the offset it gave;
 * offsets in each queue must be contiguous; committed consumer offsets must
 * be where they were; and the cluster must serve again with no manual step.
 * A send whose answer never arrived (cut off by the kill) may or may not be
 * there, but at most once. Bounded: at most MAX_SENDS requests and
 * RUN_LIMIT_MS of producing.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { groupAlive, makeTempDir, startServer, type DevServer } from './server';

const TOPIC = 'e2e-crash';
const GROUP = 'e2e-crash-group';
const PRODUCERS = 6;
/** Kill once this many sends were answered (or RUN_LIMIT_MS passed), while the producers are still sending. */
const KILL_AFTER_ACKS = 120;
const RUN_LIMIT_MS = 20_000;
const MAX_SENDS = 2_000;

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

interface Acked {
  uniqueKey: string;
  body: string;
  brokerName: string;
  queueId: number;
  queueOffset: number;
}

let tmp: string;
let stateDir: string;
let server: DevServer | null = null;

async function call(method: string, path: string, body?: unknown): Promise<Json> {
  if (!server) throw new Error('the server is not running');
  const res = await fetch(`${server.url}/api/v1${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`${method} ${path} answered ${res.status}: ${text}\n--- server output (tail) ---\n${server.output().slice(-8000)}`);
  return JSON.parse(text) as Json;
}

const queueKey = (q: { brokerName: string; queueId: number }) => `${q.brokerName}/${q.queueId}`;

let queues: { brokerName: string; queueId: number }[] = [];
const acked: Acked[] = [];
/** Unique keys of sends whose answer never came (cut off by the kill, or failed). */
const unanswered = new Set<string>();
const committed = new Map<string, number>();
let killedAfterAcks = 0;

describe('crash safety: SIGKILL of wrangler dev in the middle of concurrent sends', () => {
  beforeAll(async () => {
    tmp = makeTempDir('flaremq-e2e-crash-');
    stateDir = join(tmp, 'state');
    server = await startServer({ persistTo: stateDir });
  });

  afterAll(async () => {
    try {
      await server?.stop();
    } finally {
      server = null;
      if (tmp) rmSync(tmp, { recursive: true, force: true });
    }
  });

  it('creates the topic and commits consumer offsets', async () => {
    const route = await call('PUT', `/topics/${TOPIC}`, { queueNums: 3 });
    queues = route.queueDatas.flatMap((qd: Json) => Array.from({ length: qd.writeQueueNums as number }, (_, queueId) => ({ brokerName: qd.brokerName as string, queueId })));
    expect(queues.length).toBeGreaterThanOrEqual(3);
    // A few messages in each queue, and the group's offset committed in the middle of them.
    for (const [i, q] of queues.entries()) {
      const sent = await call('POST', `/topics/${TOPIC}/messages`, { queue: q, messages: [0, 1, 2].map((n) => ({ body: `seed-${i}-${n}`, uniqueKey: `SEED${i}X${n}` })) });
      for (const r of sent.results) acked.push({ uniqueKey: r.uniqueKey, body: `seed-${i}-${r.queueOffset}`, brokerName: q.brokerName, queueId: q.queueId, queueOffset: r.queueOffset });
      const offset = 1 + (i % 3);
      await call('PUT', `/groups/${GROUP}/offsets`, { topic: TOPIC, ...q, offset });
      committed.set(queueKey(q), offset);
    }
  });

  it('kills the whole runtime with SIGKILL while producers are sending', async () => {
    const started = Date.now();
    let sends = 0;
    let killing: Promise<void> | null = null;
    const kill = () => {
      killedAfterAcks = acked.length;
      killing ??= server!.kill('SIGKILL');
      return killing;
    };
    const producer = async (p: number) => {
      for (let i = 0; !killing && sends < MAX_SENDS && Date.now() - started < RUN_LIMIT_MS; i++) {
        sends++;
        // Singles and batches of 2 or 3, round robin over every queue.
        const count = i % 4 === 3 ? 2 + (i % 3 === 0 ? 1 : 0) : 1;
        const messages = Array.from({ length: count }, (_, n) => ({ body: `p${p}-${i}-${n}`, uniqueKey: `P${p}X${i}X${n}` }));
        const request = count === 1 ? messages[0] : { messages };
        try {
          const res = await call('POST', `/topics/${TOPIC}/messages`, request);
          const results: Json[] = count === 1 ? [res] : res.results;
          results.forEach((r, n) => {
            expect(r.status).toBe('SEND_OK');
            expect(r.uniqueKey).toBe(messages[n].uniqueKey);
            acked.push({ uniqueKey: r.uniqueKey, body: messages[n].body, brokerName: r.brokerName, queueId: r.queueId, queueOffset: r.queueOffset });
          });
          if (acked.length >= KILL_AFTER_ACKS + queues.length * 3) void kill();
        } catch {
          for (const m of messages) unanswered.add(m.uniqueKey);
        }
      }
    };
    const running = Promise.all(Array.from({ length: PRODUCERS }, (_, p) => producer(p)));
    await running;
    const pid = server!.pid;
    await kill();
    expect(groupAlive(pid)).toBe(false);
    server = null;
    // The kill came while sends were in flight (or the run hit its bounds first, and the kill came right after).
    expect(killedAfterAcks).toBeGreaterThan(queues.length * 3);
  });

  it('starts again on the same state and serves with no manual step', async () => {
    server = await startServer({ persistTo: stateDir });
    const cluster = await call('GET', '/cluster');
    expect(cluster.clusters[0].brokerNames).toEqual(['broker-a', 'broker-b']);
  });

  it('holds every acknowledged send exactly once at its offset; offsets are contiguous; nothing unknown', async () => {
    const byKey = new Map(acked.map((a) => [a.uniqueKey, a]));
    expect(byKey.size).toBe(acked.length);
    const seen = new Set<string>();
    for (const q of queues) {
      const messages: Json[] = [];
      let offset = 0;
      for (let round = 0; round < 1000; round++) {
        const res = await call('GET', `/topics/${TOPIC}/queues/${q.brokerName}/${q.queueId}/messages?offset=${offset}&maxMessages=1000`);
        if (res.status === 'NO_NEW_MSG') break;
        expect(res.status).toBe('FOUND');
        messages.push(...res.messages);
        offset = res.nextBeginOffset;
      }
      // Contiguous from 0: no gap, no duplicate offset.
      expect(messages.map((m) => m.queueOffset), queueKey(q)).toEqual(messages.map((_, i) => i));
      for (const m of messages) {
        expect(seen.has(m.uniqueKey), `${m.uniqueKey} stored twice`).toBe(false);
        seen.add(m.uniqueKey);
        const a = byKey.get(m.uniqueKey);
        if (a) expect({ body: m.body, queue: queueKey(m), offset: m.queueOffset }).toEqual({ body: a.body, queue: queueKey(a), offset: a.queueOffset });
        else expect(unanswered.has(m.uniqueKey), `${m.uniqueKey} was never sent`).toBe(true);
      }
    }
    const missing = acked.filter((a) => !seen.has(a.uniqueKey)).map((a) => `${a.uniqueKey}@${queueKey(a)}:${a.queueOffset}`);
    expect(missing).toEqual([]);
    const storedUnanswered = [...unanswered].filter((k) => seen.has(k)).length;
    console.info(`crash: ${acked.length} sends answered (kill after ${killedAfterAcks}), ${unanswered.size} cut off by the kill, ${storedUnanswered} of those stored`);
  });

  it('keeps the committed consumer offsets', async () => {
    const offsets = await call('GET', `/groups/${GROUP}/offsets?topic=${TOPIC}`);
    for (const o of offsets.offsets) expect(o.offset, queueKey(o)).toBe(committed.get(queueKey(o)));
  });

  it('sends again at the next offsets: none is reused', async () => {
    for (const q of queues) {
      const status = await call('GET', `/topics/${TOPIC}/status`);
      const max = status.queues.find((s: Json) => queueKey(s) === queueKey(q)).maxOffset;
      const sent = await call('POST', `/topics/${TOPIC}/messages`, { body: `after-${queueKey(q)}`, queue: q });
      expect(sent).toMatchObject({ status: 'SEND_OK', queueOffset: max });
    }
  });
});
