import { FlareError } from './errors';

const NAME = /^[%|a-zA-Z0-9_-]+$/;
const BROKER_NAME = /^[a-zA-Z0-9_-]+$/;

export const MAX_TOPIC_LENGTH = 127;
export const MAX_GROUP_LENGTH = 120;
export const MAX_BROKER_NAME_LENGTH = 64;

/** Throws INVALID_TOPIC_NAME unless `topic` is a valid RocketMQ topic name. */
export function validateTopic(topic: unknown): string {
  if (typeof topic !== 'string' || topic.length === 0) {
    throw new FlareError('INVALID_TOPIC_NAME', 'topic is required');
  }
  if (topic.length > MAX_TOPIC_LENGTH) {
    throw new FlareError(
      'INVALID_TOPIC_NAME',
      `topic is ${topic.length} characters; at most ${MAX_TOPIC_LENGTH} are allowed`,
    );
  }
  if (!NAME.test(topic)) {
    throw new FlareError('INVALID_TOPIC_NAME', `topic '${topic}' may only contain letters, digits, %, |, _ and -`);
  }
  return topic;
}

/** Throws INVALID_GROUP_NAME unless `group` is a valid consumer or producer group name. */
export function validateGroup(group: unknown): string {
  if (typeof group !== 'string' || group.length === 0) {
    throw new FlareError('INVALID_GROUP_NAME', 'group is required');
  }
  if (group.length > MAX_GROUP_LENGTH) {
    throw new FlareError(
      'INVALID_GROUP_NAME',
      `group is ${group.length} characters; at most ${MAX_GROUP_LENGTH} are allowed`,
    );
  }
  if (!NAME.test(group)) {
    throw new FlareError('INVALID_GROUP_NAME', `group '${group}' may only contain letters, digits, %, |, _ and -`);
  }
  return group;
}

/** Throws INVALID_BROKER_NAME unless `name` is a valid broker group name. */
export function validateBrokerName(name: unknown): string {
  if (
    typeof name !== 'string' ||
    name.length === 0 ||
    name.length > MAX_BROKER_NAME_LENGTH ||
    !BROKER_NAME.test(name)
  ) {
    throw new FlareError(
      'INVALID_BROKER_NAME',
      `broker name must be 1 to ${MAX_BROKER_NAME_LENGTH} letters, digits, _ or -`,
    );
  }
  return name;
}
