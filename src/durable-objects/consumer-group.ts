import { DurableObject } from 'cloudflare:workers';
import { allocate } from '../core/allocation';
import { FlareError } from '../core/errors';
import { answer, type Outcome } from '../core/outcome';
import {
  conflictingFields,
  defaultGroupConfig,
  retryTopic,
  type GroupConfig,
  type Subscription,
} from '../core/group-config';
import type { QueueId } from '../core/queue-selector';
import { BROKER_EXPIRY_MS, BROKER_HEARTBEAT_MS, topicWaitHeartbeatMs } from '../core/timing';
import type { Env } from '../env';
import { readableQueuesOf, toAllNameServers } from './name-server-client';
import { MetaTable, migrate } from './schema';
import { log } from '../log';

/** A queue assigned to a member, with the member's tag expression for its topic. */
export interface AssignedQueue extends QueueId {
  topic: string;
  expression: string;
}

/** What a heartbeat answers: the member's current assignment. */
export interface Assignment {
  group: string;
  clientId: string;
  /** The member's stable identity: its offsets in BROADCASTING are this instance's (its clientId unless it declared one). */
  instanceName: string;
  generation: number;
  messageModel: GroupConfig['messageModel'];
  consumeOrderly: boolean;
  /** Failures before a message goes to the DLQ (consumers that retry in place count them). */
  maxReconsumeTimes: number;
  /**
   * When to heartbeat next: every 30 s; sooner (2 s, backing off to 30 s over 2 minutes) while a
   * topic the member subscribes to has no queues yet, so that it learns of the topic soon after it is created.
   */
  heartbeatIntervalMs: number;
  queues: AssignedQueue[];
}

/** What a pull, pop or commit needs to know about the group. */
export interface MemberView {
  config: GroupConfig;
  generation: number;
}

/** What a member's commit on a topic needs to know. */
export interface TopicView extends MemberView {
  /** The generation of the topic's last offset reset or skip (0: never); commits made for an older generation are refused. */
  resetGeneration: number;
  /** The member's stable identity, whose offsets it uses in BROADCASTING (its clientId unless it declared one). */
  instanceName: string;
}

/** What a member's pull of one queue needs to know. */
export interface QueueView extends TopicView {
  /** The member's tag expression for the topic. */
  expression: string;
  /** When the group (the member, in broadcasting) subscribed to the topic: where CONSUME_FROM_LAST_OFFSET starts a never-consumed queue. */
  subscribedAt: number;
}

export interface MemberStatus {
  clientId: string;
  /** Its stable identity, whose offsets it uses in BROADCASTING (its clientId unless it declared one). */
  instanceName: string;
  subscriptions: Subscription[];
  lastHeartbeat: number;
  joinedAt: number;
  queues: AssignedQueue[];
}

export interface GroupStatus {
  group: string;
  config: GroupConfig;
  generation: number;
  members: MemberStatus[];
  /** Every topic the group consumes or has consumed (the retry topic included), for lag. */
  topics: string[];
}

const MIGRATIONS = [
  `CREATE TABLE cg_meta (key TEXT PRIMARY KEY, value) WITHOUT ROWID;
   CREATE TABLE cg_member (client_id TEXT PRIMARY KEY, subscriptions TEXT NOT NULL,
     last_heartbeat INTEGER NOT NULL, joined_at INTEGER NOT NULL) WITHOUT ROWID;
   CREATE TABLE cg_assignment (client_id TEXT NOT NULL, topic TEXT NOT NULL, broker_name TEXT NOT NULL,
     queue_id INTEGER NOT NULL, expression TEXT NOT NULL,
     PRIMARY KEY (client_id, topic, broker_name, queue_id)) WITHOUT ROWID;
   CREATE TABLE cg_topic (topic TEXT PRIMARY KEY, queues TEXT NOT NULL, updated_at INTEGER NOT NULL) WITHOUT ROWID;`,
  // A member's stable identity (the heartbeat's instanceName); NULL: its clientId.
  `ALTER TABLE cg_member ADD COLUMN instance_name TEXT;`,
  // When the group (owner '') and each member's instance (owner = its instance name, for broadcasting) first subscribed
  // to a topic. Groups from before: members' join times, and for the group the earliest of those and of the time it
  // read the topic's queues.
  `CREATE TABLE cg_subscribed (owner TEXT NOT NULL, topic TEXT NOT NULL, since INTEGER NOT NULL, PRIMARY KEY (owner, topic)) WITHOUT ROWID;
   INSERT OR IGNORE INTO cg_subscribed (owner, topic, since)
     SELECT COALESCE(m.instance_name, m.client_id), json_extract(s.value, '$.topic'), m.joined_at FROM cg_member m, json_each(m.subscriptions) s;
   INSERT INTO cg_subscribed (owner, topic, since)
     SELECT '', topic, MIN(since) FROM (SELECT topic, updated_at AS since FROM cg_topic UNION ALL SELECT topic, since FROM cg_subscribed) GROUP BY topic;`,
];

/** The owner of the group's own subscription times in cg_subscribed (an instance name is never empty). */
const GROUP_OWNER = '';

type MemberRow = {
  client_id: string;
  subscriptions: string;
  last_heartbeat: number;
  joined_at: number;
  instance_name: string | null;
};
type AssignmentRow = { client_id: string; topic: string; broker_name: string; queue_id: number; expression: string };

/** A member's instance name: the one it declared, else its clientId. */
const instanceOf = (m: MemberRow): string => m.instance_name ?? m.client_id;

const toQueue = (r: AssignmentRow): AssignedQueue => ({
  topic: r.topic,
  brokerName: r.broker_name,
  queueId: r.queue_id,
  expression: r.expression,
});

/**
 * One consumer group: its config, its members and their heartbeats, and which
 * member owns which queue. Rebalances on join, leave, expiry, subscription
 * change and route change; each new assignment has a new generation.
 */
export class ConsumerGroup extends DurableObject<Env> {
  private readonly sql: SqlStorage;
  private readonly meta: MetaTable;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.meta = new MetaTable(this.sql, 'cg_meta');
    ctx.blockConcurrencyWhile(async () => migrate(this.sql, 'cg', MIGRATIONS));
  }

  #name(): string | null {
    const name = this.meta.get('name');
    return typeof name === 'string' ? name : null;
  }

  #requireName(): string {
    const name = this.#name();
    if (!name) throw new FlareError('GROUP_NOT_EXIST', 'this consumer group has never had a member or a config');
    return name;
  }

  #config(): GroupConfig {
    const raw = this.meta.get('config');
    return typeof raw === 'string' ? (JSON.parse(raw) as GroupConfig) : defaultGroupConfig();
  }

  #generation(): number {
    return Number(this.meta.get('generation') ?? 0);
  }

  /** Creates the group on first use and lists it with the NameServers. */
  async #ensureGroup(group: string): Promise<void> {
    if (this.#name() === group && this.meta.get('registered') === 1) return;
    if (!this.#name()) {
      this.meta.set('name', group);
      this.meta.set('config', JSON.stringify(defaultGroupConfig()));
      this.meta.set('generation', 0);
    }
    if (await toAllNameServers(this.env, (ns) => ns.registerGroup(group))) this.meta.set('registered', 1);
  }

  /** Sets config fields (admin); any change is a new generation (members reload what they need). */
  configure(group: string, patch: Partial<GroupConfig>): Promise<Outcome<GroupStatus>> {
    return answer(async () => {
      await this.#ensureGroup(group);
      const changed = conflictingFields(this.#config(), patch);
      if (changed.length > 0) {
        this.meta.set('config', JSON.stringify({ ...this.#config(), ...patch }));
        await this.#rebalance(true);
      }
      return this.#status();
    });
  }

  /**
   * A member's heartbeat: records it alive with its subscriptions, applies its
   * config when no other member disagrees, and rebalances if anything that
   * decides the assignment changed. Answers the member's assignment.
   */
  heartbeat(
    group: string,
    clientId: string,
    subscriptions: Subscription[],
    patch: Partial<GroupConfig>,
    instanceName?: string,
  ): Promise<Outcome<Assignment>> {
    return answer(async () => {
      await this.#ensureGroup(group);
      const now = Date.now();
      let changed = this.#expireMembers(now).length > 0;
      const others = this.#members().filter((m) => m.client_id !== clientId);
      const conflicts = conflictingFields(this.#config(), patch);
      if (conflicts.length > 0) {
        if (others.length > 0) {
          throw new FlareError(
            'GROUP_CONFIG_CONFLICT',
            `group ${group} has ${conflicts.map((k) => `${k}=${JSON.stringify(this.#config()[k])}`).join(', ')} and ${others.length} other live member(s); use the same settings or change the group with PUT /api/v1/groups/${group}`,
          );
        }
        this.meta.set('config', JSON.stringify({ ...this.#config(), ...patch }));
        changed = true;
      }
      const previous = this.sql.exec<MemberRow>('SELECT * FROM cg_member WHERE client_id = ?', clientId).toArray()[0];
      const subs = JSON.stringify(subscriptions);
      if (!previous || previous.subscriptions !== subs) changed = true;
      const instance = instanceName ?? null;
      if (!previous && instance !== null && this.#config().messageModel === 'BROADCASTING') {
        const twin = others.find((m) => instanceOf(m) === instance);
        if (twin) {
          log.warn(
            'two members of a BROADCASTING group are the same instance and share its offsets; give each process its own instanceName',
            { group, clientId, otherClientId: twin.client_id, instanceName: instance },
          );
        }
      }
      this.#recordSubscriptions(
        instance ?? clientId,
        subscriptions.map((s) => s.topic),
        now,
      );
      this.sql.exec(
        `INSERT INTO cg_member (client_id, subscriptions, last_heartbeat, joined_at, instance_name) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (client_id) DO UPDATE SET subscriptions = excluded.subscriptions, last_heartbeat = excluded.last_heartbeat,
           instance_name = excluded.instance_name`,
        clientId,
        subs,
        now,
        previous?.joined_at ?? now,
        instance,
      );
      await this.#rebalance(changed);
      await this.#armExpiry();
      return this.#assignmentOf(clientId);
    });
  }

  /** A member leaves at once; its queues go to the others. Answers the queues it had, so their locks can be released. */
  leave(clientId: string): Promise<Outcome<{ removed: boolean; queues: AssignedQueue[] }>> {
    return answer(async () => {
      this.#requireName();
      const queues = this.#assignmentOf(clientId).queues;
      const instance = this.#instanceNameOf(clientId);
      const removed = this.sql.exec('DELETE FROM cg_member WHERE client_id = ?', clientId).rowsWritten > 0;
      this.#forgetSubscriptions(instance);
      if (removed) await this.#rebalance(true);
      return { removed, queues };
    });
  }

  /** The expiry scan: drop members silent for 120 s, rebalance, and look again when the next one could expire. */
  override async alarm(): Promise<void> {
    if (!this.#name()) return;
    if (this.#expireMembers(Date.now()).length > 0) await this.#rebalance(true);
    await this.#armExpiry();
  }

  #expireMembers(now: number): string[] {
    const expired = this.sql
      .exec<{ client_id: string }>('SELECT client_id FROM cg_member WHERE last_heartbeat < ?', now - BROKER_EXPIRY_MS)
      .toArray()
      .map((r) => r.client_id);
    for (const id of expired) {
      const instance = this.#instanceNameOf(id);
      this.sql.exec('DELETE FROM cg_member WHERE client_id = ?', id);
      this.#forgetSubscriptions(instance);
    }
    for (const id of expired) {
      log.warn('a group member silent for too long was dropped', {
        group: this.#name(),
        clientId: id,
        silentMs: BROKER_EXPIRY_MS,
      });
    }
    return expired;
  }

  async #armExpiry(): Promise<void> {
    const oldest = this.sql.exec<{ t: number | null }>('SELECT MIN(last_heartbeat) AS t FROM cg_member').one().t;
    if (oldest === null) await this.ctx.storage.deleteAlarm();
    else await this.ctx.storage.setAlarm(oldest + BROKER_EXPIRY_MS + 1);
  }

  /**
   * Keeps when the group, and this member's instance, first subscribed to each of `topics` (an
   * instance's times are dropped for topics it no longer subscribes to, and when its last member
   * leaves or expires).
   */
  /** Drops an instance's subscription times once no member is that instance any more. */
  #forgetSubscriptions(instance: string): void {
    if (this.#members().some((m) => instanceOf(m) === instance)) return;
    this.sql.exec('DELETE FROM cg_subscribed WHERE owner = ?', instance);
  }

  #recordSubscriptions(instance: string, topics: string[], now: number): void {
    const record =
      'INSERT INTO cg_subscribed (owner, topic, since) VALUES (?, ?, ?) ON CONFLICT (owner, topic) DO NOTHING';
    for (const topic of topics) {
      this.sql.exec(record, GROUP_OWNER, topic, now);
      this.sql.exec(record, instance, topic, now);
    }
    const kept = new Set(topics);
    for (const { topic } of this.sql
      .exec<{ topic: string }>('SELECT topic FROM cg_subscribed WHERE owner = ?', instance)
      .toArray()) {
      if (!kept.has(topic)) this.sql.exec('DELETE FROM cg_subscribed WHERE owner = ? AND topic = ?', instance, topic);
    }
  }

  /** When `owner` (the group, or a member) subscribed to `topic`; now if it never did (a retry topic). */
  #subscribedAt(owner: string, topic: string): number {
    return (
      this.sql
        .exec<{ since: number }>('SELECT since FROM cg_subscribed WHERE owner = ? AND topic = ?', owner, topic)
        .toArray()[0]?.since ?? Date.now()
    );
  }

  #resetGeneration(topic: string): number {
    return Number(this.meta.get(`reset_generation:${topic}`) ?? 0);
  }

  #members(): MemberRow[] {
    return this.sql.exec<MemberRow>('SELECT * FROM cg_member ORDER BY client_id').toArray();
  }

  /** The topics whose queues the group divides: members' subscriptions, plus the retry topic in clustering. */
  #wantedTopics(members: MemberRow[]): Map<string, Map<string, string>> {
    const byTopic = new Map<string, Map<string, string>>();
    const add = (topic: string, clientId: string, expression: string) => {
      if (!byTopic.has(topic)) byTopic.set(topic, new Map());
      byTopic.get(topic)!.set(clientId, expression);
    };
    const clustering = this.#config().messageModel === 'CLUSTERING';
    for (const m of members) {
      for (const s of JSON.parse(m.subscriptions) as Subscription[]) add(s.topic, m.client_id, s.expression);
      if (clustering) add(retryTopic(this.#requireName()), m.client_id, '*');
    }
    return byTopic;
  }

  /**
   * Reads the routes of the wanted topics; when `force` or any queue set
   * changed, recomputes the assignment, and bumps the generation if it differs.
   */
  async #rebalance(force: boolean): Promise<void> {
    let changed = force;
    for (const topic of this.#wantedTopics(this.#members()).keys()) {
      let queues: QueueId[];
      try {
        queues = await readableQueuesOf(this.env, topic);
      } catch (err) {
        if (!this.#knownQueues(topic)) throw err;
        continue; // NameServers unreachable: keep what we knew
      }
      const json = JSON.stringify(queues);
      if (JSON.stringify(this.#knownQueues(topic)) !== json) {
        changed = true;
        this.sql.exec(
          `INSERT INTO cg_topic (topic, queues, updated_at) VALUES (?, ?, ?)
           ON CONFLICT (topic) DO UPDATE SET queues = excluded.queues, updated_at = excluded.updated_at`,
          topic,
          json,
          Date.now(),
        );
      }
    }
    // No await from here on: the assignment is computed from the members as they are now,
    // so a heartbeat that arrived while routes were read is not lost.
    if (changed) this.#assign(force);
  }

  #knownQueues(topic: string): QueueId[] | null {
    const row = this.sql.exec<{ queues: string }>('SELECT queues FROM cg_topic WHERE topic = ?', topic).toArray()[0];
    return row ? (JSON.parse(row.queues) as QueueId[]) : null;
  }

  /** Computes every member's queues; writes them, with a new generation, if they differ (or when forced). */
  #assign(force: boolean): void {
    const config = this.#config();
    const rows: AssignmentRow[] = [];
    for (const [topic, subscribers] of this.#wantedTopics(this.#members())) {
      const queues = this.#knownQueues(topic) ?? [];
      const owners =
        config.messageModel === 'BROADCASTING'
          ? new Map([...subscribers.keys()].map((id) => [id, queues]))
          : allocate(config.allocateStrategy, queues, [...subscribers.keys()]);
      for (const [clientId, owned] of owners) {
        for (const q of owned)
          rows.push({
            client_id: clientId,
            topic,
            broker_name: q.brokerName,
            queue_id: q.queueId,
            expression: subscribers.get(clientId)!,
          });
      }
    }
    const key = (r: AssignmentRow) => `${r.client_id}|${r.topic}|${r.broker_name}|${r.queue_id}|${r.expression}`;
    const before = JSON.stringify(
      this.sql.exec<AssignmentRow>('SELECT * FROM cg_assignment').toArray().map(key).sort(),
    );
    const after = JSON.stringify(rows.map(key).sort());
    if (before === after && !force) return;
    this.ctx.storage.transactionSync(() => {
      this.sql.exec('DELETE FROM cg_assignment');
      for (const r of rows) {
        this.sql.exec(
          'INSERT INTO cg_assignment (client_id, topic, broker_name, queue_id, expression) VALUES (?, ?, ?, ?, ?)',
          r.client_id,
          r.topic,
          r.broker_name,
          r.queue_id,
          r.expression,
        );
      }
      this.meta.set('generation', this.#generation() + 1);
    });
  }

  /** Re-reads the routes (a topic was created or changed) and rebalances if its queues changed. */
  refresh(): Promise<Outcome<number>> {
    return answer(async () => {
      this.#requireName();
      await this.#rebalance(false);
      return this.#generation();
    });
  }

  /** A member's instance name: the one it declared, else its clientId. */
  #instanceNameOf(clientId: string): string {
    const row = this.sql
      .exec<{ instance_name: string | null }>('SELECT instance_name FROM cg_member WHERE client_id = ?', clientId)
      .toArray()[0];
    return row?.instance_name ?? clientId;
  }

  /** 30 s, or sooner while a topic the member subscribes to has no queues (see {@link topicWaitHeartbeatMs}). */
  #heartbeatIntervalOf(clientId: string): number {
    const member = this.sql.exec<MemberRow>('SELECT * FROM cg_member WHERE client_id = ?', clientId).toArray()[0];
    if (!member) return BROKER_HEARTBEAT_MS;
    const missing = (JSON.parse(member.subscriptions) as Subscription[]).filter(
      (s) => (this.#knownQueues(s.topic) ?? []).length === 0,
    );
    if (missing.length === 0) return BROKER_HEARTBEAT_MS;
    const since = Math.max(...missing.map((s) => this.#subscribedAt(instanceOf(member), s.topic)));
    return topicWaitHeartbeatMs(Date.now() - since);
  }

  #assignmentOf(clientId: string): Assignment {
    const config = this.#config();
    return {
      group: this.#requireName(),
      clientId,
      instanceName: this.#instanceNameOf(clientId),
      generation: this.#generation(),
      messageModel: config.messageModel,
      consumeOrderly: config.consumeOrderly,
      maxReconsumeTimes: config.maxReconsumeTimes,
      heartbeatIntervalMs: this.#heartbeatIntervalOf(clientId),
      queues: this.sql
        .exec<AssignmentRow>(
          'SELECT * FROM cg_assignment WHERE client_id = ? ORDER BY topic, broker_name, queue_id',
          clientId,
        )
        .toArray()
        .map(toQueue),
    };
  }

  #requireMember(clientId: string): void {
    const member = this.sql.exec<MemberRow>('SELECT * FROM cg_member WHERE client_id = ?', clientId).toArray()[0];
    if (!member || member.last_heartbeat < Date.now() - BROKER_EXPIRY_MS) {
      throw new FlareError(
        'MEMBER_NOT_FOUND',
        `${clientId} is not a live member of group ${this.#requireName()}; send a heartbeat first`,
      );
    }
  }

  /** For a member's pull: the queue must be assigned to it. Answers its expression and what the pull needs. */
  checkQueue(clientId: string, topic: string, brokerName: string, queueId: number): Outcome<QueueView> {
    return answer(() => {
      this.#requireName();
      this.#requireMember(clientId);
      const row = this.sql
        .exec<AssignmentRow>(
          'SELECT * FROM cg_assignment WHERE client_id = ? AND topic = ? AND broker_name = ? AND queue_id = ?',
          clientId,
          topic,
          brokerName,
          queueId,
        )
        .toArray()[0];
      if (!row) {
        throw new FlareError(
          'QUEUE_NOT_ASSIGNED',
          `queue ${topic}/${brokerName}/${queueId} is not assigned to ${clientId} in generation ${this.#generation()}; heartbeat to get the current assignment`,
        );
      }
      const view = this.#view();
      const instanceName = this.#instanceNameOf(clientId);
      const owner = view.config.messageModel === 'BROADCASTING' ? instanceName : GROUP_OWNER;
      return {
        ...view,
        resetGeneration: this.#resetGeneration(topic),
        expression: row.expression,
        subscribedAt: this.#subscribedAt(owner, topic),
        instanceName,
      };
    });
  }

  /** For a member's commit on `topic`: the member must be alive. */
  member(clientId: string, topic: string): Outcome<TopicView> {
    return answer(() => {
      this.#requireName();
      this.#requireMember(clientId);
      return {
        ...this.#view(),
        resetGeneration: this.#resetGeneration(topic),
        instanceName: this.#instanceNameOf(clientId),
      };
    });
  }

  /**
   * The instances whose broadcasting offsets are in use: the live members'
   * instance names while the group is in BROADCASTING; none otherwise (a
   * group that never existed, or one now in CLUSTERING). A queue's alarm
   * keeps these instances' offsets however old their last commit
   * (queue/broadcast-offsets.ts).
   */
  liveInstances(): Outcome<string[]> {
    return answer(() => {
      if (!this.#name() || this.#config().messageModel !== 'BROADCASTING') return [];
      const live = this.#members().filter((m) => m.last_heartbeat >= Date.now() - BROKER_EXPIRY_MS);
      return [...new Set(live.map(instanceOf))];
    });
  }

  view(): Outcome<MemberView> {
    return answer(() => this.#view());
  }

  #view(): MemberView {
    this.#requireName();
    return { config: this.#config(), generation: this.#generation() };
  }

  /**
   * For a pop: creates the group (default config) on its first pop, and records the first
   * time it popped `topic` as its subscription (where CONSUME_FROM_LAST_OFFSET starts).
   */
  popView(group: string, topic: string): Promise<Outcome<MemberView & { subscribedAt: number }>> {
    return answer(async () => {
      await this.#ensureGroup(group);
      this.sql.exec(
        'INSERT INTO cg_subscribed (owner, topic, since) VALUES (?, ?, ?) ON CONFLICT (owner, topic) DO NOTHING',
        GROUP_OWNER,
        topic,
        Date.now(),
      );
      return { ...this.#view(), subscribedAt: this.#subscribedAt(GROUP_OWNER, topic) };
    });
  }

  /**
   * The last step of an offset reset or skip of `topic` (routes/groups.ts), once every queue
   * object refuses commits older than `generation`: publishes `generation` as the group's
   * generation and the topic's reset generation, so that members learn it only now. Refused
   * (false) unless the group is still at `generation - 1`: a rebalance in between handed out a
   * generation a member may have read old offsets with, and the reset must be done again.
   */
  publishOffsetsReset(topic: string, generation: number): Outcome<boolean> {
    return answer(() => {
      this.#requireName();
      if (this.#generation() !== generation - 1) return false;
      this.ctx.storage.transactionSync(() => {
        this.meta.set('generation', generation);
        this.meta.set(`reset_generation:${topic}`, generation);
      });
      return true;
    });
  }

  status(): Outcome<GroupStatus> {
    return answer(() => this.#status());
  }

  #status(): GroupStatus {
    const group = this.#requireName();
    const assignments = this.sql
      .exec<AssignmentRow>('SELECT * FROM cg_assignment ORDER BY topic, broker_name, queue_id')
      .toArray();
    return {
      group,
      config: this.#config(),
      generation: this.#generation(),
      members: this.#members().map((m) => ({
        clientId: m.client_id,
        instanceName: instanceOf(m),
        subscriptions: JSON.parse(m.subscriptions) as Subscription[],
        lastHeartbeat: m.last_heartbeat,
        joinedAt: m.joined_at,
        queues: assignments.filter((a) => a.client_id === m.client_id).map(toQueue),
      })),
      topics: this.sql
        .exec<{ topic: string }>('SELECT topic FROM cg_topic ORDER BY topic')
        .toArray()
        .map((r) => r.topic),
    };
  }
}
