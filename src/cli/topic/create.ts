/** `flaremq topic create <topic>`: creates a topic (or updates it: the call is idempotent). */
import type { Command } from 'commander';
import { client, output } from '../context';
import { printRoute } from './route';
import { specOptions, toSpec, type SpecOptions } from './spec';

export function register(noun: Command): void {
  specOptions(
    noun.command('create').description('create a topic on every broker group (or those named)').argument('<topic>'),
  ).action(async (topic: string, opts: SpecOptions, cmd: Command) => {
    const route = await client(cmd).admin().topics.create(topic, toSpec(opts));
    output(cmd, route, () => printRoute(route));
  });
}
