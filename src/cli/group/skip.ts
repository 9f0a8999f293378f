/** `flaremq group skip <group>`: every queue's offset to its max offset (drops the backlog). */
import type { Command } from 'commander';
import { client } from '../context';
import { moveOffsets } from './move';

export function register(noun: Command): void {
  noun
    .command('skip')
    .description("skip the group's backlog: offsets to each queue's max offset (running members reload)")
    .argument('<group>')
    .option('-t, --topic <topic>', 'the topic (default: every topic the group consumes)')
    .action(async (group: string, opts: { topic?: string }, cmd: Command) => {
      const admin = client(cmd).admin();
      await moveOffsets(cmd, admin, group, opts.topic, (topic) => admin.groups.skipBacklog(group, topic));
    });
}
