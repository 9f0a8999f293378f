/**
 * INTERIM (routes-b, issue 14): message schemas that the consumer-group routes
 * answer, declared here until the shared ones of the message routes (routes-a)
 * land in ./models.ts. At merge: import MessageView, MessageId, SendResult and
 * DelayedSendResult from there, and delete this file. The component names are
 * the hand-written document's, so the document does not change.
 */
import { MAX_PULL_BYTES } from '../../core/limits';
import { decodeMessageId } from '../../core/msg-id';
import { BrokerName, TopicName, z } from './fields';
import { millis } from './models';

export const MessageId = z
  .string()
  .transform((s) => (decodeMessageId(s), s))
  .openapi('MessageId', {
    type: 'string',
    pattern: '^(?:[0-9A-Fa-f]{2})+$',
    maxLength: 1024,
    description: 'Self-locating message id (upper-case hex of version, brokerId, queueId, queue offset, broker name and topic).',
  });

const queueId = z.number().int().min(0);

export const MessageView = z
  .object({
    msgId: MessageId,
    topic: TopicName,
    brokerName: BrokerName,
    queueId,
    queueOffset: z.number().int().min(0),
    tags: z.string().openapi({ description: 'The tag, or "" for none.' }),
    keys: z.string().openapi({ description: 'Space separated keys, or "".' }),
    properties: z.record(z.string(), z.string()),
    body: z.string(),
    bodyEncoding: z.enum(['utf8', 'base64']),
    bornTimestamp: millis('When the producer made the message'),
    storeTimestamp: millis('When the queue stored the message'),
    uniqueKey: z.string(),
    reconsumeTimes: z.number().int().min(0),
  })
  .openapi('MessageView');

export const PullResult = z
  .object({
    status: z.enum(['FOUND', 'NO_NEW_MSG', 'NO_MATCHED_MSG', 'OFFSET_ILLEGAL']).openapi({
      description:
        'FOUND: messages returned. NO_NEW_MSG: offset is the max offset. NO_MATCHED_MSG: no message passed the tag filter in the scanned window. OFFSET_ILLEGAL: offset is below minOffset or above maxOffset.',
    }),
    messages: z.array(MessageView).openapi({ description: `In offset order; empty unless FOUND. Stops at maxMessages or once bodies pass ${MAX_PULL_BYTES} bytes (at least one message).` }),
    nextBeginOffset: z.number().int().min(0).openapi({ description: 'The offset to pull next, whatever the status.' }),
    minOffset: z.number().int().min(0),
    maxOffset: z.number().int().min(0),
  })
  .openapi('PullResult');

const TimerHandle = z.string().openapi('TimerHandle', {
  pattern: '^(?:[0-9A-Fa-f]{2})+$',
  maxLength: 1024,
  description: 'Self-locating handle of a pending delayed message (upper-case hex of version 2, brokerId, queueId, timer id, broker name and topic).',
});

export const SendResult = z
  .object({
    status: z.enum(['SEND_OK', 'FLUSH_SLAVE_TIMEOUT', 'SLAVE_NOT_AVAILABLE']).openapi({
      description:
        'Stored on the master in every case. On a SYNC_MASTER with slaves: FLUSH_SLAVE_TIMEOUT when no slave confirmed within SLAVE_TIMEOUT_MS, SLAVE_NOT_AVAILABLE when none could be reached.',
    }),
    msgId: MessageId,
    uniqueKey: z.string(),
    topic: TopicName,
    brokerName: BrokerName,
    queueId,
    queueOffset: z.number().int().min(0),
  })
  .openapi('SendResult');

export const DelayedSendResult = z
  .object({
    status: z.literal('SEND_OK'),
    delayed: z.literal(true),
    timerHandle: TimerHandle,
    deliverAt: millis('When the message becomes due'),
    uniqueKey: z.string(),
    topic: TopicName,
    brokerName: BrokerName,
    queueId,
  })
  .openapi('DelayedSendResult', { description: 'A delayed message, held by its queue until deliverAt. It gets its msgId and queueOffset when it is delivered.' });
