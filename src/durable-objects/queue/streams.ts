/**
 * Consumer push streams of one queue (docs/streaming.md). A group member's
 * WebSocket, opened by the Worker after it checked the signature, SUB and the
 * assignment as for a member pull, is accepted here with the hibernation API:
 * the object may sleep between appends, and everything a stream needs lives in
 * the socket's attachment (the read position, the credits left, the member's
 * offset key, lock and tags). Each append pushes what the credits allow, read
 * the way a pull reads (memberPull's start, tag filter, offset corrections,
 * the lock taken or renewed before reading); nothing is ever sent beyond the
 * credits, so a slow or dead consumer holds at most what it granted. Commits
 * and lock renewals come on the same socket and go through the same paths as
 * a member's commit and pull.
 */
import { toMessageView, type StoredMessage } from '../../core/message';
import type { BodyEncoding } from '../../core/body';
import { FlareError, toFlareError } from '../../core/errors';
import { MAX_PULL_MESSAGES } from '../../core/limits';
import type { QueueIdentity } from '../../core/object-names';
import { MASTER_ID } from '../../core/route';
import {
  CLOSE_NORMAL,
  CLOSE_POLICY,
  CLOSE_TOO_BIG,
  MAX_CONSUMER_FRAME_BYTES,
  MAX_PUSH_FRAME_BODY_BYTES,
  MAX_STREAM_CREDIT_BYTES,
  MAX_STREAM_CREDITS,
  PING,
  PONG,
  closeCodeOf,
  encodeMessagesFrame,
  frameId,
  parseConsumerFrame,
  parseFrameJson,
  type ConsumerFrame,
  type FrameFormat,
} from '../../core/stream-frames';
import { encodeBatch } from '../../core/batch-codec';
import { STREAM_OPEN_HEADER } from '../../core/stream-frames';
import type { GroupOffset, MemberPullRequest, PullRequest, PullResult } from './message-queue';
import { QUEUE_LOCK_MS, type LockGrant, type LockHolder } from './locks';
import { log } from '../../log';

/** What the Worker checked and resolved for a member's stream: a member pull's request without its read size, and how bodies are written. */
export type StreamOpen = Omit<MemberPullRequest, 'maxMessages' | 'waitMs' | 'maxBytes'> & {
  encoding: BodyEncoding;
  frames: FrameFormat;
};

/** The start of a member's reading, as memberPull makes it (lock, commit, start offset). */
export type MemberStart = Omit<StreamOpen, 'tags' | 'encoding' | 'frames'>;

/** Everything a stream keeps, in its socket's attachment (at most 2 KiB: it survives hibernation). */
interface StreamState {
  open: Omit<StreamOpen, 'offset' | 'commitOffset'>;
  /** The next offset to read. */
  next: number;
  /** Messages and body bytes granted and not yet sent. */
  credits: number;
  bytes: number;
}

/** The attachment's cap (the runtime's). */
const MAX_ATTACHMENT_BYTES = 2048;
/** Reads per push of one stream before it lets the next stream (or request) run; the rest goes at the next wake. */
const MAX_READS_PER_PUSH = 16;

/** What the queue object lends its streams. */
export interface StreamHost {
  /** The queue's identity; throws what any read would (topic gone, broker down, held sends unwritable). */
  identity(): QueueIdentity;
  /** The member's start: takes the lock, commits, resolves the start offset (memberPull's). */
  start(req: MemberStart): { offset: number; lock?: LockGrant };
  /** One read from `offset`, counted as a pull's. */
  read(offset: number, req: Omit<PullRequest, 'offset'>): PullResult;
  /** The queue's max offset (the next offset an append takes). */
  end(): number;
  commit(offsetKey: string, offset: number, generation?: number): GroupOffset;
  /** Takes or renews the lock (QUEUE_LOCKED while another member holds it). */
  lock(group: string, owner: string): LockGrant;
  holder(group: string): LockHolder | null;
  /** Moves an offset up to the min offset, as memberPull does after OFFSET_ILLEGAL. */
  correct(offsetKey: string, from: number, to: number): void;
}

const lockTag = (group: string, owner: string) => `lock:${group}/${owner}`;
const bodyBytes = (messages: StoredMessage[]) => messages.reduce((n, m) => n + m.body.length, 0);

function errorResponse(err: unknown, open: StreamOpen | null): Response {
  const flare = toFlareError(err) ?? internal(err, open);
  return Response.json(
    { error: { code: flare.code, message: flare.detail, retriable: flare.retriable } },
    { status: flare.status },
  );
}

/** An unexpected failure, logged with the member it happened to. */
function internal(err: unknown, open?: Pick<StreamOpen, 'lockGroup' | 'lockOwner'> | null): FlareError {
  log.error('a queue stream failed unexpectedly', { group: open?.lockGroup, clientId: open?.lockOwner, error: err });
  return new FlareError('INTERNAL_ERROR', 'an unexpected failure; it is logged with its cause');
}

export class QueueStreams {
  private pushScheduled = false;

  constructor(
    private readonly ctx: DurableObjectState,
    private readonly host: StreamHost,
  ) {
    // Keep-alives are answered by the runtime: a hibernating object is not woken for them.
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair(PING, PONG));
  }

  /** The Worker's upgrade request: starts the member's reading and accepts the socket (101), or answers the REST error. */
  accept(request: Request): Response {
    let open: StreamOpen | null = null;
    try {
      if (request.headers.get('upgrade')?.toLowerCase() !== 'websocket')
        throw new FlareError('UPGRADE_REQUIRED', 'a stream is opened with Upgrade: websocket');
      open = JSON.parse(request.headers.get(STREAM_OPEN_HEADER) ?? 'null') as StreamOpen;
      const identity = this.host.identity();
      const { tags, encoding, frames, offset: _o, commitOffset: _c, ...start } = open;
      const state: StreamState = { open: { ...start, tags, encoding, frames }, next: 0, credits: 0, bytes: 0 };
      if (JSON.stringify(state).length + 32 > MAX_ATTACHMENT_BYTES) {
        throw new FlareError(
          'INVALID_REQUEST',
          'the subscription (tag expression) is too long for a stream; pull this queue instead',
        );
      }
      const { offset, lock } = this.host.start({ ...start, offset: open.offset, commitOffset: open.commitOffset });
      state.next = offset;
      const [client, server] = Object.values(new WebSocketPair());
      this.ctx.acceptWebSocket(server, open.lockOwner === undefined ? [] : [lockTag(open.lockGroup, open.lockOwner)]);
      server.serializeAttachment(state);
      const ready = {
        type: 'ready',
        topic: identity.topic,
        brokerName: identity.brokerName,
        queueId: identity.queueId,
        offset,
        maxOffset: this.host.end(),
        ...(lock ? { lock } : {}),
      };
      server.send(JSON.stringify(ready));
      return new Response(null, { status: 101, webSocket: client });
    } catch (err) {
      return errorResponse(err, open);
    }
  }

  /** New messages (or anything a waiting pull would look again for): pushes to every stream once the caller's work is done. */
  wake(): void {
    if (this.pushScheduled) return;
    this.pushScheduled = true;
    // After the caller's transaction (an append may run inside one): what is pushed is what was committed.
    queueMicrotask(() => {
      this.pushScheduled = false;
      for (const ws of this.ctx.getWebSockets()) this.push(ws);
    });
  }

  /** Closes the streams of a member that released the group's lock, so that none takes it again. */
  release(group: string, owner: string): void {
    for (const ws of this.ctx.getWebSockets(lockTag(group, owner)))
      this.close(ws, CLOSE_NORMAL, 'the queue lock was released');
  }

  /** A frame from a client. A mistake in it is answered with an error frame (the stream stays open); one too large closes it. */
  message(ws: WebSocket, data: string | ArrayBuffer): void {
    let raw: Record<string, unknown> | undefined;
    let frame: ConsumerFrame;
    try {
      raw = parseFrameJson(data, MAX_CONSUMER_FRAME_BYTES);
      frame = parseConsumerFrame(raw);
    } catch (err) {
      const flare = toFlareError(err) ?? internal(err, this.state(ws)?.open);
      this.sendError(ws, flare, raw && frameId(raw));
      if (flare.code === 'REQUEST_TOO_LARGE') this.close(ws, CLOSE_TOO_BIG, 'frame too large');
      return;
    }
    const state = this.state(ws);
    if (!state) return this.close(ws, CLOSE_POLICY, 'no stream state');
    try {
      this.handle(ws, state, frame);
    } catch (err) {
      const flare = toFlareError(err) ?? internal(err, state.open);
      // A commit the queue refuses (out of range, stale generation) is the client's to handle; anything else ends the stream.
      if (frame.type === 'commit' && flare.status < 500 && flare.code !== 'TOPIC_NOT_EXIST')
        this.sendError(ws, flare, frame.id);
      else this.fail(ws, flare, 'id' in frame ? frame.id : undefined);
    }
  }

  private handle(ws: WebSocket, state: StreamState, frame: ConsumerFrame): void {
    const ids = 'id' in frame && frame.id !== undefined ? { id: frame.id } : {};
    switch (frame.type) {
      case 'credit':
        ws.serializeAttachment({
          ...state,
          credits: Math.min(state.credits + frame.messages, MAX_STREAM_CREDITS),
          bytes: Math.min(state.bytes + frame.bytes, MAX_STREAM_CREDIT_BYTES),
        });
        this.push(ws);
        return;
      case 'commit': {
        this.host.identity();
        const stored = this.host.commit(state.open.offsetKey, frame.offset, frame.generation);
        ws.send(JSON.stringify({ type: 'committed', ...ids, offset: stored.offset, updatedAt: stored.updatedAt }));
        return;
      }
      case 'lock': {
        const { lockGroup, lockOwner } = state.open;
        this.host.identity();
        const lock = lockOwner === undefined ? undefined : this.host.lock(lockGroup, lockOwner);
        ws.send(JSON.stringify({ type: 'lock', ...ids, locked: lock !== undefined, ...lock }));
        this.push(ws);
        return;
      }
    }
  }

  /** The client closed, or the connection broke: nothing is kept (the socket and its attachment go). */
  closed(ws: WebSocket): void {
    this.close(ws, CLOSE_NORMAL, 'closed');
  }

  /** Pushes what the stream's credits allow, as consecutive pulls would return it. */
  private push(ws: WebSocket): void {
    let state = this.state(ws);
    if (!state) return;
    try {
      for (
        let reads = 0;
        reads < MAX_READS_PER_PUSH && state.credits > 0 && state.bytes > 0 && state.next !== this.host.end();
        reads++
      ) {
        const identity = this.host.identity();
        const { open } = state;
        if (open.lockOwner !== undefined) this.keepLock(open.lockGroup, open.lockOwner);
        const result = this.host.read(state.next, {
          maxMessages: Math.min(state.credits, MAX_PULL_MESSAGES),
          maxBytes: Math.min(state.bytes, MAX_PUSH_FRAME_BODY_BYTES),
          tags: open.tags,
          waitMs: 0,
        });
        // Behind the min offset (retention deleted what it pointed at): the offset moves up to it, as for a pull.
        if (result.status === 'OFFSET_ILLEGAL' && state.next < result.minOffset)
          this.host.correct(open.offsetKey, state.next, result.minOffset);
        if (result.messages.length === 0 && result.nextBeginOffset === state.next) break;
        const bytes = bodyBytes(result.messages);
        // `bytes`: the body bytes these messages took of the credits.
        const header = {
          type: 'messages',
          status: result.status,
          nextBeginOffset: result.nextBeginOffset,
          minOffset: result.minOffset,
          maxOffset: result.maxOffset,
          bytes,
        };
        const m = result.messages;
        if (
          open.frames === 'binary' &&
          m.length > 0 &&
          m[m.length - 1].queueOffset - m[0].queueOffset === m.length - 1
        ) {
          ws.send(encodeMessagesFrame(header, encodeBatch(m[0].queueOffset, m)));
        } else {
          // JSON, as a pull answers: a binary frame holds consecutive offsets only, so what a tag filter thinned out goes as JSON.
          const loc = {
            topic: identity.topic,
            brokerName: identity.brokerName,
            brokerId: MASTER_ID,
            queueId: identity.queueId,
          };
          ws.send(JSON.stringify({ ...header, messages: m.map((x) => toMessageView(x, loc, open.encoding)) }));
        }
        state = {
          ...state,
          next: result.nextBeginOffset,
          credits: state.credits - result.messages.length,
          bytes: state.bytes - bytes,
        };
        ws.serializeAttachment(state);
      }
    } catch (err) {
      this.fail(ws, toFlareError(err) ?? internal(err, this.state(ws)?.open));
    }
  }

  /** Pushes only under the member's lock: renewed (as a pull renews it) once half of it has run out, or taken again. */
  private keepLock(group: string, owner: string): void {
    const holder = this.host.holder(group);
    if (holder?.clientId === owner && holder.expiresAt - Date.now() > QUEUE_LOCK_MS / 2) return;
    this.host.lock(group, owner);
  }

  private state(ws: WebSocket): StreamState | null {
    return ws.deserializeAttachment() as StreamState | null;
  }

  private sendError(ws: WebSocket, err: FlareError, id?: number): void {
    try {
      ws.send(
        JSON.stringify({
          type: 'error',
          ...(id === undefined ? {} : { id }),
          code: err.code,
          message: err.detail,
          retriable: err.retriable,
        }),
      );
    } catch {
      // closed meanwhile
    }
  }

  /** Ends a stream with an error frame, then a close code of 4000 + the error's HTTP status. */
  private fail(ws: WebSocket, err: FlareError, id?: number): void {
    this.sendError(ws, err, id);
    this.close(ws, closeCodeOf(err.status), err.code);
  }

  private close(ws: WebSocket, code: number, reason: string): void {
    try {
      ws.serializeAttachment(null);
      ws.close(code, reason);
    } catch {
      // already closed
    }
  }
}
