import { DurableObject } from 'cloudflare:workers';
import { clusterConfig, type BrokerConfig } from '../core/config';
import { FlareError } from '../core/errors';
import { answer, type Outcome } from '../core/outcome';
import { BROKER_HEARTBEAT_MS } from '../core/timing';
import type { TopicConfig } from '../core/topic-config';
import type { Env } from '../env';
import { MetaTable, migrate } from './schema';
import { MASTER_ID } from '../core/route';
import {
  applySnapshot,
  dropQueues,
  openQueues,
  pullFromMaster,
  pushToSlaves,
  replicationStatus,
  setQueuesFault,
  type HostedTopic,
  type ReplicationStatus,
  type TopicSnapshot,
} from './broker-replication';
import { FaultSwitch, type FaultState } from './fault-switch';
import { nameServerObject } from './stubs';
import { nameServerName } from '../core/object-names';
import { log } from '../log';

/** What a broker sends the NameServers every 30 s (RocketMQ's RegisterBrokerRequest). */
export interface BrokerRegistration {
  clusterName: string;
  brokerName: string;
  brokerId: number;
  brokerRole: BrokerConfig['brokerRole'];
  flushDiskType: BrokerConfig['flushDiskType'];
  region: string;
  /** Changes whenever the topic config changes, so a NameServer can skip an unchanged one. */
  dataVersion: string;
  topics: TopicConfig[];
}

export interface BrokerStatus {
  config: BrokerConfig;
  dataVersion: string;
  topicCount: number;
  /** When a registration last reached at least one NameServer (0: never). */
  lastRegistrationTimestamp: number;
  /** NameServers that took the last registration, of how many. */
  nameServersReached: number;
  nameServerCount: number;
  /** The fault-injection switch: while down, the broker neither heartbeats nor serves. */
  faultInjection: FaultState;
}

const MIGRATIONS = [
  `CREATE TABLE bk_meta (key TEXT PRIMARY KEY, value) WITHOUT ROWID;
   CREATE TABLE bk_topic (topic TEXT PRIMARY KEY, read_queue_nums INTEGER NOT NULL, write_queue_nums INTEGER NOT NULL,
     perm INTEGER NOT NULL, updated_at INTEGER NOT NULL,
     opened_queue_nums INTEGER NOT NULL) WITHOUT ROWID;`,
];

type TopicRow = {
  topic: string;
  read_queue_nums: number;
  write_queue_nums: number;
  perm: number;
  opened_queue_nums: number;
};

const toConfig = (r: TopicRow): TopicConfig => ({
  topic: r.topic,
  readQueueNums: r.read_queue_nums,
  writeQueueNums: r.write_queue_nums,
  perm: r.perm,
});

/**
 * One broker (brokerName, brokerId): its topic config, and the heartbeat
 * that registers it with every NameServer every 30 s from its alarm.
 */
export class Broker extends DurableObject<Env> {
  private readonly sql: SqlStorage;
  private readonly meta: MetaTable;
  private readonly fault: FaultSwitch;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.meta = new MetaTable(this.sql, 'bk_meta');
    this.fault = new FaultSwitch(this.sql, 'bkf');
    ctx.blockConcurrencyWhile(async () => {
      migrate(this.sql, 'bk', MIGRATIONS);
      this.fault.migrate();
    });
  }

  /** This broker's config from the cluster layout; null if the layout no longer lists it. */
  #config(): BrokerConfig | null {
    const name = this.meta.get('broker_name');
    const id = this.meta.get('broker_id');
    if (typeof name !== 'string' || typeof id !== 'number') return null;
    return clusterConfig(this.env).brokers.find((b) => b.brokerName === name && b.brokerId === id) ?? null;
  }

  #requireConfig(): BrokerConfig {
    const config = this.#config();
    if (!config)
      throw new FlareError('BROKER_NOT_EXIST', 'this broker is not started or no longer in the cluster layout');
    return config;
  }

  #dataVersion(): string {
    return String(this.meta.get('data_version') ?? '0');
  }

  #bumpDataVersion(): void {
    const counter = Number(this.#dataVersion().split('-')[1] ?? 0) + 1;
    this.meta.set('data_version', `${Date.now()}-${counter}`);
  }

  /**
   * Starts the broker (idempotent): records who it is, arms the heartbeat,
   * and registers now unless a registration went out within the last 30 s.
   */
  start(brokerName: string, brokerId: number): Promise<Outcome<BrokerStatus>> {
    return answer(async () => {
      this.meta.set('broker_name', brokerName);
      this.meta.set('broker_id', brokerId);
      const config = this.#requireConfig();
      if (config.brokerId !== MASTER_ID && !this.fault.down)
        await this.#syncFromMaster().catch((err) =>
          log.warn('a slave could not sync topics from its master', { brokerName, brokerId, error: err }),
        );
      const last = Number(this.meta.get('last_registration') ?? 0);
      if (Date.now() - last >= BROKER_HEARTBEAT_MS) await this.#registerAll();
      if ((await this.ctx.storage.getAlarm()) === null)
        await this.ctx.storage.setAlarm(Date.now() + BROKER_HEARTBEAT_MS);
      return this.#statusOf(config);
    });
  }

  /** The heartbeat: register with every NameServer, then again in 30 s. */
  override async alarm(): Promise<void> {
    const config = this.#config();
    if (!config) return; // removed from the layout: stop heartbeating, the NameServers expire it
    if (config.brokerId !== MASTER_ID && !this.fault.down)
      await this.#syncFromMaster().catch((err) =>
        log.warn('a slave could not sync topics from its master', {
          brokerName: config.brokerName,
          brokerId: config.brokerId,
          error: err,
        }),
      );
    await this.#registerAll();
    await this.ctx.storage.setAlarm(Date.now() + BROKER_HEARTBEAT_MS);
  }

  /** Registers with every NameServer; returns how many took it. */
  registerAll(): Promise<Outcome<number>> {
    return answer(() => this.#registerAll());
  }

  async #registerAll(): Promise<number> {
    const config = this.#requireConfig();
    if (this.fault.down) return 0; // down (fault injection): no heartbeat, the NameServers drop it after 120 s
    const cluster = clusterConfig(this.env);
    const registration: BrokerRegistration = {
      clusterName: cluster.clusterName,
      brokerName: config.brokerName,
      brokerId: config.brokerId,
      brokerRole: config.brokerRole,
      flushDiskType: config.flushDiskType,
      region: config.region,
      dataVersion: this.#dataVersion(),
      topics: this.#listTopics(),
    };
    const results = await Promise.allSettled(
      Array.from({ length: cluster.nameServerCount }, (_, i) =>
        nameServerObject(this.env, i).registerBroker(registration),
      ),
    );
    const reached = results.filter((r) => r.status === 'fulfilled').length;
    results.forEach((r, i) => {
      if (r.status === 'rejected') {
        log.error('a broker registration failed', {
          brokerName: config.brokerName,
          brokerId: config.brokerId,
          nameServer: nameServerName(i),
          error: r.reason,
        });
      }
    });
    this.meta.set('name_servers_reached', reached);
    if (reached > 0) this.meta.set('last_registration', Date.now());
    return reached;
  }

  /**
   * Creates or updates a topic on this broker: opens its queue objects,
   * stores the config and registers at once, so the route is there on return.
   */
  createOrUpdateTopic(config: TopicConfig): Promise<Outcome<TopicConfig>> {
    return answer(async () => {
      const broker = this.#requireConfig();
      this.fault.require(`broker ${broker.brokerName}/${broker.brokerId}`);
      const queues = Math.max(config.readQueueNums, config.writeQueueNums);
      await openQueues(this.env, broker, config.topic, queues);
      this.ctx.storage.transactionSync(() => {
        this.sql.exec(
          `INSERT INTO bk_topic (topic, read_queue_nums, write_queue_nums, perm, updated_at, opened_queue_nums) VALUES (?, ?, ?, ?, ?, ?)
           ON CONFLICT (topic) DO UPDATE SET read_queue_nums = excluded.read_queue_nums,
             write_queue_nums = excluded.write_queue_nums, perm = excluded.perm, updated_at = excluded.updated_at,
             opened_queue_nums = MAX(opened_queue_nums, excluded.opened_queue_nums)`,
          config.topic,
          config.readQueueNums,
          config.writeQueueNums,
          config.perm,
          Date.now(),
          queues,
        );
        this.#bumpDataVersion();
      });
      await pushToSlaves(this.env, broker.brokerName, this.#topicSnapshot());
      await this.#registerOrFail();
      return config;
    });
  }

  /**
   * Deletes a topic from this broker: every queue object it ever opened (also
   * those a shrink left behind) drops its messages and offsets first, so that
   * a failed delete can be retried; then the config goes and the route with it.
   */
  deleteTopic(topic: string): Promise<Outcome<boolean>> {
    return answer(async () => {
      const broker = this.#requireConfig();
      this.fault.require(`broker ${broker.brokerName}/${broker.brokerId}`);
      const row = this.sql
        .exec<{ opened_queue_nums: number }>('SELECT opened_queue_nums FROM bk_topic WHERE topic = ?', topic)
        .toArray()[0];
      if (!row) return false;
      await dropQueues(this.env, broker, topic, row.opened_queue_nums);
      this.ctx.storage.transactionSync(() => {
        this.sql.exec('DELETE FROM bk_topic WHERE topic = ?', topic);
        this.#bumpDataVersion();
      });
      await pushToSlaves(this.env, broker.brokerName, this.#topicSnapshot());
      await this.#registerOrFail();
      return true;
    });
  }

  async #registerOrFail(): Promise<void> {
    if ((await this.#registerAll()) === 0) {
      throw new FlareError(
        'NAMESERVER_UNAVAILABLE',
        'the topic config is stored but no NameServer took the registration; it is retried every 30 s',
      );
    }
  }

  getTopic(topic: string): Outcome<TopicConfig | null> {
    return answer(() => {
      const row = this.sql.exec<TopicRow>('SELECT * FROM bk_topic WHERE topic = ?', topic).toArray()[0];
      return row ? toConfig(row) : null;
    });
  }

  listTopics(): Outcome<TopicConfig[]> {
    return answer(() => this.#listTopics());
  }

  #listTopics(): TopicConfig[] {
    return this.sql.exec<TopicRow>('SELECT * FROM bk_topic ORDER BY topic').toArray().map(toConfig);
  }

  status(): Outcome<BrokerStatus> {
    return answer(() => this.#statusOf(this.#requireConfig()));
  }

  #statusOf(config: BrokerConfig): BrokerStatus {
    const topicCount = this.sql.exec<{ n: number }>('SELECT COUNT(*) AS n FROM bk_topic').one().n;
    return {
      config,
      dataVersion: this.#dataVersion(),
      topicCount,
      lastRegistrationTimestamp: Number(this.meta.get('last_registration') ?? 0),
      nameServersReached: Number(this.meta.get('name_servers_reached') ?? 0),
      nameServerCount: clusterConfig(this.env).nameServerCount,
      faultInjection: this.fault.get(),
    };
  }

  // High availability: logic in broker-replication.ts and fault-switch.ts.

  /**
   * Fault injection: down, the broker stops heartbeating (the NameServers drop
   * it after 120 s, or at once when a client reports it unreachable) and it
   * and every queue object it opened refuse requests; up, it registers again
   * at once and its master queues take back the offsets committed on slaves.
   */
  setFault(down: boolean): Promise<Outcome<BrokerStatus>> {
    return answer(async () => {
      const config = this.#requireConfig();
      this.fault.set(down);
      await setQueuesFault(this.env, config, this.#hostedTopics(), down);
      if (!down) await this.#registerAll();
      return this.#statusOf(config);
    });
  }

  /** Answers true while the broker serves; BROKER_UNAVAILABLE while it is down (how a NameServer probes it). */
  ping(): Outcome<boolean> {
    return answer(() => {
      const config = this.#requireConfig();
      this.fault.require(`broker ${config.brokerName}/${config.brokerId}`);
      return true;
    });
  }

  /** The topic config, as a slave copies it. */
  topicSnapshot(): Outcome<TopicSnapshot> {
    return answer(() => this.#topicSnapshot());
  }

  #topicSnapshot(): TopicSnapshot {
    const config = this.#requireConfig();
    this.fault.require(`broker ${config.brokerName}/${config.brokerId}`);
    return { topics: this.#listTopics(), dataVersion: this.#dataVersion() };
  }

  /**
   * On a slave: takes the master's topic config (given, or read from the
   * master), opening its copies of the queues and dropping those of deleted
   * topics. Answers the number of topics held.
   */
  syncFromMaster(snapshot?: TopicSnapshot): Promise<Outcome<number>> {
    return answer(() => this.#syncFromMaster(snapshot));
  }

  async #syncFromMaster(snapshot?: TopicSnapshot): Promise<number> {
    const config = this.#requireConfig();
    if (config.brokerId === MASTER_ID) throw new Error('syncFromMaster() is for slaves');
    this.fault.require(`broker ${config.brokerName}/${config.brokerId}`);
    const snap = snapshot ?? (await pullFromMaster(this.env, config.brokerName));
    if (snap.dataVersion === this.#dataVersion()) return snap.topics.length;
    const kept = await applySnapshot(this.env, config, snap, this.#hostedTopics());
    this.ctx.storage.transactionSync(() => {
      this.sql.exec('DELETE FROM bk_topic');
      for (const t of snap.topics) {
        this.sql.exec(
          'INSERT INTO bk_topic (topic, read_queue_nums, write_queue_nums, perm, updated_at, opened_queue_nums) VALUES (?, ?, ?, ?, ?, ?)',
          t.topic,
          t.readQueueNums,
          t.writeQueueNums,
          t.perm,
          Date.now(),
          kept.find((k) => k.topic === t.topic)!.openedQueueNums,
        );
      }
      this.meta.set('data_version', snap.dataVersion);
    });
    return snap.topics.length;
  }

  /** On a master with slaves: each slave's lag over every queue; null otherwise. */
  replicationStatus(): Promise<Outcome<ReplicationStatus | null>> {
    return answer(async () => {
      const config = this.#requireConfig();
      if (config.brokerId !== MASTER_ID) return null;
      const status = await replicationStatus(this.env, config, this.#listTopics());
      return status.slaves.length > 0 ? status : null;
    });
  }

  #hostedTopics(): HostedTopic[] {
    return this.sql
      .exec<{ topic: string; opened_queue_nums: number }>(
        'SELECT topic, opened_queue_nums FROM bk_topic ORDER BY topic',
      )
      .toArray()
      .map((r) => ({ topic: r.topic, openedQueueNums: r.opened_queue_nums }));
  }
}
