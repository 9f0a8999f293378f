// Broadcasting: every member of the group gets every message (each keeps its own offsets).
import { client, until } from './shared.ts';

const topic = 'BroadcastTopic';
const group = 'GID_broadcast_example';
await client.admin().topics.create(topic, { queueNums: 2 });

const members = ['cache-1', 'cache-2', 'cache-3'];
const received = new Map(members.map((m) => [m, 0]));
const consumers = [];
for (const name of members) {
  const consumer = client.pushConsumer({ group, clientId: `${name}@example`, messageModel: 'BROADCASTING' });
  await consumer.subscribe(topic).run({
    eachMessage: (m) => {
      received.set(name, received.get(name)! + 1);
      console.log(`${name} got ${m.text()}`);
    },
  });
  consumers.push(consumer);
}

const producer = client.producer();
for (let i = 1; i <= 3; i++) await producer.send(topic, `invalidate key-${i}`);
await until(() => [...received.values()].every((n) => n >= 3));
await Promise.all(consumers.map((c) => c.stop()));
console.log(Object.fromEntries(received));
