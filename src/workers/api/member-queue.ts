/**
 * A member's read of one assigned queue (its pull and its push stream): the
 * path that names the member and the queue, where the read starts, and what
 * either may answer.
 */
import type { ErrorCode } from '../../core/errors';
import { BodyEncodingQuery, GroupName, QueuePath, intText, z } from './fields';
import { ClientId } from './group-models';

/** `/groups/{group}/members/{clientId}/queues/{topic}/{brokerName}/{queueId}`. */
export const MemberQueuePath = QueuePath.extend({ group: GroupName, clientId: ClientId });

const optionalInt = (description: string) => intText({ description }).optional();

/** Where a member's read starts, and what it commits first (the query of a member pull and of a stream). */
export const MemberStartQuery = z.object({
  offset: optionalInt(
    'Queue offset to start from (INVALID_OFFSET unless an integer >= 0). Default: the committed offset.',
  ),
  commitOffset: optionalInt('An offset to commit before starting (INVALID_OFFSET unless an integer >= 0).'),
  generation: optionalInt('The generation `commitOffset` belongs to (GENERATION_STALE if offsets were reset since).'),
  bodyEncoding: BodyEncodingQuery,
});

/** What a member's read of a queue may answer. */
export const MEMBER_QUEUE_ERRORS: readonly ErrorCode[] = [
  'INVALID_REQUEST',
  'INVALID_OFFSET',
  'INVALID_GROUP_NAME',
  'INVALID_TOPIC_NAME',
  'INVALID_BROKER_NAME',
  'OFFSET_OUT_OF_RANGE',
  'NO_PERMISSION',
  'GROUP_NOT_EXIST',
  'TOPIC_NOT_EXIST',
  'QUEUE_NOT_EXIST',
  'MEMBER_NOT_FOUND',
  'QUEUE_NOT_ASSIGNED',
  'QUEUE_LOCKED',
  'GENERATION_STALE',
  'BROKER_UNAVAILABLE',
  'NAMESERVER_UNAVAILABLE',
];
