/**
 * The RocketMQ HTTP protocol (version 2015-06-06, XML), as the official HTTP
 * SDKs speak it, mounted at the root of the Worker:
 *
 *   POST   /topics/{topic}/messages[?ns=N]                     publish
 *   GET    /topics/{topic}/messages?consumer=G&numOfMessages=n[&waitseconds=w][&tag=T][&trans=order|pop][&ns=N]
 *   DELETE /topics/{topic}/messages?consumer=G[&trans=commit|rollback][&ns=N]   ack, commit, rollback
 *
 * Every answer carries `x-mq-request-id`; errors are the protocol's XML
 * documents. See docs/http-protocol.md.
 */
import { Hono } from 'hono';
import { ensureBrokersStarted } from '../../services/cluster';
import { protocolGate } from '../security/protocol-gate';
import { checkRequestLimits } from '../security/request-limits';
import { MAX_REQUEST_BYTES, type ProtocolEnv } from './config';
import { ack, consume } from './consume';
import { errorAnswer, type ProtocolVariables } from './context';
import { ProtocolError, toProtocolError } from './errors';
import { publish } from './publish';
import { newRequestId, readBody } from './request';
import { log } from '../../log';

export const httpProtocol = new Hono<{ Bindings: ProtocolEnv; Variables: ProtocolVariables }>();

httpProtocol.onError((err, c) => {
  const protocol = toProtocolError(err);
  if (protocol) {
    if (protocol.status >= 500) {
      log.error('an HTTP protocol request failed', {
        method: c.req.method,
        path: c.req.path,
        status: protocol.status,
        code: protocol.code,
        reason: protocol.message,
      });
    }
    return errorAnswer(c, protocol);
  }
  log.error('an HTTP protocol request failed unexpectedly', { method: c.req.method, path: c.req.path, error: err });
  return errorAnswer(c, new ProtocolError('InternalError', 'an unexpected failure; it is logged with its cause'));
});

const MESSAGES = '/topics/:topic/messages';

httpProtocol.use(MESSAGES, async (c, next) => {
  c.set('requestId', newRequestId());
  // Hono answers HEAD with the GET handler, which consumes: the messages would be popped and their bodies dropped.
  if (c.req.method === 'HEAD')
    throw new ProtocolError(
      'MethodNotAllowed',
      'HEAD is not a method of /topics/{topic}/messages: a GET consumes; use GET',
    );
  checkRequestLimits(c.req.raw, 'http-protocol');
  // Read once, and only after the signature's headers pass (an unsigned request is refused unread).
  let read: Promise<Uint8Array> | undefined;
  const body = () =>
    (read ??=
      c.req.method === 'GET' || c.req.method === 'HEAD'
        ? Promise.resolve(new Uint8Array(0))
        : readBody(c.req.raw, MAX_REQUEST_BYTES));
  // Signature, then the accounts' ACL, or FLAREMQ_MODE without accounts: docs/security.md.
  c.set('caller', await protocolGate(c.req.raw, body, c.env, c.req.param('topic') ?? ''));
  c.set('body', await body());
  await ensureBrokersStarted(c.env);
  await next();
});

httpProtocol.post(MESSAGES, (c) => publish(c));
httpProtocol.get(MESSAGES, (c) => consume(c));
httpProtocol.delete(MESSAGES, (c) => ack(c));
httpProtocol.all(MESSAGES, (c) => {
  throw new ProtocolError(
    'MethodNotAllowed',
    `${c.req.method} is not a method of /topics/{topic}/messages; use POST (publish), GET (consume) or DELETE (ack)`,
  );
});
