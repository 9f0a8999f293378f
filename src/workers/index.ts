import { app } from './app';

export { Broker } from '../durable-objects/broker';
export { ConsumerGroup } from '../durable-objects/consumer-group';
export { MessageQueue } from '../durable-objects/queue/message-queue';
export { NameServer } from '../durable-objects/name-server';
export { ProducerGroup } from '../durable-objects/producer-group';
export { ReplayGuard } from '../durable-objects/replay-guard';

export default app;
