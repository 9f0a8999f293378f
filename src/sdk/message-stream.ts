/**
 * The async iterator of a push consumer: deliveries wait here until the loop
 * asks for them, and each holds its handler slot until it is acked or nacked.
 */
import { Abandoned, ReconsumeLater, type ConsumedMessage } from './consumed-message';

interface Reader {
  resolve(result: IteratorResult<ConsumedMessage>): void;
  reject(err: unknown): void;
}

export class MessageStream implements AsyncIterableIterator<ConsumedMessage> {
  private readonly buffer: ConsumedMessage[] = [];
  private readonly readers: Reader[] = [];
  /** Handed to the loop and neither acked nor nacked yet. */
  private readonly outstanding = new Set<ConsumedMessage>();
  private closed = false;
  private accepting = true;
  private failure: { err: unknown } | undefined;
  private readonly onReturn: () => Promise<void>;

  constructor(onReturn: () => Promise<void>) {
    this.onReturn = onReturn;
  }

  /** The handler of iterator mode: resolves on ack, rejects on nack (ReconsumeLater) or abandonment (Abandoned). */
  handle(message: ConsumedMessage): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      message.onSettle((s) => {
        this.outstanding.delete(message);
        const i = this.buffer.indexOf(message);
        if (i >= 0) this.buffer.splice(i, 1);
        if (s.kind === 'ack') resolve();
        else if (s.kind === 'nack') reject(new ReconsumeLater({ delayLevel: s.delayLevel, reason: 'nacked' }));
        else reject(new Abandoned());
      });
      if (this.closed || !this.accepting) return message.settle({ kind: 'abandon' });
      const reader = this.readers.shift();
      if (reader) {
        this.outstanding.add(message);
        reader.resolve({ value: message, done: false });
      } else {
        this.buffer.push(message);
      }
    });
  }

  /** Abandons deliveries not yet handed out that match (e.g. of a queue being given up). */
  abandonBuffered(match: (m: ConsumedMessage) => boolean = () => true): void {
    for (const m of this.buffer.filter(match)) m.settle({ kind: 'abandon' });
  }

  /** Abandons deliveries that match, buffered or handed out but not settled. */
  abandon(match: (m: ConsumedMessage) => boolean = () => true): void {
    this.abandonBuffered(match);
    for (const m of [...this.outstanding].filter(match)) m.settle({ kind: 'abandon' });
  }

  /** The consumer is stopping: buffered and new deliveries are abandoned; those handed out may still be settled. */
  stopAccepting(): void {
    this.accepting = false;
    this.abandonBuffered();
  }

  /** Ends the iteration; new deliveries are abandoned. */
  close(): void {
    this.closed = true;
    this.abandonBuffered();
    for (const reader of this.readers.splice(0)) reader.resolve({ value: undefined, done: true });
  }

  /** The consumer could not start: the loop throws `err`. */
  fail(err: unknown): void {
    this.failure = { err };
    for (const reader of this.readers.splice(0)) reader.reject(err);
    this.close();
  }

  next(): Promise<IteratorResult<ConsumedMessage>> {
    if (this.failure) return Promise.reject(this.failure.err);
    const message = this.buffer.shift();
    if (message) {
      this.outstanding.add(message);
      return Promise.resolve({ value: message, done: false });
    }
    if (this.closed) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => this.readers.push({ resolve, reject }));
  }

  /** Leaving the loop (break, return, throw) abandons what was not acked and stops the consumer. */
  async return(): Promise<IteratorResult<ConsumedMessage>> {
    this.abandon();
    await this.onReturn();
    this.close();
    return { value: undefined, done: true };
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}
