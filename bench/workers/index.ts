import { cfQueuesFetch, queueHandler, type QueuesEnv } from './cf-queues';
import type { InsertLimit } from './insert-limit';

export { InsertLimit } from './insert-limit';

interface Env extends QueuesEnv {
  INSERT_LIMIT: DurableObjectNamespace<InsertLimit>;
}

/** The benchmark's Worker: /insert (limit.doInsert) and /cfq/* (the Cloudflare Queues peer). */
export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const url = new URL(request.url);
    try {
      if (url.pathname === '/') return new Response('ok');
      if (url.pathname === '/insert') {
        const rows = Math.min(Number(url.searchParams.get('rows') ?? 10_000), 1_000_000);
        const size = Math.min(Number(url.searchParams.get('size') ?? 1024), 1_000_000);
        const schema = url.searchParams.get('schema') === 'flaremq' ? 'flaremq' : 'plain';
        // A fresh object per run, so that every run starts from an empty table.
        const stub = env.INSERT_LIMIT.getByName(url.searchParams.get('object') ?? crypto.randomUUID());
        return Response.json({ rows: await stub.insert(rows, size, schema) });
      }
      if (url.pathname === '/commits') {
        // limit.doCommit: `conc` callers each make calls one after another, for `ms`.
        const stub = env.INSERT_LIMIT.getByName(crypto.randomUUID());
        const ms = Math.min(Number(url.searchParams.get('ms') ?? 3000), 120_000);
        const conc = Math.min(Number(url.searchParams.get('conc') ?? 1), 256);
        const noop = url.searchParams.get('noop') === '1';
        const size = Math.min(Number(url.searchParams.get('size') ?? 1024), 1_000_000);
        let calls = 0;
        let next = 0;
        const start = Date.now();
        await Promise.all(
          Array.from({ length: conc }, async () => {
            while (Date.now() - start < ms) {
              if (noop) await stub.noop();
              else await stub.insertOne(next++, size);
              calls++;
            }
          }),
        );
        return Response.json({ calls, elapsedMs: Date.now() - start });
      }
      if (url.pathname.startsWith('/cfq/')) return await cfQueuesFetch(url, env);
      return new Response('no such route', { status: 404 });
    } catch (err) {
      return new Response(String((err as Error)?.stack ?? err), { status: 500 });
    }
  },
  async queue(batch: MessageBatch<unknown>): Promise<void> {
    await queueHandler(batch);
  },
} satisfies ExportedHandler<Env>;
