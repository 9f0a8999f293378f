// Consuming as an async iterator with explicit ack; then another group reads the same topic
// with a pull consumer, poll() and commit().
import { client } from './shared.ts';

const topic = 'IteratorTopic';
await client.producer().sendBatch(topic, ['one', 'two', 'three']);

const consumer = client
  .pushConsumer({ group: 'GID_iterator', consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET' })
  .subscribe(topic);
let n = 0;
for await (const m of consumer) {
  console.log(`iterator: ${m.text()}`);
  m.ack(); // m.nack() would have it consumed again later
  if (++n === 3) break; // leaving the loop stops the consumer (commit, unlock, leave)
}

await client.producer().sendBatch(topic, ['four', 'five']);
const puller = client
  .pullConsumer({ group: 'GID_iterator_pull', consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET', autoCommit: false })
  .subscribe(topic);
await puller.start();
let polled = 0;
while (polled < 5) {
  const batch = await puller.poll({ maxMessages: 10, waitMs: 5_000 });
  for (const m of batch) console.log(`poll: ${m.text()}`);
  polled += batch.length;
  await puller.commit();
}
await puller.stop();
