/** `flaremq topic route <topic>`: which broker groups host the topic, with how many queues and which perm. */
import type { Command } from 'commander';
import type { TopicRouteView } from '../../sdk/index';
import { client, output } from '../context';
import { table } from '../output';

/** Prints a route as a table (also used by create and update). */
export function printRoute(route: TopicRouteView): void {
  table(
    ['TOPIC', 'BROKER', 'READ QUEUES', 'WRITE QUEUES', 'PERM', 'LIVE BROKERS'],
    route.queueDatas.map((q) => [
      route.topic,
      q.brokerName,
      q.readQueueNums,
      q.writeQueueNums,
      q.permName || String(q.perm),
      route.brokerDatas
        .find((b) => b.brokerName === q.brokerName)
        ?.brokers.map((b) => b.brokerId)
        .join(',') ?? '',
    ]),
  );
}

export function register(noun: Command): void {
  noun
    .command('route')
    .description("the topic's route, fresh from a NameServer")
    .argument('<topic>')
    .action(async (topic: string, _opts, cmd: Command) => {
      const route = await client(cmd).admin().topics.route(topic);
      output(cmd, route, () => printRoute(route));
    });
}
