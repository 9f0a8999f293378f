import { ensureBrokersStarted } from '../services/cluster';
import { dashboard } from './dashboard/routes';
import { httpProtocol } from './http-protocol/routes';
import { metrics } from './metrics';
import { notFound, onError } from './http-errors';
import { router } from './api/declare';
import { cluster } from './routes/cluster';
import { deadLetters } from './routes/dead-letters';
import { groups } from './routes/groups';
import { memberStream } from './routes/member-stream';
import { members } from './routes/members';
import { index, openApi } from './routes/meta';
import { messages } from './routes/messages';
import { offsets } from './routes/offsets';
import { pop } from './routes/pop';
import { producerStream } from './routes/producer-stream';
import { pull } from './routes/pull';
import { timers } from './routes/timers';
import { topics } from './routes/topics';
import { transactions } from './routes/transactions';
import { gate } from './security/rest-auth';
import { admin } from './security/requirements';
import { checkRequestLimits } from './security/request-limits';
import { corsForAllowedOrigins, refuseForeignPages, refuseForeignWrites } from './security/origins';

/** The Worker: routes the JSON REST API under /api/v1; all state lives in the Durable Objects. */
export const app = router();

app.onError(onError);
app.notFound(notFound);
// Web pages of other origins may not write (a no-preflight text/plain POST would): security/origins.ts.
app.use(refuseForeignWrites);

// The dashboard for browsers (Accept: text/html), the JSON index for API clients (docs/operations.md).
app.route('/', index);
app.route('/', dashboard);

/** The JSON REST API under /api/v1: its routes are declared once (api/declare.ts) and its document generated from them. */
const api = router();
// Browsers may call the API from this deployment's own pages and the origins in CORS_ALLOWED_ORIGINS only.
api.use(corsForAllowedOrigins);
// Size caps of the URL, query and headers (docs/security.md); each route's declaration then gates it (signature, ACL).
api.use(async (c, next) => {
  checkRequestLimits(c.req.raw, 'rest');
  await next();
});
api.use(async (c, next) => {
  await ensureBrokersStarted(c.env);
  await next();
});
api.route('/', openApi(app));
api.route('/', topics);
api.route('/', messages);
api.route('/', producerStream);
api.route('/', pull);
api.route('/', timers);
api.route('/', offsets);
api.route('/', cluster);
api.route('/', groups);
api.route('/', members);
api.route('/', memberStream);
api.route('/', deadLetters);
api.route('/', pop);
api.route('/', transactions);
// A path no route declares: closed as an admin route would be (an unsigned caller learns nothing), then 404.
api.all('*', (c, next) => gate(admin(`${c.req.method} ${c.req.path.slice(0, 100)}`))(c, next), notFound);

app.route('/api/v1', api);

// Prometheus text format: docs/operations.md.
app.route('/', metrics);

// The RocketMQ HTTP protocol (XML, /topics/{topic}/messages) for the official HTTP SDKs: docs/http-protocol.md.
// Its GETs consume, so a page of another site may not even GET it (security/origins.ts).
app.use('/topics/*', refuseForeignPages);
app.route('/', httpProtocol);
