/** `flaremq topic status <topic>`: min and max offset of every queue. */
import type { Command } from 'commander';
import { client, output, time } from '../context';
import { table } from '../output';

export function register(noun: Command): void {
  noun
    .command('status')
    .description("min and max offset and last update of each of the topic's queues")
    .argument('<topic>')
    .action(async (topic: string, _opts, cmd: Command) => {
      const status = await client(cmd).admin().topics.status(topic);
      output(cmd, status, () => {
        table(
          ['BROKER', 'QUEUE', 'MIN OFFSET', 'MAX OFFSET', 'LAST UPDATE'],
          status.queues.map((q) => [q.brokerName, q.queueId, q.minOffset, q.maxOffset, time(q.lastUpdateTimestamp)]),
        );
        const total = status.queues.reduce((s, q) => s + q.maxOffset - q.minOffset, 0);
        process.stdout.write(`${status.queues.length} queues, ${total} messages stored\n`);
      });
    });
}
