// Pop consumption (RocketMQ 5's SimpleConsumer): receive, ack, redelivery after the invisible
// time, changeInvisibleDuration, and ordered pop by sharding key.
import { client } from './shared.ts';

const topic = 'PopTopic';
const admin = client.admin();
await admin.topics.create(topic, { queueNums: 2 });
// A pop group is created on its first receive, at the last offset; set it to read from the first.
await admin.groups.configure('GID_pop', { consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET' });

const producer = client.producer();
for (const body of ['job 1', 'job 2', 'slow job', 'flaky job']) await producer.send(topic, { body, tags: 'Job' });

const consumer = client.simpleConsumer({
  group: 'GID_pop',
  topic,
  expression: 'Job',
  invisibleMs: 10_000,
  waitMs: 5_000,
});
let handled = 0;
while (handled < 4) {
  for (const m of await consumer.receive()) {
    const what = `${JSON.stringify(m.text())} (${m.queue.brokerName}/${m.queue.queueId} offset ${m.queueOffset}, reconsumeTimes ${m.reconsumeTimes})`;
    if (m.text() === 'slow job') {
      await m.changeInvisibleDuration(60_000); // needs longer: a new receipt handle, invisible a minute from now
      console.log(`received ${what}: asked for a minute more, until ${new Date(m.invisibleUntil).toISOString()}`);
    } else if (m.text() === 'flaky job' && m.reconsumeTimes === 0) {
      console.log(`received ${what}: not acked, it comes back after its invisible time (10 s)`);
      continue;
    }
    await m.ack();
    handled++;
    console.log(`acked ${what}`);
  }
}

// Ordered pop: a sharding key's next message waits until the one before it is acked.
await admin.groups.configure('GID_pop_orderly', { consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET' });
for (const step of ['created', 'paid', 'shipped']) {
  for (const order of ['order-1', 'order-2'])
    await producer.send(topic, { body: `${order} ${step}`, tags: 'Order' }, { shardingKey: order });
}
const orderly = client.simpleConsumer({
  group: 'GID_pop_orderly',
  topic,
  expression: 'Order',
  orderly: true,
  waitMs: 2_000,
});
for (let round = 1; ; round++) {
  const messages = await orderly.receive();
  if (messages.length === 0) break;
  console.log(`orderly receive ${round}: ${messages.map((m) => m.text()).join(', ')}`);
  await orderly.ack(messages); // one ack call for the batch
}
console.log('done');
