/** What the admin API's verbs share: its limits, texts, links and the call they receive. */
import type { Ctx } from '../../core/operation';
import type { ApiRequest } from '../request';
import { json } from '../response';
import { keySegment, type V1Resource } from './resources';

export const V1_PREFIX = '/api/v1/';
/** The largest body of a bulk POST (50,000 units are about 13 MB, 200,000 routes about 16 MB). */
export const V1_BODY_LIMIT = 64 * 1024 * 1024;
/**
 * The longest list of a bulk POST. Validation runs on the event loop and an invalid item's errors cost about 1 kB:
 * 64 MiB of `[0,0,…]` (33 million items) would hold the server (every caller, the bot's too) for many minutes and
 * exhaust its heap; 250,000 items stay within about 3 s and 300 MB at worst, above the 200,000 routes of a full import.
 */
export const V1_MAX_ITEMS = 250_000;

export const DETAIL = {
  notFound: 'Not found.',
  unauthenticated: 'Authentication credentials were not provided.',
  forbidden: 'You do not have permission to perform this action.',
  methodNotAllowed: (m: string) => `Method "${m}" not allowed.`,
  notAcceptable: 'Could not satisfy the request Accept header.',
  unsupportedMediaType: (type: string) => `Unsupported media type "${type}" in request.`,
  tooManyItems: (n: number) => `Send at most ${V1_MAX_ITEMS} items in one request (this list has ${n}); split the list.`,
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
