/** Names of the Durable Objects, so that every caller finds the same object. */

/** Identifies one queue object: (topic, brokerName, queueId, brokerId). */
export interface QueueIdentity {
  topic: string;
  brokerName: string;
  queueId: number;
  brokerId: number;
}

/** `ns-0` … `ns-{n-1}`. */
export const nameServerName = (index: number): string => `ns-${index}`;

/** `broker-a/0`: one Broker object per broker (group name and id). */
export const brokerObjectName = (brokerName: string, brokerId: number): string => `${brokerName}/${brokerId}`;

/** `TopicTest/broker-a/3/0`: topic and broker names cannot contain '/'. */
export const queueObjectName = (q: QueueIdentity): string => `${q.topic}/${q.brokerName}/${q.queueId}/${q.brokerId}`;
