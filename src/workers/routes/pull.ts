import { SUB } from '../../core/acl';
import { MAX_TAGS_IN_EXPRESSION, PULL_SCAN_WINDOW } from '../../core/limits';
import { messageViews } from '../../core/message';
import { MASTER_ID, requireReadableQueue } from '../../core/route';
import type { Env } from '../../env';
import { declareRoute, router } from '../api/declare';
import {
  BodyEncodingQuery,
  BrokerName,
  QUEUE_ERRORS,
  QueuePath,
  TagsQuery,
  TopicName,
  intText,
  json,
  pullWindow,
  z,
} from '../api/fields';
import { PullResult } from '../api/models';
import { requireRoute } from '../../services/cluster';
import { onReadableCopy, type QueueCopy } from '../../services/replica-reads';
import { onTopic } from '../security/requirements';

/** Pulling one queue, and finding the offset of a time in it. */
export const pull = router();

const tags = ['consume'];

/** The queue, if readable: its master's copy, or a slave's while the master is down. */
async function readableQueue(env: Env, { topic, brokerName, queueId }: z.output<typeof QueuePath>) {
  const route = await requireRoute(env, topic);
  requireReadableQueue(route, brokerName, queueId);
  const onCopy = <T>(call: (stub: QueueCopy) => Promise<T>) =>
    onReadableCopy(env, route, topic, brokerName, queueId, call);
  return { topic, brokerName, queueId, onCopy };
}

const count = z.number().int().min(0);

declareRoute(
  pull,
  {
    method: 'get',
    path: '/topics/{topic}/queues/{brokerName}/{queueId}/messages',
    operationId: 'pullMessages',
    tags,
    summary: 'Pull one queue from an offset',
    description: [
      'Reads up to `maxMessages` from `offset` that pass the tag filter. Always continue from `nextBeginOffset`.',
      `A filtered pull scans at most ${PULL_SCAN_WINDOW} offsets; when none of them matches it answers NO_MATCHED_MSG with nextBeginOffset after the window.`,
      'Long polling: with `waitMs` > 0 a pull that has reached the end of the queue (NO_NEW_MSG, or NO_MATCHED_MSG at the max offset) waits until a message arrives or the wait ends, then answers; the answer may then be NO_MATCHED_MSG with a larger nextBeginOffset.',
      'The queue must be readable (queueId < readQueueNums, perm with read).',
    ].join('\n\n'),
    need: onTopic(SUB, 'pulling'),
    metric: 'pull',
    request: {
      params: QueuePath,
      query: z.object({
        offset: intText({
          description: 'Queue offset to read from (INVALID_OFFSET when missing or not an integer >= 0).',
        }),
        ...pullWindow,
        tags: TagsQuery.openapi({
          description: `Tag expression: \`*\` (or empty) for all, or tags separated by \`||\` (at most ${MAX_TAGS_IN_EXPRESSION}).`,
        }),
        bodyEncoding: BodyEncodingQuery,
      }),
    },
    responses: {
      200: json(PullResult, 'The pull result; the status tells what happened.'),
    },
    errors: [...QUEUE_ERRORS, 'INVALID_OFFSET', 'INVALID_TAG_EXPRESSION'],
  },
  async (c, { params, query: { offset, maxMessages, waitMs, tags, bodyEncoding } }) => {
    const q = await readableQueue(c.env, params);
    const result = await q.onCopy((stub) => stub.pull({ offset, maxMessages, tags, waitMs }));
    return c.json({
      ...result,
      messages: result.messages.map(messageViews({ ...params, brokerId: MASTER_ID }, bodyEncoding)),
    });
  },
);

declareRoute(
  pull,
  {
    method: 'get',
    path: '/topics/{topic}/queues/{brokerName}/{queueId}/offset',
    operationId: 'searchOffset',
    tags,
    summary: 'The offset of a time in a queue',
    description:
      "The first offset stored at or after `timestamp`, or the queue's max offset when every message is older. The queue must be readable.",
    need: onTopic(SUB, 'searching offsets'),
    request: {
      params: QueuePath,
      query: z.object({ timestamp: intText({ description: 'Store time, ms since the epoch.' }) }),
    },
    responses: {
      200: json(
        z
          .object({
            topic: TopicName,
            brokerName: BrokerName,
            queueId: count,
            timestamp: count,
            offset: count.openapi({
              description: 'First offset stored at or after timestamp; the max offset when there is none.',
            }),
          })
          .openapi('SearchOffsetResult'),
        'The offset.',
      ),
    },
    errors: QUEUE_ERRORS,
  },
  async (c, { params, query: { timestamp } }) => {
    const q = await readableQueue(c.env, params);
    const offset = await q.onCopy((stub) => stub.searchOffset(timestamp));
    return c.json({ ...params, timestamp, offset });
  },
);
