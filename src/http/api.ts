/**
 * The API as a function: `handle({method, path, query, headers, body}) → {status, headers, body}`. No socket:
 * tests call it directly and server.ts wraps it in node:http. It authenticates, routes, reads the input the
 * endpoint declares, validates it with the handler's own schema, runs the handler and maps errors through THE
 * error map (core/errors.ts).
 */
import type { RouteLookupCache } from '../cache/route-lookup';
import { UrdbError } from '../core/errors';
import type { Actor, Ctx } from '../core/operation';
import { classifyDbError, isConnectionError, type Sql } from '../db/client';
import { describeResource } from './describe';
import { compileEndpoint, type Endpoint, type EndpointDef } from './endpoint';
import { apiResources } from './endpoints';
import { quickAnswers, type QuickAnswer } from './hot-path';
import { readInput } from './input';
import { openapiDocument } from './openapi';
import { BodyError, bearerToken, unsupportedMediaType, type ApiRequest } from './request';
import { BODY_LIMIT, empty, error, fromError, json, MESSAGES, withoutBody, type ApiResponse } from './response';
import { apiTokens, TokenCheck, type ApiToken } from './tokens';
import { compileRouter, type CompiledResource, type Match, type Method, type Resource, type Router } from './router';
import { createV1, isV1Path } from './v1';

export type { ApiRequest } from './request';
export type { ApiResponse } from './response';

/** What the server reports besides the access log: failures a person should look at, and the database's state. */
export type ApiEvent =
  | { kind: 'internal-error'; method: string; path: string; error: unknown }
  | { kind: 'database-down'; reason: string }
  | { kind: 'database-up' }
  /** A handler's security-relevant event (a wrong access code), with the caller's address. */
  | { kind: 'security'; event: string; fields: Record<string, unknown> };

export interface ApiOptions {
  sql: Sql;
  /** When set, every request but the health probes needs `Authorization: Bearer <token>` (the token "default"). */
  token?: string | null;
  /** Named tokens (one per caller); the name of the token a change came with goes to the audit log. */
  tokens?: readonly ApiToken[];
  /** Told after each write commits. */
  afterCommit?: Ctx['afterCommit'];
  /** The route lookup cache of the two lookups (the hot path); cleared here by this process's own writes. */
  routeCache?: RouteLookupCache;
  onEvent?: (event: ApiEvent) => void;
  /** How long /readyz waits for the database (default 2 s). */
  readyTimeoutMs?: number;
  /** Largest request body (default 1 MiB). */
  bodyLimit?: number;
  /** host:port or socket of the database, for the log when it goes away. */
  endpoint?: string;
  /** Paths no route matches, after the token check: GET /metrics' answer, or null for a 404 (metrics-serve.ts). */
  unrouted?: (req: ApiRequest) => Promise<ApiResponse> | null;
}

export interface Api {
  handle(req: ApiRequest): Promise<ApiResponse>;
  router: Router<Endpoint>;
  /** The tokens in force now (the server hands them to each request as it arrives). */
  readonly tokens: TokenCheck;
  /** Replaces the tokens (a reload): requests that arrived before keep the ones they came with. */
  setTokens(tokens: readonly ApiToken[]): void;
  /** The body limit of a request known by its head: larger for an admin token's bulk POST under /api/v1/. */
  bodyLimitFor(method: string, path: string, headers: ApiRequest['headers']): number;
  /** Whether a request known by its head passes the token check (false: it will be 401, its body need not be read). */
  authenticated(path: string, headers: ApiRequest['headers']): boolean;
  /** A route lookup answered from the cache before any parsing (hot-path.ts), or null: call `handle`. */
  readonly quick: QuickAnswer | null;
}

const API_USER = 'api';

export function createApi(opts: ApiOptions): Api {
  const bodyLimit = opts.bodyLimit ?? BODY_LIMIT;
  const onEvent = opts.onEvent ?? defaultOnEvent;
  // Scoped tokens are the admin API's (/api/v1/) only: TokenCheck.match and .enabled see only the unscoped ones.
  let tokens = new TokenCheck(apiTokens(opts.token, opts.tokens));
  const { routeCache } = opts;
  const afterCommit = routeCache
    ? (tables: readonly string[]) => {
        // Read-your-writes: the next lookup after a change through this process sees it.
        if (tables.includes('report_route') || tables.includes('telegram_chat')) routeCache.clear();
        opts.afterCommit?.(tables);
      }
    : opts.afterCommit;
  const readCtx: Ctx = { sql: opts.sql, actor: { via: 'api', user: API_USER }, afterCommit, routeCache };
  const openapi = new Map<boolean, unknown>(); // with and without the v1 paths (a reload may add a scoped token)
  const router: Router<Endpoint> = compile(
    apiResources({
      openapi: () => {
        const withV1 = tokens.scoped;
        if (!openapi.has(withV1)) openapi.set(withV1, openapiDocument(router.resources, withV1));
        return openapi.get(withV1);
      },
      readyTimeoutMs: opts.readyTimeoutMs ?? 2000,
    }),
  );
  const v1 = createV1({
    sql: opts.sql,
    afterCommit,
    routeCache,
    onFailure: (err, req) => failure(err, req),
  });
  const optionsAnswers = new Map<CompiledResource<Endpoint>, ApiResponse>();
  let databaseDown = false;

  function options(resource: CompiledResource<Endpoint>): ApiResponse {
    let answer = optionsAnswers.get(resource);
    if (!answer) {
      answer = json(200, describeResource(resource), { allow: resource.allow });
      optionsAnswers.set(resource, answer);
    }
    return answer;
  }

  function failure(err: unknown, req: ApiRequest): ApiResponse {
    if (err instanceof BodyError) return error(err.status, err.message);
    let e = err;
    if (!(e instanceof UrdbError) && isConnectionError(e)) e = classifyDbError(e, opts.endpoint ?? 'the database');
    if (e instanceof UrdbError && e.kind === 'unavailable') {
      if (!databaseDown) {
        databaseDown = true;
        onEvent({ kind: 'database-down', reason: e.message });
      }
    } else if (!(e instanceof UrdbError) || e.kind === 'failed') {
      onEvent({ kind: 'internal-error', method: req.method, path: req.path, error: err });
    }
    return fromError(e);
  }

  async function dispatch(ep: Endpoint, match: Match<Endpoint>, req: ApiRequest, token: string | null): Promise<ApiResponse> {
    try {
      const input = readInput(ep, match, req, bodyLimit);
      const ctx = ep.writes ? writeCtx(ep, input, req, token) : readCtx;
      const result = await ep.run(ctx, input);
      if (databaseDown && ep.database !== false) {
        databaseDown = false;
        onEvent({ kind: 'database-up' });
      }
      if (ep.status !== 200) return empty(ep.status);
      return json(200, ep.present ? ep.present(result) : result);
    } catch (err) {
      return failure(err, req);
    }
  }

  function writeCtx(ep: Endpoint, input: unknown, req: ApiRequest, token: string | null): Ctx {
    const actor: Actor = { via: 'api', user: API_USER };
    if (token !== null) actor.token = token;
    if (req.remoteAddress) actor.address = req.remoteAddress;
    const userChatId = ep.actingChat?.(input);
    if (userChatId !== undefined) actor.userChatId = userChatId;
    const log = (event: string, fields: Record<string, unknown>) =>
      onEvent({ kind: 'security', event, fields: { ...fields, address: req.remoteAddress ?? null } });
    return { sql: opts.sql, actor, afterCommit, routeCache, log };
  }

  return {
    router,
    quick: quickAnswers(routeCache, router, () => tokens),
    get tokens() {
      return tokens;
    },
    setTokens(list) {
      tokens = new TokenCheck(list);
    },
    bodyLimitFor(method, path, headers) {
      return (method === 'POST' && isV1Path(path) && v1.bodyLimit(tokens, headers)) || bodyLimit;
    },
    authenticated(path, headers) {
      if (isV1Path(path)) return tokens.find(bearerToken(headers))?.scopes !== undefined;
      if (!tokens.enabled || tokens.match(bearerToken(headers)) !== null) return true;
      const match = router.match(path);
      return match !== null && isPublic(match.resource);
    },
    async handle(req) {
      if (isV1Path(req.path)) return v1.handle(req, req.tokens ?? tokens);
      const res = await answer(req);
      // HEAD: every answer's status and headers without its body, errors included.
      return req.method === 'HEAD' ? withoutBody(res) : res;
    },
  };

  async function answer(req: ApiRequest): Promise<ApiResponse> {
    const match = router.match(req.path);
    const check = req.tokens ?? tokens;
    const token = check.enabled ? check.match(bearerToken(req.headers)) : null;
    if (check.enabled && token === null && !(match && isPublic(match.resource))) {
      return error(401, MESSAGES.unauthenticated, { 'www-authenticate': 'Bearer' });
    }
    if (!match) return opts.unrouted?.(req) ?? error(404, MESSAGES.notFound);
    const method = req.method;
    if (method === 'OPTIONS') return options(match.resource);
    const ep = match.resource.methods[(method === 'HEAD' ? 'GET' : method) as Method];
    if (!ep) return error(405, MESSAGES.methodNotAllowed(method), { allow: match.resource.allow });
    const contentType = unsupportedMediaType(req);
    if (contentType !== null) return error(415, MESSAGES.unsupportedMediaType(contentType));
    return dispatch(ep, match, req, token);
  }
}

function compile(resources: Resource<EndpointDef>[]): Router<Endpoint> {
  return compileRouter(
    resources.map((r) => {
      const params = [...r.path.matchAll(/\{(\w+)(?::int)?\}/g)].map((m) => m[1]!);
      const methods: Partial<Record<Method, Endpoint>> = {};
      for (const [m, def] of Object.entries(r.methods)) methods[m as Method] = compileEndpoint(def!, params);
      return { ...r, methods };
    }),
  );
}

function isPublic(resource: CompiledResource<Endpoint>): boolean {
  return resource.methods.GET?.public === true;
}

function defaultOnEvent(event: ApiEvent): void {
  switch (event.kind) {
    case 'internal-error': {
      const e = event.error as Error | undefined;
      process.stderr.write(`urdb: internal error on ${event.method} ${event.path}: ${e?.stack ?? String(event.error)}\n`);
      break;
    }
    case 'database-down':
      process.stderr.write(`urdb: database unavailable: ${event.reason}\n`);
      break;
    case 'database-up':
      process.stderr.write('urdb: database available again\n');
      break;
    case 'security':
      process.stderr.write(`urdb: warning: ${event.event} ${JSON.stringify(event.fields)}\n`);
      break;
  }
}
