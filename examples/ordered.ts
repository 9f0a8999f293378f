// Ordered messages: every step of an order is sent with the order id as sharding key,
// so one order's messages share a queue; an orderly consumer sees them in order.
import { client, until } from './shared.ts';

const topic = 'OrderedTopic';
await client.admin().topics.create(topic, { queueNums: 4 });

const producer = client.producer();
const steps = ['created', 'paid', 'shipped', 'delivered'];
for (const step of steps) {
  for (const order of ['order-1', 'order-2', 'order-3']) {
    await producer.send(topic, { body: JSON.stringify({ order, step }), keys: order }, { shardingKey: order });
  }
}

const seen = new Map<string, string[]>();
let failedOnce = false;
const consumer = client.pushConsumer({
  group: 'GID_ordered',
  orderly: true,
  consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET',
  onError: (err, info) => console.log(`  (${info.kind} failed: ${(err as Error).message}; retried in place)`),
});
await consumer.subscribe(topic).run({
  eachMessage: async (m) => {
    const { order, step } = m.json<{ order: string; step: string }>();
    if (step === 'paid' && order === 'order-2' && !failedOnce) {
      failedOnce = true;
      throw new Error('payment service hiccup'); // retried in place after 1 s; order-2's "shipped" waits
    }
    seen.set(order, [...(seen.get(order) ?? []), step]);
    console.log(`${order}: ${step}`);
  },
});
await until(() => [...seen.values()].reduce((n, s) => n + s.length, 0) >= 12);
await consumer.stop();
for (const [order, got] of seen) console.log(order, got.join(' -> '));
