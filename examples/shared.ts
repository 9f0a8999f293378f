// What every example shares: the client, pointed at FLAREMQ_ENDPOINT (default: `npm start`'s address).
import { createClient } from '../packages/sdk/dist/index.js';

export const endpoint = process.env.FLAREMQ_ENDPOINT ?? 'http://localhost:8787';
export const client = createClient({ endpoint });

/** Waits until `done()` is true, checking every 100 ms; gives up after `ms`. */
export async function until(done: () => boolean, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`gave up after ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
