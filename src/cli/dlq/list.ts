/** `flaremq dlq list <group>`: the group's newest dead letters, and how many it holds. */
import type { Command } from 'commander';
import { client, int, output } from '../context';
import { messageJson, printMessages } from '../message/print';

export function register(noun: Command): void {
  noun
    .command('list')
    .description("a group's dead letters, newest first")
    .argument('<group>')
    .option('-m, --max <n>', 'most to list (1 to 1000)', int('--max', 1), 32)
    .action(async (group: string, opts: { max: number }, cmd: Command) => {
      const dlq = await client(cmd).admin().dlq.list(group, { maxMessages: opts.max });
      output(cmd, { ...dlq, messages: dlq.messages.map(messageJson) }, () => {
        printMessages(dlq.messages);
        process.stdout.write(`${dlq.total} dead letters in ${dlq.topic}\n`);
      });
    });
}
