/** `flaremq broker status`: each configured broker's own status, with its slaves' replication lag. */
import type { Command } from 'commander';
import { client, output, time } from '../context';
import { table } from '../output';

/** A broker as `GET /api/v1/brokers` shows it (or its error). */
export interface BrokerStatusView {
  config: { brokerName: string; brokerId: number; brokerRole: string; flushDiskType: string; region: string };
  topicCount?: number;
  lastRegistrationTimestamp?: number;
  nameServersReached?: number;
  nameServerCount?: number;
  faultInjection?: { down: boolean };
  replication?: { slaves: { brokerId: number; region: string; lagEntries: number; lagSeconds: number }[] };
  error?: { code: string; message: string };
}

export function register(noun: Command): void {
  noun
    .command('status')
    .description("each broker's status: role, topics, registration with the NameServers, replication lag")
    .option('-b, --broker <brokerName>', 'only the brokers of this broker group')
    .action(async (opts: { broker?: string }, cmd: Command) => {
      let brokers = (await client(cmd).admin().cluster.brokers()) as BrokerStatusView[];
      if (opts.broker) brokers = brokers.filter((b) => b.config.brokerName === opts.broker);
      output(cmd, brokers, () => {
        table(
          ['BROKER', 'ID', 'ROLE', 'REGION', 'TOPICS', 'NAMESERVERS', 'LAST REGISTRATION', 'REPLICATION LAG', 'STATE'],
          brokers.map((b) => [
            b.config.brokerName,
            b.config.brokerId,
            b.config.brokerRole,
            b.config.region,
            b.topicCount,
            b.nameServerCount === undefined ? undefined : `${b.nameServersReached}/${b.nameServerCount}`,
            time(b.lastRegistrationTimestamp),
            b.replication
              ? b.replication.slaves.map((s) => `#${s.brokerId}: ${s.lagEntries} msgs, ${s.lagSeconds}s`).join('; ')
              : undefined,
            b.error ? `${b.error.code}: ${b.error.message}` : b.faultInjection?.down ? 'DOWN' : 'OK',
          ]),
        );
      });
    });
}
