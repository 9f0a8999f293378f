/**
 * What a slave holds besides the log (the `workers-ha` project; broker-a is a SYNC_MASTER with one slave): pending
 * timers, half messages and pop state, shipped with the log by the master's alarm (queue/state-replication.ts).
 */
import { runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { afterEach, describe, expect, it } from 'vitest';
import type { MessageQueue } from '../../src/durable-objects/queue/message-queue';
import type { PopRequest } from '../../src/durable-objects/queue/pop';
import { eventually, newMessage, queueCopy, setFault, shipNow } from './ha-helpers';
import { call, createTopic, uniqueName, type Served } from './helpers';

const popRequest = (group: string, maxMessages: number): PopRequest => ({
  group,
  maxMessages,
  invisibleMs: 60_000,
  tags: null,
  orderly: false,
  startFrom: { consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET', consumeTimestamp: 0, subscribedAt: 0 },
  maxReconsumeTimes: 16,
});

/** The rows of a copy's timers, half messages and pop state (without the revision stamps, which are the master's bookkeeping). */
async function stateRows(stub: Served<MessageQueue>): Promise<Record<string, unknown[]>> {
  return runInDurableObject(stub, (_i, state) => {
    const out: Record<string, unknown[]> = {};
    for (const [table, order] of [
      ['mq_timer', 'timer_id'],
      ['mqt_half', 'half_id'],
      ['mqp_cursor', 'grp'],
      ['mqp_inflight', 'grp, seq'],
      ['mqp_acked', 'grp, seq'],
    ]) {
      out[table] = state.storage.sql
        .exec(`SELECT * FROM ${table} ORDER BY ${order}`)
        .toArray()
        .map(({ rev: _rev, ...row }) => ({
          ...row,
          body: row.body instanceof ArrayBuffer ? [...new Uint8Array(row.body)] : row.body,
        }));
    }
    return out;
  });
}

/**
 * Runs the master's alarm until its slave has every message and every change of the state (bounded): a ship the
 * alarm started in the background may still be on its way when a run is asked for.
 */
async function synced(master: Served<MessageQueue>): Promise<void> {
  await eventually(async () => {
    await shipNow(master);
    const lag = (await master.replicationStatus()).reduce((sum, r) => sum + r.lagEntries, 0);
    const behind = await runInDurableObject(master, (instance, state) => {
      const acked =
        state.storage.sql
          .exec<{ r: number }>('SELECT acked_state_rev AS r FROM mqr_replica WHERE broker_id = 1')
          .toArray()[0]?.r ?? -1;
      return (instance as any).revisions.current() - acked;
    });
    if (lag !== 0 || behind !== 0)
      throw new Error(`the slave lacks ${lag} message(s) and ${behind} revision(s) of the state`);
  });
}

afterEach(async () => {
  await setFault('broker-a', false);
});

describe('a slave holds timers, half messages and pop state', () => {
  it('the alarm ships them with the log; what the master delivers, commits, rolls back and acks leaves the slave at the next ship', async () => {
    const topic = uniqueName('State');
    const group = uniqueName('G');
    await createTopic(topic, { queueNums: 1, brokerNames: ['broker-a'] });
    const master = queueCopy(topic, 'broker-a', 0, 0);
    const slave = queueCopy(topic, 'broker-a', 0, 1);
    const later = Date.now() + 3_600_000;

    await master.putMessages([newMessage('m0'), newMessage('m1'), newMessage('m2')]);
    const [due, cancelled, kept] = await master.schedule([newMessage('t0'), newMessage('t1'), newMessage('t2')], later);
    const commit = await master.prepareHalf('PG', newMessage('h0'), later);
    const rollback = await master.prepareHalf('PG', newMessage('h1'), later);
    const popped = await master.pop(popRequest(group, 2));
    expect(popped.messages.map((m) => m.message.queueOffset)).toEqual([0, 1]);
    expect(await master.ackPopped(group, [{ queueOffset: 0, handleSeq: popped.messages[0].handleSeq }])).toEqual([
      { acked: true },
    ]);
    const second = await master.pop(popRequest(group, 1));

    await synced(master);
    for (const t of [due, cancelled, kept])
      expect(await slave.getTimer(t.timerId)).toEqual(await master.getTimer(t.timerId));
    expect(await slave.getTimer(kept.timerId)).toMatchObject({ timerId: kept.timerId, deliverAt: later });
    for (const h of [commit, rollback]) expect(await slave.getHalf(h)).toEqual(await master.getHalf(h));
    expect(await slave.getHalf(commit)).toMatchObject({ halfId: commit, producerGroup: 'PG' });
    expect(await slave.popState(group)).toEqual({ cursor: 3, inFlight: 2, heldBack: 0 });
    expect(await stateRows(slave)).toEqual(await stateRows(master));

    // The master delivers one timer (due now), cancels one, commits and rolls back its half messages, acks every pop.
    await runInDurableObject(master, (_i, state) => {
      state.storage.sql.exec('UPDATE mq_timer SET deliver_at = ? WHERE timer_id = ?', Date.now() - 1, due.timerId);
    });
    expect(await master.cancelTimer(cancelled.timerId)).not.toBeNull();
    expect(await master.endTransaction(commit, 'COMMIT')).not.toBeNull();
    expect(await master.endTransaction(rollback, 'ROLLBACK')).not.toBeNull();
    await master.ackPopped(group, [
      { queueOffset: 1, handleSeq: popped.messages[1].handleSeq },
      { queueOffset: 2, handleSeq: second.messages[0].handleSeq },
    ]);
    await synced(master);
    expect(await master.getTimer(due.timerId)).toBeNull();
    for (const t of [due, cancelled]) expect(await slave.getTimer(t.timerId)).toBeNull();
    expect(await slave.getTimer(kept.timerId)).toEqual(await master.getTimer(kept.timerId));
    for (const h of [commit, rollback]) expect(await slave.getHalf(h)).toBeNull();
    expect(await slave.popState(group)).toEqual({ cursor: 3, inFlight: 0, heldBack: 0 });
    expect(await stateRows(slave)).toEqual(await stateRows(master));
    // The delivered timer and the committed half message are in the slave's log too.
    expect((await slave.status()).maxOffset).toBe(5);
  });

  it('a batch carries only what changed since the slave acknowledged; tombstones go once the slave has them', async () => {
    const topic = uniqueName('StateIncremental');
    const group = uniqueName('G');
    await createTopic(topic, { queueNums: 1, brokerNames: ['broker-a'] });
    const master = queueCopy(topic, 'broker-a', 0, 0);
    const later = Date.now() + 3_600_000;
    await master.putMessages([newMessage('m0'), newMessage('m1')]);
    const timers = await master.schedule([newMessage('t0'), newMessage('t1'), newMessage('t2')], later);
    await master.prepareHalf('PG', newMessage('h0'), later);
    await master.pop(popRequest(group, 2));
    await synced(master);

    // One timer cancelled and one scheduled (the slave down meanwhile, so that no ship takes them before they are
    // looked at): the next batch holds that timer and one tombstone, nothing else.
    await setFault('broker-a', true, [1]);
    await master.cancelTimer(timers[0].timerId);
    const [added] = await master.schedule([newMessage('t3')], later);
    const pending = await runInDurableObject(master, (instance, state) => {
      const acked = state.storage.sql
        .exec<{ r: number }>('SELECT acked_state_rev AS r FROM mqr_replica WHERE broker_id = 1')
        .one().r;
      const changes = (instance as any).revisions.changes(acked, 1000, 4 * 1024 * 1024);
      return {
        rows: changes.rows.map((c: any) => [c.table, c.row.timer_id]),
        deleted: changes.deleted,
        tombstones: state.storage.sql.exec('SELECT COUNT(*) AS n FROM mqrs_tombstone').one().n,
      };
    });
    expect(pending).toEqual({
      rows: [['mq_timer', added.timerId]],
      deleted: [{ table: 'mq_timer', keys: [[timers[0].timerId]] }],
      tombstones: 1,
    });
    await setFault('broker-a', false, [1]);
    await synced(master);
    expect(await queueCopy(topic, 'broker-a', 0, 1).getTimer(timers[0].timerId)).toBeNull();
    const tombstones = await runInDurableObject(
      master,
      (_i, state) => state.storage.sql.exec('SELECT COUNT(*) AS n FROM mqrs_tombstone').one().n,
    );
    expect(tombstones).toBe(0);
  });

  it('a batch stops between two revisions: in batches of one row, every row arrives, also where tables share revisions (an upgraded object)', async () => {
    const topic = uniqueName('StateChunks');
    await createTopic(topic, { queueNums: 1, brokerNames: ['broker-a'] });
    const master = queueCopy(topic, 'broker-a', 0, 0);
    await master.schedule([newMessage('t0'), newMessage('t1'), newMessage('t2')], Date.now() + 3_600_000);
    for (const body of ['h0', 'h1']) await master.prepareHalf('PG', newMessage(body), Date.now() + 3_600_000);
    const batches = await runInDurableObject(master, (instance, state) => {
      // As the migration numbers the rows an object held before revisions: timer 1 and half message 1 share revision 1.
      state.storage.sql.exec('UPDATE mq_timer SET rev = timer_id');
      state.storage.sql.exec('UPDATE mqt_half SET rev = half_id');
      const out: string[][] = [];
      let after = -1;
      for (let i = 0; i < 20; i++) {
        const changes = (instance as any).revisions.changes(after, 1, 4 * 1024 * 1024);
        if (!changes) break;
        out.push(changes.rows.map((c: any) => `${c.table}:${c.row.timer_id ?? c.row.half_id}`));
        after = changes.rev;
      }
      return out;
    });
    expect(batches.flat().sort()).toEqual(['mq_timer:1', 'mq_timer:2', 'mq_timer:3', 'mqt_half:1', 'mqt_half:2']);
    expect(batches[0]).toHaveLength(2); // revision 1: both rows, or neither
  });

  it('revisions cost no row: on a master with a slave, 100 delayed messages write their rows and their due index, and their delivery one tombstone more', async () => {
    const topic = uniqueName('StateRows');
    await createTopic(topic, { queueNums: 1, brokerNames: ['broker-a'] });
    const master = queueCopy(topic, 'broker-a', 0, 0);
    await master.putMessages([newMessage('warm')]); // the object's first writes (statistics, alarm) are not the ones measured
    const rowsWritten = async () => (await master.status()).storage.rowsWritten;
    const before = await rowsWritten();
    const timers = await master.schedule(
      Array.from({ length: 100 }, (_, i) => newMessage(`t${i}`)),
      Date.now() + 3_600_000,
    );
    const scheduled = await rowsWritten();
    // Each: its row, its mq_timer_due index row and AUTOINCREMENT's sqlite_sequence row, as before revisions (an index on rev would add one).
    expect(scheduled - before).toBeLessThanOrEqual(3 * 100);
    const due = await rowsWritten();
    await runInDurableObject(master, (_i, state) => {
      state.storage.sql.exec('UPDATE mq_timer SET deliver_at = 0'); // not counted: the test's own SQL
    });
    await synced(master); // delivers the 100 in one transaction, then ships them
    expect(await master.getTimer(timers[99].timerId)).toBeNull();
    const delivered = await rowsWritten();
    // Deleting 100 timer rows and their index rows, one tombstone, the log's row, the statistics and the replication bookkeeping.
    expect(delivered - due, `${delivered - due} rows`).toBeLessThanOrEqual(2 * 100 + 10);
  });

  it('SYNC_MASTER: once a send is answered SEND_OK, the slave also has what changed in the state before it', async () => {
    const topic = uniqueName('StateSync');
    await createTopic(topic, { queueNums: 1, brokerNames: ['broker-a'] });
    const master = queueCopy(topic, 'broker-a', 0, 0);
    const slave = queueCopy(topic, 'broker-a', 0, 1);
    const [timer] = await master.schedule([newMessage('t0')], Date.now() + 3_600_000);
    expect(await master.putMessages([newMessage('m0')])).toMatchObject({ status: 'SEND_OK' });
    expect(await slave.getTimer(timer.timerId)).toEqual(await master.getTimer(timer.timerId));
  });

  it('a failover read of a timer, a half message and pop state answers from the slave while the master is down', async () => {
    const topic = uniqueName('StateFailover');
    await createTopic(topic, { queueNums: 1, brokerNames: ['broker-a'] });
    const group = uniqueName('G');
    const master = queueCopy(topic, 'broker-a', 0, 0);
    const slave = queueCopy(topic, 'broker-a', 0, 1);
    await master.putMessages([newMessage('m0'), newMessage('m1')]);
    await master.pop(popRequest(group, 1));
    const sent = await call('POST', `/topics/${topic}/messages`, { body: 'later', deliverAt: Date.now() + 3_600_000 });
    expect(sent.status).toBe(200);
    const half = await call('POST', `/topics/${topic}/messages`, {
      body: 'half',
      transaction: { producerGroup: uniqueName('PG') },
    });
    expect(half.status).toBe(200);
    await synced(master);
    await setFault('broker-a', true, [0]);
    const timer = await call('GET', `/timers/${sent.body.timerHandle}`);
    expect(timer.status).toBe(200);
    expect(timer.body).toMatchObject({ timerHandle: sent.body.timerHandle, body: 'later' });
    const pending = await call('GET', `/transactions/${half.body.transactionHandle}`);
    expect(pending.status).toBe(200);
    expect(pending.body).toMatchObject({ transactionHandle: half.body.transactionHandle, body: 'half', checkTimes: 0 });
    expect(await slave.popState(group)).toEqual({ cursor: 1, inFlight: 1, heldBack: 0 });
  });

  it('a slave holds the state without acting on it: its alarm delivers no timer and checks no half message, and it refuses pops and ends of transactions', async () => {
    const topic = uniqueName('StateHeld');
    const group = uniqueName('G');
    await createTopic(topic, { queueNums: 1, brokerNames: ['broker-a'] });
    const master = queueCopy(topic, 'broker-a', 0, 0);
    const slave = queueCopy(topic, 'broker-a', 0, 1);
    await master.putMessages([newMessage('m0')]);
    const [timer] = await master.schedule([newMessage('t0')], Date.now() + 3_600_000);
    const half = await master.prepareHalf('PG', newMessage('h0'), Date.now() + 3_600_000);
    const popped = await master.pop(popRequest(group, 1));
    await synced(master);
    await runInDurableObject(slave, (_i, state) => {
      state.storage.sql.exec('UPDATE mq_timer SET deliver_at = 0');
      state.storage.sql.exec('UPDATE mqt_half SET next_check_at = 0');
    });
    expect(await runDurableObjectAlarm(slave)).toBe(true); // its retention schedule keeps one set
    expect(await slave.getTimer(timer.timerId)).toMatchObject({ timerId: timer.timerId, deliverAt: 0 });
    expect(await slave.getHalf(half)).toMatchObject({ halfId: half, checkTimes: 0, nextCheckAt: 0 });
    expect((await slave.status()).maxOffset).toBe(1);
    const refusals = [
      () => slave.pop(popRequest(group, 1)),
      () => slave.ackPopped(group, [{ queueOffset: 0, handleSeq: popped.messages[0].handleSeq }]),
      () => slave.cancelTimer(timer.timerId),
      () => slave.endTransaction(half, 'ROLLBACK'),
      () => slave.popHalf('PG', 1, 60_000),
    ];
    for (const refused of refusals) {
      // Awaited inside try: a stub's rejected promise must not be left unhandled.
      let message = '';
      try {
        await refused();
      } catch (err) {
        message = (err as Error).message;
      }
      expect(message).toMatch(/^\[SLAVE_READ_ONLY\]/);
    }
    expect(await slave.popState(group)).toEqual({ cursor: 1, inFlight: 1, heldBack: 0 });
  });

  it('a re-created topic clears what the slave held of its old life', async () => {
    const topic = uniqueName('StateRecreate');
    const group = uniqueName('G');
    await createTopic(topic, { queueNums: 1, brokerNames: ['broker-a'] });
    const master = queueCopy(topic, 'broker-a', 0, 0);
    const slave = queueCopy(topic, 'broker-a', 0, 1);
    const later = Date.now() + 3_600_000;
    await master.putMessages([newMessage('m0')]);
    const [old] = await master.schedule([newMessage('old')], later);
    const oldHalf = await master.prepareHalf('PG', newMessage('old'), later);
    await master.pop(popRequest(group, 1));
    await synced(master);
    expect(await slave.getTimer(old.timerId)).not.toBeNull();

    // The slave misses the delete (down meanwhile): it learns of the new life from the next batch.
    await setFault('broker-a', true, [1]);
    await master.drop();
    await master.open({ topic, brokerName: 'broker-a', queueId: 0, brokerId: 0 });
    await setFault('broker-a', false, [1]);
    const [fresh] = await master.schedule([newMessage('new')], later);
    await synced(master);
    expect(await slave.getTimer(old.timerId)).toBeNull();
    expect(await slave.getHalf(oldHalf)).toBeNull();
    expect(await slave.popState(group)).toEqual({ cursor: -1, inFlight: 0, heldBack: 0 });
    expect(await slave.getTimer(fresh.timerId)).toEqual(await master.getTimer(fresh.timerId));
    expect(await stateRows(slave)).toEqual(await stateRows(master));
  });
});
