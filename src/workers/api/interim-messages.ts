/**
 * INTERIM (routes-b, issue 14): answer schemas of the message routes (routes-a)
 * that the consumer-group routes answer too, declared here until those land:
 * at merge, import PullResult from ./models.ts and SendResult and
 * DelayedSendResult from ./send.ts (routes-a's), and delete this file. The
 * component names are the document's, so the document does not change.
 */
import { MAX_PULL_BYTES } from '../../core/limits';
import { BrokerName, TopicName, z } from './fields';
import { MessageId, MessageView, millis } from './models';

const queueId = z.number().int().min(0);

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
