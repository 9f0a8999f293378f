import { describe, expect, it } from 'vitest';
import { FlaremqError, RETRY_DEFAULTS, retryDelay, withRetry } from '../../src/sdk/index';

describe('retry module', () => {
  it('backs off exponentially up to the cap, within the jitter', () => {
    const noJitter = { jitter: 0 };
    expect([1, 2, 3, 4, 10].map((n) => retryDelay(n, noJitter))).toEqual([200, 400, 800, 1600, 5000]);
    for (let n = 1; n < 8; n++) {
      const base = Math.min(RETRY_DEFAULTS.maxDelayMs, RETRY_DEFAULTS.initialDelayMs * 2 ** (n - 1));
      expect(retryDelay(n, {}, () => 0)).toBeGreaterThanOrEqual(Math.floor(base * 0.8));
      expect(retryDelay(n, {}, () => 1)).toBeLessThanOrEqual(
        Math.min(RETRY_DEFAULTS.maxDelayMs, Math.ceil(base * 1.2)),
      );
    }
  });

  it('retries retriable errors and gives the last error once retries are used up', async () => {
    let calls = 0;
    const unavailable = new FlaremqError('BROKER_UNAVAILABLE', 'down');
    const err = await withRetry(
      async () => {
        calls++;
        throw unavailable;
      },
      { retries: 2, initialDelayMs: 1 },
    ).catch((e) => e);
    expect(err).toBe(unavailable);
    expect(calls).toBe(3);
  });

  it('does not retry an error the server marked not retriable', async () => {
    let calls = 0;
    await expect(
      withRetry(async () => {
        calls++;
        throw new FlaremqError('TOPIC_NOT_EXIST', 'nope');
      }),
    ).rejects.toMatchObject({ code: 'TOPIC_NOT_EXIST', retriable: false });
    expect(calls).toBe(1);
  });

  it('returns the first success and passes the attempt number', async () => {
    const attempts: number[] = [];
    const value = await withRetry(
      async (attempt) => {
        attempts.push(attempt);
        if (attempt < 2) throw new FlaremqError('NETWORK_ERROR', 'reset');
        return 'ok';
      },
      { initialDelayMs: 1 },
    );
    expect(value).toBe('ok');
    expect(attempts).toEqual([0, 1, 2]);
  });

  it('stops waiting when the signal aborts', async () => {
    const controller = new AbortController();
    const pending = withRetry(
      async () => {
        throw new FlaremqError('BROKER_UNAVAILABLE', 'down');
      },
      { initialDelayMs: 60_000 },
      controller.signal,
    );
    controller.abort();
    await expect(pending).rejects.toMatchObject({ code: expect.stringMatching(/ABORTED|BROKER_UNAVAILABLE/) });
  });
});
