import { FlareError } from './errors';
import { MAX_QUEUES_PER_BROKER } from './limits';
import { PERM_READ_WRITE, parsePerm } from './perm';

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

function queueCount(value: unknown, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || (value as number) < 0 || (value as number) > MAX_QUEUES_PER_BROKER) {
    throw new FlareError('INVALID_REQUEST', `${name} must be an integer from 0 to ${MAX_QUEUES_PER_BROKER}`);
  }
  return value as number;
}

/**
 * Reads `{queueNums?, readQueueNums?, writeQueueNums?, perm?, brokerNames?}`.
 * queueNums sets both counts; each count defaults to the cluster's default.
 */
export function parseTopicSpec(raw: unknown, defaultQueueNums: number): TopicSpec {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new FlareError('INVALID_REQUEST', 'the request body must be a JSON object (it may be {})');
  }
  const body = raw as Record<string, unknown>;
  const both = queueCount(body.queueNums, 'queueNums', defaultQueueNums);
  const spec: TopicSpec = {
    readQueueNums: queueCount(body.readQueueNums, 'readQueueNums', both),
    writeQueueNums: queueCount(body.writeQueueNums, 'writeQueueNums', both),
    perm: body.perm === undefined ? PERM_READ_WRITE : parsePerm(body.perm),
  };
  if (spec.readQueueNums === 0 && spec.writeQueueNums === 0) {
    throw new FlareError('INVALID_REQUEST', 'a topic needs at least one queue (queueNums >= 1)');
  }
  if (body.brokerNames !== undefined) {
    if (!Array.isArray(body.brokerNames) || body.brokerNames.length === 0 || !body.brokerNames.every((b) => typeof b === 'string')) {
      throw new FlareError('INVALID_REQUEST', 'brokerNames must be a non-empty array of broker group names');
    }
    spec.brokerNames = [...new Set(body.brokerNames as string[])];
  }
  return spec;
}
