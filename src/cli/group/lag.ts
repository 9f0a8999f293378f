/** `flaremq group lag <group>`: committed offset, max offset and lag of every queue, and the total. */
import type { Command } from 'commander';
import { client, output } from '../context';
import { table } from '../output';

export function register(noun: Command): void {
  noun
    .command('lag')
    .description("a group's lag per queue of every topic it consumes, and in total")
    .argument('<group>')
    .action(async (group: string, _opts, cmd: Command) => {
      const lag = await client(cmd).admin().groups.lag(group);
      output(cmd, lag, () => {
        table(
          ['TOPIC', 'BROKER', 'QUEUE', 'CLIENT', 'OFFSET', 'MIN', 'MAX', 'LAG'],
          lag.queues.map((q) => [
            q.topic,
            q.brokerName,
            q.queueId,
            q.clientId,
            q.offset,
            q.minOffset,
            q.maxOffset,
            q.lag,
          ]),
        );
        process.stdout.write(`total lag ${lag.totalLag}\n`);
      });
    });
}
