/**
 * The admin CLI end to end: `node bin/flaremq.mjs` (bundled from src/cli on
 * first run) against the real local server, every noun and verb, human and
 * --json output, one-line errors with exit status 1, --help everywhere.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SECRET_KEY_FLAG_WARNING } from '../../src/cli/context';
import { signingHeaders } from '../../src/core/request-signing';
import { cli as run, cliJson as runJson, type CliResult } from './cli-runner';
import { makeTempDir, startServer, type DevServer } from './server';

/** The server runs with accounts, so every request must be signed: the CLI takes the keys from the environment. */
const ADMIN = { accessKey: 'ak-cli-admin', secretKey: 'sk-cli-admin-secret' };
const CREDENTIALS = { FLAREMQ_ACCESS_KEY: ADMIN.accessKey, FLAREMQ_SECRET_KEY: ADMIN.secretKey };
const cli = (endpoint: string, args: string[], options: { input?: string } = {}): Promise<CliResult> =>
  run(endpoint, args, { ...options, env: CREDENTIALS });
const cliJson = <T = unknown>(endpoint: string, args: string[]): Promise<T> => runJson<T>(endpoint, args, CREDENTIALS);

let tmp: string;
let server: DevServer;
let url: string;
const suffix = Date.now().toString(36);
const topic = `CliTopic_${suffix}`;
const group = `GID_cli_${suffix}`;

describe('flaremq CLI against wrangler dev', () => {
  beforeAll(async () => {
    tmp = makeTempDir('flaremq-e2e-cli-');
    server = await startServer({
      persistTo: join(tmp, 'state'),
      vars: { FLAREMQ_ACCOUNTS: JSON.stringify([{ ...ADMIN, admin: true }]) },
    });
    url = server.url;
  });

  afterAll(async () => {
    await server?.stop();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('has --help on every noun and verb', async () => {
    const root = await cli(url, ['--help']);
    expect(root.code).toBe(0);
    for (const noun of ['cluster', 'broker', 'topic', 'message', 'group', 'dlq']) expect(root.stdout).toContain(noun);
    const verbs: Record<string, string[]> = {
      cluster: ['list'],
      broker: ['status'],
      topic: ['create', 'update', 'delete', 'list', 'route', 'status'],
      message: ['send', 'get', 'query', 'consume'],
      group: ['list', 'status', 'lag', 'reset-offset', 'skip'],
      dlq: ['list', 'resend'],
    };
    for (const [noun, list] of Object.entries(verbs)) {
      const n = await cli(url, [noun, '--help']);
      expect(n.code).toBe(0);
      for (const verb of list) {
        expect(n.stdout).toContain(verb);
        const v = await cli(url, [noun, verb, '--help']);
        expect(v.code, `${noun} ${verb} --help`).toBe(0);
        expect(v.stdout).toContain(`Usage: flaremq ${noun} ${verb}`);
      }
    }
  });

  it('shows the cluster and the brokers', async () => {
    const human = await cli(url, ['cluster', 'list']);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/^CLUSTER\s+BROKER\s+ID\s+ROLE/);
    expect(human.stdout).toContain('broker-a');
    const info = await cliJson<{ brokerDatas: { brokerName: string }[] }>(url, ['cluster', 'list']);
    expect(info.brokerDatas.map((b) => b.brokerName).sort()).toEqual(['broker-a', 'broker-b']);
    const brokers = await cliJson<{ config: { brokerName: string } }[]>(url, ['broker', 'status']);
    expect(brokers).toHaveLength(2);
    expect((await cli(url, ['broker', 'status'])).stdout).toMatch(/broker-a\s+0\s+ASYNC_MASTER/);
  });

  it('creates, updates, lists, routes and deletes topics', async () => {
    const created = await cli(url, ['topic', 'create', topic, '--queues', '2']);
    expect(created.code).toBe(0);
    expect(created.stdout).toMatch(new RegExp(`${topic}\\s+broker-a\\s+2\\s+2\\s+RW`));
    expect(await cliJson<string[]>(url, ['topic', 'list'])).toContain(topic);
    const updated = await cliJson<{ queueDatas: { readQueueNums: number }[] }>(url, [
      'topic',
      'update',
      topic,
      '--queues',
      '3',
    ]);
    expect(updated.queueDatas.map((q) => q.readQueueNums)).toEqual([3, 3]);
    const route = await cliJson<{ topic: string; queueDatas: unknown[] }>(url, ['topic', 'route', topic]);
    expect(route.queueDatas).toHaveLength(2);
    const status = await cliJson<{ queues: unknown[] }>(url, ['topic', 'status', topic]);
    expect(status.queues).toHaveLength(6);

    const doomed = `${topic}_doomed`;
    expect((await cli(url, ['topic', 'create', doomed])).code).toBe(0);
    expect((await cli(url, ['topic', 'delete', doomed])).stdout).toContain(`deleted ${doomed}`);
    expect(await cliJson<string[]>(url, ['topic', 'list'])).not.toContain(doomed);
  });

  it('sends, gets, queries by key, unique key and time, and consumes messages', async () => {
    const before = Date.now() - 1_000;
    const one = await cliJson<{ msgId: string; uniqueKey: string }>(url, [
      'message',
      'send',
      topic,
      'hello cli',
      '--keys',
      'order-42',
      '--tags',
      'TagA',
      '-P',
      'source=test',
    ]);
    const many = await cliJson<{ msgId: string }[]>(url, [
      'message',
      'send',
      topic,
      'bulk',
      '--count',
      '120',
      '--batch',
      '50',
    ]);
    expect(many).toHaveLength(120);
    const piped = await cli(url, ['--json', 'message', 'send', topic], { input: 'from stdin' });
    expect(piped.code).toBe(0);

    const got = await cliJson<{ body: string; keys: string[]; properties: Record<string, string> }>(url, [
      'message',
      'get',
      one.msgId,
    ]);
    expect(got).toMatchObject({ body: 'hello cli', keys: ['order-42'], properties: { source: 'test' } });
    const human = await cli(url, ['message', 'get', one.msgId]);
    expect(human.stdout).toMatch(/^msgId\s+0/);
    expect(human.stdout).toContain('hello cli');

    const byKey = await cliJson<{ msgId: string }[]>(url, ['message', 'query', topic, '--key', 'order-42']);
    expect(byKey.map((m) => m.msgId)).toEqual([one.msgId]);
    const byUnique = await cliJson<{ msgId: string }[]>(url, [
      'message',
      'query',
      topic,
      '--unique-key',
      one.uniqueKey,
    ]);
    expect(byUnique.map((m) => m.msgId)).toEqual([one.msgId]);
    const byTime = await cliJson<{ body: string }[]>(url, [
      'message',
      'query',
      topic,
      '--begin',
      String(before),
      '--max',
      '500',
    ]);
    expect(byTime).toHaveLength(122);
    expect(await cliJson<unknown[]>(url, ['message', 'query', topic, '--begin', String(Date.now() + 60_000)])).toEqual(
      [],
    );

    const tail = await cli(url, ['--json', 'message', 'consume', topic, '--from-beginning', '--count', '5']);
    expect(tail.code).toBe(0);
    expect(tail.stdout.trim().split('\n')).toHaveLength(5);
  });

  it('lists a group, shows its status and lag, resets and skips its offsets', async () => {
    const consumed = await cli(url, [
      '--json',
      'message',
      'consume',
      topic,
      '--group',
      group,
      '--from-beginning',
      '--count',
      '1',
      '--idle',
      '60000',
    ]);
    expect(consumed.code, consumed.stderr).toBe(0);
    expect(await cliJson<string[]>(url, ['group', 'list'])).toContain(group);
    const status = await cliJson<{ group: string; topics: string[] }>(url, ['group', 'status', group]);
    expect(status.topics).toContain(topic);
    expect((await cli(url, ['group', 'status', group])).stdout).toMatch(/^group\s+GID_cli_/);

    const reset = await cliJson<{ offsets: { offset: number }[] }>(url, [
      'group',
      'reset-offset',
      group,
      '--topic',
      topic,
      '--to',
      '0',
    ]);
    expect(reset.offsets.every((o) => o.offset === 0)).toBe(true);
    const lag = await cliJson<{ totalLag: number }>(url, ['group', 'lag', group]);
    expect(lag.totalLag).toBeGreaterThanOrEqual(122);
    expect((await cli(url, ['group', 'lag', group])).stdout).toMatch(/total lag \d+/);
    await cliJson(url, ['group', 'skip', group, '--topic', topic]);
    const after = await cliJson<{ queues: { topic: string; lag: number }[] }>(url, ['group', 'lag', group]);
    expect(after.queues.filter((q) => q.topic === topic).every((q) => q.lag === 0)).toBe(true);
  });

  it('lists and resends dead letters', async () => {
    const sent = await cliJson<{ msgId: string }>(url, ['message', 'send', topic, 'doomed', '--keys', 'dlq-1']);
    const retryUrl = `${url}/api/v1/groups/${group}/retry`;
    const body = JSON.stringify({ msgId: sent.msgId, delayLevel: -1 });
    const res = await fetch(retryUrl, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(await signingHeaders(ADMIN, { method: 'POST', url: retryUrl, body })),
      },
      body,
    });
    expect(res.status).toBe(200);
    const dlq = await cliJson<{ total: number; messages: { msgId: string; body: string }[] }>(url, [
      'dlq',
      'list',
      group,
    ]);
    expect(dlq.total).toBe(1);
    expect(dlq.messages[0]!.body).toBe('doomed');
    const resent = await cliJson<{ resentFrom: string; topic: string }[]>(url, [
      'dlq',
      'resend',
      group,
      dlq.messages[0]!.msgId,
    ]);
    // Back to the group alone, through its retry topic: the topic itself still holds only the original.
    expect(resent).toMatchObject([{ resentFrom: dlq.messages[0]!.msgId, topic: `%RETRY%${group}` }]);
    expect((await cliJson<{ msgId: string }[]>(url, ['message', 'query', topic, '--key', 'dlq-1'])).length).toBe(1);
    expect(
      (await cliJson<{ msgId: string }[]>(url, ['message', 'query', `%RETRY%${group}`, '--key', 'dlq-1'])).length,
    ).toBe(1);
  });

  it('fails with one line on stderr and exit status 1', async () => {
    const missing = await cli(url, ['topic', 'route', `Nope_${suffix}`]);
    expect(missing.code).toBe(1);
    expect(missing.stderr.trim().split('\n')).toHaveLength(1);
    expect(missing.stderr).toMatch(/^flaremq: \[TOPIC_NOT_EXIST\]/);
    const bad = await cli(url, ['message', 'query', topic]);
    expect(bad.code).toBe(1);
    expect(bad.stderr.trim()).toBe('flaremq: give --key, --unique-key or --begin');
    const down = await cli('http://127.0.0.1:9', ['--timeout', '2000', 'topic', 'list']);
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(/^flaremq: \[(NETWORK_ERROR|REQUEST_TIMEOUT)\]/);
    const unknown = await cli(url, ['topic', 'frobnicate']);
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toContain("unknown command 'frobnicate'");
  });

  it('is refused without credentials, and takes them from flags as well as the environment', async () => {
    const unsigned = await run(url, ['topic', 'create', `${topic}_unsigned`]);
    expect(unsigned.code).toBe(1);
    expect(unsigned.stderr).toMatch(/^flaremq: \[\w+\]/);
    const flags = await run(url, [
      '--access-key',
      ADMIN.accessKey,
      '--secret-key',
      ADMIN.secretKey,
      '--json',
      'topic',
      'list',
    ]);
    expect(flags.code).toBe(0);
    expect(JSON.parse(flags.stdout)).toContain(topic);
    // The flag works, but says once that FLAREMQ_SECRET_KEY is the way (a flag shows in ps and shell history).
    expect(flags.stderr).toBe(SECRET_KEY_FLAG_WARNING);
    const fromEnvironment = await cli(url, ['--json', 'topic', 'list']);
    expect(fromEnvironment.code).toBe(0);
    expect(fromEnvironment.stderr).toBe('');
    const half = await run(url, ['--access-key', ADMIN.accessKey, 'topic', 'list']);
    expect(half.code).toBe(1);
    expect(half.stderr.trim()).toBe(
      'flaremq: give both --access-key and --secret-key (or FLAREMQ_ACCESS_KEY and FLAREMQ_SECRET_KEY)',
    );
  });
});
