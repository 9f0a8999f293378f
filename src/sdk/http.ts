/**
 * JSON over fetch: builds `/api/v1` URLs, sends JSON bodies, parses answers,
 * and turns every failure into a {@link FlaremqError}. Nothing here retries;
 * callers wrap calls in {@link withRetry} where retrying is safe.
 */
import { abortable, linkedController } from './abort';
import { FlaremqError } from './errors';
import { signingFetch, type Credentials } from './signing';
import { openSocket, type StreamSocket, type Transport } from './stream-socket';

/** The fetch the SDK calls: the global one, or your own (a service binding, a test double). */
export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

export type QueryValue = string | number | boolean | undefined;

export interface RequestOptions {
  query?: Record<string, QueryValue>;
  /** Sent as JSON. */
  body?: unknown;
  signal?: AbortSignal;
  /** Overrides the client's request timeout for this call. */
  timeoutMs?: number;
}

export interface HttpOptions {
  endpoint: string;
  fetch: FetchLike;
  headers: Record<string, string>;
  timeoutMs: number;
  /** An account's keys: every request is then signed with them (docs/security.md). @defaultValue none: unsigned, for local development */
  credentials?: Credentials;
  /** Streams or HTTP only (ClientOptions.transport). @defaultValue 'stream' */
  transport?: Transport;
}

/**
 * A path with every interpolated value percent-encoded as one segment:
 * path`/topics/${'%RETRY%g'}/route` is `/topics/%25RETRY%25g/route`.
 */
export function path(strings: TemplateStringsArray, ...values: (string | number)[]): string {
  let out = strings[0];
  values.forEach((value, i) => {
    out += encodeURIComponent(String(value)) + strings[i + 1];
  });
  return out;
}

/** The API base URL of an endpoint: `http://localhost:8787` → `http://localhost:8787/api/v1`. */
export function apiBase(endpoint: string): string {
  let url: URL | undefined;
  try {
    url = new URL(endpoint);
  } catch {
    // below
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    throw new FlaremqError(
      'INVALID_REQUEST',
      `endpoint '${endpoint}' is not an http(s) URL such as http://localhost:8787`,
    );
  }
  const base = url.origin + url.pathname.replace(/\/+$/, '');
  return base.endsWith('/api/v1') ? base : `${base}/api/v1`;
}

interface ErrorBody {
  error?: { code?: unknown; message?: unknown; retriable?: unknown };
}

function errorFromAnswer(status: number, text: string, what: string): FlaremqError {
  let parsed: ErrorBody | undefined;
  try {
    parsed = JSON.parse(text) as ErrorBody;
  } catch {
    // not JSON: below
  }
  const e = parsed?.error;
  if (e && typeof e.code === 'string') {
    return new FlaremqError(e.code, typeof e.message === 'string' ? e.message : `${what} failed with ${e.code}`, {
      status,
      retriable: typeof e.retriable === 'boolean' ? e.retriable : undefined,
    });
  }
  return new FlaremqError('BAD_RESPONSE', `${what} answered ${status} without a flaremq error: ${text.slice(0, 200)}`, {
    status,
    retriable: status >= 500 || status === 429,
  });
}

export class Http {
  readonly base: string;
  /** Whether consumers and producers use WebSocket streams (falling back to HTTP) or HTTP only. */
  readonly transport: Transport;
  private readonly options: HttpOptions;

  constructor(options: HttpOptions) {
    this.options = options.credentials
      ? { ...options, fetch: signingFetch(options.credentials, options.fetch) }
      : options;
    this.base = apiBase(options.endpoint);
    this.transport = options.transport ?? 'stream';
  }

  /** The client's request timeout, ms. */
  get timeoutMs(): number {
    return this.options.timeoutMs;
  }

  /** Opens a WebSocket stream at `p` (stream-socket.ts), signed as a GET. */
  socket(p: string, query?: Record<string, QueryValue>, signal?: AbortSignal): Promise<StreamSocket> {
    return openSocket({
      url: this.url(p, query),
      fetch: this.options.fetch,
      headers: this.options.headers,
      credentials: this.options.credentials,
      timeoutMs: this.options.timeoutMs,
      signal,
      refusal: (status, text) => errorFromAnswer(status, text, `GET ${p} (stream)`),
    });
  }

  url(p: string, query?: Record<string, QueryValue>): string {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query ?? {})) if (value !== undefined) params.set(key, String(value));
    const qs = params.toString();
    return `${this.base}${p}${qs ? `?${qs}` : ''}`;
  }

  get<T>(p: string, options: RequestOptions = {}): Promise<T> {
    return this.request<T>('GET', p, options);
  }

  /** Sends one request and returns its parsed JSON answer (undefined when empty). */
  async request<T>(method: string, p: string, options: RequestOptions = {}): Promise<T> {
    const url = this.url(p, options.query);
    const what = `${method} ${p}`;
    const timeoutMs = options.timeoutMs ?? this.options.timeoutMs;
    const timeout = new AbortController();
    const timer = setTimeout(
      () => timeout.abort(new FlaremqError('REQUEST_TIMEOUT', `${what} got no answer within ${timeoutMs} ms`)),
      timeoutMs,
    );
    const { controller, unlink } = linkedController(options.signal, timeout.signal);
    const headers: Record<string, string> = { accept: 'application/json', ...this.options.headers };
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    try {
      let res: Response;
      try {
        res = await abortable(
          this.options.fetch(url, {
            method,
            headers,
            body: options.body === undefined ? undefined : JSON.stringify(options.body),
            signal: controller.signal,
          }),
          controller.signal,
        );
      } catch (err) {
        if (err instanceof FlaremqError) throw err;
        if (controller.signal.aborted) throw abortReason(controller.signal, what);
        throw new FlaremqError('NETWORK_ERROR', `${what}: ${err instanceof Error ? err.message : String(err)}`, {
          cause: err,
        });
      }
      let text: string;
      try {
        text = await abortable(res.text(), controller.signal);
      } catch (err) {
        if (err instanceof FlaremqError) throw err;
        throw new FlaremqError(
          'NETWORK_ERROR',
          `${what}: reading the answer failed: ${err instanceof Error ? err.message : String(err)}`,
          { cause: err },
        );
      }
      if (!res.ok) throw errorFromAnswer(res.status, text, what);
      if (text === '') return undefined as T;
      try {
        return JSON.parse(text) as T;
      } catch (err) {
        throw new FlaremqError(
          'BAD_RESPONSE',
          `${what} answered ${res.status} with a body that is not JSON: ${text.slice(0, 200)}`,
          { status: res.status, cause: err },
        );
      }
    } finally {
      clearTimeout(timer);
      unlink();
    }
  }
}

function abortReason(signal: AbortSignal, what: string): FlaremqError {
  const reason = signal.reason;
  if (reason instanceof FlaremqError) return reason;
  return new FlaremqError('ABORTED', `${what} was aborted`, { cause: reason });
}
