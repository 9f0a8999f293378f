/**
 * Crash safety: `wrangler dev` with persisted state, a layout of three
 * broker groups each with a slave — broker-a a SYNC_MASTER, broker-b an
 * ASYNC_MASTER, broker-c an ASYNC_MASTER with ASYNC_FLUSH (holding sends up to
 * ASYNC_FLUSH_INTERVAL_MS, so that kills land while it holds some) — takes
 * sends from concurrent producers while a consumer group member pulls and
 * commits, and is killed with SIGKILL (the whole process tree) KILLS times in
 * the middle of it, started again on the same state each time. Then:
 *
 * - every send answered SEND_OK is stored exactly once, at the offset and
 *   with the message id it was given; offsets in each queue are contiguous;
 *   a send whose answer never came may be stored, at most once;
 * - no message id names two messages (stored, or delivered to the consumer);
 * - the consumer received every acknowledged message;
 * - from the consumer's log: no committed offset, and no offset the group
 *   resumed from after a restart, is lower than one committed before it.
 *
 * Bounded: each phase ends after PHASE_ACKS answered sends or PHASE_LIMIT_MS,
 * and at most MAX_SENDS sends in all.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { groupAlive, makeTempDir, startServer, type DevServer, stopAndRemove } from './server';

const TOPIC = 'e2e-crash';
const GROUP = 'e2e-crash-group';
const CLIENT_ID = 'e2e-crash-consumer';
const PRODUCERS = 4;
const KILLS = 3;
/** Kill once this many sends were answered in the phase (or PHASE_LIMIT_MS passed), while the producers are still sending. */
const PHASE_ACKS = 60;
const PHASE_LIMIT_MS = 10_000;
const MAX_SENDS = 2_000;
/** How long, at most, the consumer gets at the end to receive every acknowledged message. */
const DRAIN_LIMIT_MS = 20_000;

const LAYOUT = [
  { brokerName: 'broker-a', brokerId: 0, brokerRole: 'SYNC_MASTER', region: 'wnam' },
  { brokerName: 'broker-a', brokerId: 1, brokerRole: 'SLAVE', region: 'weur' },
  { brokerName: 'broker-b', brokerId: 0, brokerRole: 'ASYNC_MASTER', region: 'enam' },
  { brokerName: 'broker-b', brokerId: 1, brokerRole: 'SLAVE', region: 'apac' },
  { brokerName: 'broker-c', brokerId: 0, brokerRole: 'ASYNC_MASTER', flushDiskType: 'ASYNC_FLUSH', region: 'wnam' },
  { brokerName: 'broker-c', brokerId: 1, brokerRole: 'SLAVE', region: 'eeur' },
];
const VARS = { BROKERS: JSON.stringify(LAYOUT), ASYNC_FLUSH_INTERVAL_MS: '2000' };
/** Statuses of a stored send: SEND_OK, or on the SYNC_MASTER, stored on the master with its slave late or away. */
const STORED = ['SEND_OK', 'FLUSH_SLAVE_TIMEOUT', 'SLAVE_NOT_AVAILABLE'];

type Json = any;

interface Acked {
  uniqueKey: string;
  msgId: string;
  body: string;
  brokerName: string;
  queueId: number;
  queueOffset: number;
}

/** One line of the consumer's log: a commit the server acknowledged, or where the group resumed after a restart. */
interface OffsetEvent {
  queue: string;
  kind: 'commit' | 'resume';
  offset: number;
  phase: number;
}

let tmp: string;
let stateDir: string;
let server: DevServer | null = null;

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string | undefined,
    message: string,
  ) {
    super(message);
  }
}

async function call(method: string, path: string, body?: unknown): Promise<Json> {
  if (!server) throw new Error('the server is not running');
  const res = await fetch(`${server.url}/api/v1${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await res.text();
  if (res.status !== 200) {
    let code: string | undefined;
    try {
      code = (JSON.parse(text) as Json)?.error?.code;
    } catch {
      // not JSON
    }
    throw new HttpError(
      res.status,
      code,
      `${method} ${path} answered ${res.status}: ${text}\n--- server output (tail) ---\n${server?.output().slice(-4000)}`,
    );
  }
  return JSON.parse(text) as Json;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const queueKey = (q: { brokerName: string; queueId: number }) => `${q.brokerName}/${q.queueId}`;

let queues: { brokerName: string; queueId: number }[] = [];
const acked: Acked[] = [];
/** Unique keys of sends whose answer never came (cut off by a kill, or failed). */
const unanswered = new Set<string>();
/** What the consumer received, in order: msgId -> uniqueKey, and the unique keys. */
const deliveredIds = new Map<string, string>();
const deliveredKeys = new Set<string>();
const idClashes: string[] = [];
const offsetLog: OffsetEvent[] = [];
let sends = 0;
let kills = 0;

/** Concurrent producers until `stop()` says so: singles and batches of 2 or 3, round robin over every queue. */
async function produce(phase: number, stop: () => boolean): Promise<void> {
  const producer = async (p: number) => {
    for (let i = 0; !stop() && sends < MAX_SENDS; i++) {
      sends++;
      const count = i % 4 === 3 ? 2 + (i % 3 === 0 ? 1 : 0) : 1;
      const messages = Array.from({ length: count }, (_, n) => ({
        body: `s${phase}-p${p}-${i}-${n}`,
        uniqueKey: `S${phase}P${p}X${i}X${n}`,
      }));
      try {
        const res = await call('POST', `/topics/${TOPIC}/messages`, count === 1 ? messages[0] : { messages });
        const results: Json[] = count === 1 ? [res] : res.results;
        results.forEach((r, n) => {
          expect(STORED).toContain(r.status);
          expect(r.uniqueKey).toBe(messages[n].uniqueKey);
          acked.push({
            uniqueKey: r.uniqueKey,
            msgId: r.msgId,
            body: messages[n].body,
            brokerName: r.brokerName,
            queueId: r.queueId,
            queueOffset: r.queueOffset,
          });
        });
      } catch (err) {
        if (err instanceof HttpError && err.status < 500) throw err; // a client mistake is a failure of the test
        for (const m of messages) unanswered.add(m.uniqueKey);
        if (!stop()) await sleep(50);
      }
    }
  };
  await Promise.all(Array.from({ length: PRODUCERS }, (_, p) => producer(p)));
}

/**
 * One consumer group member, pulling each assigned queue in turn with long
 * polling, committing what it processed with its next pull. It starts with no
 * offsets (as a restarted consumer does): its first pull of each queue resumes
 * from the group's committed offset, which it logs.
 */
async function consume(phase: number, stop: () => boolean): Promise<void> {
  const next = new Map<string, number>();
  let assignment: { queues: { brokerName: string; queueId: number }[]; generation: number } | null = null;
  let heartbeatAt = 0;
  while (!stop()) {
    try {
      if (!assignment || Date.now() - heartbeatAt > 2_000) {
        const hb = await call('POST', `/groups/${GROUP}/members/${CLIENT_ID}/heartbeat`, {
          subscriptions: [{ topic: TOPIC, expression: '*' }],
          consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET',
        });
        assignment = { queues: hb.queues.filter((q: Json) => q.topic === TOPIC), generation: hb.generation };
        heartbeatAt = Date.now();
        const mine = new Set(assignment.queues.map(queueKey));
        for (const key of [...next.keys()]) if (!mine.has(key)) next.delete(key);
      }
      for (const q of assignment.queues) {
        if (stop()) break;
        const key = queueKey(q);
        const at = next.get(key);
        const query = new URLSearchParams({
          maxMessages: '64',
          waitMs: '300',
          generation: String(assignment.generation),
        });
        if (at !== undefined) {
          query.set('offset', String(at));
          query.set('commitOffset', String(at));
        }
        const res = await call(
          'GET',
          `/groups/${GROUP}/members/${CLIENT_ID}/queues/${TOPIC}/${q.brokerName}/${q.queueId}/messages?${query}`,
        );
        if (at !== undefined) offsetLog.push({ queue: key, kind: 'commit', offset: at, phase });
        else offsetLog.push({ queue: key, kind: 'resume', offset: res.offset, phase });
        for (const m of res.messages) {
          const seen = deliveredIds.get(m.msgId);
          if (seen !== undefined && seen !== m.uniqueKey) idClashes.push(`${m.msgId}: ${seen} and ${m.uniqueKey}`);
          deliveredIds.set(m.msgId, m.uniqueKey);
          deliveredKeys.add(m.uniqueKey);
        }
        next.set(key, res.nextBeginOffset);
      }
    } catch (err) {
      if (err instanceof HttpError && err.status === 409)
        assignment = null; // not assigned, stale generation: heartbeat again
      else if (err instanceof HttpError && err.status < 500) throw err;
      if (!stop()) await sleep(100);
    }
  }
}

/** Runs producers and the consumer until PHASE_ACKS sends were answered (or the limit), then kills the runtime under them. */
async function phaseEndingInKill(phase: number): Promise<void> {
  const started = Date.now();
  const ackedBefore = acked.length;
  let killing: Promise<void> | null = null;
  const stop = () => killing !== null;
  const watcher = (async () => {
    while (acked.length - ackedBefore < PHASE_ACKS && Date.now() - started < PHASE_LIMIT_MS && sends < MAX_SENDS)
      await sleep(20);
    killing = server!.kill('SIGKILL');
  })();
  const pid = server!.pid;
  await Promise.all([produce(phase, stop), consume(phase, stop), watcher]);
  await killing;
  expect(groupAlive(pid)).toBe(false);
  kills++;
  expect(acked.length - ackedBefore, `answered sends in phase ${phase}`).toBeGreaterThan(0);
  server = await startServer({ persistTo: stateDir, vars: VARS });
}

describe('crash safety: repeated SIGKILLs of wrangler dev under producers and a committing consumer (SYNC_MASTER, ASYNC_MASTER, ASYNC_FLUSH, with slaves)', () => {
  beforeAll(async () => {
    tmp = makeTempDir('flaremq-e2e-crash-');
    stateDir = join(tmp, 'state');
    server = await startServer({ persistTo: stateDir, vars: VARS });
  });

  afterAll(async () => {
    await stopAndRemove(server, tmp);
    server = null;
  });

  it('creates the topic on the three broker groups', async () => {
    const route = await call('PUT', `/topics/${TOPIC}`, { queueNums: 2 });
    queues = route.queueDatas.flatMap((qd: Json) =>
      Array.from({ length: qd.writeQueueNums as number }, (_, queueId) => ({
        brokerName: qd.brokerName as string,
        queueId,
      })),
    );
    expect(new Set(queues.map((q) => q.brokerName))).toEqual(new Set(['broker-a', 'broker-b', 'broker-c']));
  });

  it(`is killed ${KILLS} times while producers send and the consumer commits, and serves again each time`, async () => {
    for (let phase = 0; phase < KILLS; phase++) await phaseEndingInKill(phase);
    expect(kills).toBe(KILLS);
    const cluster = await call('GET', '/cluster');
    expect(cluster.clusters[0].brokerNames).toEqual(['broker-a', 'broker-b', 'broker-c']);
  });

  it('after the last restart, sends go on and the consumer receives every acknowledged message', async () => {
    let done = false;
    const stop = () => done;
    const started = Date.now();
    const consuming = consume(KILLS, stop);
    await produce(KILLS, () => sends >= MAX_SENDS || Date.now() - started > 2_000);
    while (acked.some((a) => !deliveredKeys.has(a.uniqueKey)) && Date.now() - started < DRAIN_LIMIT_MS)
      await sleep(100);
    done = true;
    await consuming;
    const notDelivered = acked
      .filter((a) => !deliveredKeys.has(a.uniqueKey))
      .map((a) => `${a.uniqueKey}@${queueKey(a)}:${a.queueOffset}`);
    expect(notDelivered).toEqual([]);
    expect(idClashes).toEqual([]);
  });

  it('holds every acknowledged send exactly once, at its offset and with its message id; offsets are contiguous; no id is given twice', async () => {
    const byKey = new Map(acked.map((a) => [a.uniqueKey, a]));
    expect(byKey.size).toBe(acked.length);
    expect(new Set(acked.map((a) => a.msgId)).size).toBe(acked.length);
    const seen = new Set<string>();
    const ids = new Set<string>();
    for (const q of queues) {
      const messages: Json[] = [];
      let offset = 0;
      for (let round = 0; round < 100; round++) {
        const res = await call(
          'GET',
          `/topics/${TOPIC}/queues/${q.brokerName}/${q.queueId}/messages?offset=${offset}&maxMessages=1000`,
        );
        if (res.status === 'NO_NEW_MSG') break;
        expect(res.status).toBe('FOUND');
        messages.push(...res.messages);
        offset = res.nextBeginOffset;
      }
      expect(
        messages.map((m) => m.queueOffset),
        queueKey(q),
      ).toEqual(messages.map((_, i) => i));
      for (const m of messages) {
        expect(seen.has(m.uniqueKey), `${m.uniqueKey} stored twice`).toBe(false);
        expect(ids.has(m.msgId), `message id ${m.msgId} given twice`).toBe(false);
        seen.add(m.uniqueKey);
        ids.add(m.msgId);
        const a = byKey.get(m.uniqueKey);
        if (a)
          expect({ body: m.body, queue: queueKey(m), offset: m.queueOffset, msgId: m.msgId }).toEqual({
            body: a.body,
            queue: queueKey(a),
            offset: a.queueOffset,
            msgId: a.msgId,
          });
        else expect(unanswered.has(m.uniqueKey), `${m.uniqueKey} was never sent`).toBe(true);
      }
    }
    const missing = acked
      .filter((a) => !seen.has(a.uniqueKey))
      .map((a) => `${a.uniqueKey}@${queueKey(a)}:${a.queueOffset}`);
    expect(missing).toEqual([]);
    const byBroker = (b: string) => acked.filter((a) => a.brokerName === b).length;
    console.info(
      `crash: ${kills} kills, ${acked.length} sends answered (broker-a ${byBroker('broker-a')}, broker-b ${byBroker('broker-b')}, broker-c ${byBroker('broker-c')}), ` +
        `${unanswered.size} cut off, ${[...unanswered].filter((k) => seen.has(k)).length} of those stored; ${offsetLog.length} offsets in the consumer's log`,
    );
  });

  it("never moves a committed offset back: in the consumer's log, no commit or resume point is lower than a commit before it", async () => {
    const highest = new Map<string, number>();
    const backwards: string[] = [];
    for (const e of offsetLog) {
      const before = highest.get(e.queue) ?? 0;
      if (e.offset < before)
        backwards.push(`${e.queue}: ${e.kind} at ${e.offset} in phase ${e.phase}, after a commit of ${before}`);
      if (e.kind === 'commit') highest.set(e.queue, Math.max(before, e.offset));
    }
    expect(backwards).toEqual([]);
    // The log covers restarts: the consumer resumed from offsets committed before a kill.
    expect(offsetLog.some((e) => e.kind === 'resume' && e.phase > 0 && e.offset > 0)).toBe(true);
  });
});
