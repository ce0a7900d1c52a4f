/**
 * The hot path's shortcut: a GET of one of the two route lookups, whose query holds exactly the integers the full
 * path would accept, written canonically (`unit_id=12&report_type_id=3`, optionally `limit`/`offset`), answered
 * from the route cache's prepared answer for that (key, page): a Buffer and a header array built once, on the first
 * hit. No query map, no zod, no promise, no header object.
 *
 * Anything else — a miss, HEAD, another spelling (`007`, `+7`, `7.0`, `%37`), a repeated or unknown key, a value out
 * of range, a missing or wrong token — returns null and takes the full path, which answers it (the same validation
 * messages, the same 401) and fills the cache. So the shortcut can only ever answer what the full path would: the
 * same bytes, built by the endpoint's own `present` (test/hot-path.test.ts compares both paths).
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Lookup, Prepared, RouteLookupCache } from '../cache/route-lookup';
import { slicePage } from '../core/operation';
import { CHAT_ID, INT32 } from '../core/fields';
import type { Endpoint } from './endpoint';
import { bearerToken } from './request';
import { JSON_TYPE } from './response';
import type { Router } from './router';
import type { TokenCheck } from './tokens';

/** A 200 answer ready to write: `writeHead(200, headers)`, `end(body)`. */
export interface PreparedAnswer extends Prepared {
  status: 200;
  headers: string[];
  body: Buffer;
}

interface Target {
  lookup: Lookup;
  /** The query key of the first id (`unit_id`, `chat_id`) and its range. */
  first: string;
  max: number;
  present: (page: unknown) => unknown;
}

export type QuickAnswer = (method: string | undefined, url: string | undefined, headers: IncomingHttpHeaders) => PreparedAnswer | null;

const PAGE = { limit: { min: 1, max: 100, default: 100 }, offset: { min: 0, max: INT32.max, default: 0 } };

/** `0` or a signed integer without leading zeros or sign `+`, at most 16 digits; else null. */
function canonicalInteger(s: string): number | null {
  const n = s.length;
  if (n === 0 || n > 17) return null;
  let i = s.charCodeAt(0) === 45 /* - */ ? 1 : 0;
  if (i === n) return null;
  const first = s.charCodeAt(i);
  if (first === 48 /* 0 */) return n === 1 ? 0 : null;
  for (; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return null;
  }
  const value = Number(s);
  return Number.isSafeInteger(value) ? value : null;
}

/** The shortcut for a router's two lookups, or null when there is no cache. */
export function quickAnswers(cache: RouteLookupCache | undefined, router: Router<Endpoint>, tokens: () => TokenCheck): QuickAnswer | null {
  if (!cache) return null;
  const targets = new Map<string, Target>();
  const add = (path: string, lookup: Lookup, first: string, max: number) => {
    const present = router.match(path)?.resource.methods.GET?.present;
    if (!present) throw new Error(`hot path: no GET ${path}`);
    const target = { lookup, first, max, present };
    for (const prefix of ['', '/api']) for (const slash of ['/', '']) targets.set(prefix + path + slash, target);
  };
  add('/report-routes/telegram-chats', 'chats', 'unit_id', INT32.max);
  add('/report-routes/units', 'units', 'chat_id', CHAT_ID.max);

  return (method, url, headers) => {
    if (method !== 'GET' || url === undefined) return null;
    const q = url.indexOf('?');
    if (q === -1) return null;
    const target = targets.get(url.slice(0, q));
    if (target === undefined) return null;
    const check = tokens();
    if (check.enabled && check.match(bearerToken(headers)) === null) return null;
    let first: number | null = null;
    let type: number | null = null;
    let limit: number | null = null;
    let offset: number | null = null;
    let start = q + 1;
    while (start < url.length) {
      let end = url.indexOf('&', start);
      if (end === -1) end = url.length;
      const eq = url.indexOf('=', start);
      if (eq === -1 || eq > end) return null;
      const value = canonicalInteger(url.slice(eq + 1, end));
      if (value === null) return null;
      const key = url.slice(start, eq);
      if (key === target.first && first === null && value >= -target.max && value <= target.max) first = value;
      else if (key === 'report_type_id' && type === null && value >= INT32.min && value <= INT32.max) type = value;
      else if (key === 'limit' && limit === null && value >= PAGE.limit.min && value <= PAGE.limit.max) limit = value;
      else if (key === 'offset' && offset === null && value >= PAGE.offset.min && value <= PAGE.offset.max) offset = value;
      else return null;
      start = end + 1;
    }
    if (first === null || type === null || url.charCodeAt(url.length - 1) === 38 /* & */) return null;
    const l = limit ?? PAGE.limit.default;
    const o = offset ?? PAGE.offset.default;
    return cache.prepared(target.lookup, first, type, `${l}:${o}`, (ids) => prepare(target.present(slicePage(ids, l, o)))) ?? null;
  };
}

function prepare(value: unknown): PreparedAnswer {
  const body = Buffer.from(JSON.stringify(value));
  const headers = ['content-type', JSON_TYPE, 'content-length', String(body.length)];
  return { status: 200, headers, body, bytes: body.length + 200 };
}
