/**
 * What the API answers: JSON with an explicit charset on every response that has a body (errors included, since
 * callers call `response.json()` on every non-2xx answer), and nothing at all on 201 and 204.
 */
import { httpErrorFor } from '../core/errors';

export const JSON_TYPE = 'application/json; charset=utf-8';

export type Headers = Record<string, string>;

export interface ApiResponse {
  status: number;
  headers: Headers;
  /** The serialized JSON, or '' (201, 204, and every answer to HEAD). */
  body: string;
}

export function json(status: number, value: unknown, extra?: Headers): ApiResponse {
  const body = JSON.stringify(value);
  const headers: Headers = { 'content-type': JSON_TYPE, 'content-length': String(Buffer.byteLength(body)) };
  if (extra) Object.assign(headers, extra);
  return { status, headers, body };
}

/** 201 and 204: no body, no content type. */
export function empty(status: 201 | 204): ApiResponse {
  return { status, headers: status === 201 ? { 'content-length': '0' } : {}, body: '' };
}

/** The envelope of http-api.md §1.1 for a status and message this layer decides itself. */
export function error(status: number, message: string, extra?: Headers): ApiResponse {
  return json(status, { message, extra: {} }, extra);
}

/** Any error thrown by a handler, through THE error map (core/errors.ts). */
export function fromError(err: unknown): ApiResponse {
  const mapped = httpErrorFor(err);
  return json(mapped.status, mapped.body);
}

/** HEAD: the GET answer's status and headers (Content-Length included), without the body. */
export function withoutBody(res: ApiResponse): ApiResponse {
  return { status: res.status, headers: res.headers, body: '' };
}

export const MESSAGES = {
  notFound: 'Not found.',
  methodNotAllowed: (method: string) => `Method "${method}" not allowed.`,
  unauthenticated: 'Authentication credentials were not provided.',
  jsonParse: (detail: string) => `JSON parse error - ${detail}`,
  tooLarge: 'Request body exceeds 1 MiB',
  unavailable: 'Database unavailable',
  internal: 'Internal server error',
  /** DRF's text, with the Content-Type as sent. */
  unsupportedMediaType: (contentType: string) => `Unsupported media type "${contentType}" in request.`,
  hostMissing: 'Bad request: no Host header',
  hostNotAllowed: 'Host not allowed (see --allowed-hosts)',
  originNotAllowed: 'Origin not allowed (see --allowed-origins)',
  peerNotAllowed: 'Address not allowed (see --allow-from)',
  expectationFailed: 'Expectation failed',
  tooManyConnections: 'Too many connections',
} as const;

export const BODY_LIMIT = 1024 * 1024;
