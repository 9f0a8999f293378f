import { exports } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';

describe('smoke', () => {
  it('creates a topic, sends and pulls', async () => {
    const put = await exports.default.fetch('http://x/api/v1/topics/Smoke', { method: 'PUT', body: '{}' });
    expect(put.status).toBe(200);
    console.log(await put.json());
    const send = await exports.default.fetch('http://x/api/v1/topics/Smoke/messages', { method: 'POST', body: JSON.stringify({ body: 'hi', tags: 'A', keys: 'k1 k2' }) });
    const sent = await send.json() as any;
    console.log(sent);
    const pull = await exports.default.fetch(`http://x/api/v1/topics/Smoke/queues/${sent.brokerName}/${sent.queueId}/messages?offset=0`);
    console.log(await pull.json());
  });
});
