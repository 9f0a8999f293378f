/**
 * Orderly consumption, as RocketMQ's ConsumeMessageOrderlyService: each queue
 * is consumed one batch at a time, in offset order, while the consumer holds
 * the queue's lock (every clustering pull takes or renews it, and the lock
 * keeper renews it every 20 s). No batch starts unless the consumer may trust
 * its lock (ConsumeRequest.run: `processQueue.isLocked() &&
 * !processQueue.isLockExpired()`): otherwise it renews the lock first and, if
 * that fails, waits suspendMs and tries again (tryLockLaterAndReconsume), so
 * that messages already pulled are never consumed once another member may have
 * taken the queue. A failed batch
 * is consumed again in place after a suspension, never reordered. By default
 * (maxReconsumeTimes -1) that goes on until it succeeds, as RocketMQ's
 * getMaxReconsumeTimes (Integer.MAX_VALUE); with a limit set, a message that
 * failed that many times goes to the DLQ (BROADCASTING: dropped) and the
 * queue moves on. A failing head holds the queue's committed offset, so it
 * shows in the group's lag, and in the consumer's stats (headFailures).
 */
import { sleep } from './abort';
import { Abandoned, ReconsumeLater, type ConsumedMessage } from './consumed-message';
import { track, type ConsumeContext, type QueueState } from './queue-state';

export class OrderlyConsumeService {
  private readonly ctx: ConsumeContext;

  constructor(ctx: ConsumeContext) {
    this.ctx = ctx;
  }

  /** New messages arrived (already in the process queue): make sure a loop consumes them. */
  submit(state: QueueState): void {
    if (state.orderlyRunning || state.stopped) return;
    state.orderlyRunning = true;
    track(state, this.loop(state));
  }

  private async loop(state: QueueState): Promise<void> {
    try {
      while (!state.stopped) {
        const batch = state.pq.head(this.ctx.batchSize);
        if (batch.length === 0) break;
        if (!this.ctx.lockTrusted(state) && !(await this.ctx.relock(state))) {
          await sleep(this.ctx.suspendMs, state.abort.signal); // the lock may be another member's: consume later
          continue;
        }
        const moveOn = await this.ctx.run(() => this.consumeOnce(state, batch));
        if (!moveOn) await sleep(this.ctx.suspendMs, state.abort.signal);
      }
    } catch {
      // aborted: the queue is being given up
    } finally {
      state.orderlyRunning = false;
    }
    if (!state.stopped && state.pq.size > 0) this.submit(state);
  }

  /** Consumes a batch once; false when it must be consumed again after a suspension. */
  private async consumeOnce(state: QueueState, batch: ConsumedMessage[]): Promise<boolean> {
    if (state.stopped) return true;
    if (!this.ctx.lockTrusted(state)) return true; // the lock aged while waiting for a handler slot: the loop renews it first
    try {
      await this.ctx.handle(batch);
      state.pq.done(batch);
      this.ctx.counts.ok += batch.length;
      state.headFailures = 0;
      state.failingSince = undefined;
      return true;
    } catch (err) {
      if (err instanceof Abandoned) return false;
      this.ctx.counts.failed += batch.length;
      state.headFailures++;
      state.failingSince ??= Date.now();
      if (!(err instanceof ReconsumeLater))
        this.ctx.onError(err, { kind: 'handler', queue: state.queue, messages: batch });
      let suspend = false;
      for (const m of batch) {
        if (m.reconsumeTimes < this.ctx.maxReconsumeTimes()) {
          m.reconsumeTimes++;
          suspend = true;
        } else if (this.ctx.broadcasting()) {
          state.pq.done([m]);
          this.ctx.onError(
            new Error(`message ${m.msgId} failed ${m.reconsumeTimes + 1} times; dropped (BROADCASTING has no DLQ)`),
            {
              kind: 'dropped',
              queue: state.queue,
              messages: [m],
            },
          );
        } else {
          try {
            await this.ctx.sendBack(m, -1);
            state.pq.done([m]);
          } catch (sendErr) {
            this.ctx.onError(sendErr, { kind: 'sendBack', queue: state.queue, messages: [m] });
            suspend = true;
          }
        }
      }
      if (!suspend) {
        state.headFailures = 0; // dead-lettered or dropped: the queue moves on
        state.failingSince = undefined;
      }
      return !suspend;
    }
  }
}
