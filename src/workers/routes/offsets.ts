import { SUB } from '../../core/acl';
import { validateTopic } from '../../core/names';
import { declareRoute, router } from '../api/declare';
import { BrokerName, GroupName, TopicName, json, requestBodyNote, z } from '../api/fields';
import {
  COMMIT_ERRORS,
  CommitFields,
  CommittedOffsets,
  GroupPath,
  QueueIdNumber,
  commitRequest,
} from '../api/group-models';
import { millis } from '../api/models';
import { commitOffsets, groupOffsets } from '../../services/offsets';
import { bodyTopics, consumer } from '../security/requirements';

/** Consumer offsets of a group, kept in each queue's object. */
export const offsets = router();
const tags = ['offsets'];

const GroupOffsets = z
  .object({
    group: GroupName,
    topic: TopicName,
    offsets: z
      .array(
        z.object({
          brokerName: BrokerName,
          queueId: QueueIdNumber,
          offset: z
            .number()
            .int()
            .min(-1)
            .openapi({ description: 'Committed offset; -1 when the group has committed none on this queue.' }),
          minOffset: z.number().int().min(0),
          maxOffset: z.number().int().min(0),
          lag: z.number().int().min(0).openapi({ description: 'maxOffset - max(offset, minOffset).' }),
          updatedAt: millis('When the offset was committed (0: never)'),
        }),
      )
      .openapi({ description: 'One per readable queue of the topic.' }),
    totalLag: z.number().int().min(0),
  })
  .openapi('GroupOffsets');

declareRoute(
  offsets,
  {
    method: 'get',
    path: '/groups/{group}/offsets',
    operationId: 'getGroupOffsets',
    tags,
    summary: "A group's offsets and lag on a topic",
    need: consumer('reading offsets', ({ query }) =>
      query('topic') !== undefined ? [{ name: validateTopic(query('topic')), perm: SUB }] : [],
    ),
    request: {
      params: GroupPath,
      query: z.object({ topic: TopicName.openapi({ description: 'The topic (INVALID_TOPIC_NAME when missing).' }) }),
    },
    responses: { 200: json(GroupOffsets, 'One entry per readable queue, and the total lag.') },
    errors: [
      'INVALID_GROUP_NAME',
      'INVALID_TOPIC_NAME',
      'TOPIC_NOT_EXIST',
      'BROKER_UNAVAILABLE',
      'NAMESERVER_UNAVAILABLE',
    ],
  },
  async (c, { params, query }) => c.json(await groupOffsets(c.env, params.group, query.topic)),
);

/** The body of a group-level commit, and (with a generation) of a member's. */
export const CommitOffsetsRequest = commitRequest(CommitFields, 'One offset, or several in `offsets`.').openapi(
  'CommitOffsetsRequest',
);

declareRoute(
  offsets,
  {
    method: 'put',
    path: '/groups/{group}/offsets',
    operationId: 'commitGroupOffsets',
    tags,
    summary: 'Commit offsets',
    description: `Each offset must be at most its queue's max offset (OFFSET_OUT_OF_RANGE) and its queue readable; all are checked before any is stored. The commits are then stored queue by queue, not in one transaction. Admin tools; members commit through their own route. ${requestBodyNote}`,
    need: consumer('committing offsets', ({ body }) => bodyTopics(body, SUB)),
    request: {
      params: GroupPath,
      body: { schema: CommitOffsetsRequest, description: 'The topic and one or more (brokerName, queueId, offset).' },
    },
    responses: { 200: json(CommittedOffsets, 'The stored offsets.') },
    errors: COMMIT_ERRORS,
  },
  async (c, { params: { group }, body: { topic, commits } }) =>
    c.json({ group, topic, offsets: await commitOffsets(c.env, group, topic, commits, undefined, 'set') }),
);
