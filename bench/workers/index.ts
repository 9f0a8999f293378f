import { cfQueuesFetch, queueHandler, type QueuesEnv } from './cf-queues';
import { consumeLimitFetch, type ConsumeLimit } from './consume-limit';
import type { InsertLimit } from './insert-limit';

export { ConsumeLimit } from './consume-limit';
export { InsertLimit } from './insert-limit';

interface Env extends QueuesEnv {
  INSERT_LIMIT: DurableObjectNamespace<InsertLimit>;
  CONSUME_LIMIT: DurableObjectNamespace<ConsumeLimit>;
}

/** The benchmark's Worker: /insert and /commits (limit.doInsert), /commit-latency (limit.commitLatency), /echo (limit.wsEcho), /sink and /source (limit.httpBatch), /consume/* (limit.consumeHttp) and /cfq/* (the Cloudflare Queues peer). */
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
        // limit.doInsert by commits: `conc` callers, each inserting `rows` rows per call (one call, one
        // transaction, one commit) into one of `objects` fresh objects in turn, for `ms`.
        const rows = Math.min(Number(url.searchParams.get('rows') ?? 100), 100_000);
        const size = Math.min(Number(url.searchParams.get('size') ?? 1024), 1_000_000);
        const objects = Math.min(Number(url.searchParams.get('objects') ?? 1), 64);
        const conc = Math.min(Number(url.searchParams.get('conc') ?? 16), 256);
        const ms = Math.min(Number(url.searchParams.get('ms') ?? 3000), 120_000);
        const schema = url.searchParams.get('schema') === 'plain' ? 'plain' : 'flaremq';
        const stubs = Array.from({ length: objects }, () => env.INSERT_LIMIT.getByName(crypto.randomUUID()));
        let inserted = 0;
        let next = 0;
        const start = Date.now();
        await Promise.all(
          Array.from({ length: conc }, async () => {
            while (Date.now() - start < ms) {
              const n = await stubs[next++ % objects].insert(rows, size, schema);
              inserted += n;
            }
          }),
        );
        return Response.json({ rows: inserted, elapsedMs: Date.now() - start });
      }
      if (url.pathname === '/sink') {
        // limit.httpBatch: a request body read and parsed as JSON, answered with nothing.
        JSON.parse(await request.text());
        return new Response(null, { status: 204 });
      }
      if (url.pathname === '/source') {
        // limit.httpBatch (reads): an answer of `bytes` bytes of JSON.
        const bytes = Math.min(Number(url.searchParams.get('bytes') ?? 1024), 16_000_000);
        return new Response(JSON.stringify({ messages: [{ body: 'x'.repeat(Math.max(bytes - 32, 0)) }] }), {
          headers: { 'content-type': 'application/json' },
        });
      }
      if (url.pathname === '/echo') {
        // limit.wsEcho: a WebSocket held by the Worker that answers every frame with itself.
        const [client, server] = Object.values(new WebSocketPair());
        server.accept();
        server.addEventListener('message', (event) => server.send(event.data));
        return new Response(null, { status: 101, webSocket: client });
      }
      if (url.pathname === '/commit-latency') {
        const n = Math.min(Number(url.searchParams.get('n') ?? 500), 100_000);
        const size = Math.min(Number(url.searchParams.get('size') ?? 1024), 1_000_000);
        return Response.json({ ms: await env.INSERT_LIMIT.getByName(crypto.randomUUID()).commitLatency(n, size) });
      }
      if (url.pathname.startsWith('/consume/')) return await consumeLimitFetch(request, url, env.CONSUME_LIMIT);
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
