import { describe, expect, it } from 'vitest';
import { parseClusterConfig } from '../../src/core/config';
import { FlareError } from '../../src/core/errors';
import { topicSpec } from '../../src/core/topic-config';
import { parsePerm, permToString } from '../../src/core/perm';

describe('parseClusterConfig', () => {
  it('defaults to DefaultCluster with broker-a and broker-b masters and 2 NameServers', () => {
    const config = parseClusterConfig({});
    expect(config.clusterName).toBe('DefaultCluster');
    expect(config.nameServerCount).toBe(2);
    expect(config.autoCreateTopicEnable).toBe(true);
    expect(config.defaultTopicQueueNums).toBe(4);
    expect(config.maxMessageSize).toBe(1024 * 1024);
    expect(
      config.brokers.map((b) => [
        b.brokerName,
        b.brokerId,
        b.brokerRole,
        b.flushDiskType,
        b.deleteWhen,
        b.fileReservedTime,
      ]),
    ).toEqual([
      ['broker-a', 0, 'ASYNC_MASTER', 'SYNC_FLUSH', '04', 72],
      ['broker-b', 0, 'ASYNC_MASTER', 'SYNC_FLUSH', '04', 72],
    ]);
  });

  it('reads vars given as strings, as the dashboard stores them', () => {
    const config = parseClusterConfig({
      CLUSTER_NAME: 'Edge',
      NAMESERVER_COUNT: '3',
      AUTO_CREATE_TOPIC_ENABLE: 'false',
      DEFAULT_TOPIC_QUEUE_NUMS: '8',
      BROKERS: JSON.stringify([
        { brokerName: 'b1', brokerId: 0, brokerRole: 'SYNC_MASTER', region: 'weur' },
        { brokerName: 'b1', brokerId: 1, region: 'apac' },
      ]),
    });
    expect(config).toMatchObject({
      clusterName: 'Edge',
      nameServerCount: 3,
      autoCreateTopicEnable: false,
      defaultTopicQueueNums: 8,
    });
    expect(config.brokers[1]).toMatchObject({ brokerName: 'b1', brokerId: 1, brokerRole: 'SLAVE', region: 'apac' });
  });

  it('reads CORS_ALLOWED_ORIGINS as origins separated by commas or spaces; none by default', () => {
    expect(parseClusterConfig({}).corsAllowedOrigins).toEqual([]);
    expect(
      parseClusterConfig({
        CORS_ALLOWED_ORIGINS: 'https://console.example.com, http://localhost:3000 https://b.example:8443',
      }).corsAllowedOrigins,
    ).toEqual(['https://console.example.com', 'http://localhost:3000', 'https://b.example:8443']);
  });

  it.each([
    [{ NAMESERVER_COUNT: 0 }, /NAMESERVER_COUNT/],
    [{ AUTO_CREATE_TOPIC_ENABLE: 'yes' }, /AUTO_CREATE_TOPIC_ENABLE/],
    [{ BROKERS: 'not json' }, /BROKERS/],
    [{ BROKERS: [] }, /non-empty/],
    [{ BROKERS: [{ brokerName: 'a', brokerId: 1 }] }, /no master/],
    [{ BROKERS: [{ brokerName: 'a' }, { brokerName: 'a' }] }, /twice/],
    [{ BROKERS: [{ brokerName: 'a', brokerRole: 'SLAVE' }] }, /brokerId 0 is the master/],
    [{ BROKERS: [{ brokerName: 'a', region: 'mars' }] }, /region/],
    [{ BROKERS: [{ brokerName: 'a', deleteWhen: '4' }] }, /deleteWhen/],
    [{ BROKERS: [{ brokerName: 'a/b' }] }, /brokerName/],
    [{ MAX_MESSAGE_SIZE: 3 * 1024 * 1024 }, /MAX_MESSAGE_SIZE/],
    [{ CORS_ALLOWED_ORIGINS: '*' }, /CORS_ALLOWED_ORIGINS lists '\*'/],
    [{ CORS_ALLOWED_ORIGINS: 'https://a.example/app' }, /CORS_ALLOWED_ORIGINS/],
    [{ CORS_ALLOWED_ORIGINS: 'a.example' }, /CORS_ALLOWED_ORIGINS/],
  ])('refuses %j naming what to fix', (vars, message) => {
    expect(() => parseClusterConfig(vars as never)).toThrow(message);
    expect(() => parseClusterConfig(vars as never)).toThrow(FlareError);
  });
});

describe('topicSpec', () => {
  it('uses the default queue count for both read and write queues', () => {
    expect(topicSpec({}, 4)).toEqual({ readQueueNums: 4, writeQueueNums: 4, perm: 6 });
    expect(topicSpec({ queueNums: 2, writeQueueNums: 1, perm: 4, brokerNames: ['broker-a', 'broker-a'] }, 4)).toEqual({
      readQueueNums: 2,
      writeQueueNums: 1,
      perm: 4,
      brokerNames: ['broker-a'],
    });
  });

  it('refuses a topic without queues (the route checks types and ranges: test/workers/topics.test.ts)', () => {
    expect(() => topicSpec({ queueNums: 0 }, 4)).toThrow(FlareError);
  });
});

describe('perm', () => {
  it('reads numbers and letters and prints as mqadmin', () => {
    expect(parsePerm(6)).toBe(6);
    expect(parsePerm('RW')).toBe(6);
    expect(parsePerm('w')).toBe(2);
    expect(parsePerm(7)).toBe(6);
    expect(permToString(6)).toBe('RW');
    expect(permToString(4)).toBe('R-');
    expect(permToString(0)).toBe('--');
  });
});
