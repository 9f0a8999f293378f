import { DurableObject } from 'cloudflare:workers';
import type { BrokerRole, FlushDiskType } from '../core/config';
import { MASTER_ID, type BrokerData, type QueueData, type TopicRoute } from '../core/route';
import { BROKER_EXPIRY_MS, NAMESERVER_SCAN_MS } from '../core/timing';
import type { Env } from '../env';
import type { BrokerRegistration } from './broker';
import { brokerAnswers } from './name-server-probe';
import { migrate } from './schema';
import { answer, type Outcome } from '../core/outcome';
import { log } from '../log';

/** What a NameServer knows of the cluster (RocketMQ's ClusterInfo). */
export interface ClusterInfo {
  clusters: { clusterName: string; brokerNames: string[] }[];
  brokerDatas: BrokerData[];
}

const MIGRATIONS = [
  `CREATE TABLE ns_broker (
     broker_name TEXT NOT NULL, broker_id INTEGER NOT NULL, cluster TEXT NOT NULL,
     broker_role TEXT NOT NULL, flush_disk_type TEXT NOT NULL, region TEXT NOT NULL,
     data_version TEXT NOT NULL, last_update INTEGER NOT NULL,
     PRIMARY KEY (broker_name, broker_id)) WITHOUT ROWID;
   CREATE TABLE ns_queue_data (
     topic TEXT NOT NULL, broker_name TEXT NOT NULL, read_queue_nums INTEGER NOT NULL,
     write_queue_nums INTEGER NOT NULL, perm INTEGER NOT NULL,
     PRIMARY KEY (topic, broker_name)) WITHOUT ROWID;
   CREATE INDEX ns_queue_data_broker ON ns_queue_data (broker_name);`,
  `CREATE TABLE ns_group (grp TEXT PRIMARY KEY, created_at INTEGER NOT NULL) WITHOUT ROWID;`,
  `CREATE TABLE ns_producer_group (grp TEXT PRIMARY KEY, created_at INTEGER NOT NULL) WITHOUT ROWID;`,
];

type BrokerRow = {
  broker_name: string;
  broker_id: number;
  cluster: string;
  broker_role: BrokerRole;
  flush_disk_type: FlushDiskType;
  region: string;
  data_version: string;
  last_update: number;
};

/**
 * A NameServer: the registry of live brokers and of the topics they host.
 * Brokers register with every instance; its alarm drops a broker silent for
 * 120 s, and with it the routes of a group that has no broker left.
 */
export class NameServer extends DurableObject<Env> {
  private readonly sql: SqlStorage;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    ctx.blockConcurrencyWhile(async () => migrate(this.sql, 'ns', MIGRATIONS));
  }

  /** Records a broker as alive; a master's registration replaces its group's queue data when its dataVersion changed. */
  registerBroker(reg: BrokerRegistration): Promise<Outcome<{ dataVersionChanged: boolean }>> {
    return answer(async () => {
      const previous = this.sql
        .exec<{ data_version: string }>(
          'SELECT data_version FROM ns_broker WHERE broker_name = ? AND broker_id = ?',
          reg.brokerName,
          reg.brokerId,
        )
        .toArray()[0];
      const changed = previous?.data_version !== reg.dataVersion;
      this.ctx.storage.transactionSync(() => {
        this.sql.exec(
          `INSERT INTO ns_broker (broker_name, broker_id, cluster, broker_role, flush_disk_type, region, data_version, last_update)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (broker_name, broker_id) DO UPDATE SET cluster = excluded.cluster, broker_role = excluded.broker_role,
             flush_disk_type = excluded.flush_disk_type, region = excluded.region, data_version = excluded.data_version,
             last_update = excluded.last_update`,
          reg.brokerName,
          reg.brokerId,
          reg.clusterName,
          reg.brokerRole,
          reg.flushDiskType,
          reg.region,
          reg.dataVersion,
          Date.now(),
        );
        if (reg.brokerId === MASTER_ID && changed) {
          this.sql.exec('DELETE FROM ns_queue_data WHERE broker_name = ?', reg.brokerName);
          for (const t of reg.topics) {
            this.sql.exec(
              'INSERT INTO ns_queue_data (topic, broker_name, read_queue_nums, write_queue_nums, perm) VALUES (?, ?, ?, ?, ?)',
              t.topic,
              reg.brokerName,
              t.readQueueNums,
              t.writeQueueNums,
              t.perm,
            );
          }
        }
      });
      if ((await this.ctx.storage.getAlarm()) === null)
        await this.ctx.storage.setAlarm(Date.now() + NAMESERVER_SCAN_MS);
      return { dataVersionChanged: changed };
    });
  }

  /** Removes a broker at once (a broker shutting down, or an operator). */
  unregisterBroker(brokerName: string, brokerId: number): Outcome<boolean> {
    return answer(() => this.#unregisterBroker(brokerName, brokerId));
  }

  #unregisterBroker(brokerName: string, brokerId: number): boolean {
    let removed = false;
    this.ctx.storage.transactionSync(() => {
      removed =
        this.sql.exec('DELETE FROM ns_broker WHERE broker_name = ? AND broker_id = ?', brokerName, brokerId)
          .rowsWritten > 0;
      this.#dropEmptyGroups();
    });
    return removed;
  }

  /**
   * A client (the Worker) found a broker failing: drop it now if it does not
   * answer a probe either, rather than after 120 s of silence. Answers whether
   * it was dropped. A live broker is left alone, and one that comes back
   * registers again with its next heartbeat.
   */
  reportUnreachable(brokerName: string, brokerId: number): Promise<Outcome<boolean>> {
    return answer(async () => {
      const known =
        this.sql.exec('SELECT 1 FROM ns_broker WHERE broker_name = ? AND broker_id = ?', brokerName, brokerId).toArray()
          .length > 0;
      if (!known || (await brokerAnswers(this.env, brokerName, brokerId))) return false;
      log.warn('a broker reported unreachable did not answer a probe either: dropped', {
        nameServer: this.ctx.id.name,
        brokerName,
        brokerId,
      });
      return this.#unregisterBroker(brokerName, brokerId);
    });
  }

  /** The scan: drop brokers silent for 120 s, then scan again in 10 s while any broker is left. */
  override async alarm(): Promise<void> {
    this.#scanNotActiveBrokers();
    const left = this.sql.exec<{ n: number }>('SELECT COUNT(*) AS n FROM ns_broker').one().n;
    if (left > 0) await this.ctx.storage.setAlarm(Date.now() + NAMESERVER_SCAN_MS);
  }

  /** Drops expired brokers; returns them as "brokerName/brokerId". */
  scanNotActiveBrokers(now = Date.now()): Outcome<string[]> {
    return answer(() => this.#scanNotActiveBrokers(now));
  }

  #scanNotActiveBrokers(now = Date.now()): string[] {
    const expired: { brokerName: string; brokerId: number }[] = [];
    this.ctx.storage.transactionSync(() => {
      const rows = this.sql
        .exec<BrokerRow>('SELECT * FROM ns_broker WHERE last_update < ?', now - BROKER_EXPIRY_MS)
        .toArray();
      for (const r of rows) {
        this.sql.exec('DELETE FROM ns_broker WHERE broker_name = ? AND broker_id = ?', r.broker_name, r.broker_id);
        expired.push({ brokerName: r.broker_name, brokerId: r.broker_id });
      }
      this.#dropEmptyGroups();
    });
    for (const b of expired) {
      log.warn('a broker silent for too long was dropped', {
        nameServer: this.ctx.id.name,
        ...b,
        silentMs: BROKER_EXPIRY_MS,
      });
    }
    return expired.map((b) => `${b.brokerName}/${b.brokerId}`);
  }

  /** A group with no live broker left hosts nothing: its queue data goes. */
  #dropEmptyGroups(): void {
    this.sql.exec('DELETE FROM ns_queue_data WHERE broker_name NOT IN (SELECT broker_name FROM ns_broker)');
  }

  #brokerDatas(names?: readonly string[]): BrokerData[] {
    const rows = this.sql.exec<BrokerRow>('SELECT * FROM ns_broker ORDER BY broker_name, broker_id').toArray();
    const groups = new Map<string, BrokerData>();
    for (const r of rows) {
      if (names && !names.includes(r.broker_name)) continue;
      let group = groups.get(r.broker_name);
      if (!group) {
        group = { cluster: r.cluster, brokerName: r.broker_name, brokers: [] };
        groups.set(r.broker_name, group);
      }
      group.brokers.push({
        brokerId: r.broker_id,
        brokerRole: r.broker_role,
        flushDiskType: r.flush_disk_type,
        region: r.region,
        lastUpdateTimestamp: r.last_update,
      });
    }
    return [...groups.values()];
  }

  /** The route of a topic, or null when no live broker group hosts it. */
  getRoute(topic: string): Outcome<TopicRoute | null> {
    return answer(() => {
      const queueDatas = this.sql
        .exec<{ broker_name: string; read_queue_nums: number; write_queue_nums: number; perm: number }>(
          'SELECT broker_name, read_queue_nums, write_queue_nums, perm FROM ns_queue_data WHERE topic = ? ORDER BY broker_name',
          topic,
        )
        .toArray()
        .map(
          (r): QueueData => ({
            brokerName: r.broker_name,
            readQueueNums: r.read_queue_nums,
            writeQueueNums: r.write_queue_nums,
            perm: r.perm,
          }),
        );
      if (queueDatas.length === 0) return null;
      return { topic, queueDatas, brokerDatas: this.#brokerDatas(queueDatas.map((q) => q.brokerName)) };
    });
  }

  /** Every topic some live broker group hosts. */
  listTopics(): Outcome<string[]> {
    return answer(() =>
      this.sql
        .exec<{ topic: string }>('SELECT DISTINCT topic FROM ns_queue_data ORDER BY topic')
        .toArray()
        .map((r) => r.topic),
    );
  }

  /** Records a consumer group (groups register themselves when created), so that groups can be listed. */
  registerGroup(group: string): Outcome<void> {
    return answer(() => {
      this.sql.exec('INSERT OR IGNORE INTO ns_group (grp, created_at) VALUES (?, ?)', group, Date.now());
    });
  }

  unregisterGroup(group: string): Outcome<void> {
    return answer(() => {
      this.sql.exec('DELETE FROM ns_group WHERE grp = ?', group);
    });
  }

  /** Records a producer group (it registers itself when configured or when it first discards a transaction), so that producer groups can be listed. */
  registerProducerGroup(group: string): Outcome<void> {
    return answer(() => {
      this.sql.exec('INSERT OR IGNORE INTO ns_producer_group (grp, created_at) VALUES (?, ?)', group, Date.now());
    });
  }

  listProducerGroups(): Outcome<string[]> {
    return answer(() =>
      this.sql
        .exec<{ grp: string }>('SELECT grp FROM ns_producer_group ORDER BY grp')
        .toArray()
        .map((r) => r.grp),
    );
  }

  listGroups(): Outcome<string[]> {
    return answer(() =>
      this.sql
        .exec<{ grp: string }>('SELECT grp FROM ns_group ORDER BY grp')
        .toArray()
        .map((r) => r.grp),
    );
  }

  getClusterInfo(): Outcome<ClusterInfo> {
    return answer(() => {
      const brokerDatas = this.#brokerDatas();
      const clusters = new Map<string, string[]>();
      for (const b of brokerDatas) clusters.set(b.cluster, [...(clusters.get(b.cluster) ?? []), b.brokerName]);
      return {
        clusters: [...clusters].map(([clusterName, brokerNames]) => ({ clusterName, brokerNames })),
        brokerDatas,
      };
    });
  }
}
