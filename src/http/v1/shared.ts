/** What the admin API's verbs share: its limits, texts, links and the call they receive. */
import type { Ctx } from '../../core/operation';
import type { ApiRequest } from '../request';
import { json } from '../response';
import { keySegment, type V1Resource } from './resources';

export const V1_PREFIX = '/api/v1/';
/** The largest body of a bulk POST (50,000 units are about 13 MB, 200,000 routes about 16 MB). */
export const V1_BODY_LIMIT = 64 * 1024 * 1024;

export const DETAIL = {
  notFound: 'Not found.',
  unauthenticated: 'Authentication credentials were not provided.',
  forbidden: 'You do not have permission to perform this action.',
  methodNotAllowed: (m: string) => `Method "${m}" not allowed.`,
  notAcceptable: 'Could not satisfy the request Accept header.',
  tooLarge: `Request body exceeds ${V1_BODY_LIMIT / 1024 / 1024} MiB`,
} as const;

export const COLLECTION_ALLOW = 'GET, POST, HEAD, OPTIONS';
export const INSTANCE_ALLOW = 'GET, PUT, PATCH, DELETE, HEAD, OPTIONS';

/** What a verb gets: the resource, the request's query, where links point, and the context to run handlers in. */
export interface V1Call {
  resource: V1Resource;
  req: ApiRequest;
  query: Map<string, string[]>;
  /** `http://host:port` of the request, for absolute links. */
  origin: string;
  ctx: Ctx;
}

export const detail = (status: number, text: string, headers?: Record<string, string>) => json(status, { detail: text }, headers);

/** The absolute URL of a collection or of one object. */
export function urlOf(call: Pick<V1Call, 'origin' | 'resource'>, row?: Record<string, unknown>): string {
  const base = `${call.origin}${V1_PREFIX}${call.resource.path}/`;
  return row ? `${base}${keySegment(call.resource, row)}/` : base;
}
