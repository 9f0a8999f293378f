/** `flaremq group list`: every consumer group. */
import type { Command } from 'commander';
import { client, output } from '../context';
import { table } from '../output';

export function register(noun: Command): void {
  noun
    .command('list')
    .description('list consumer groups')
    .action(async (_opts, cmd: Command) => {
      const groups = await client(cmd).admin().groups.list();
      output(cmd, groups, () =>
        table(
          ['GROUP'],
          groups.map((g) => [g]),
        ),
      );
    });
}
