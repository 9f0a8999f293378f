/**
 * A minimal Redis client: RESP2 over one TCP connection, replies matched to
 * commands in order, so that many commands may be outstanding (pipelining).
 */
import { connect, type Socket } from 'node:net';

export type RespValue = string | number | null | RespValue[] | RespError;

export class RespError extends Error {}

type Arg = string | number | Buffer;

/** Encodes one command as a RESP array of bulk strings. */
export function encodeCommand(args: readonly Arg[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const a of args) {
    const b = Buffer.isBuffer(a) ? a : Buffer.from(String(a));
    parts.push(Buffer.from(`$${b.length}\r\n`), b, Buffer.from('\r\n'));
  }
  return Buffer.concat(parts);
}

const INCOMPLETE = Symbol('incomplete');

/** Parses one value at `at`; returns it and where the next starts, or INCOMPLETE. */
function parse(buf: Buffer, at: number): [RespValue, number] | typeof INCOMPLETE {
  const eol = buf.indexOf('\r\n', at);
  if (eol < 0) return INCOMPLETE;
  const type = String.fromCharCode(buf[at]);
  const line = buf.toString('utf8', at + 1, eol);
  const next = eol + 2;
  switch (type) {
    case '+':
      return [line, next];
    case '-':
      return [new RespError(line), next];
    case ':':
      return [Number(line), next];
    case '$': {
      const len = Number(line);
      if (len < 0) return [null, next];
      if (buf.length < next + len + 2) return INCOMPLETE;
      return [buf.toString('utf8', next, next + len), next + len + 2];
    }
    case '*': {
      const count = Number(line);
      if (count < 0) return [null, next];
      const items: RespValue[] = [];
      let pos = next;
      for (let i = 0; i < count; i++) {
        const r = parse(buf, pos);
        if (r === INCOMPLETE) return INCOMPLETE;
        items.push(r[0]);
        pos = r[1];
      }
      return [items, pos];
    }
    default:
      throw new Error(`unexpected RESP type byte ${JSON.stringify(type)}`);
  }
}

export class RespClient {
  private readonly socket: Socket;
  private readonly pending: { resolve: (v: RespValue) => void; reject: (e: Error) => void }[] = [];
  private buffer: Buffer = Buffer.alloc(0);
  private closed: Error | null = null;

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    const fail = (err: Error) => {
      this.closed = err;
      for (const p of this.pending.splice(0)) p.reject(err);
    };
    socket.on('error', fail);
    socket.on('close', () => fail(this.closed ?? new Error('connection closed')));
  }

  static connect(port: number, host = '127.0.0.1', timeoutMs = 5000): Promise<RespClient> {
    return new Promise((resolve, reject) => {
      const socket = connect({ port, host });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`could not connect to redis on ${host}:${port} within ${timeoutMs} ms`));
      }, timeoutMs);
      socket.once('connect', () => {
        clearTimeout(timer);
        resolve(new RespClient(socket));
      });
      socket.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
    });
  }

  private onData(chunk: Buffer): void {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    let at = 0;
    while (at < this.buffer.length && this.pending.length > 0) {
      const r = parse(this.buffer, at);
      if (r === INCOMPLETE) break;
      at = r[1];
      const p = this.pending.shift()!;
      if (r[0] instanceof RespError) p.reject(r[0]);
      else p.resolve(r[0]);
    }
    this.buffer = at >= this.buffer.length ? Buffer.alloc(0) : this.buffer.subarray(at);
  }

  /** Writes already encoded commands (`count` of them) and resolves with their replies, in order. */
  sendRaw(encoded: Buffer, count: number): Promise<RespValue[]> {
    if (this.closed) return Promise.reject(this.closed);
    const replies = Array.from(
      { length: count },
      () => new Promise<RespValue>((resolve, reject) => this.pending.push({ resolve, reject })),
    );
    this.socket.write(encoded);
    return Promise.all(replies);
  }

  async command(...args: Arg[]): Promise<RespValue> {
    const [reply] = await this.sendRaw(encodeCommand(args), 1);
    return reply;
  }

  pipeline(commands: readonly (readonly Arg[])[]): Promise<RespValue[]> {
    return this.sendRaw(Buffer.concat(commands.map(encodeCommand)), commands.length);
  }

  close(): void {
    this.closed ??= new Error('connection closed');
    this.socket.destroy();
  }
}
