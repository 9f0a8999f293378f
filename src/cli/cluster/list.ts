/** `flaremq cluster list`: the cluster as a NameServer sees it, one row per broker. */
import type { Command } from 'commander';
import { client, output, time } from '../context';
import { table } from '../output';

export function register(noun: Command): void {
  noun
    .command('list')
    .description('list the broker groups and their brokers (id, role, region, last heartbeat)')
    .action(async (_opts, cmd: Command) => {
      const info = await client(cmd).admin().cluster.info();
      output(cmd, info, () => {
        const rows = info.brokerDatas.flatMap((bd) =>
          bd.brokers.map((b) => [
            info.clusterName,
            bd.brokerName,
            b.brokerId,
            b.brokerRole,
            b.flushDiskType,
            b.region,
            time(b.lastUpdateTimestamp),
          ]),
        );
        table(['CLUSTER', 'BROKER', 'ID', 'ROLE', 'FLUSH', 'REGION', 'LAST HEARTBEAT'], rows);
        process.stdout.write(`${info.nameServerCount} NameServers\n`);
      });
    });
}
