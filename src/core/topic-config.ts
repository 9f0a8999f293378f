import { FlareError } from './errors';
import { PERM_READ_WRITE } from './perm';

/** A topic as one broker group hosts it (RocketMQ's TopicConfig). */
export interface TopicConfig {
  topic: string;
  readQueueNums: number;
  writeQueueNums: number;
  /** RocketMQ perm bits: 4 read, 2 write. @defaultValue 6 */
  perm: number;
}

/** A create or update request: which broker groups and how many queues on each. */
export interface TopicSpec {
  /** Broker groups to host the topic. @defaultValue every broker group of the cluster */
  brokerNames?: string[];
  readQueueNums: number;
  writeQueueNums: number;
  perm: number;
}

/** What a create or update request gives: every field optional (the route's schema checks their types and ranges). */
export interface TopicSpecInput {
  queueNums?: number;
  readQueueNums?: number;
  writeQueueNums?: number;
  /** RocketMQ perm bits. @defaultValue 6 (read and write) */
  perm?: number;
  brokerNames?: string[];
}

/** A request's spec with its defaults: queueNums sets both counts; each count defaults to the cluster's default. */
export function topicSpec(input: TopicSpecInput, defaultQueueNums: number): TopicSpec {
  const both = input.queueNums ?? defaultQueueNums;
  const spec: TopicSpec = {
    readQueueNums: input.readQueueNums ?? both,
    writeQueueNums: input.writeQueueNums ?? both,
    perm: input.perm ?? PERM_READ_WRITE,
  };
  if (spec.readQueueNums === 0 && spec.writeQueueNums === 0) {
    throw new FlareError('INVALID_REQUEST', 'a topic needs at least one queue (queueNums >= 1)');
  }
  if (input.brokerNames !== undefined) spec.brokerNames = [...new Set(input.brokerNames)];
  return spec;
}
