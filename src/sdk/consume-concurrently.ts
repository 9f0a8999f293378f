/**
 * Concurrent consumption, as RocketMQ's ConsumeMessageConcurrentlyService:
 * a pull's messages are cut into batches that run in parallel (bounded by the
 * consumer's concurrency). A failed message is sent back to the group's retry
 * topic (RECONSUME_LATER) and counts as processed; if sending it back fails, it
 * is consumed again here after a suspension. In BROADCASTING, which has no
 * retry topic, failed messages are retried here up to maxReconsumeTimes and
 * then dropped (reported to onError).
 */
import { Abandoned, ReconsumeLater, type ConsumedMessage } from './consumed-message';
import { later, track, type ConsumeContext, type QueueState } from './queue-state';

export class ConcurrentConsumeService {
  private readonly ctx: ConsumeContext;

  constructor(ctx: ConsumeContext) {
    this.ctx = ctx;
  }

  submit(state: QueueState, messages: ConsumedMessage[]): void {
    for (let i = 0; i < messages.length; i += this.ctx.batchSize) {
      const batch = messages.slice(i, i + this.ctx.batchSize);
      track(
        state,
        this.ctx.run(() => this.consume(state, batch)),
      );
    }
  }

  private async consume(state: QueueState, batch: ConsumedMessage[]): Promise<void> {
    if (state.stopped) return; // left unprocessed: the next owner gets them
    try {
      await this.ctx.handle(batch);
      state.pq.done(batch);
      this.ctx.counts.ok += batch.length;
    } catch (err) {
      if (err instanceof Abandoned) return;
      this.ctx.counts.failed += batch.length;
      if (!(err instanceof ReconsumeLater))
        this.ctx.onError(err, { kind: 'handler', queue: state.queue, messages: batch });
      await this.failed(state, batch, err instanceof ReconsumeLater ? (err.delayLevel ?? 0) : 0);
    }
  }

  private async failed(state: QueueState, batch: ConsumedMessage[], delayLevel: number): Promise<void> {
    const again: ConsumedMessage[] = [];
    if (this.ctx.broadcasting()) {
      for (const m of batch) {
        if (m.reconsumeTimes >= this.ctx.maxReconsumeTimes()) {
          state.pq.done([m]);
          this.ctx.onError(
            new Error(
              `message ${m.msgId} failed ${m.reconsumeTimes + 1} times; dropped (BROADCASTING has no retry topic)`,
            ),
            {
              kind: 'dropped',
              queue: state.queue,
              messages: [m],
            },
          );
        } else {
          m.reconsumeTimes++;
          again.push(m);
        }
      }
    } else {
      await Promise.all(
        batch.map(async (m) => {
          try {
            await this.ctx.sendBack(m, delayLevel);
            state.pq.done([m]);
          } catch (err) {
            this.ctx.onError(err, { kind: 'sendBack', queue: state.queue, messages: [m] });
            again.push(m);
          }
        }),
      );
    }
    if (again.length > 0) later(state, this.ctx.suspendMs, () => this.submit(state, again));
  }
}
