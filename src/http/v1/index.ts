/**
 * The admin REST API under /api/v1/ (the conventions of the bulk-upsert seed document): every path comes from the
 * resource table (resources.ts); this file authenticates (scoped tokens only: never open), reads the path
 * (`.json` suffix, `?format=json`), dispatches to the collection or instance verbs and maps errors to DRF's shapes
 * (`{"detail": …}`, `{"field": [...]}`, `[{}, {"uuid": [...]}]`). Every answer carries `Allow` and `Vary: Accept`.
 */
import { UrdbError, httpErrorFor, ValidationError } from '../../core/errors';
import type { Actor, Ctx } from '../../core/operation';
import { classifyDbError, isConnectionError, type Sql } from '../../db/client';
import { ItemErrors } from '../../handlers/resource-writes';
import { BodyError, bearerToken, parseQuery, unsupportedMediaType, type ApiRequest } from '../request';
import { json, withoutBody, type ApiResponse } from '../response';
import type { Scope, TokenCheck } from '../tokens';
import { collectionGet, collectionPost } from './collection';
import { instanceDelete, instanceGet, instancePatch, instancePut } from './instance';
import { describeCollection, describeInstance } from './options';
import { RESOURCES, type V1Resource } from './resources';
import { COLLECTION_ALLOW, DETAIL, detail, INSTANCE_ALLOW, urlOf, V1_BODY_LIMIT, V1_PREFIX, type V1Call } from './shared';

const READ_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
const OTHER_FORMATS = new Set(['api', 'html', 'xml', 'yaml', 'csv', 'txt']);

export interface V1Options {
  sql: Sql;
  afterCommit?: Ctx['afterCommit'];
  routeCache?: Ctx['routeCache'];
  /** Internal errors and a database gone away, for the server's log. */
  onFailure?: (err: unknown, req: ApiRequest) => void;
}

interface Target {
  resource: V1Resource | null;
  /** The decoded key segment, or undefined for the collection. */
  key?: string;
}

/** `/api/v1/units/`, `/api/v1/units.json`, `/api/v1/units/.json/`, `/api/v1/units/5/.json` …; null: 404. */
function target(path: string): Target | null {
  const segments = path.slice(V1_PREFIX.length - 1).split('/').filter((s) => s !== '');
  const last = segments[segments.length - 1];
  if (last === '.json') segments.pop();
  else if (last !== undefined) {
    const m = /^(.*)\.([a-z]+)$/.exec(last);
    if (m && (m[2] === 'json' || OTHER_FORMATS.has(m[2]!))) {
      if (m[2] !== 'json' || m[1] === '') return null;
      segments[segments.length - 1] = m[1]!;
    } else if (/^\.[a-z]+$/.test(last)) return null;
  }
  if (segments.length === 0) return { resource: null };
  const resource = RESOURCES.find((r) => r.path === segments[0]);
  if (!resource || segments.length > 2) return null;
  if (segments.length === 1) return { resource };
  try {
    return { resource, key: decodeURIComponent(segments[1]!) };
  } catch {
    return null;
  }
}

/** The methods of the API root, a collection or an instance (null: no such path). */
function allowOf(found: Target | null): string | null {
  if (!found) return null;
  return found.resource === null ? ROOT_ALLOW : found.key === undefined ? COLLECTION_ALLOW : INSTANCE_ALLOW;
}

const ROOT_ALLOW = 'GET, HEAD, OPTIONS';

function acceptsJson(accept: string | undefined): boolean {
  if (!accept) return true;
  return accept.split(',').some((part) => {
    const type = part.split(';')[0]!.trim().toLowerCase();
    return type === '*/*' || type === 'application/*' || type === 'application/json' || type === '';
  });
}

function origin(req: ApiRequest): string {
  const host = typeof req.headers?.host === 'string' && req.headers.host !== '' ? req.headers.host : 'localhost';
  const proto = req.headers?.['x-forwarded-proto'] === 'https' ? 'https' : 'http';
  return `${proto}://${host}`;
}

export function createV1(opts: V1Options) {
  function failure(err: unknown, req: ApiRequest): ApiResponse {
    if (err instanceof BodyError) return err.status === 413 ? detail(413, DETAIL.tooLarge) : detail(400, err.message);
    if (err instanceof ItemErrors) return json(400, err.positions.get(0) ?? err.fields);
    if (err instanceof ValidationError) return json(400, err.fields);
    let e = err;
    if (!(e instanceof UrdbError) && isConnectionError(e)) e = classifyDbError(e, 'the database');
    if (!(e instanceof UrdbError) || ['failed', 'unavailable'].includes(e.kind)) opts.onFailure?.(e, req);
    const mapped = httpErrorFor(e);
    return detail(mapped.status, mapped.body.message);
  }

  async function answer(req: ApiRequest, tokens: TokenCheck): Promise<ApiResponse> {
    const token = tokens.find(bearerToken(req.headers));
    if (!token?.scopes) return detail(401, DETAIL.unauthenticated, { 'www-authenticate': 'Bearer realm="api"' });
    const found = target(req.path);
    if (!found) return detail(404, DETAIL.notFound);
    const allow = allowOf(found)!;
    const method = req.method === 'HEAD' ? 'GET' : req.method;
    if (!allow.split(', ').includes(method)) return detail(405, DETAIL.methodNotAllowed(req.method));
    if (!scopeAllows(token.scopes, req.method)) return detail(403, DETAIL.forbidden);
    const query = parseQuery(req.query);
    const format = query.get('format');
    if (format && format.some((f) => f !== 'json')) return detail(404, DETAIL.notFound);
    if (!acceptsJson(req.headers?.accept)) return detail(406, DETAIL.notAcceptable);
    const contentType = unsupportedMediaType(req);
    if (contentType !== null) return detail(415, DETAIL.unsupportedMediaType(contentType));
    const actor: Actor = { via: 'api', user: 'api', token: token.name };
    if (req.remoteAddress) actor.address = req.remoteAddress;
    const ctx: Ctx = { sql: opts.sql, actor, afterCommit: opts.afterCommit, routeCache: opts.routeCache };
    const o = origin(req);
    if (found.resource === null) {
      if (method === 'OPTIONS') return json(200, { name: 'Api Root', description: 'The admin API of urdb.', renders: ['application/json'], parses: ['application/json'] });
      return json(200, Object.fromEntries(RESOURCES.map((r) => [r.path, urlOf({ origin: o, resource: r })])));
    }
    const call: V1Call = { resource: found.resource, req, query, origin: o, ctx };
    if (found.key === undefined) {
      if (method === 'OPTIONS') return json(200, describeCollection(found.resource));
      return method === 'GET' ? collectionGet(call) : collectionPost(call);
    }
    const key = found.resource.key.parse(found.key);
    if (method === 'OPTIONS') return json(200, describeInstance(found.resource));
    if (!key) return detail(404, DETAIL.notFound);
    switch (method) {
      case 'GET':
        return instanceGet(call, key);
      case 'PUT':
        return instancePut(call, key);
      case 'PATCH':
        return instancePatch(call, key);
      default:
        return instanceDelete(call, key);
    }
  }

  return {
    /** The bearer token's scopes allow a large body (admin: a bulk POST may be up to V1_BODY_LIMIT). */
    bodyLimit(tokens: TokenCheck, headers: ApiRequest['headers']): number | null {
      const token = tokens.find(bearerToken(headers));
      return token?.scopes?.includes('admin') ? V1_BODY_LIMIT : null;
    },
    /** `tokens`: those in force when the request arrived. */
    async handle(req: ApiRequest, tokens: TokenCheck): Promise<ApiResponse> {
      let res: ApiResponse;
      try {
        res = await answer(req, tokens);
      } catch (err) {
        res = failure(err, req);
      }
      const allow = allowOf(target(req.path));
      res.headers = { ...res.headers, vary: 'Accept', ...(allow ? { allow } : {}) };
      return req.method === 'HEAD' ? withoutBody(res) : res;
    },
  };
}

/** A v1 path as a metrics label: `/api/v1/units/{key}/` (a resource of the table, never a key); null: no such path. */
export function v1Pattern(path: string): string | null {
  const found = target(path);
  if (!found) return null;
  if (!found.resource) return '/api/v1/';
  return `/api/v1/${found.resource.path}/${found.key === undefined ? '' : '{key}/'}`;
}

/** `/api/v1` and everything under it is the admin API's. */
export function isV1Path(path: string): boolean {
  return path === '/api/v1' || path.startsWith(V1_PREFIX);
}

export function scopeAllows(scopes: readonly Scope[], method: string): boolean {
  return scopes.includes('admin') || (scopes.includes('read') && READ_METHODS.has(method));
}
