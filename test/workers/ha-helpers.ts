import { env } from 'cloudflare:workers';
import { runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import type { MessageQueue } from '../../src/durable-objects/queue/message-queue';
import { call, served, type Served } from './helpers';

/** A message as a queue object's methods take it (a fresh unique key each). */
export const newMessage = (body: string) => ({
  body: new TextEncoder().encode(body),
  tags: '',
  keys: [] as string[],
  properties: {} as Record<string, string>,
  bornTimestamp: Date.now(),
  uniqueKey: `U${Math.random().toString(16).slice(2)}`,
  reconsumeTimes: 0,
});

/** A queue object by identity: brokerId 0 is the master's copy, ≥ 1 a slave's. */
export function queueCopy(topic: string, brokerName: string, queueId: number, brokerId: number): Served<MessageQueue> {
  return served(env.MESSAGE_QUEUE.getByName(`${topic}/${brokerName}/${queueId}/${brokerId}`));
}

/** Retries `check` until it passes (bounded: about 5 s), for work the objects finish in the background. */
export async function eventually<T>(check: () => Promise<T>, tries = 100, delayMs = 50): Promise<T> {
  let last: unknown;
  for (let i = 0; i < tries; i++) {
    try {
      return await check();
    } catch (err) {
      last = err;
      await new Promise((resolve) => setTimeout(resolve, delayMs));
    }
  }
  throw last;
}

/** Takes brokers of a group down (fault injection) or brings them back. */
export async function setFault(brokerName: string, down: boolean, brokerIds?: number[]): Promise<any> {
  const res = await call('PUT', `/brokers/${brokerName}/fault`, brokerIds ? { down, brokerIds } : { down });
  if (res.status !== 200) throw new Error(`fault ${brokerName}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

/** Makes a master queue retry its slaves now rather than 5 s after a failed ship, then runs its alarm. */
export async function shipNow(master: DurableObjectStub<MessageQueue>): Promise<void> {
  await runInDurableObject(master, (_i, state) => {
    state.storage.sql.exec(
      'UPDATE mqr_replica SET failed_at = CASE WHEN failed_at = 0 THEN 0 ELSE failed_at - 60000 END',
    );
  });
  await runDurableObjectAlarm(master);
}

/** Runs the master's alarm until every slave has everything (bounded). */
export async function drain(master: Served<MessageQueue>): Promise<void> {
  await eventually(async () => {
    await shipNow(master);
    const lag = (await master.replicationStatus()).reduce((sum, r) => sum + r.lagEntries, 0);
    if (lag !== 0) throw new Error(`replication lag ${lag}`);
  });
}
