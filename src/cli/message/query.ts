/**
 * `flaremq message query <topic>`: messages by key, by unique key, or by
 * store-time range. A time range is read queue by queue: the offset of
 * --begin (searchOffset), then pulls until --end or --max.
 */
import type { Command } from 'commander';
import type { Admin, Message } from '../../sdk/index';
import { CliError, client, int, output, parseTime } from '../context';
import { progress } from '../output';
import { messageJson, printMessages } from './print';

interface QueryOptions {
  key?: string;
  uniqueKey?: string;
  begin?: number;
  end?: number;
  max: number;
}

export function register(noun: Command): void {
  noun
    .command('query')
    .description('find messages of a topic by --key, by --unique-key, or by store time (--begin, --end)')
    .argument('<topic>')
    .option('-k, --key <key>', 'a key the messages were sent with')
    .option('-u, --unique-key <uniqueKey>', "a send's unique key (every stored copy)")
    .option('--begin <time>', 'earliest store time: ms, ISO date, or 10m / 2h / 1d ago', parseTime)
    .option('--end <time>', 'latest store time (default: now)', parseTime)
    .option('-m, --max <n>', 'most messages to show', int('--max', 1), 64)
    .action(async (topic: string, opts: QueryOptions, cmd: Command) => {
      const admin = client(cmd).admin();
      let found: Message[];
      if (opts.key !== undefined) {
        found = await admin.messages.byKey(topic, opts.key, {
          begin: opts.begin,
          end: opts.end,
          maxMessages: Math.min(opts.max, 64),
        });
      } else if (opts.uniqueKey !== undefined) {
        found = await admin.messages.byUniqueKey(topic, opts.uniqueKey, { maxMessages: Math.min(opts.max, 64) });
      } else if (opts.begin !== undefined) {
        found = await byTime(admin, topic, opts.begin, opts.end ?? Date.now(), opts.max);
      } else {
        throw new CliError('give --key, --unique-key or --begin');
      }
      output(cmd, found.map(messageJson), () => printMessages(found));
    });
}

async function byTime(admin: Admin, topic: string, begin: number, end: number, max: number): Promise<Message[]> {
  const { queues } = await admin.topics.status(topic);
  const found: Message[] = [];
  const bar = progress(queues.length, 'queues');
  try {
    for (const q of queues) {
      let offset = await admin.topics.searchOffset(topic, q, begin);
      while (offset < q.maxOffset && found.length < max) {
        const page = await admin.topics.pull(topic, q, { offset, maxMessages: 32 });
        const inRange = page.messages.filter((m) => m.storeTimestamp >= begin && m.storeTimestamp <= end);
        found.push(...inRange);
        if (page.messages.length === 0 || page.messages.some((m) => m.storeTimestamp > end)) break;
        offset = page.nextBeginOffset;
      }
      bar.increment();
      if (found.length >= max) break;
    }
  } finally {
    bar.stop();
  }
  return found.sort((a, b) => a.storeTimestamp - b.storeTimestamp).slice(0, max);
}
