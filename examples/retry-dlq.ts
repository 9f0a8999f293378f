// Retry and dead letters: a message whose handler keeps failing is consumed again through
// the group's retry topic, then lands in the group's dead-letter queue; the admin resends it.
import { ReconsumeLater, type Message } from '../packages/sdk/dist/index.js';
import { client, until } from './shared.ts';

const topic = 'RetryTopic';
const group = 'GID_retry_dlq';
const admin = client.admin();
const body = `cannot be processed yet (${new Date().toISOString()})`;

let fixed = false;
let consumed = false;
const consumer = client.pushConsumer({ group, maxReconsumeTimes: 2 });
await consumer.subscribe(topic).run({
  eachMessage: (m) => {
    if (m.text() !== body) return; // left over from an earlier run
    if (!fixed) {
      console.log(`attempt ${m.reconsumeTimes + 1} fails (delivered from ${m.queue.topic})`);
      throw new ReconsumeLater({ delayLevel: 1 }); // back in 1 s rather than the default 10 s, 30 s, ...
    }
    consumed = true; // printed below: the resent copy may arrive before resend() has answered
  },
});
await client.producer().send(topic, { body, tags: 'Poison' }); // after run(): a new group starts at the newest message

// On a fresh server this takes a few seconds: the group's retry topic was created when the consumer
// joined; RetryTopic is created by the send above, and the consumer, told to heartbeat every 2 s while
// a topic it subscribes to has no queues, sees them at its next heartbeat.
let dead: Message | undefined;
const deadline = Date.now() + 60_000;
while (!dead && Date.now() < deadline) {
  dead = (await admin.dlq.list(group)).messages.find((m) => m.text() === body);
  if (!dead) await new Promise((resolve) => setTimeout(resolve, 500));
}
if (!dead) throw new Error('the message did not reach the DLQ');
console.log(
  `in ${dead.queue.topic}: ${JSON.stringify(dead.text())} (sent to ${dead.topic}, failed ${dead.reconsumeTimes} times)`,
);

fixed = true;
const resent = await admin.dlq.resend(group, dead.msgId);
console.log(`resent to ${resent.topic} as ${resent.msgId}`);
await until(() => consumed);
console.log(`consumed ${JSON.stringify(body)} after its resend`);
await consumer.stop();
