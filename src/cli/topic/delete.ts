/** `flaremq topic delete <topic>`: deletes a topic with its messages and offsets. */
import type { Command } from 'commander';
import { client, output } from '../context';

export function register(noun: Command): void {
  noun
    .command('delete')
    .description('delete a topic with its messages and offsets')
    .argument('<topic>')
    .action(async (topic: string, _opts, cmd: Command) => {
      await client(cmd).admin().topics.delete(topic);
      output(cmd, { topic, deleted: true }, () => process.stdout.write(`deleted ${topic}\n`));
    });
}
