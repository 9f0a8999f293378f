/** The Hono context of a protocol request, and how answers are written. */
import type { Context } from 'hono';
import type { ProtocolEnv } from './config';
import { errorXml, type ProtocolError } from './errors';
import { newRequestId } from './request';
import type { Caller } from './signature';
import { renderXml, type XmlNode } from './xml';

export interface ProtocolVariables {
  requestId: string;
  /** The request body (empty for GET). */
  body: Uint8Array;
  caller: Caller;
}

export type ProtocolContext = Context<{ Bindings: ProtocolEnv; Variables: ProtocolVariables }>;

export const REQUEST_ID_HEADER = 'x-mq-request-id';
export const XML_CONTENT_TYPE = 'text/xml;charset=utf-8';

/** An answer: an XML document with `status`, or no body (204). */
export function answer(c: ProtocolContext, status: number, root?: XmlNode): Response {
  const headers = new Headers({ [REQUEST_ID_HEADER]: c.get('requestId') });
  if (!root) return new Response(null, { status, headers });
  headers.set('content-type', XML_CONTENT_TYPE);
  return new Response(renderXml(root), { status, headers });
}

/** The error document, with the request id (a new one if the request failed before it had one). */
export function errorAnswer(c: ProtocolContext, err: ProtocolError): Response {
  const requestId = c.get('requestId') ?? newRequestId();
  return new Response(errorXml(err, requestId, new URL(c.req.url).origin), {
    status: err.status,
    headers: { [REQUEST_ID_HEADER]: requestId, 'content-type': XML_CONTENT_TYPE },
  });
}
