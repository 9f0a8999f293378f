/** The ACL rules (src/core/acl.ts) and the accounts' ACL fields (src/core/accounts.ts), without a Worker. */
import { describe, expect, it } from 'vitest';
import { parseAccounts } from '../../src/core/accounts';
import {
  ANY,
  DENY,
  PUB,
  SUB,
  decide,
  ipInRange,
  parseIpRange,
  parsePermName,
  parseResourcePerms,
  topicPerm,
} from '../../src/core/acl';
import { FlareError } from '../../src/core/errors';
import { signingHeaders, stringToSign, sha256Hex } from '../../src/core/request-signing';

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof FlareError) return `${err.code} ${err.detail}`;
    throw err;
  }
  return 'no error';
}

describe('permissions', () => {
  it('reads DENY, PUB, SUB and PUB|SUB, in any case and order', () => {
    expect(parsePermName('DENY', 'x')).toBe(DENY);
    expect(parsePermName('pub', 'x')).toBe(PUB);
    expect(parsePermName('SUB', 'x')).toBe(SUB);
    expect(parsePermName('PUB|SUB', 'x')).toBe(ANY);
    expect(parsePermName('SUB | PUB', 'x')).toBe(ANY);
    expect(codeOf(() => parsePermName('ALL', 'x'))).toContain('CONFIG_INVALID');
    expect(codeOf(() => parsePermName('DENY|PUB', 'x'))).toContain('CONFIG_INVALID');
  });

  it("reads per-resource permissions as RocketMQ's list or as an object", () => {
    expect([...parseResourcePerms(['TopicA=PUB', 'TopicB=PUB|SUB'], 'x')]).toEqual([
      ['TopicA', PUB],
      ['TopicB', ANY],
    ]);
    expect([...parseResourcePerms({ G: 'SUB' }, 'x')]).toEqual([['G', SUB]]);
    expect(codeOf(() => parseResourcePerms(['nope'], 'x'))).toContain('name=PERM');
    expect(codeOf(() => parseResourcePerms({ 'bad name': 'SUB' }, 'x'))).toContain('not a topic or group name');
  });
});

describe('source ranges', () => {
  it.each([
    ['10.0.0.0/8', '10.200.3.4', true],
    ['10.0.0.0/8', '11.0.0.1', false],
    ['192.168.1.7', '192.168.1.7', true],
    ['192.168.1.7', '192.168.1.8', false],
    ['172.16.0.0/12', '172.31.255.255', true],
    ['172.16.0.0/12', '172.32.0.0', false],
    ['2001:db8::/32', '2001:db8:1::5', true],
    ['2001:db8::/32', '2001:db9::1', false],
    ['::1', '::1', true],
    ['10.0.0.0/8', '::ffff:10.1.2.3', true],
    ['10.0.0.0/8', 'garbage', false],
    ['0.0.0.0/0', '8.8.8.8', true],
  ])('%s contains %s: %s', (range, ip, inside) => {
    expect(ipInRange(ip, parseIpRange(range, 'r'))).toBe(inside);
  });

  it('refuses what is not an address or a range', () => {
    for (const bad of ['10.0.0.0/33', '300.1.1.1', '1.2.3', '10.0.0.0/8/1', 'fe80::1::2', '', 42]) {
      expect(codeOf(() => parseIpRange(bad, 'r'))).toContain('CONFIG_INVALID');
    }
  });

  it('refuses IPv4 parts with leading zeros, which some parsers read as octal', () => {
    expect(codeOf(() => parseIpRange('010.0.0.0/8', 'r'))).toContain('CONFIG_INVALID');
    expect(ipInRange('010.1.2.3', parseIpRange('10.0.0.0/8', 'r'))).toBe(false);
  });
});

describe('accounts with ACL fields', () => {
  const book = parseAccounts([
    { accessKey: 'admin', secretKey: 's', admin: true },
    {
      accessKey: 'app',
      secretKey: 's',
      defaultTopicPerm: 'SUB',
      defaultGroupPerm: 'SUB',
      topicPerms: ['Orders=PUB|SUB', 'Secret=DENY'],
      groupPerms: { GID_x: 'DENY' },
      allowedIps: ['10.0.0.0/8'],
    },
    { accessKey: 'plain', secretKey: 's' },
  ]);

  it("defaults to RocketMQ's: not admin, DENY on topics and groups, from anywhere", () => {
    const plain = book.get('plain')!;
    expect(plain).toMatchObject({ admin: false, defaultTopicPerm: DENY, defaultGroupPerm: DENY });
    expect(plain.allowedIps).toBeUndefined();
    expect(decide('plain', plain, { action: 'sending', topics: [{ name: 'T', perm: PUB }] })).toMatchObject({
      code: 'ACCESS_DENIED',
    });
  });

  it('lets an admin do anything, from an allowed address', () => {
    expect(decide('admin', book.get('admin')!, { admin: true, action: 'deleting a topic' })).toBeNull();
  });

  it('applies per-topic and per-group permissions over the defaults', () => {
    const app = book.get('app')!;
    const ip = '10.0.0.1';
    expect(decide('app', app, { action: 'sending', topics: [{ name: 'Orders', perm: PUB }] }, ip)).toBeNull();
    expect(decide('app', app, { action: 'sending', topics: [{ name: 'Other', perm: PUB }] }, ip)?.code).toBe(
      'ACCESS_DENIED',
    );
    expect(decide('app', app, { action: 'pulling', topics: [{ name: 'Other', perm: SUB }] }, ip)).toBeNull();
    expect(decide('app', app, { action: 'pulling', topics: [{ name: 'Secret', perm: SUB }] }, ip)?.code).toBe(
      'ACCESS_DENIED',
    );
    expect(decide('app', app, { action: 'pulling', groups: [{ name: 'GID_x', perm: SUB }] }, ip)?.code).toBe(
      'ACCESS_DENIED',
    );
    expect(decide('app', app, { admin: true, action: 'resetting offsets' }, ip)?.code).toBe('ADMIN_REQUIRED');
    expect(
      decide('app', app, { action: 'sending', topics: [{ name: 'Orders', perm: PUB }] }, '192.168.0.1')?.code,
    ).toBe('SOURCE_IP_DENIED');
    expect(decide('app', app, { action: 'sending', topics: [{ name: 'Orders', perm: PUB }] }, undefined)?.code).toBe(
      'SOURCE_IP_DENIED',
    );
  });

  it("gives a group's retry and DLQ topics the group's permission", () => {
    const app = book.get('app')!;
    expect(topicPerm(app, '%RETRY%GID_x')).toBe(DENY);
    expect(topicPerm(app, '%DLQ%GID_y')).toBe(SUB);
  });

  it('refuses malformed ACL fields with CONFIG_INVALID, naming the account', () => {
    const bad = (fields: Record<string, unknown>) =>
      codeOf(() => parseAccounts([{ accessKey: 'k', secretKey: 's', ...fields }]));
    expect(bad({ admin: 'yes' })).toContain('(k).admin');
    expect(bad({ defaultTopicPerm: 'ALL' })).toContain('defaultTopicPerm');
    expect(bad({ allowedIps: [] })).toContain('allowedIps');
    expect(bad({ allowedIps: ['nope'] })).toContain('allowedIps[0]');
    expect(bad({ whiteRemoteAddress: '10.*' })).toContain("unknown field 'whiteRemoteAddress'");
  });
});

describe('the REST signature', () => {
  it('signs method, host, path, query, timestamp and the hash of the body', async () => {
    const text = stringToSign({
      method: 'post',
      host: 'mq.example.com',
      path: '/api/v1/topics/T/messages',
      query: 'a=1',
      timestamp: '1700000000000',
      bodySha256: await sha256Hex(''),
    });
    expect(text).toBe(
      'FLAREMQ-HMAC-SHA256\nPOST\nmq.example.com\n/api/v1/topics/T/messages\na=1\n1700000000000\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    );
  });

  it('gives the documented example (docs/security.md)', async () => {
    const headers = await signingHeaders(
      { accessKey: 'ak-demo', secretKey: 'sk-demo' },
      {
        method: 'POST',
        url: 'http://localhost:8787/api/v1/topics/TopicTest/messages',
        body: '{"body":"Hello flaremq"}',
      },
      1_700_000_000_000,
    );
    expect(headers['x-flaremq-timestamp']).toBe('1700000000000');
    expect(headers.authorization).toMatch(/^FLAREMQ-HMAC-SHA256 ak-demo:[0-9a-f]{64}$/);
    expect(headers.authorization).toBe(`FLAREMQ-HMAC-SHA256 ak-demo:${DOC_EXAMPLE_SIGNATURE}`);
  });
});

/** The signature docs/security.md shows for its example; if this changes, the doc must too. */
const DOC_EXAMPLE_SIGNATURE = '0d4d5e2db69bb0f2fb071db0a0eab0d01a71b30773ce654fb32084aba77acb70';
