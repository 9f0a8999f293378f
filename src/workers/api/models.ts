/**
 * Answer schemas that several route files share (routes and brokers). A
 * schema used by one route file lives in that file.
 */
import { REGIONS } from '../../core/config';
import { BrokerName, TopicName, z } from './fields';

export const millis = (what: string) => z.number().int().min(0).openapi({ description: `${what}, in milliseconds since the epoch.` });

export const Perm = z.union([z.literal(0), z.literal(2), z.literal(4), z.literal(6)]).openapi('Perm', { description: 'RocketMQ permission bits: 6 read and write, 4 read, 2 write, 0 none.' });
export const PermName = z.enum(['RW', 'R-', '-W', '--']).openapi('PermName', { description: 'The permission as mqadmin prints it.' });
export const BrokerRole = z.enum(['ASYNC_MASTER', 'SYNC_MASTER', 'SLAVE']).openapi('BrokerRole');
export const FlushDiskType = z.enum(['SYNC_FLUSH', 'ASYNC_FLUSH']).openapi('FlushDiskType');
export const Region = z.enum(REGIONS as unknown as [string, ...string[]]).openapi('Region', { description: "Location hint of the broker's objects." });

export const QueueData = z
  .object({ brokerName: BrokerName, readQueueNums: z.number().int().min(0), writeQueueNums: z.number().int().min(0), perm: Perm })
  .openapi('QueueData');

export const BrokerInstance = z
  .object({
    brokerId: z.number().int().min(0).openapi({ description: '0 for the master, > 0 for slaves.' }),
    brokerRole: BrokerRole,
    flushDiskType: FlushDiskType,
    region: Region,
    lastUpdateTimestamp: millis('When a NameServer last heard from the broker'),
  })
  .openapi('BrokerInstance');

export const BrokerData = z.object({ cluster: z.string(), brokerName: BrokerName, brokers: z.array(BrokerInstance) }).openapi('BrokerData');

export const TopicRoute = z
  .object({ topic: TopicName, queueDatas: z.array(QueueData), brokerDatas: z.array(BrokerData) })
  .openapi('TopicRoute', { description: "A topic's route (RocketMQ's TopicRouteData): the broker groups hosting it and their live brokers." });
