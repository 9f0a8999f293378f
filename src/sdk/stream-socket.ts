/**
 * A WebSocket to a flaremq stream (docs/streaming.md), whatever the runtime:
 * in a Worker, the fetch upgrade (`fetch` with `Upgrade: websocket`, signed as
 * any request by the client's fetch, a service binding's included); elsewhere
 * the global WebSocket (Node ≥ 22, Deno, Bun, browsers), with the signature's
 * headers where the runtime takes headers (Node's does; a browser's does not,
 * so a browser with credentials uses HTTP). Frames are JSON; the socket buffers
 * what arrives before its listener is set.
 */
import { abortable, linkedController } from './abort';
import { FlaremqError } from './errors';
import type { FetchLike } from './http';
import { signingHeaders, type Credentials } from '../core/request-signing';

/** How the SDK moves messages: WebSocket streams where the runtime has them (falling back to HTTP), or HTTP only. */
export type Transport = 'stream' | 'http';

/** Text a stream is kept alive with (the server's PING; it answers PONG without waking its object). */
export const STREAM_PING = 'ping';
const STREAM_PONG = 'pong';

/** What the SDK needs of a WebSocket: the DOM's, Node's and a Worker's have it. */
interface WebSocketLike {
  readonly readyState: number;
  binaryType?: string;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: 'message', listener: (e: { data: unknown }) => void): void;
  addEventListener(type: 'close', listener: (e: { code: number; reason: string }) => void): void;
  addEventListener(type: 'open' | 'error', listener: () => void): void;
}

type WebSocketCtor = new (url: string, init?: { headers: Record<string, string> }) => WebSocketLike;

export type Frame = Record<string, unknown> & { type?: string };

export interface StreamListener {
  /** A JSON frame, parsed; or the bytes of a binary one. */
  frame(frame: Frame | Uint8Array): void;
  /** Once, when the socket closed (by either side, or broken). */
  close(code: number, reason: string): void;
}

export class StreamSocket {
  private listener: StreamListener | undefined;
  private readonly buffered: (Frame | Uint8Array)[] = [];
  private closedWith: { code: number; reason: string } | undefined;

  constructor(private readonly ws: WebSocketLike) {
    ws.binaryType = 'arraybuffer'; // Node's and browsers' default is Blob
    ws.addEventListener('message', (e) => {
      let frame: Frame | Uint8Array;
      if (e.data instanceof ArrayBuffer) frame = new Uint8Array(e.data);
      else if (typeof e.data !== 'string' || e.data === STREAM_PONG) return;
      else {
        try {
          frame = JSON.parse(e.data) as Frame;
        } catch {
          return; // not a flaremq frame
        }
      }
      if (this.listener) this.listener.frame(frame);
      else this.buffered.push(frame);
    });
    ws.addEventListener('close', (e) => this.ended(e.code, e.reason));
    ws.addEventListener('error', () => this.ended(1006, 'the connection failed'));
  }

  private ended(code: number, reason: string): void {
    if (this.closedWith) return;
    this.closedWith = { code, reason };
    this.listener?.close(code, reason);
  }

  /** Sets the listener and hands it what arrived before. */
  listen(listener: StreamListener): void {
    this.listener = listener;
    for (const frame of this.buffered.splice(0)) listener.frame(frame);
    if (this.closedWith) listener.close(this.closedWith.code, this.closedWith.reason);
  }

  get open(): boolean {
    return !this.closedWith;
  }

  send(frame: Frame | string): void {
    if (this.closedWith) return;
    try {
      this.ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
    } catch {
      this.ended(1006, 'send failed');
    }
  }

  close(code = 1000, reason = 'done'): void {
    try {
      this.ws.close(code, reason);
    } catch {
      // closed already
    }
    this.ended(code, reason);
  }
}

export interface OpenSocketOptions {
  /** The stream's http(s) URL. */
  url: string;
  fetch: FetchLike;
  /** Sent with the upgrade (the client's headers). */
  headers: Record<string, string>;
  credentials?: Credentials;
  timeoutMs: number;
  signal?: AbortSignal;
  /** The error of a refused upgrade, from its answer (http.ts). */
  refusal(status: number, text: string): FlaremqError;
}

const unavailable = (detail: string, cause?: unknown) => new FlaremqError('STREAM_UNAVAILABLE', detail, { cause });

/** Opens a stream; rejects with the server's error when it refused (where the runtime shows it), else STREAM_UNAVAILABLE. */
export async function openSocket(o: OpenSocketOptions): Promise<StreamSocket> {
  const g = globalThis as { WebSocketPair?: unknown; WebSocket?: WebSocketCtor };
  if (g.WebSocketPair !== undefined) return upgradeByFetch(o);
  if (typeof g.WebSocket !== 'function') throw unavailable('this runtime has no WebSocket');
  const headers = {
    ...o.headers,
    ...(o.credentials ? await signingHeaders(o.credentials, { method: 'GET', url: o.url, body: null }) : {}),
  };
  let ws: WebSocketLike;
  try {
    const url = o.url.replace(/^http/, 'ws');
    ws = Object.keys(headers).length > 0 ? new g.WebSocket(url, { headers }) : new g.WebSocket(url);
  } catch (err) {
    throw unavailable(`a WebSocket could not be made here: ${err instanceof Error ? err.message : String(err)}`, err);
  }
  const socket = new StreamSocket(ws);
  await new Promise<void>((resolve, reject) => {
    let settled = false;
    const timer = setTimeout(() => fail(unavailable(`no WebSocket within ${o.timeoutMs} ms`)), o.timeoutMs);
    const fail = (err: FlaremqError) => {
      if (settled) return; // closing a connecting socket fires its error event: once is enough
      settled = true;
      clearTimeout(timer);
      o.signal?.removeEventListener('abort', onAbort);
      reject(err);
      socket.close();
    };
    const onAbort = () => fail(new FlaremqError('ABORTED', 'opening the stream was aborted'));
    o.signal?.addEventListener('abort', onAbort, { once: true });
    ws.addEventListener('open', () => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      o.signal?.removeEventListener('abort', onAbort);
      resolve();
    });
    // The runtime does not show a refused upgrade's answer: the caller learns it over HTTP (queue-puller.ts).
    ws.addEventListener('error', () => fail(unavailable('the WebSocket upgrade failed or was refused')));
  });
  return socket;
}

/** In a Worker: `fetch` with Upgrade, which the client's fetch signs; a refusal is an ordinary error answer. */
async function upgradeByFetch(o: OpenSocketOptions): Promise<StreamSocket> {
  let res: Response;
  const timeout = new AbortController();
  const timer = setTimeout(
    () => timeout.abort(unavailable(`no answer to the upgrade within ${o.timeoutMs} ms`)),
    o.timeoutMs,
  );
  const { controller, unlink } = linkedController(o.signal, timeout.signal);
  try {
    res = await abortable(
      o.fetch(o.url, { headers: { ...o.headers, upgrade: 'websocket' }, signal: controller.signal }),
      controller.signal,
    );
  } catch (err) {
    if (err instanceof FlaremqError && (err.code === 'ABORTED' || err.code === 'STREAM_UNAVAILABLE')) throw err;
    throw unavailable(`the upgrade request failed: ${err instanceof Error ? err.message : String(err)}`, err);
  } finally {
    clearTimeout(timer);
    unlink();
  }
  const ws = (res as Response & { webSocket?: (WebSocketLike & { accept(): void }) | null }).webSocket;
  if (res.status !== 101 || !ws) {
    const err = o.refusal(res.status, await res.text().catch(() => ''));
    // Not flaremq's refusal (a proxy's page), no such route (an older server), or the upgrade lost on the way: no stream here.
    if (
      err.code === 'BAD_RESPONSE' ||
      err.code === 'NOT_FOUND' ||
      err.code === 'UPGRADE_REQUIRED' ||
      res.status === 101
    )
      throw unavailable(err.detail, err);
    throw err;
  }
  ws.accept();
  return new StreamSocket(ws);
}
