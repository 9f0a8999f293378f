/** `flaremq topic list`: every topic some live broker group hosts. */
import type { Command } from 'commander';
import { client, output } from '../context';
import { table } from '../output';

export function register(noun: Command): void {
  noun
    .command('list')
    .description('list topics')
    .option('-a, --all', 'include retry and DLQ topics (%RETRY%… and %DLQ%…)')
    .action(async (opts: { all?: boolean }, cmd: Command) => {
      const topics = (await client(cmd).admin().topics.list()).filter((t) => opts.all || !t.startsWith('%'));
      output(cmd, topics, () =>
        table(
          ['TOPIC'],
          topics.map((t) => [t]),
        ),
      );
    });
}
