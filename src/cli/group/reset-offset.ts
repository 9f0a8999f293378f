/** `flaremq group reset-offset <group> --to <time>`: every queue's offset to the first message stored at or after a time. */
import type { Command } from 'commander';
import { CliError, client, parseTime } from '../context';
import { moveOffsets } from './move';

export function register(noun: Command): void {
  noun
    .command('reset-offset')
    .description("move the group's offsets to a time (running members reload)")
    .argument('<group>')
    .option('-t, --topic <topic>', 'the topic (default: every topic the group consumes)')
    .requiredOption('--to <time>', 'ms, ISO date, 10m / 2h / 1d ago, or 0 for the beginning', parseTime)
    .action(async (group: string, opts: { topic?: string; to: number }, cmd: Command) => {
      if (!Number.isFinite(opts.to)) throw new CliError('--to is not a time');
      const admin = client(cmd).admin();
      await moveOffsets(cmd, admin, group, opts.topic, (topic) => admin.groups.resetOffsets(group, topic, opts.to));
    });
}
