// Transactional messages: a half message, the local transaction, then commit or rollback;
// an undecided one resolved by the producer group's transaction checker (check-back).
import { client, until } from './shared.ts';

const topic = 'TxOrders';
const producerGroup = 'PG_orders';
await client.admin().topics.create(topic, { queueNums: 2 });
const producer = client.producer();

// The "database" the local transactions write to, and the checker reads.
const paid = new Set<string>();

const committed = await producer.sendTransactional(
  topic,
  { body: 'order 1 paid', keys: ['order-1'] },
  () => {
    paid.add('order-1');
    return 'COMMIT';
  },
  { producerGroup },
);
console.log(
  `order-1: ${committed.localTransactionState} -> ${committed.committed?.brokerName}/${committed.committed?.queueId} offset ${committed.committed?.queueOffset}`,
);

const rolledBack = await producer.sendTransactional(
  topic,
  { body: 'order 2 paid', keys: ['order-2'] },
  () => 'ROLLBACK',
  { producerGroup },
);
console.log(`order-2: ${rolledBack.localTransactionState} (${rolledBack.rolledBack?.status})`);

// The local transaction commits in the database but cannot tell (a timeout): UNKNOWN. The broker
// checks it after checkImmunityMs (else the cluster's transaction timeout, 6 s).
const unknown = await producer.sendTransactional(
  topic,
  { body: 'order 3 paid', keys: ['order-3'] },
  async () => {
    paid.add('order-3');
    throw new Error('the database answered too late');
  },
  { producerGroup, checkImmunityMs: 2_000 },
);
console.log(
  `order-3: ${unknown.localTransactionState} (${String(unknown.localTransactionError)}); first check at ${new Date(unknown.half.checkAt).toISOString()}`,
);

// The check-back handler: long-polls the producer group's half messages due for a check.
let checked = 0;
const checker = client.transactionChecker({
  producerGroup,
  topic,
  check: (half) => {
    checked++;
    const order = half.keys[0];
    console.log(`check ${half.checkTimes} of ${order}: ${paid.has(order) ? 'COMMIT' : 'ROLLBACK'}`);
    return paid.has(order) ? 'COMMIT' : 'ROLLBACK';
  },
});
checker.start();
await until(() => checked >= 1);
await checker.stop();

// A consumer sees the committed orders only.
await client.admin().groups.configure('GID_tx_orders', { consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET' });
const consumer = client.simpleConsumer({ group: 'GID_tx_orders', topic, waitMs: 2_000 });
for (let got = await consumer.receive(); got.length > 0; got = await consumer.receive()) {
  for (const m of got) console.log(`consumed ${JSON.stringify(m.text())}`);
  await consumer.ack(got);
}
const group = await client.admin().producerGroups.get(producerGroup);
console.log(`producer group ${group.group}: check URL ${group.checkUrl ?? 'none'}, ${group.discardedTotal} discarded`);
