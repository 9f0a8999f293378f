import type { AccountVars } from './core/accounts';
import type { ClusterVars } from './core/config';
import type { Broker } from './durable-objects/broker';
import type { ConsumerGroup } from './durable-objects/consumer-group';
import type { MessageQueue } from './durable-objects/queue/message-queue';
import type { NameServer } from './durable-objects/name-server';
import type { ProducerGroup } from './durable-objects/producer-group';
import type { ReplayGuard } from './durable-objects/replay-guard';

/** The Worker's and the Durable Objects' bindings (see wrangler.toml). */
export interface Env extends ClusterVars, AccountVars {
  NAME_SERVER: DurableObjectNamespace<NameServer>;
  BROKER: DurableObjectNamespace<Broker>;
  MESSAGE_QUEUE: DurableObjectNamespace<MessageQueue>;
  CONSUMER_GROUP: DurableObjectNamespace<ConsumerGroup>;
  PRODUCER_GROUP: DurableObjectNamespace<ProducerGroup>;
  REPLAY_GUARD: DurableObjectNamespace<ReplayGuard>;
}
