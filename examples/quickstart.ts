// Quick start: create a topic, send three messages, consume them with a push consumer.
import { client, until } from './shared.ts';

const topic = 'QuickstartTopic';
await client.admin().topics.create(topic, { queueNums: 2 });

const producer = client.producer();
for (const body of ['hello', 'flaremq', 'on workerd']) {
  const r = await producer.send(topic, { body, tags: 'TagA', keys: ['quickstart'] });
  console.log(`sent ${JSON.stringify(body)} -> ${r.brokerName}/${r.queueId} offset ${r.queueOffset}`);
}

// A group that has never committed starts at the first message here.
const consumer = client.pushConsumer({ group: 'GID_quickstart', consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET' });
let received = 0;
await consumer.subscribe(topic, 'TagA').run({
  eachMessage: async (m) => {
    received++;
    console.log(
      `received ${JSON.stringify(m.text())} (${m.queue.brokerName}/${m.queue.queueId} offset ${m.queueOffset})`,
    );
  },
});
await until(() => received >= 3);
await consumer.stop(); // commits what it processed, releases its queues, leaves the group
console.log('done');
