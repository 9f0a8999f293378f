/** `flaremq group status <group>`: config, generation, members and their queues. */
import type { Command } from 'commander';
import { client, output, time } from '../context';
import { fields, table } from '../output';

export function register(noun: Command): void {
  noun
    .command('status')
    .description("a group's config, generation, members, subscriptions and assigned queues")
    .argument('<group>')
    .action(async (group: string, _opts, cmd: Command) => {
      const info = await client(cmd).admin().groups.get(group);
      output(cmd, info, () => {
        fields([
          ['group', info.group],
          ['generation', info.generation],
          ['messageModel', info.config.messageModel],
          ['allocateStrategy', info.config.allocateStrategy],
          ['consumeFromWhere', info.config.consumeFromWhere],
          ['consumeOrderly', info.config.consumeOrderly],
          [
            'maxReconsumeTimes',
            info.config.maxReconsumeTimes === -1
              ? '-1 (default: 16, no limit when orderly)'
              : info.config.maxReconsumeTimes,
          ],
          ['topics', info.topics.join(' ')],
        ]);
        process.stdout.write('\n');
        table(
          ['MEMBER', 'INSTANCE', 'SUBSCRIPTIONS', 'QUEUES', 'LAST HEARTBEAT'],
          info.members.map((m) => [
            m.clientId,
            m.instanceName,
            m.subscriptions.map((s) => `${s.topic}(${s.expression})`).join(' '),
            m.queues.map((q) => `${q.topic}:${q.brokerName}/${q.queueId}`).join(' '),
            time(m.lastHeartbeat),
          ]),
        );
      });
    });
}
