import { DurableObject } from 'cloudflare:workers';

/** Messages per stored row, as the consume measurement's backlog is written (appends of 500). */
const ROW_MESSAGES = 500;

/**
 * limit.consumeHttp: the least a pull-and-commit consumer costs over HTTP on this runtime. One object per queue
 * holds its messages as rows of ROW_MESSAGES bodies of a fixed size. A pull is one read of the row holding its
 * offset, answered with up to `max` messages; a commit is one row written, durable before it is answered (the
 * output gate). No validation, routing, access control, statistics or message ids: only what any consumer of
 * stored messages over HTTP needs (a read, a JSON answer, a durable commit).
 */
export class ConsumeLimit extends DurableObject {
  private ready = false;

  private table(): SqlStorage {
    const sql = this.ctx.storage.sql;
    if (!this.ready) {
      sql.exec(
        'CREATE TABLE IF NOT EXISTS log (first INTEGER PRIMARY KEY, count INTEGER NOT NULL, data BLOB NOT NULL)',
      );
      sql.exec('CREATE TABLE IF NOT EXISTS offsets (grp TEXT PRIMARY KEY, offset INTEGER NOT NULL)');
      this.ready = true;
    }
    return sql;
  }

  /** Stores `messages` bodies of `size` bytes ('x'), ROW_MESSAGES a row. */
  fill(messages: number, size: number): number {
    const sql = this.table();
    const row = new Uint8Array(ROW_MESSAGES * size).fill(0x78);
    this.ctx.storage.transactionSync(() => {
      for (let first = 0; first < messages; first += ROW_MESSAGES) {
        const count = Math.min(ROW_MESSAGES, messages - first);
        sql.exec(
          'INSERT INTO log (first, count, data) VALUES (?, ?, ?)',
          first,
          count,
          row.slice(0, count * size).buffer,
        );
      }
    });
    return messages;
  }

  /** Up to `max` bodies from `offset` (within the row holding it), and the offset after them. */
  pull(offset: number, max: number, size: number): { bodies: Uint8Array[]; next: number } {
    const r = this.table()
      .exec<{ first: number; count: number; data: ArrayBuffer }>(
        'SELECT first, count, data FROM log WHERE first <= ? ORDER BY first DESC LIMIT 1',
        offset,
      )
      .toArray()[0];
    if (!r || offset >= r.first + r.count) return { bodies: [], next: offset };
    const data = new Uint8Array(r.data);
    const n = Math.min(max, r.first + r.count - offset);
    const bodies = Array.from({ length: n }, (_, i) =>
      data.slice((offset - r.first + i) * size, (offset - r.first + i + 1) * size),
    );
    return { bodies, next: offset + n };
  }

  /** Writes the group's offset. */
  commit(group: string, offset: number): void {
    this.table().exec('INSERT OR REPLACE INTO offsets (grp, offset) VALUES (?, ?)', group, offset);
  }
}

const decoder = new TextDecoder();

/** The bench Worker's /consume/* routes: fill (POST), pull (GET) and commit (PUT) of queue `q`. */
export async function consumeLimitFetch(
  request: Request,
  url: URL,
  ns: DurableObjectNamespace<ConsumeLimit>,
): Promise<Response> {
  const p = url.searchParams;
  const size = Math.min(Number(p.get('size') ?? 1024), 1_000_000);
  const queue = (q: string | null) => ns.getByName(`${p.get('run') ?? 'run'}/${q ?? '0'}`);
  if (url.pathname === '/consume/fill') {
    const messages = Math.min(Number(p.get('messages') ?? 1000), 1_000_000);
    return Response.json({ messages: await queue(p.get('q')).fill(messages, size) });
  }
  if (url.pathname === '/consume/pull') {
    const offset = Number(p.get('offset') ?? 0);
    const { bodies, next } = await queue(p.get('q')).pull(offset, Math.min(Number(p.get('max') ?? 100), 1000), size);
    const now = Date.now();
    // The fields a pulled message carries in flaremq's answer, so that the JSON is as large.
    const messages = bodies.map((body, i) => ({
      msgId: `7F00000100002A9F${(offset + i).toString(16).toUpperCase().padStart(16, '0')}`,
      queueOffset: offset + i,
      tags: '',
      keys: '',
      properties: {},
      body: decoder.decode(body),
      bornTimestamp: now,
      storeTimestamp: now,
      uniqueKey: '0123456789ABCDEF0123456789ABCDEF',
      reconsumeTimes: 0,
    }));
    return Response.json({ status: messages.length ? 'FOUND' : 'NO_NEW_MSG', messages, nextBeginOffset: next });
  }
  if (url.pathname === '/consume/commit') {
    const { q, group, offset } = (await request.json()) as { q: string; group: string; offset: number };
    await queue(q).commit(group, offset);
    return Response.json({ ok: true });
  }
  return new Response('no such route', { status: 404 });
}
