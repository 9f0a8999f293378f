/** `flaremq dlq resend <group> [msgId...]`: sends dead letters back to their group, through its retry topic (--all: every listed one). */
import type { Command } from 'commander';
import type { ResendResult } from '../../sdk/index';
import { CliError, client, int, output } from '../context';
import { progress, table } from '../output';

export function register(noun: Command): void {
  noun
    .command('resend')
    .description('send dead letters back to their group (only) as new messages, through its retry topic %RETRY%<group>')
    .argument('<group>')
    .argument('[msgIds...]', 'the dead letters (msgIds from dlq list)')
    .option('--all', 'resend the newest dead letters (up to --max)')
    .option('-m, --max <n>', 'with --all, how many (1 to 1000)', int('--max', 1), 1000)
    .action(async (group: string, msgIds: string[], opts: { all?: boolean; max: number }, cmd: Command) => {
      const admin = client(cmd).admin();
      const ids = opts.all
        ? (await admin.dlq.list(group, { maxMessages: opts.max })).messages.map((m) => m.msgId)
        : msgIds;
      if (ids.length === 0) throw new CliError(opts.all ? `no dead letters in group ${group}` : 'give msgIds or --all');
      const results: ResendResult[] = [];
      const bar = progress(ids.length, 'resending');
      try {
        for (const id of ids) {
          results.push(await admin.dlq.resend(group, id));
          bar.increment();
        }
      } finally {
        bar.stop();
      }
      output(cmd, results, () =>
        table(
          ['RESENT FROM', 'NEW MSG ID', 'TOPIC', 'QUEUE', 'OFFSET'],
          results.map((r) => [r.resentFrom, r.msgId, r.topic, `${r.brokerName}/${r.queueId}`, r.queueOffset]),
        ),
      );
    });
}
