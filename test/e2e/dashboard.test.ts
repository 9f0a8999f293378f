/**
 * The dashboard in a real headless browser (Chromium driven by playwright-core:
 * test/e2e/browser.ts) against the real local server:
 * every page loads, a topic created in the dashboard shows up in the CLI, a
 * test message sent from the dashboard is found by key, a group's lag and
 * reset, dead letters browsed and resent, a group's members, TPS, queues and
 * lag chart, and the overview's rates and producer groups. Screenshots go to
 * test-output/dashboard/.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from './browser';
import { cliJson } from './cli-runner';
import { PROJECT_ROOT, makeTempDir, startServer, type DevServer } from './server';

const SHOTS = join(PROJECT_ROOT, 'test-output', 'dashboard');

let tmp: string;
let profile: string;
let server: DevServer;
let browser: BrowserContext;
let page: Page;
const suffix = Date.now().toString(36);

async function open(hash: string, view: string): Promise<void> {
  await page.goto(`${server.url}/${hash}`);
  await page.waitForSelector(`body[data-view="${view}"]`);
  expect(await page.locator('#error').isHidden()).toBe(true);
}

const shot = (name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });

/** A REST call to the test server, answering the parsed body; fails the test on an error status. */
async function rest<T = any>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${server.url}/api/v1${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const answer = await res.json();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(answer)}`);
  return answer as T;
}

/** Pixels of a chart's canvas drawn in a series' colour (#f38020), that is, its line's points. */
const seriesPixels = (chart: string) =>
  page.locator(`${chart} canvas`).evaluate((canvas: HTMLCanvasElement) => {
    const { data } = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height);
    let n = 0;
    for (let i = 0; i < data.length; i += 4) {
      if (Math.abs(data[i] - 243) < 8 && Math.abs(data[i + 1] - 128) < 8 && Math.abs(data[i + 2] - 32) < 8) n++;
    }
    return n;
  });

describe('dashboard in headless chromium', () => {
  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    tmp = makeTempDir('flaremq-e2e-dashboard-');
    profile = mkdtempSync(join(tmpdir(), 'flaremq-chromium-'));
    server = await startServer({ persistTo: join(tmp, 'state') });
    browser = await launchChromium(profile, { viewport: { width: 1280, height: 900 } });
    page = browser.pages()[0] ?? (await browser.newPage());
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    rmSync(tmp, { recursive: true, force: true });
    rmSync(profile, { recursive: true, force: true });
  });

  it('serves the page to browsers and the JSON index to API clients', async () => {
    const json = await fetch(`${server.url}/`);
    expect(await json.json()).toMatchObject({ name: 'flaremq', api: '/api/v1' });
    const res = await page.goto(`${server.url}/`);
    expect(res?.headers()['content-type']).toContain('text/html');
  });

  it('shows the cluster', async () => {
    await open('#/cluster', 'cluster');
    await expect.poll(() => page.locator('#brokers').innerText()).toMatch(/broker-a\s+0\s+ASYNC_MASTER/);
    expect(await page.locator('#ns-count').innerText()).toBe('2');
    await shot('cluster');
  });

  it('creates a topic that the CLI then lists, and charts it', async () => {
    const topic = `DashTopic_${suffix}`;
    await open('#/topics', 'topics');
    await page.fill('#new-topic', topic);
    await page.fill('#new-queues', '2');
    await page.click('#create-topic button');
    await page.waitForSelector(`h2:has-text("Topic ${topic}")`);
    await page.waitForSelector('#chart .uplot');
    expect(await page.locator('#queues tbody tr').count()).toBe(4);
    await shot('topic');
    expect(await cliJson<string[]>(server.url, ['topic', 'list'])).toContain(topic);
    await open('#/topics', 'topics');
    expect(await page.locator('#topics').innerText()).toContain(topic);
    await shot('topics');
  });

  it('sends a test message and finds it by key, then by id and by time', async () => {
    const topic = `DashTopic_${suffix}`;
    const key = `dash-key-${suffix}`;
    await open('#/messages', 'messages');
    await page.fill('#send-topic', topic);
    await page.fill('#send-body', 'hello from the browser');
    await page.fill('#send-keys', key);
    await page.click('#send button');
    const msgId = await (await page.waitForSelector('#sent-id')).innerText();
    expect(msgId).toMatch(/^[0-9A-F]+$/);

    await page.fill('#q-topic', topic);
    await page.fill('#q-key', key);
    await page.click('#search button');
    await page.waitForSelector('#message-body');
    expect(await page.locator('#found').innerText()).toContain(msgId);
    expect(await page.locator('#message-body').innerText()).toBe('hello from the browser');
    await shot('message-by-key');

    await page.fill('#q-key', '');
    await page.fill('#q-id', msgId);
    await page.click('#search button');
    await expect.poll(() => page.locator('#found').innerText()).toContain(msgId);

    await page.fill('#q-id', '');
    await page.fill('#q-begin', '2020-01-01T00:00');
    await page.click('#search button');
    await expect.poll(() => page.locator('#found').innerText()).toContain(msgId);

    await open(`#/topics/${topic}`, 'topics');
    await page.waitForSelector('#chart[data-total="1"] .uplot');
    await shot('topic-chart');
  });

  it("shows a group's members and lag, resets its offsets, and resends its dead letters", async () => {
    const topic = `DashTopic_${suffix}`;
    const group = `GID_dash_${suffix}`;
    await cliJson(server.url, [
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
    await open(`#/groups/${group}`, 'groups');
    expect(await page.locator('#lag').innerText()).toContain(topic);
    const generation = Number(await page.locator('#generation').innerText());
    await page.selectOption('#reset-topic', topic);
    await page.click('#reset button[type=submit]');
    // The reset bumps the generation; the page reloads the group.
    await expect.poll(async () => Number(await page.locator('#generation').innerText())).toBeGreaterThan(generation);
    expect(Number(await page.locator('#total-lag').innerText())).toBeGreaterThanOrEqual(1);
    await shot('group');
    await open('#/groups', 'groups');
    expect(await page.locator('#groups').innerText()).toContain(group);

    const sent = await cliJson<{ msgId: string }>(server.url, ['message', 'send', topic, 'dead on arrival']);
    const res = await fetch(`${server.url}/api/v1/groups/${group}/retry`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ msgId: sent.msgId, delayLevel: -1 }),
    });
    expect(res.status).toBe(200);
    await open(`#/dlq/${group}`, 'dlq');
    expect(await page.locator('#dlq').innerText()).toContain('dead on arrival');
    await shot('dlq');
    await page.click('button[data-resend]');
    await page.waitForSelector('#dlq .ok:has-text("resent as")');
  });

  it("shows a group as RocketMQ's consumer page does: members, model, TPS, lag over time, queues with owner and offsets", async () => {
    const topic = `DashLag_${suffix}`;
    const group = `GID_lag_${suffix}`;
    const clientId = `dash-client-${suffix}`;
    await rest('PUT', `/topics/${topic}`, { queueNums: 1 });
    const joined = await rest<{ queues: { topic: string; brokerName: string; queueId: number }[] }>(
      'POST',
      `/groups/${group}/members/${clientId}/heartbeat`,
      { subscriptions: [{ topic, expression: '*' }], consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET' },
    );
    const mine = joined.queues.filter((q) => q.topic === topic);
    expect(mine).toHaveLength(2);
    for (const body of ['one', 'two']) await rest('POST', `/topics/${topic}/messages`, { body });
    // The member consumes both, and commits.
    for (const q of mine) {
      const path = `/groups/${group}/members/${clientId}/queues/${topic}/${q.brokerName}/${q.queueId}/messages`;
      const pulled = await rest<{ nextBeginOffset: number }>('GET', path);
      await rest('GET', `${path}?commitOffset=${pulled.nextBeginOffset}`);
    }
    // Three more that nobody consumes, and one dead letter.
    const sent = [];
    for (const body of ['three', 'four', 'five']) sent.push(await rest('POST', `/topics/${topic}/messages`, { body }));
    await rest('POST', `/groups/${group}/retry`, { msgId: sent[0].msgId, delayLevel: -1 });

    await open(`#/groups/${group}`, 'groups');
    expect(await page.locator('#members').innerText()).toContain(clientId);
    expect(await page.locator('#member-count').innerText()).toBe('1');
    expect(await page.locator('#message-model').innerText()).toBe('CLUSTERING');
    expect(Number(await page.locator('#total-lag').innerText())).toBe(3);
    expect(Number(await page.locator('#consume-tps').innerText())).toBeGreaterThan(0);
    expect(await page.locator('#dlq-count').innerText()).toBe('1');
    // Per queue of the topic: broker, queue, owner, broker offset, consumer offset, diff.
    const rows = page.locator('#lag tbody tr', { hasText: topic });
    expect(await rows.count()).toBe(2);
    const cells = await Promise.all(
      [0, 1].map(async (i) => (await rows.nth(i).locator('td').allInnerTexts()).map((t) => t.trim())),
    );
    for (const [t, , , owner, brokerOffset, consumerOffset, diff] of cells) {
      expect([t, owner]).toEqual([topic, clientId]);
      expect(Number(diff)).toBe(Number(brokerOffset) - Number(consumerOffset));
    }
    expect(cells.reduce((n, c) => n + Number(c[6]), 0)).toBe(3);
    expect(cells.reduce((n, c) => n + Number(c[5]), 0)).toBe(2);
    // Lag over time: a point a minute for the last hour, the last one the lag now, drawn.
    const chart = page.locator('#lag-chart');
    await page.waitForSelector('#lag-chart canvas');
    expect(await chart.getAttribute('data-points')).toBe('60');
    expect(await chart.getAttribute('data-last-lag')).toBe('3');
    expect(await seriesPixels('#lag-chart')).toBeGreaterThan(20);
    await shot('group-detail');

    await open('#/groups', 'groups');
    const row = (await page.locator('#groups tbody tr', { hasText: group }).locator('td').allInnerTexts()).map((t) =>
      t.trim(),
    );
    // group, members, mode, TPS, diff, retry, DLQ
    expect([row[0], row[1], row[2], row[4], row[6]]).toEqual([group, '1', 'CLUSTERING', '3', '1']);
    expect(Number(row[3])).toBeGreaterThan(0);
    await shot('groups');
  });

  it('shows the overview: cluster-wide rates, the busiest topics, producer groups with check URL and discards', async () => {
    const topic = `DashBusy_${suffix}`;
    const producerGroup = `PG_dash_${suffix}`;
    const checkUrl = 'https://checks.example.com/flaremq';
    await rest('PUT', `/topics/${topic}`, { queueNums: 1 });
    for (let i = 0; i < 5; i++) await rest('POST', `/topics/${topic}/messages`, { body: `busy ${i}` });
    await rest('PUT', `/producer-groups/${producerGroup}`, { checkUrl });

    await open('#/overview', 'overview');
    const busiest = page.locator('#top-topics tbody tr', { hasText: topic }).locator('td');
    expect((await busiest.allInnerTexts()).slice(0, 2)).toEqual([topic, '5']);
    expect(Number(await page.locator('#rate-in').innerText())).toBeGreaterThan(0);
    const producer = (
      await page.locator('#producer-groups tbody tr', { hasText: producerGroup }).locator('td').allInnerTexts()
    ).map((t) => t.trim());
    expect(producer.slice(0, 3)).toEqual([producerGroup, checkUrl, '0']);
    await page.waitForSelector('#overview-chart canvas');
    expect(await page.locator('#overview-chart').getAttribute('data-points')).toBe('60');
    expect(await seriesPixels('#overview-chart')).toBeGreaterThan(20);
    await shot('overview');
    // The root opens on the overview.
    await page.goto(`${server.url}/`);
    await page.waitForSelector('body[data-view="overview"]');
  });

  it('signs its requests with the keys given, where the server has accounts', async () => {
    const admin = { accessKey: 'ak-dash', secretKey: 'sk-dash-secret' };
    const secured = await startServer({
      persistTo: join(tmp, 'state-accounts'),
      vars: { FLAREMQ_ACCOUNTS: JSON.stringify([{ ...admin, admin: true }]) },
    });
    try {
      const topic = `Signed_${suffix}`;
      await page.goto(`${secured.url}/#/topics`);
      await page.waitForSelector('body[data-view="topics"]');
      // Unsigned, even the list is refused.
      await expect.poll(() => page.locator('#error').innerText()).toMatch(/^\[\w+\]/);
      await page.fill('#accessKey', admin.accessKey);
      await page.fill('#secretKey', admin.secretKey);
      await page.locator('#secretKey').press('Tab'); // change: the view reloads, signed
      await page.waitForSelector('#create-topic');
      await page.fill('#new-topic', topic);
      await page.click('#create-topic button');
      await page.waitForSelector(`h2:has-text("Topic ${topic}")`);
      expect(await page.locator('#error').isHidden()).toBe(true);
      await shot('signed-topic');
    } finally {
      await secured.stop();
    }
  });
});
