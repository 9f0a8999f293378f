/** The options `topic create` and `topic update` share. */
import type { Command } from 'commander';
import type { TopicSpec } from '../../sdk/index';
import { int } from '../context';

export interface SpecOptions {
  queues?: number;
  readQueues?: number;
  writeQueues?: number;
  perm?: string;
  brokers?: string;
}

export function specOptions(cmd: Command): Command {
  return cmd
    .option('-q, --queues <n>', 'queues per broker group (read and write)', int('--queues', 1))
    .option('--read-queues <n>', 'read queues per broker group', int('--read-queues', 1))
    .option('--write-queues <n>', 'write queues per broker group', int('--write-queues', 1))
    .option('-p, --perm <perm>', 'permission: 6 / 4 / 2 / 0 or RW / R / W')
    .option('-b, --brokers <names>', 'comma-separated broker groups (default: all)');
}

export function toSpec(o: SpecOptions): TopicSpec {
  const spec: TopicSpec = {};
  if (o.queues !== undefined) spec.queueNums = o.queues;
  if (o.readQueues !== undefined) spec.readQueueNums = o.readQueues;
  if (o.writeQueues !== undefined) spec.writeQueueNums = o.writeQueues;
  if (o.perm !== undefined) spec.perm = /^\d+$/.test(o.perm) ? Number(o.perm) : o.perm.toUpperCase();
  if (o.brokers !== undefined)
    spec.brokerNames = o.brokers
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
  return spec;
}
