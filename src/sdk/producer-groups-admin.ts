/**
 * Administration of transactions (docs/transactions.md): pending half
 * messages by handle, and producer groups (check URL, discarded
 * transactions). Part of {@link Admin}, as `admin.transactions` and
 * `admin.producerGroups`. Reads and idempotent writes retry retriable failures.
 */
import { path, type Http, type QueryValue } from './http';
import { withRetry, type RetryOptions } from './retry';
import {
  endTransaction,
  HalfMessage,
  type CommitResult,
  type HalfMessageView,
  type RollbackResult,
} from './transactions';
import type { components } from './wire';

type Schemas = components['schemas'];

/** A producer group as `GET /api/v1/producer-groups/{group}` shows it. */
export type ProducerGroupInfo = Schemas['ProducerGroupStatus'];

/** The wire form of a discarded transaction: the half message, and when it was discarded. */
type DiscardedView = Schemas['DiscardedTransactions']['transactions'][number];

/** A transaction discarded after its last check: the half message, and when. */
export class DiscardedTransaction extends HalfMessage {
  readonly discardedAt: number;

  constructor(view: DiscardedView) {
    super(view);
    this.discardedAt = view.discardedAt;
  }
}

/** The group's discarded transactions (newest first), as {@link DiscardedTransaction}s. */
export type DiscardedList = Omit<Schemas['DiscardedTransactions'], 'transactions'> & {
  transactions: DiscardedTransaction[];
};

export interface DiscardedListOptions {
  /** Most transactions to list (the newest), 1 to 1000. @defaultValue 32 */
  maxMessages?: number;
  /** Only those of this topic: what an account with PUB on the topic may list (all of them need admin). @defaultValue every topic */
  topic?: string;
}

class Section {
  protected readonly http: Http;
  protected readonly retry: Required<RetryOptions>;

  constructor(http: Http, retry: Required<RetryOptions>) {
    this.http = http;
    this.retry = retry;
  }

  protected call<T>(
    method: string,
    p: string,
    options: { query?: Record<string, QueryValue>; body?: unknown } = {},
  ): Promise<T> {
    return withRetry(() => this.http.request<T>(method, p, options), this.retry);
  }
}

export class ProducerGroupsAdmin extends Section {
  /** The group's check URL and discard count (a group never configured has no check URL). */
  get(group: string): Promise<ProducerGroupInfo> {
    return this.call('GET', path`/producer-groups/${group}`);
  }

  /**
   * Sets the URL the broker POSTs half messages due for a check to (an
   * http(s) URL of at most 2048 characters), or removes it with null. The
   * answer carries the group's check secret, which signs those requests
   * (verify them with {@link verifyTransactionCheck}).
   */
  setCheckUrl(group: string, checkUrl: string | null): Promise<Schemas['ProducerGroupConfigured']> {
    return this.configure(group, { checkUrl });
  }

  /** Sets the check URL and, when given, the check secret (16 to 256 printable ASCII characters; else the group keeps its own). */
  configure(group: string, config: Schemas['ProducerGroupRequest']): Promise<Schemas['ProducerGroupConfigured']> {
    return this.call('PUT', path`/producer-groups/${group}`, { body: config });
  }

  /** Transactions discarded after their last check, newest first. */
  async discarded(group: string, options: DiscardedListOptions = {}): Promise<DiscardedList> {
    const answer = await this.call<Schemas['DiscardedTransactions']>('GET', path`/producer-groups/${group}/discarded`, {
      query: { maxMessages: options.maxMessages, topic: options.topic },
    });
    return { ...answer, transactions: answer.transactions.map((t) => new DiscardedTransaction(t)) };
  }
}

export class TransactionsAdmin extends Section {
  /** A pending half message (with `checkTimes`, `nextCheckAt`). TRANSACTION_NOT_FOUND once resolved or discarded. */
  async get(transactionHandle: string): Promise<HalfMessage> {
    return new HalfMessage(await this.call<HalfMessageView>('GET', path`/transactions/${transactionHandle}`));
  }

  /** Commits a half message: it is appended to its queue. TRANSACTION_NOT_FOUND once resolved. */
  commit(transactionHandle: string): Promise<CommitResult> {
    return endTransaction(this.http, this.retry, transactionHandle, 'commit');
  }

  /** Rolls a half message back: it is discarded. TRANSACTION_NOT_FOUND once resolved. */
  rollback(transactionHandle: string): Promise<RollbackResult> {
    return endTransaction(this.http, this.retry, transactionHandle, 'rollback');
  }
}
