import { Hono } from 'hono';
import type { Env } from '../env';
import { ensureBrokersStarted } from './cluster';
import { httpProtocol } from './http-protocol/routes';
import { notFound, onError } from './http-errors';
import { openApiDocument } from './openapi';
import { brokersAdmin } from './routes/brokers-admin';
import { cluster } from './routes/cluster';
import { deadLetters } from './routes/dead-letters';
import { groups } from './routes/groups';
import { members } from './routes/members';
import { messages } from './routes/messages';
import { offsets } from './routes/offsets';
import { pop } from './routes/pop';
import { pull } from './routes/pull';
import { timers } from './routes/timers';
import { topics } from './routes/topics';
import { transactions } from './routes/transactions';

/** The Worker: routes the JSON REST API under /api/v1; all state lives in the Durable Objects. */
export const app = new Hono<{ Bindings: Env }>();

app.onError(onError);
app.notFound(notFound);

app.get('/', (c) =>
  c.json({ name: 'flaremq', api: '/api/v1', openapi: '/api/v1/openapi.json' }),
);

const api = new Hono<{ Bindings: Env }>();
api.use(async (c, next) => {
  await ensureBrokersStarted(c.env);
  await next();
});
api.get('/openapi.json', (c) => c.json(openApiDocument));
api.route('/topics', topics);
api.route('/', messages);
api.route('/', pull);
api.route('/', timers);
api.route('/', offsets);
api.route('/', cluster);
api.route('/', brokersAdmin);
api.route('/', groups);
api.route('/', members);
api.route('/', deadLetters);
api.route('/', pop);
api.route('/', transactions);

app.route('/api/v1', api);

// The RocketMQ HTTP protocol (XML, /topics/{topic}/messages) for the official HTTP SDKs: docs/http-protocol.md.
app.route('/', httpProtocol);
