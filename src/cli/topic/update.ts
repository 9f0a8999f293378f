/** `flaremq topic update <topic>`: changes a topic's queue counts or perm. */
import type { Command } from 'commander';
import { CliError, client, output } from '../context';
import { printRoute } from './route';
import { specOptions, toSpec, type SpecOptions } from './spec';

export function register(noun: Command): void {
  specOptions(noun.command('update').description("change a topic's queue counts or perm").argument('<topic>')).action(
    async (topic: string, opts: SpecOptions, cmd: Command) => {
      const spec = toSpec(opts);
      if (Object.keys(spec).length === 0)
        throw new CliError('nothing to update: give --queues, --read-queues, --write-queues, --perm or --brokers');
      // Updating must not create: fail with TOPIC_NOT_EXIST if no broker hosts it.
      const admin = client(cmd).admin();
      await admin.topics.route(topic);
      const route = await admin.topics.update(topic, spec);
      output(cmd, route, () => printRoute(route));
    },
  );
}
