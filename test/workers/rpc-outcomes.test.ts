/**
 * Expected outcomes cross Durable Object RPC as typed results (src/core/outcome.ts), and the stub factory
 * (src/durable-objects/stubs.ts) turns them back into FlareErrors with the same code; an unexpected failure
 * becomes a retriable BROKER_UNAVAILABLE.
 */
import { env } from 'cloudflare:workers';
import { describe, expect, it, vi } from 'vitest';
import { FlareError } from '../../src/core/errors';
import { queueObject } from '../../src/durable-objects/stubs';
import { createTopic, send, uniqueName } from './helpers';

async function queueWithTwoMessages(prefix: string) {
  const topic = uniqueName(prefix);
  await createTopic(topic, { queueNums: 1, brokerNames: ['broker-a'] });
  for (const body of ['a', 'b']) await send(topic, { body });
  return { topic, identity: { topic, brokerName: 'broker-a', queueId: 0, brokerId: 0 } };
}

describe('outcomes across RPC', () => {
  it('an expected refusal comes back through the real stub as a typed result, not a thrown error', async () => {
    const { topic } = await queueWithTwoMessages('OutcomeRefused');
    const stub = env.MESSAGE_QUEUE.getByName(`${topic}/broker-a/0/0`);
    const refused = await stub.commitOffset(uniqueName('G'), 99);
    expect(refused).toEqual({
      ok: false,
      code: 'OFFSET_OUT_OF_RANGE',
      message: "offset 99 is past the queue's max offset 2",
    });
    const group = uniqueName('G');
    expect(await stub.commitOffset(group, 1)).toMatchObject({ ok: true, value: { group, offset: 1 } });
  });

  it('the factory turns a refusal into the FlareError of its code and text, or answers the Outcome itself', async () => {
    const { identity } = await queueWithTwoMessages('OutcomeFactory');
    const queue = queueObject(env, identity);
    const err = await queue.commitOffset(uniqueName('G'), 99).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FlareError);
    expect(err).toMatchObject({
      code: 'OFFSET_OUT_OF_RANGE',
      detail: "offset 99 is past the queue's max offset 2",
      status: 400,
      retriable: false,
    });
    expect(await queue.outcome.commitOffset(uniqueName('G'), 99)).toMatchObject({
      ok: false,
      code: 'OFFSET_OUT_OF_RANGE',
    });
    expect((await queue.getOffset(uniqueName('G'))).maxOffset).toBe(2);
  });

  it('an unexpected failure still throws across RPC, and the factory makes it a retriable BROKER_UNAVAILABLE, logged', async () => {
    const { topic, identity } = await queueWithTwoMessages('OutcomeUnexpected');
    const batch = { identity, rows: [], masterMinOffset: 0, incarnation: 0, offsets: null, state: null };
    // replicate() is for slaves: a master's copy throws a plain Error, which is no expected outcome.
    const raw = await env.MESSAGE_QUEUE.getByName(`${topic}/broker-a/0/0`)
      .replicate(batch)
      .then(
        () => null,
        (e: Error) => e.message,
      );
    expect(raw).toContain('replicate() is for slave queues');
    const errors = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      const err = await queueObject(env, identity)
        .replicate(batch)
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(FlareError);
      expect(err).toMatchObject({ code: 'BROKER_UNAVAILABLE', retriable: true });
      expect((err as FlareError).detail).toContain('replicate() is for slave queues');
      expect(await queueObject(env, identity).outcome.replicate(batch)).toMatchObject({
        ok: false,
        code: 'BROKER_UNAVAILABLE',
      });
      expect(errors).toHaveBeenCalled();
    } finally {
      errors.mockRestore();
    }
  });
});
