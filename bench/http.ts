/** HTTP to the local servers: JSON in and out, bounded by a timeout and by Ctrl-C. */
import { stopSignal } from './cleanup.ts';

export class HttpError extends Error {
  readonly status: number;
  readonly body: string;

  constructor(status: number, body: string, what: string) {
    super(`${what} answered ${status}: ${body.slice(0, 300)}`);
    this.status = status;
    this.body = body;
  }
}

export interface RequestOptions {
  method?: string;
  /** A JSON value, or an already serialized body. */
  body?: unknown;
  /** @defaultValue 60 s */
  timeoutMs?: number;
}

/** Sends a request and returns the parsed JSON answer; throws HttpError on a status other than 2xx. */
export async function requestJson<T = unknown>(url: string, opts: RequestOptions = {}): Promise<T> {
  const body =
    opts.body === undefined ? undefined : typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
  const res = await fetch(url, {
    method: opts.method ?? (body === undefined ? 'GET' : 'POST'),
    body,
    headers: body === undefined ? undefined : { 'content-type': 'application/json' },
    signal: AbortSignal.any([stopSignal.signal, AbortSignal.timeout(opts.timeoutMs ?? 60_000)]),
  });
  const text = await res.text();
  if (!res.ok) throw new HttpError(res.status, text, `${opts.method ?? (body === undefined ? 'GET' : 'POST')} ${url}`);
  return (text === '' ? undefined : JSON.parse(text)) as T;
}

/** A request whose answer is read and dropped (the no-op route). */
export async function requestDrain(url: string, timeoutMs = 30_000): Promise<void> {
  const res = await fetch(url, { signal: AbortSignal.any([stopSignal.signal, AbortSignal.timeout(timeoutMs)]) });
  await res.arrayBuffer();
  if (!res.ok) throw new HttpError(res.status, '', `GET ${url}`);
}
