/**
 * The RocketMQ HTTP protocol's gate: its own signature (../http-protocol/signature.ts),
 * then the same ACL as the REST API, on the flaremq names the request resolves
 * to (namespace included): publishing needs PUB on the topic; consuming and
 * acking need SUB on the topic and the consumer group; committing, rolling
 * back and checking half messages (trans=commit|rollback|pop) need PUB on the topic.
 * HEAD is gated as GET (Hono answers HEAD with the GET handler; routes.ts refuses it
 * anyway). Without accounts and without FLAREMQ_MODE=development|open, every
 * request is refused (a GET consumes). Refusals are counted (../refusals.ts).
 */
import { getQueryParam } from 'hono/utils/url';
import { decide, PUB, SUB, type Requirement } from '../../core/acl';
import { FlareError } from '../../core/errors';
import { ProtocolError, toProtocolError } from '../http-protocol/errors';
import { flaremqGroup, flaremqTopic, parseNamespace } from '../http-protocol/namespace';
import { authenticate, type Caller } from '../http-protocol/signature';
import { countRefusal } from '../refusals';
import { accountsNotConfigured, announce, securityMode } from './mode';
import type { AccountVars } from '../../core/accounts';

function requirementOf(req: Request, topicParam: string): Requirement {
  // The query decoded as the routes decode it (Hono's c.req.query): one decoding for the ACL and the route.
  const query = (name: string) => getQueryParam(req.url, name) as string | undefined;
  const ns = parseNamespace(query('ns'));
  const topic = flaremqTopic(ns, topicParam);
  const consumer = query('consumer');
  const trans = query('trans') ?? '';
  const method = req.method === 'HEAD' ? 'GET' : req.method;
  if (method === 'POST') return { action: 'publishing', topics: [{ name: topic, perm: PUB }] };
  if ((method === 'GET' && trans === 'pop') || (method === 'DELETE' && (trans === 'commit' || trans === 'rollback'))) {
    return { action: 'ending or checking a transaction', topics: [{ name: topic, perm: PUB }] };
  }
  const groups = consumer ? [{ name: flaremqGroup(ns, consumer), perm: SUB }] : [];
  return { action: method === 'DELETE' ? 'acking' : 'consuming', topics: [{ name: topic, perm: SUB }], groups };
}

/**
 * Authenticates and authorizes one protocol request; returns its caller.
 * `body` reads the body (once): called only after the signature's headers pass.
 * Throws a ProtocolError (AccessDenied for ACL refusals, the signature's own
 * codes for authentication), counted as a refusal.
 */
export async function protocolGate(
  req: Request,
  body: () => Promise<Uint8Array>,
  vars: AccountVars,
  topicParam: string,
): Promise<Caller> {
  const mode = securityMode(vars);
  announce(mode);
  try {
    if (mode.kind === 'development' || mode.kind === 'open') return await authenticate(req, body, new Map());
    if (mode.kind === 'closed') throw accountsNotConfigured();
    const caller = await authenticate(req, body, mode.book);
    const account = caller.accessKey === null ? undefined : mode.book.get(caller.accessKey);
    if (!account) throw new ProtocolError('InvalidAccessKeyId', 'the request names no account');
    const need = requirementOf(req, topicParam);
    const refusal = decide(account.accessKey, account, need, req.headers.get('cf-connecting-ip') ?? undefined);
    if (refusal) throw new FlareError(refusal.code, refusal.detail);
    return caller;
  } catch (err) {
    const protocol = toProtocolError(err);
    if (
      protocol &&
      (protocol.status === 401 || protocol.status === 403 || protocol.status === 408 || isAuthCode(protocol.code))
    ) {
      countRefusal('http-protocol', protocol.code, protocol.status);
    }
    throw err;
  }
}

function isAuthCode(code: string): boolean {
  return [
    'MissingAuthorizationHeader',
    'InvalidAuthorizationHeader',
    'MissingDateHeader',
    'InvalidDateHeader',
  ].includes(code);
}
