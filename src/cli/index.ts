/**
 * flaremq's admin command line: `flaremq <noun> <verb>`, as mqadmin's
 * tools/command/<noun>/ and `wrangler d1 create`. One file per command under
 * src/cli/<noun>/, each exporting register(noun). Built on the SDK's admin().
 * The reference is docs/operations.md.
 */
import { Command, Option } from 'commander';
import { isFlaremqError } from '../sdk/index';
import { CliError, DEFAULT_ENDPOINT } from './context';
import * as brokerStatus from './broker/status';
import * as clusterList from './cluster/list';
import * as dlqList from './dlq/list';
import * as dlqResend from './dlq/resend';
import * as groupLag from './group/lag';
import * as groupList from './group/list';
import * as groupResetOffset from './group/reset-offset';
import * as groupSkip from './group/skip';
import * as groupStatus from './group/status';
import * as messageConsume from './message/consume';
import * as messageGet from './message/get';
import * as messageQuery from './message/query';
import * as messageSend from './message/send';
import * as topicCreate from './topic/create';
import * as topicDelete from './topic/delete';
import * as topicList from './topic/list';
import * as topicRoute from './topic/route';
import * as topicStatus from './topic/status';
import * as topicUpdate from './topic/update';

const collect = (value: string, previous: string[]) => [...previous, value];

/** The whole command tree. */
export function program(): Command {
  const root = new Command('flaremq')
    .description("flaremq's admin: topics, messages, consumer groups, dead letters, the cluster")
    .addOption(
      new Option('-e, --endpoint <url>', 'where flaremq runs').env('FLAREMQ_ENDPOINT').default(DEFAULT_ENDPOINT),
    )
    .addOption(
      new Option('--access-key <key>', "an account's access key: requests are signed (docs/security.md)").env(
        'FLAREMQ_ACCESS_KEY',
      ),
    )
    .addOption(
      new Option(
        '--secret-key <key>',
        "the account's secret key; prefer FLAREMQ_SECRET_KEY (a flag shows in ps and shell history)",
      ).env('FLAREMQ_SECRET_KEY'),
    )
    .option('-H, --header <header>', "an extra request header, 'Name: value' (repeatable)", collect, [])
    .addOption(new Option('--timeout <ms>', 'timeout of one request').default(30_000).argParser(Number))
    .option('--json', 'machine-readable output (JSON)', false)
    .showHelpAfterError('(add --help for usage)')
    .showSuggestionAfterError();

  const nouns: [string, string, { register(noun: Command): void }[]][] = [
    ['cluster', 'the cluster as the NameServers see it', [clusterList]],
    ['broker', 'brokers: status, replication lag', [brokerStatus]],
    [
      'topic',
      'topics: create, update, delete, list, route, status',
      [topicCreate, topicUpdate, topicDelete, topicList, topicRoute, topicStatus],
    ],
    ['message', 'messages: send, get, query, consume', [messageSend, messageGet, messageQuery, messageConsume]],
    [
      'group',
      'consumer groups: list, status, lag, reset-offset, skip',
      [groupList, groupStatus, groupLag, groupResetOffset, groupSkip],
    ],
    ['dlq', 'dead-letter queues: list, resend', [dlqList, dlqResend]],
  ];
  for (const [name, description, commands] of nouns) {
    const noun = root.command(name).description(description);
    for (const c of commands) c.register(noun);
  }
  return root;
}

/** Runs the command line; a failure prints one line on stderr and exits 1. */
export async function main(argv: string[] = process.argv): Promise<void> {
  try {
    await program().parseAsync(argv);
  } catch (err) {
    process.stderr.write(`flaremq: ${describe(err)}\n`);
    process.exitCode = 1;
  }
}

function describe(err: unknown): string {
  if (isFlaremqError(err)) {
    if (err.code === 'NETWORK_ERROR') return `${err.message} (is flaremq running? --endpoint or FLAREMQ_ENDPOINT)`;
    return err.message;
  }
  if (err instanceof CliError) return err.message;
  return err instanceof Error ? err.message.split('\n')[0]! : String(err);
}
