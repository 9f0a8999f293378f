/**
 * The server's log lines as `wrangler dev` prints them (docs/operations.md, "Logs"): one JSON object per line,
 * with `level`, `msg` and the fields naming what it happened to.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { makeTempDir, startServer, type DevServer } from './server';

let server: DevServer | null = null;
const dir = makeTempDir('flaremq-e2e-logs-');

afterAll(async () => {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** The JSON objects with a level in the server's output, one per line (wrangler prefixes warnings and errors with `▲ [WARNING]` or `✘ [ERROR]`, in colour). */
function jsonLines(output: string): any[] {
  return output
    .split('\n')
    .map((line) => stripVTControlCharacters(line).trim())
    .filter((line) => line.endsWith('}') && line.includes('{"level":'))
    .map((line) => JSON.parse(line.slice(line.indexOf('{"level":'))));
}

async function call(method: string, path: string, body: unknown): Promise<any> {
  const res = await fetch(`${server!.url}/api/v1${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  expect(res.status).toBeLessThan(300);
  return res.json();
}

describe('log lines under wrangler dev', () => {
  it('are JSON objects, one per line: the open-mode banner, and a message sent to the DLQ with its group and topic', async () => {
    server = await startServer({ persistTo: join(dir, 'state') });
    await call('PUT', '/topics/E2eLogs', { queueNums: 1 });
    await call('POST', '/groups/GID_e2e_logs/members/c1/heartbeat', { subscriptions: [{ topic: 'E2eLogs' }] });
    const sent = await call('POST', '/topics/E2eLogs/messages', { body: 'poison' });
    const dead = await call('POST', '/groups/GID_e2e_logs/retry', { msgId: sent.msgId, delayLevel: -1 });
    expect(dead).toMatchObject({ status: 'DLQ', topic: '%DLQ%GID_e2e_logs' });

    let lines: any[] = [];
    for (let i = 0; i < 50 && !lines.some((l) => l.group === 'GID_e2e_logs'); i++) {
      await new Promise((resolve) => setTimeout(resolve, 100)); // wrangler prints what the Worker logged a moment later
      lines = jsonLines(server.output());
    }
    expect(lines.find((l) => l.mode === 'development')).toMatchObject({
      level: 'warn',
      msg: expect.stringContaining('OPEN MODE'),
    });
    expect(lines.find((l) => l.group === 'GID_e2e_logs')).toMatchObject({
      level: 'info',
      msg: 'a message went to the dead-letter queue',
      topic: 'E2eLogs',
      msgId: sent.msgId,
      dlqTopic: '%DLQ%GID_e2e_logs',
      dlqMsgId: dead.result.msgId,
    });
  });
});
