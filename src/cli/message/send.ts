/** `flaremq message send <topic> [body]`: sends one message, or --count test messages with a progress bar. */
import type { Command } from 'commander';
import type { MessageInput, SendResult } from '../../sdk/index';
import { CliError, client, int, output } from '../context';
import { progress, table } from '../output';

interface SendOptions {
  tags?: string;
  keys?: string;
  property: string[];
  count: number;
  batch: number;
  shardingKey?: string;
  delayLevel?: number;
}

const collect = (value: string, previous: string[]) => [...previous, value];

export function register(noun: Command): void {
  noun
    .command('send')
    .description('send a message (the body from the argument or stdin); --count sends that many test messages')
    .argument('<topic>')
    .argument('[body]', "the body; '-' or nothing reads stdin")
    .option('-t, --tags <tag>', 'the tag')
    .option('-k, --keys <keys>', 'space-separated keys')
    .option('-P, --property <name=value>', 'a user property (repeatable)', collect, [])
    .option('-n, --count <n>', 'send n messages; with n > 1 each body gets its number appended', int('--count', 1), 1)
    .option('--batch <n>', 'messages per request when --count > 1 (1 to 1000)', int('--batch', 1), 100)
    .option('--sharding-key <key>', 'ordered send: the same key goes to the same queue')
    .option('-d, --delay-level <level>', 'delay level 1 to 18 (1s 5s 10s 30s 1m ...)', int('--delay-level', 1))
    .action(async (topic: string, bodyArg: string | undefined, opts: SendOptions, cmd: Command) => {
      const body = bodyArg === undefined || bodyArg === '-' ? await readStdin() : bodyArg;
      if (body === '') throw new CliError('the body is empty: give it as an argument or on stdin');
      const properties: Record<string, string> = {};
      for (const p of opts.property) {
        const i = p.indexOf('=');
        if (i <= 0) throw new CliError(`--property wants name=value, not '${p}'`);
        properties[p.slice(0, i)] = p.slice(i + 1);
      }
      const make = (i: number): MessageInput => ({
        body: opts.count > 1 ? `${body} ${i + 1}` : body,
        tags: opts.tags,
        keys: opts.keys,
        properties: Object.keys(properties).length ? properties : undefined,
      });
      const producer = client(cmd).producer();
      const sendOptions = {
        shardingKey: opts.shardingKey,
        ...(opts.delayLevel ? { delayLevel: opts.delayLevel } : {}),
      };
      const results: unknown[] = [];
      if (opts.count === 1) {
        results.push(await producer.send(topic, make(0), sendOptions));
      } else {
        const bar = progress(opts.count, 'sending');
        try {
          for (let i = 0; i < opts.count; i += opts.batch) {
            const batch = Array.from({ length: Math.min(opts.batch, opts.count - i) }, (_, j) => make(i + j));
            results.push(...(await producer.sendBatch(topic, batch, sendOptions)));
            bar.increment(batch.length);
          }
        } finally {
          bar.stop();
        }
      }
      output(cmd, opts.count === 1 ? results[0] : results, () => {
        const rows = (results as (SendResult & { timerHandle?: string; deliverAt?: number })[]).slice(0, 20);
        table(
          ['STATUS', 'MSG ID', 'QUEUE', 'OFFSET', 'UNIQUE KEY'],
          rows.map((r) => [
            r.status,
            r.msgId ?? `delayed (timer ${r.timerHandle})`,
            `${r.brokerName}/${r.queueId}`,
            r.queueOffset,
            r.uniqueKey,
          ]),
        );
        if (results.length > rows.length) process.stdout.write(`... ${results.length} messages sent\n`);
      });
    });
}

async function readStdin(): Promise<string> {
  if (process.stdin.isTTY) throw new CliError('no body: give it as an argument or pipe it on stdin');
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
