/** WebSocket streams in tests: opened through the Worker's fetch, as a Worker client (the SDK in a Worker) opens them. */
import { decodeBatch } from '../../src/core/batch-codec';
import { decodeMessagesFrame } from '../../src/core/stream-frames';
import { api, call } from './helpers';

/** A client's end of a stream: the frames it got, and waits for more. */
export class TestSocket {
  readonly frames: any[] = [];
  closeCode: number | undefined;
  private waiters: (() => void)[] = [];

  constructor(readonly ws: WebSocket) {
    ws.binaryType = 'arraybuffer'; // this compatibility date's default is Blob
    ws.addEventListener('message', (e) => {
      if (e.data instanceof ArrayBuffer) {
        // A binary frame of messages, read back into its JSON twin's shape (header fields, decoded messages).
        const { header, batch } = decodeMessagesFrame(new Uint8Array(e.data));
        this.frames.push({
          ...header,
          binary: true,
          messages: decodeBatch(batch).map((m) => ({ ...m, body: new TextDecoder().decode(m.body) })),
        });
      } else {
        this.frames.push(typeof e.data === 'string' && e.data !== 'pong' ? JSON.parse(e.data) : e.data);
      }
      this.wake();
    });
    ws.addEventListener('close', (e) => {
      this.closeCode = e.code;
      this.wake();
    });
    ws.accept();
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  send(frame: unknown): void {
    this.ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  /** Frames of a type received so far. */
  ofType(type: string): any[] {
    return this.frames.filter((f) => f?.type === type);
  }

  /** Messages pushed so far, in order. */
  get messages(): any[] {
    return this.ofType('messages').flatMap((f) => f.messages);
  }

  /** Waits (bounded, not a timing assertion) until `check` holds. */
  async until(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!check()) {
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error(`timed out waiting for ${what}; frames: ${JSON.stringify(this.frames).slice(0, 1000)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 200));
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Lets whatever is in flight arrive: a round trip through the object (a lock frame answered) after everything sent before. */
  async settle(): Promise<void> {
    const before = this.ofType('lock').length + this.ofType('error').length;
    this.send({ type: 'lock' });
    await this.until(
      () => this.ofType('lock').length + this.ofType('error').length > before || this.closeCode !== undefined,
      'a lock answer',
    );
  }

  close(): void {
    try {
      this.ws.close(1000, 'done');
    } catch {
      // closed already
    }
  }
}

/** Opens a stream at `path` (under /api/v1); the answer when it was refused. */
export async function openStream(
  path: string,
  headers: Record<string, string> = {},
): Promise<{ socket?: TestSocket; status: number; body: any }> {
  const res = await api(path, { headers: { upgrade: 'websocket', ...headers } });
  if (res.status !== 101 || !res.webSocket) {
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  }
  return { socket: new TestSocket(res.webSocket), status: 101, body: undefined };
}

/** Joins `group` as `clientId`, subscribed to `topic`; its assignment. */
export async function join(
  group: string,
  clientId: string,
  topic: string,
  extra: Record<string, unknown> = {},
): Promise<any> {
  const res = await call('POST', `/groups/${group}/members/${clientId}/heartbeat`, {
    subscriptions: [{ topic, expression: extra.expression ?? '*' }],
    ...extra,
  });
  if (res.status !== 200) throw new Error(`heartbeat ${clientId}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

export const memberStreamPath = (
  group: string,
  clientId: string,
  q: { topic: string; brokerName: string; queueId: number },
  query = '',
) => `/groups/${group}/members/${clientId}/queues/${q.topic}/${q.brokerName}/${q.queueId}/stream${query}`;
