/**
 * A producer's streams (docs/streaming.md): one WebSocket per topic, opened
 * on the first send and closed after a second without sends (an open socket
 * would keep a Node process alive). Each send is a frame answered by id with
 * the REST send's results or error; at most PRODUCER_STREAM_WINDOW are
 * unanswered (more wait for a slot). When a stream cannot be opened the send
 * goes over HTTP, and so do the producer's sends for STREAM_RETRY_MS.
 */
import { MAX_PRODUCER_FRAME_BYTES, PRODUCER_STREAM_WINDOW } from '../core/stream-frames';
import { FlaremqError, hasCode } from './errors';
import { path, type Http } from './http';
import { STREAM_RETRY_MS } from './queue-puller';
import type { Frame, StreamSocket } from './stream-socket';

/** A topic's stream closes after this long without a send in flight, ms. */
export const PRODUCER_STREAM_IDLE_MS = 1_000;

interface Pending {
  resolve(results: unknown[]): void;
  reject(err: unknown): void;
}

class TopicStream {
  private readonly pending = new Map<number, Pending>();
  private readonly slots: (() => void)[] = [];
  private nextId = 1;
  private idle: ReturnType<typeof setTimeout> | undefined;
  closed = false;

  constructor(
    private readonly socket: StreamSocket,
    private readonly onClosed: () => void,
  ) {
    socket.listen({
      frame: (f: Frame | Uint8Array) => {
        if (f instanceof Uint8Array) return; // a producer stream answers in JSON
        const waiting = typeof f.id === 'number' ? this.pending.get(f.id) : undefined;
        if (!waiting) return;
        this.pending.delete(f.id as number);
        if (f.type === 'sent') waiting.resolve(f.results as unknown[]);
        else waiting.reject(new FlaremqError(String(f.code), String(f.message), { retriable: f.retriable === true }));
        this.slots.shift()?.();
        this.armIdle();
      },
      close: (code, reason) => {
        this.closed = true;
        this.onClosed();
        const err = new FlaremqError(
          'STREAM_UNAVAILABLE',
          `the producer stream closed (${code}${reason ? ` ${reason}` : ''}) before this send was answered; it may have been stored`,
        );
        for (const waiting of this.pending.values()) waiting.reject(err);
        this.pending.clear();
        for (const slot of this.slots.splice(0)) slot();
      },
    });
  }

  /** Sends a REST send's body, given as JSON text. */
  async send(json: string, timeoutMs: number, signal?: AbortSignal): Promise<unknown[]> {
    while (this.pending.size >= PRODUCER_STREAM_WINDOW && !this.closed)
      await new Promise<void>((resolve) => this.slots.push(resolve));
    if (this.closed) throw new FlaremqError('STREAM_UNAVAILABLE', 'the producer stream closed');
    if (this.idle !== undefined) clearTimeout(this.idle);
    const id = this.nextId++;
    return new Promise<unknown[]>((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
      };
      const onAbort = () => fail(new FlaremqError('ABORTED', 'the send was aborted; it may have been stored'));
      const fail = (err: unknown) => {
        if (!this.pending.delete(id)) return;
        done();
        reject(err);
        this.slots.shift()?.();
        this.armIdle();
      };
      const timer = setTimeout(
        () =>
          fail(
            new FlaremqError(
              'REQUEST_TIMEOUT',
              `the send got no answer within ${timeoutMs} ms; it may have been stored`,
            ),
          ),
        timeoutMs,
      );
      signal?.addEventListener('abort', onAbort, { once: true });
      this.pending.set(id, {
        resolve: (results) => {
          done();
          resolve(results);
        },
        reject: (err) => {
          done();
          reject(err);
        },
      });
      this.socket.send(`{"id":${id},"send":${json}}`);
    });
  }

  private armIdle(): void {
    if (this.pending.size > 0 || this.closed) return;
    if (this.idle !== undefined) clearTimeout(this.idle);
    this.idle = setTimeout(() => this.close(), PRODUCER_STREAM_IDLE_MS);
  }

  close(): void {
    if (this.idle !== undefined) clearTimeout(this.idle);
    this.socket.close();
  }
}

export class ProducerStreams {
  private readonly streams = new Map<string, Promise<TopicStream>>();
  private httpUntil = 0;

  constructor(private readonly http: Http) {}

  /**
   * Sends `body` (a REST send's) on the topic's stream: its results, or undefined when no stream can be used
   * now (the caller sends over HTTP). Rejects with the send's error, as the REST send would.
   */
  async send(topic: string, body: unknown, timeoutMs: number, signal?: AbortSignal): Promise<unknown[] | undefined> {
    if (this.http.transport !== 'stream' || Date.now() < this.httpUntil) return undefined;
    const json = JSON.stringify(body);
    // A frame the server would refuse for its size (1009, closing the stream) goes over HTTP, which takes up to 8 MiB.
    if (
      json.length + 64 > MAX_PRODUCER_FRAME_BYTES ||
      (json.length * 3 + 64 > MAX_PRODUCER_FRAME_BYTES &&
        new TextEncoder().encode(json).length + 64 > MAX_PRODUCER_FRAME_BYTES)
    ) {
      return undefined;
    }
    let opening = this.streams.get(topic);
    if (!opening) {
      opening = this.http.socket(path`/topics/${topic}/stream`, undefined, signal).then((socket) => {
        const stream: TopicStream = new TopicStream(socket, () => {
          if (this.streams.get(topic) === opening) this.streams.delete(topic);
        });
        return stream;
      });
      this.streams.set(topic, opening);
      opening.catch(() => this.streams.delete(topic));
    }
    let stream: TopicStream;
    try {
      stream = await opening;
    } catch (err) {
      if (!hasCode(err, 'STREAM_UNAVAILABLE')) throw err;
      this.httpUntil = Date.now() + STREAM_RETRY_MS;
      return undefined;
    }
    return stream.send(json, timeoutMs, signal);
  }

  /** Closes every stream (sends in flight are rejected with STREAM_UNAVAILABLE). */
  async close(): Promise<void> {
    const streams = [...this.streams.values()];
    this.streams.clear();
    for (const s of await Promise.allSettled(streams)) if (s.status === 'fulfilled') s.value.close();
  }
}
