// Delayed and timer messages: by delay level, by delay in ms, at a time; and cancelling one.
import { client, until } from './shared.ts';

const topic = 'DelayedTopic';
const producer = client.producer();
const admin = client.admin();

const byLevel = await producer.send(topic, 'level 2: five seconds later', { delayLevel: 2 });
const byMs = await producer.send(topic, 'three seconds later', { delayMs: 3_000 });
const cancelled = await producer.send(topic, 'never delivered', { deliverAt: new Date(Date.now() + 60_000) });
for (const r of [byLevel, byMs, cancelled])
  console.log(`held until ${new Date(r.deliverAt).toISOString()}: timer ${r.timerHandle}`);
console.log('pending:', (await admin.timers.get(cancelled.timerHandle)).text());
await admin.timers.cancel(cancelled.timerHandle);
console.log('cancelled the third one');

const sentAt = Date.now();
const consumer = client.pushConsumer({ group: 'GID_delayed' }); // new messages only: the delayed ones get their offsets when due
let received = 0;
await consumer.subscribe(topic).run({
  eachMessage: (m) => {
    received++;
    console.log(`after ${((Date.now() - sentAt) / 1000).toFixed(1)} s: ${m.text()}`);
  },
});
await until(() => received >= 2);
await consumer.stop();
