import { DurableObject } from 'cloudflare:workers';
import { allocate } from '../core/allocation';
import { FlareError } from '../core/errors';
import {
  conflictingFields,
  defaultGroupConfig,
  retryTopic,
  type GroupConfig,
  type Subscription,
} from '../core/group-config';
import type { QueueRef } from '../core/queue-selector';
import { BROKER_EXPIRY_MS, BROKER_HEARTBEAT_MS } from '../core/timing';
import type { Env } from '../env';
import { readableQueuesOf, toAllNameServers } from './name-server-client';
import { MetaTable, migrate } from './schema';

/** A queue assigned to a member, with the member's tag expression for its topic. */
export interface AssignedQueue extends QueueRef {
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
  heartbeatIntervalMs: number;
  queues: AssignedQueue[];
}

/** What a member pull or commit needs to know about the group (and, for a member, its instance name). */
export interface MemberView {
  config: GroupConfig;
  generation: number;
  /** The generation at the last offset reset or skip; commits made for an older generation are refused. */
  resetGeneration: number;
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
];

type MemberRow = { client_id: string; subscriptions: string; last_heartbeat: number; joined_at: number; instance_name: string | null };
type AssignmentRow = { client_id: string; topic: string; broker_name: string; queue_id: number; expression: string };

/** A member's instance name: the one it declared, else its clientId. */
const instanceOf = (m: MemberRow): string => m.instance_name ?? m.client_id;

const toQueue = (r: AssignmentRow): AssignedQueue => ({ topic: r.topic, brokerName: r.broker_name, queueId: r.queue_id, expression: r.expression });

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

  private name(): string | null {
    const name = this.meta.get('name');
    return typeof name === 'string' ? name : null;
  }

  private requireName(): string {
    const name = this.name();
    if (!name) throw new FlareError('GROUP_NOT_EXIST', 'this consumer group has never had a member or a config');
    return name;
  }

  private config(): GroupConfig {
    const raw = this.meta.get('config');
    return typeof raw === 'string' ? (JSON.parse(raw) as GroupConfig) : defaultGroupConfig();
  }

  private generation(): number {
    return Number(this.meta.get('generation') ?? 0);
  }

  /** Creates the group on first use and lists it with the NameServers. */
  private async ensureGroup(group: string): Promise<void> {
    if (this.name() === group && this.meta.get('registered') === 1) return;
    if (!this.name()) {
      this.meta.set('name', group);
      this.meta.set('config', JSON.stringify(defaultGroupConfig()));
      this.meta.set('generation', 0);
      this.meta.set('reset_generation', 0);
    }
    if (await toAllNameServers(this.env, (ns) => ns.registerGroup(group))) this.meta.set('registered', 1);
  }

  /** Sets config fields (admin); any change is a new generation (members reload what they need). */
  async configure(group: string, patch: Partial<GroupConfig>): Promise<GroupStatus> {
    await this.ensureGroup(group);
    const changed = conflictingFields(this.config(), patch);
    if (changed.length > 0) {
      this.meta.set('config', JSON.stringify({ ...this.config(), ...patch }));
      await this.rebalance(true);
    }
    return this.status();
  }

  /**
   * A member's heartbeat: records it alive with its subscriptions, applies its
   * config when no other member disagrees, and rebalances if anything that
   * decides the assignment changed. Answers the member's assignment.
   */
  async heartbeat(group: string, clientId: string, subscriptions: Subscription[], patch: Partial<GroupConfig>, instanceName?: string): Promise<Assignment> {
    await this.ensureGroup(group);
    const now = Date.now();
    let changed = this.expireMembers(now).length > 0;
    const others = this.members().filter((m) => m.client_id !== clientId);
    const conflicts = conflictingFields(this.config(), patch);
    if (conflicts.length > 0) {
      if (others.length > 0) {
        throw new FlareError(
          'GROUP_CONFIG_CONFLICT',
          `group ${group} has ${conflicts.map((k) => `${k}=${JSON.stringify(this.config()[k])}`).join(', ')} and ${others.length} other live member(s); use the same settings or change the group with PUT /api/v1/groups/${group}`,
        );
      }
      this.meta.set('config', JSON.stringify({ ...this.config(), ...patch }));
      changed = true;
    }
    const previous = this.sql.exec<MemberRow>('SELECT * FROM cg_member WHERE client_id = ?', clientId).toArray()[0];
    const subs = JSON.stringify(subscriptions);
    if (!previous || previous.subscriptions !== subs) changed = true;
    const instance = instanceName ?? null;
    if (!previous && instance !== null && this.config().messageModel === 'BROADCASTING') {
      const twin = others.find((m) => instanceOf(m) === instance);
      if (twin) {
        console.warn(
          `consumer group ${group}: members ${twin.client_id} and ${clientId} are both instance ${instance}: in BROADCASTING they share its offsets; give each process its own instanceName`,
        );
      }
    }
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
    await this.rebalance(changed);
    await this.armExpiry();
    return this.assignmentOf(clientId);
  }

  /** A member leaves at once; its queues go to the others. Answers the queues it had, so their locks can be released. */
  async leave(clientId: string): Promise<{ removed: boolean; queues: AssignedQueue[] }> {
    this.requireName();
    const queues = this.assignmentOf(clientId).queues;
    const removed = this.sql.exec('DELETE FROM cg_member WHERE client_id = ?', clientId).rowsWritten > 0;
    if (removed) await this.rebalance(true);
    return { removed, queues };
  }

  /** The expiry scan: drop members silent for 120 s, rebalance, and look again when the next one could expire. */
  override async alarm(): Promise<void> {
    if (!this.name()) return;
    if (this.expireMembers(Date.now()).length > 0) await this.rebalance(true);
    await this.armExpiry();
  }

  private expireMembers(now: number): string[] {
    const expired = this.sql
      .exec<{ client_id: string }>('SELECT client_id FROM cg_member WHERE last_heartbeat < ?', now - BROKER_EXPIRY_MS)
      .toArray()
      .map((r) => r.client_id);
    for (const id of expired) this.sql.exec('DELETE FROM cg_member WHERE client_id = ?', id);
    for (const id of expired) console.warn(`consumer group ${this.name()}: member ${id} silent for ${BROKER_EXPIRY_MS / 1000} s, dropped`);
    return expired;
  }

  private async armExpiry(): Promise<void> {
    const oldest = this.sql.exec<{ t: number | null }>('SELECT MIN(last_heartbeat) AS t FROM cg_member').one().t;
    if (oldest === null) await this.ctx.storage.deleteAlarm();
    else await this.ctx.storage.setAlarm(oldest + BROKER_EXPIRY_MS + 1);
  }

  private members(): MemberRow[] {
    return this.sql.exec<MemberRow>('SELECT * FROM cg_member ORDER BY client_id').toArray();
  }

  /** The topics whose queues the group divides: members' subscriptions, plus the retry topic in clustering. */
  private wantedTopics(members: MemberRow[]): Map<string, Map<string, string>> {
    const byTopic = new Map<string, Map<string, string>>();
    const add = (topic: string, clientId: string, expression: string) => {
      if (!byTopic.has(topic)) byTopic.set(topic, new Map());
      byTopic.get(topic)!.set(clientId, expression);
    };
    const clustering = this.config().messageModel === 'CLUSTERING';
    for (const m of members) {
      for (const s of JSON.parse(m.subscriptions) as Subscription[]) add(s.topic, m.client_id, s.expression);
      if (clustering) add(retryTopic(this.requireName()), m.client_id, '*');
    }
    return byTopic;
  }

  /**
   * Reads the routes of the wanted topics; when `force` or any queue set
   * changed, recomputes the assignment, and bumps the generation if it differs.
   */
  private async rebalance(force: boolean): Promise<void> {
    let changed = force;
    for (const topic of this.wantedTopics(this.members()).keys()) {
      let queues: QueueRef[];
      try {
        queues = await readableQueuesOf(this.env, topic);
      } catch (err) {
        if (!this.knownQueues(topic)) throw err;
        continue; // NameServers unreachable: keep what we knew
      }
      const json = JSON.stringify(queues);
      if (JSON.stringify(this.knownQueues(topic)) !== json) {
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
    if (changed) this.assign(force);
  }

  private knownQueues(topic: string): QueueRef[] | null {
    const row = this.sql.exec<{ queues: string }>('SELECT queues FROM cg_topic WHERE topic = ?', topic).toArray()[0];
    return row ? (JSON.parse(row.queues) as QueueRef[]) : null;
  }

  /** Computes every member's queues; writes them, with a new generation, if they differ (or when forced). */
  private assign(force: boolean): void {
    const config = this.config();
    const rows: AssignmentRow[] = [];
    for (const [topic, subscribers] of this.wantedTopics(this.members())) {
      const queues = this.knownQueues(topic) ?? [];
      const owners =
        config.messageModel === 'BROADCASTING'
          ? new Map([...subscribers.keys()].map((id) => [id, queues]))
          : allocate(config.allocateStrategy, queues, [...subscribers.keys()]);
      for (const [clientId, owned] of owners) {
        for (const q of owned) rows.push({ client_id: clientId, topic, broker_name: q.brokerName, queue_id: q.queueId, expression: subscribers.get(clientId)! });
      }
    }
    const key = (r: AssignmentRow) => `${r.client_id}|${r.topic}|${r.broker_name}|${r.queue_id}|${r.expression}`;
    const before = JSON.stringify(this.sql.exec<AssignmentRow>('SELECT * FROM cg_assignment').toArray().map(key).sort());
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
      this.meta.set('generation', this.generation() + 1);
    });
  }

  /** Re-reads the routes (a topic was created or changed) and rebalances if its queues changed. */
  async refresh(): Promise<number> {
    this.requireName();
    await this.rebalance(false);
    return this.generation();
  }

  /** A member's instance name: the one it declared, else its clientId. */
  private instanceNameOf(clientId: string): string {
    const row = this.sql.exec<{ instance_name: string | null }>('SELECT instance_name FROM cg_member WHERE client_id = ?', clientId).toArray()[0];
    return row?.instance_name ?? clientId;
  }

  private assignmentOf(clientId: string): Assignment {
    const config = this.config();
    return {
      group: this.requireName(),
      clientId,
      instanceName: this.instanceNameOf(clientId),
      generation: this.generation(),
      messageModel: config.messageModel,
      consumeOrderly: config.consumeOrderly,
      maxReconsumeTimes: config.maxReconsumeTimes,
      heartbeatIntervalMs: BROKER_HEARTBEAT_MS,
      queues: this.sql
        .exec<AssignmentRow>('SELECT * FROM cg_assignment WHERE client_id = ? ORDER BY topic, broker_name, queue_id', clientId)
        .toArray()
        .map(toQueue),
    };
  }

  private requireMember(clientId: string): void {
    const member = this.sql.exec<MemberRow>('SELECT * FROM cg_member WHERE client_id = ?', clientId).toArray()[0];
    if (!member || member.last_heartbeat < Date.now() - BROKER_EXPIRY_MS) {
      throw new FlareError('MEMBER_NOT_FOUND', `${clientId} is not a live member of group ${this.requireName()}; send a heartbeat first`);
    }
  }

  /** For a member's pull: the queue must be assigned to it. Answers its expression and what the pull needs. */
  checkQueue(clientId: string, topic: string, brokerName: string, queueId: number): MemberView & { expression: string; instanceName: string } {
    this.requireName();
    this.requireMember(clientId);
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
        `queue ${topic}/${brokerName}/${queueId} is not assigned to ${clientId} in generation ${this.generation()}; heartbeat to get the current assignment`,
      );
    }
    return { ...this.view(), expression: row.expression, instanceName: this.instanceNameOf(clientId) };
  }

  /** For a member's commit: the member must be alive. */
  member(clientId: string): MemberView & { instanceName: string } {
    this.requireName();
    this.requireMember(clientId);
    return { ...this.view(), instanceName: this.instanceNameOf(clientId) };
  }

  /**
   * The instances whose broadcasting offsets are in use: the live members'
   * instance names while the group is in BROADCASTING; none otherwise (a
   * group that never existed, or one now in CLUSTERING). A queue's alarm
   * keeps these instances' offsets however old their last commit
   * (queue-broadcast-offsets.ts).
   */
  liveInstances(): string[] {
    if (!this.name() || this.config().messageModel !== 'BROADCASTING') return [];
    const live = this.members().filter((m) => m.last_heartbeat >= Date.now() - BROKER_EXPIRY_MS);
    return [...new Set(live.map(instanceOf))];
  }

  view(): MemberView {
    this.requireName();
    return { config: this.config(), generation: this.generation(), resetGeneration: Number(this.meta.get('reset_generation') ?? 0) };
  }

  /** After an offset reset or skip: a new generation, and commits for older ones are refused. */
  markOffsetsReset(): number {
    this.requireName();
    const generation = this.generation() + 1;
    this.meta.set('generation', generation);
    this.meta.set('reset_generation', generation);
    return generation;
  }

  status(): GroupStatus {
    const group = this.requireName();
    const assignments = this.sql.exec<AssignmentRow>('SELECT * FROM cg_assignment ORDER BY topic, broker_name, queue_id').toArray();
    return {
      group,
      config: this.config(),
      generation: this.generation(),
      members: this.members().map((m) => ({
        clientId: m.client_id,
        instanceName: instanceOf(m),
        subscriptions: JSON.parse(m.subscriptions) as Subscription[],
        lastHeartbeat: m.last_heartbeat,
        joinedAt: m.joined_at,
        queues: assignments.filter((a) => a.client_id === m.client_id).map(toQueue),
      })),
      topics: this.sql.exec<{ topic: string }>('SELECT topic FROM cg_topic ORDER BY topic').toArray().map((r) => r.topic),
    };
  }
}
