import { FlareError } from '../core/errors';
import { migrate } from './schema';

/** Whether fault injection has taken an object down, and since when. */
export interface FaultState {
  down: boolean;
  /** When it was taken down (0 when up). */
  since: number;
}

/**
 * The fault-injection switch of one object (a Broker, or a MessageQueue of
 * that broker), kept in the object's own table `<prefix>_state`: while it is
 * down, the object refuses requests with a retriable BROKER_UNAVAILABLE, as a
 * broker that crashed would fail them, and a Broker stops heartbeating.
 * It survives restarts, so a test or an operator brings it back explicitly.
 */
export class FaultSwitch {
  private state: FaultState = { down: false, since: 0 };

  constructor(
    private readonly sql: SqlStorage,
    private readonly prefix: 'bkf' | 'mqf',
  ) {}

  /** Creates the table and reads the switch; call from the constructor, under blockConcurrencyWhile. */
  migrate(): void {
    migrate(this.sql, this.prefix, [
      `CREATE TABLE ${this.prefix}_state (id INTEGER PRIMARY KEY CHECK (id = 1), down INTEGER NOT NULL, since INTEGER NOT NULL);`,
    ]);
    const row = this.sql
      .exec<{ down: number; since: number }>(`SELECT down, since FROM ${this.prefix}_state WHERE id = 1`)
      .toArray()[0];
    this.state = row ? { down: row.down === 1, since: row.since } : { down: false, since: 0 };
  }

  get down(): boolean {
    return this.state.down;
  }

  get(): FaultState {
    return { ...this.state };
  }

  /** Sets the switch; answers whether it changed. */
  set(down: boolean, now = Date.now()): boolean {
    if (down === this.state.down) return false;
    this.state = { down, since: down ? now : 0 };
    this.sql.exec(
      `INSERT INTO ${this.prefix}_state (id, down, since) VALUES (1, ?, ?) ON CONFLICT (id) DO UPDATE SET down = excluded.down, since = excluded.since`,
      down ? 1 : 0,
      this.state.since,
    );
    return true;
  }

  /** Throws BROKER_UNAVAILABLE while down. */
  require(what: string): void {
    if (this.state.down) {
      throw new FlareError(
        'BROKER_UNAVAILABLE',
        `${what} is down (fault injection since ${new Date(this.state.since).toISOString()})`,
      );
    }
  }
}
