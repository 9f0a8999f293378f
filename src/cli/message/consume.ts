/**
 * `flaremq message consume <topic>`: prints messages as they arrive. With
 * --group it consumes as a member of that consumer group (and acks); without,
 * it reads every queue from its end (or --from-beginning) outside any group.
 */
import type { Command } from 'commander';
import type { Admin, Message, QueueStatus } from '../../sdk/index';
import { client, globals, int } from '../context';
import { messageJson } from './print';

interface ConsumeOptions {
  group?: string;
  tags: string;
  fromBeginning?: boolean;
  count?: number;
  idle?: number;
}

export function register(noun: Command): void {
  noun
    .command('consume')
    .description('print messages of a topic as they arrive (Ctrl-C to stop)')
    .argument('<topic>')
    .option('-g, --group <group>', 'consume as a member of this consumer group (offsets committed)')
    .option('-t, --tags <expression>', "tag expression, e.g. 'TagA || TagB'", '*')
    .option(
      '--from-beginning',
      "start at each queue's min offset, not its end (with --group: for a new group, CONSUME_FROM_FIRST_OFFSET)",
    )
    .option('-n, --count <n>', 'stop after n messages', int('--count', 1))
    .option('--idle <ms>', 'stop after this long without a message', int('--idle', 1))
    .action(async (topic: string, opts: ConsumeOptions, cmd: Command) => {
      const json = globals(cmd).json;
      let seen = 0;
      const print = (m: Message) => {
        seen++;
        if (json) process.stdout.write(`${JSON.stringify(messageJson(m))}\n`);
        else
          process.stdout.write(
            `${m.msgId}  ${m.queue.brokerName}/${m.queue.queueId}@${m.queueOffset}  ${m.tags || '-'}  ${m.keys.join(' ') || '-'}  ${m.text()}\n`,
          );
      };
      const done = () => opts.count !== undefined && seen >= opts.count;
      const stop = new AbortController();
      process.once('SIGINT', () => stop.abort());
      let idleTimer: NodeJS.Timeout | undefined;
      const touch = () => {
        if (opts.idle === undefined) return;
        clearTimeout(idleTimer);
        idleTimer = setTimeout(() => stop.abort(), opts.idle);
      };
      touch();
      try {
        if (opts.group) {
          const consumer = client(cmd).pushConsumer({
            group: opts.group,
            ...(opts.fromBeginning ? { consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET' as const } : {}),
            onError: () => {},
          });
          stop.signal.addEventListener('abort', () => void consumer.stop());
          for await (const m of consumer.subscribe(topic, opts.tags)) {
            print(m);
            m.ack();
            touch();
            if (done()) break;
          }
          await consumer.stop();
        } else {
          await tail(client(cmd).admin(), topic, opts, stop.signal, (m) => {
            print(m);
            touch();
            if (done()) stop.abort();
          });
        }
      } finally {
        clearTimeout(idleTimer);
      }
    });
}

/** Long-polls every queue in turn from its end (or start) until aborted. */
async function tail(
  admin: Admin,
  topic: string,
  opts: ConsumeOptions,
  signal: AbortSignal,
  onMessage: (m: Message) => void,
): Promise<void> {
  const { queues } = await admin.topics.status(topic);
  const offsets = new Map<QueueStatus, number>(queues.map((q) => [q, opts.fromBeginning ? q.minOffset : q.maxOffset]));
  while (!signal.aborted) {
    let any = false;
    for (const q of queues) {
      if (signal.aborted) return;
      const page = await admin.topics.pull(topic, q, {
        offset: offsets.get(q) ?? 0,
        maxMessages: 32,
        tags: opts.tags,
        waitMs: queues.length === 1 ? 5000 : 0,
      });
      offsets.set(q, page.nextBeginOffset);
      for (const m of page.messages) {
        if (signal.aborted) return;
        any = true;
        onMessage(m);
      }
    }
    if (!any && queues.length > 1) await new Promise((r) => setTimeout(r, 500));
  }
}
