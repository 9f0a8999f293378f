/**
 * One push stream of an assigned queue (docs/streaming.md), the streaming
 * twin of one long poll loop: the queue's object pushes messages as they are
 * appended, never more than this consumer granted. Credits follow the process
 * queue: what it may still cache (maxCachedMessagesPerQueue) less what was
 * granted and not yet received, re-granted as handlers finish, so that a slow
 * consumer stops the pushes instead of buffering them. Processed offsets are
 * committed on the stream (one commit in flight), and every lockRenewMs a
 * lock frame takes or renews the queue lock and keeps the stream alive.
 */
import { FlaremqError } from './errors';
import type { GroupApi } from './group-api';
import type { Message, MessageView } from './message';
import type { ProcessQueue } from './process-queue';
import type { PullerHooks, PullerOptions } from './queue-puller';
import type { Frame } from './stream-socket';
import type { AssignedQueue } from './types';
import { decodeBatch } from '../core/batch-codec';
import { toMessageView } from '../core/message';
import { MASTER_ID } from '../core/route';
import { MAX_STREAM_CREDITS, decodeMessagesFrame } from '../core/stream-frames';

/** Body bytes granted and not yet received, at most (re-granted as they arrive). */
export const STREAM_BYTE_WINDOW = 8 * 1024 * 1024;

export interface QueueStreamContext<M extends Message> {
  api: GroupApi;
  queue: AssignedQueue;
  pq: ProcessQueue<M>;
  options: PullerOptions;
  hooks: PullerHooks<M>;
  /** The queue has its start position. */
  positioned(): void;
}

/**
 * Streams the queue until `signal` aborts (resolves) or the stream ends: rejects with the server's error
 * (an error frame before the close: QUEUE_LOCKED, GENERATION_STALE, TOPIC_NOT_EXIST …), or with
 * STREAM_UNAVAILABLE when it could not be opened or broke.
 */
export async function streamQueue<M extends Message>(c: QueueStreamContext<M>, signal: AbortSignal): Promise<void> {
  const { pq, options: o } = c;
  const opening = pq.needsCommit ? pq.commitTicket() : undefined;
  const sentAt = Date.now();
  const socket = await c.api.stream(
    c.queue,
    { offset: pq.nextOffset, commitOffset: opening?.offset, generation: pq.generation },
    signal,
  );
  return new Promise<void>((resolve, reject) => {
    let ready = false;
    let ended = false;
    let granted = 0;
    let grantedBytes = 0;
    let nextId = 1;
    let commit: { id: number; ticket: { offset: number; verify: number } } | undefined;
    const locks = new Map<number, number>();
    let lockedAt = Date.now();
    let failure: FlaremqError | undefined;

    const end = (err?: unknown) => {
      if (ended) return;
      ended = true;
      signal.removeEventListener('abort', onAbort);
      socket.close();
      if (err) reject(err);
      else resolve();
    };
    const onAbort = () => end();
    signal.addEventListener('abort', onAbort, { once: true });

    /** Grants what the process queue has room for, and commits what was processed. */
    const tend = () => {
      if (!ready || ended) return;
      const room = Math.min(o.maxCachedMessages - pq.size, MAX_STREAM_CREDITS) - granted;
      const messages = room > 0 && (granted === 0 || room >= Math.ceil(o.maxCachedMessages / 4)) ? room : 0;
      const bytes = STREAM_BYTE_WINDOW - grantedBytes >= STREAM_BYTE_WINDOW / 2 ? STREAM_BYTE_WINDOW - grantedBytes : 0;
      if (messages > 0 || (bytes > 0 && granted > 0)) {
        socket.send({ type: 'credit', messages, bytes });
        granted += messages;
        grantedBytes += bytes;
      }
      if (!commit && pq.needsCommit) {
        const ticket = pq.commitTicket()!;
        commit = { id: nextId++, ticket };
        socket.send({ type: 'commit', id: commit.id, offset: ticket.offset, generation: pq.generation });
      }
    };

    /** Every lockRenewMs: the lock taken or renewed (as a pull does), and the stream kept alive. */
    const keep = async () => {
      while (!ended) {
        const left = lockedAt + o.lockRenewMs - Date.now();
        if (left <= 0) {
          const id = nextId++;
          lockedAt = Date.now();
          locks.set(id, lockedAt);
          socket.send({ type: 'lock', id });
          continue;
        }
        await pq.waitForDone(left, signal);
        tend();
      }
    };

    const loc = { topic: c.queue.topic, brokerName: c.queue.brokerName, brokerId: MASTER_ID, queueId: c.queue.queueId };
    /** A binary frame of messages as its JSON twin: the messages in the form of pull answers. */
    const fromBinary = (bytes: Uint8Array): Frame => {
      const { header, batch } = decodeMessagesFrame(bytes);
      return { ...header, messages: decodeBatch(batch).map((m) => toMessageView(m, loc, 'utf8')) };
    };

    socket.listen({
      frame: (raw: Frame | Uint8Array) => {
        if (ended) return;
        let f: Frame;
        try {
          f = raw instanceof Uint8Array ? fromBinary(raw) : raw;
        } catch (err) {
          return end(
            new FlaremqError(
              'BAD_RESPONSE',
              `a binary frame could not be read: ${err instanceof Error ? err.message : String(err)}`,
            ),
          );
        }
        switch (f.type) {
          case 'ready': {
            const lock = f.lock as { durationMs: number } | undefined;
            if (lock) pq.lockAnswered(sentAt, lock.durationMs);
            if (opening) pq.markCommitted(opening);
            pq.add([], f.offset as number);
            ready = true;
            c.positioned();
            tend();
            void keep();
            return;
          }
          case 'messages': {
            const views = f.messages as MessageView[];
            granted = Math.max(0, granted - views.length);
            grantedBytes = Math.max(0, grantedBytes - ((f.bytes as number) ?? 0));
            const fresh = pq.add(
              views.map((v) => c.hooks.wrap(v)),
              f.nextBeginOffset as number,
            );
            if (fresh.length > 0) c.hooks.deliver(fresh);
            tend();
            return;
          }
          case 'committed':
            if (commit && f.id === commit.id) {
              pq.markCommitted(commit.ticket);
              commit = undefined;
              tend();
            }
            return;
          case 'lock': {
            const at = locks.get(f.id as number);
            locks.delete(f.id as number);
            if (at !== undefined) pq.lockAnswered(at, f.locked ? (f.durationMs as number) : 0);
            return;
          }
          case 'error': {
            const err = new FlaremqError(String(f.code), String(f.message), { retriable: f.retriable === true });
            if (commit && f.id === commit.id) {
              commit = undefined;
              // Offsets reset since this generation: the process queue is dropped and reloaded (queue-puller.ts).
              if (err.code === 'GENERATION_STALE') return end(err);
              c.hooks.onError(err);
              return;
            }
            failure = err; // the close that follows ends the stream with it
            return;
          }
        }
      },
      close: (code, reason) =>
        end(
          failure ??
            (signal.aborted
              ? undefined
              : new FlaremqError('STREAM_UNAVAILABLE', `the stream closed (${code}${reason ? ` ${reason}` : ''})`)),
        ),
    });
  });
}
