/**
 * A message delivered to a push consumer, with explicit acknowledgement for
 * the async-iterator style (`for await (const m of consumer) { ...; m.ack() }`).
 * With `run({ eachMessage })`, returning is the ack and throwing the nack.
 */
import { Message, type MessageView } from './message';

/** How a delivery ended. */
export type Settlement = { kind: 'ack' } | { kind: 'nack'; delayLevel?: number } | { kind: 'abandon' };

/**
 * Throw it from a handler (or nack) to have the message consumed again later,
 * as RocketMQ's RECONSUME_LATER, optionally with a delay level (1 to 18) for
 * the next attempt. Any other error does the same with the default delay and
 * is also reported to `onError`.
 */
export class ReconsumeLater extends Error {
  readonly delayLevel: number | undefined;

  constructor(options: { delayLevel?: number; reason?: string } = {}) {
    super(options.reason ?? 'reconsume later');
    this.name = 'ReconsumeLater';
    this.delayLevel = options.delayLevel;
  }
}

/** A delivery the consumer gave up without an outcome (it stopped, or lost the queue): the message stays unprocessed. */
export class Abandoned extends Error {
  constructor() {
    super('the delivery was abandoned; the message will be delivered again');
    this.name = 'Abandoned';
  }
}

export class ConsumedMessage extends Message {
  private settler: ((s: Settlement) => void) | undefined;
  private settledAs: Settlement['kind'] | undefined;

  constructor(view: MessageView) {
    super(view);
  }

  /** @internal Called by the consumer: where ack() and nack() report. */
  onSettle(settler: (s: Settlement) => void): void {
    this.settler = settler;
    this.settledAs = undefined;
  }

  /** Whether ack(), nack() (or the consumer) ended this delivery. */
  get settled(): boolean {
    return this.settledAs !== undefined;
  }

  /** Processed: the consumer may commit past it. Only the first of ack() and nack() counts. */
  ack(): void {
    this.settle({ kind: 'ack' });
  }

  /**
   * Failed: consume it again later (through the group's retry topic, or in
   * place in orderly mode), optionally at a given delay level (1 to 18).
   */
  nack(options: { delayLevel?: number } = {}): void {
    this.settle({ kind: 'nack', delayLevel: options.delayLevel });
  }

  /** @internal */
  settle(s: Settlement): void {
    if (this.settledAs !== undefined) return;
    this.settledAs = s.kind;
    this.settler?.(s);
  }
}
