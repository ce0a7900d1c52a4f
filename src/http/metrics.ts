/**
 * The server's Prometheus metrics (prom-client): requests by route pattern, method and status with their latency,
 * the route cache, the database pool as urdb sees it, access-code lockouts, and the process (prom-client's defaults).
 * Everything but the request counts is read at scrape time; those cost a few plain increments a request
 * (request-metrics.ts).
 */
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import type { RouteCacheStats } from '../cache/route-lookup';
import { onLockout, type LockoutScope } from '../core/lockouts';
import type { QueryStats } from '../db/query-stats';
import { RequestMetrics } from './request-metrics';
import type { Router } from './router';
import { isV1Path, v1Pattern } from './v1';

export interface MetricsSources {
  /** The API's route table: a request is labelled with the pattern of the route its path matches. */
  router: Router<unknown>;
  /** The route cache, or null when the server runs without one (`--no-cache`). */
  cache: RouteCacheStats | null;
  cacheEnabled: () => boolean;
  queries: QueryStats;
  poolSize: number;
  /** Whether the database answers now (asked at each scrape). */
  databaseAnswers: () => Promise<boolean>;
}

/** The label of every path no route matches (never the path itself: label values must stay few). */
export const UNMATCHED = 'unmatched';
/** The label of GET /metrics, served outside the route table. */
export const METRICS_PATH = '/metrics';
const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);
/** Seconds: the hot path answers in well under a millisecond, a write in a few. */
const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10];

/** /metrics, /metrics/, /api/metrics, /api/metrics/: like every other path (http-api.md §1). */
export function isMetricsPath(path: string): boolean {
  const p = path.startsWith('/api/') ? path.slice(4) : path;
  return p === METRICS_PATH || p === `${METRICS_PATH}/`;
}

export class ServerMetrics {
  readonly registry = new Registry();
  private readonly requests = new RequestMetrics(
    { requests: 'urdb_http_requests_total', latency: 'urdb_http_request_duration_seconds' },
    LATENCY_BUCKETS,
  );

  constructor(private readonly sources: MetricsSources) {
    const registers = [this.registry];
    this.requests.register(this.registry, {
      requests: 'HTTP requests answered, by route pattern (unmatched: no route), method and status.',
      latency: 'Time from the request received to the answer written, by route pattern, method and status.',
    });
    this.cacheMetrics(registers);
    this.databaseMetrics(registers);
    const lockouts = new Counter({
      name: 'urdb_access_code_lockouts_total',
      help: 'Access-code lockouts reported by the role switch, by scope (chat: one chat; source: one address).',
      labelNames: ['scope'],
      registers,
    });
    const byScope: Record<LockoutScope, { inc(): void }> = { chat: lockouts.labels('chat'), source: lockouts.labels('source') };
    for (const scope of Object.keys(byScope) as LockoutScope[]) lockouts.inc({ scope }, 0);
    onLockout((scope) => byScope[scope].inc());
    collectDefaultMetrics({ register: this.registry });
  }

  /** server.ts's hook: one request answered, `ms` after it was received. */
  answered(method: string, url: string, status: number, ms: number): void {
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);
    const match = this.sources.router.match(path);
    const endpoint = match
      ? match.resource.path
      : isMetricsPath(path)
        ? METRICS_PATH
        : (isV1Path(path) && v1Pattern(path)) || UNMATCHED;
    this.requests.observe(endpoint, METHODS.has(method) ? method : 'other', status, ms / 1000);
  }

  /** The exposition of this process, in the Prometheus text format. */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  private cacheMetrics(registers: Registry[]) {
    const cache = this.sources.cache;
    const count = (name: string, help: string, read: (c: RouteCacheStats) => number) =>
      new Counter({
        name,
        help,
        registers,
        collect() {
          this.reset();
          this.inc(cache ? read(cache) : 0);
        },
      });
    const gauge = (name: string, help: string, read: () => number, aggregator: 'sum' | 'min' = 'sum') =>
      new Gauge({ name, help, registers, aggregator, collect() { this.set(read()); } });
    count('urdb_route_cache_hits_total', 'Route lookups answered from the cache.', (c) => c.hits);
    count('urdb_route_cache_misses_total', 'Route lookups that queried the database (the cache off or disabled counts too).', (c) => c.misses);
    count('urdb_route_cache_clears_total', 'Times the route cache was emptied (a write, a change notification, the listener lost or back).', (c) => c.clears);
    gauge('urdb_route_cache_entries', 'Entries in the route cache now.', () => cache?.size ?? 0);
    gauge('urdb_route_cache_bytes', 'Estimated heap held by the route cache entries, bytes.', () => cache?.bytes ?? 0);
    gauge('urdb_route_cache_max_bytes', 'The route cache bound (--cache-bytes), bytes; least recently used entries go first.', () => cache?.maxBytes ?? 0);
    gauge('urdb_route_cache_enabled', '1 while the route cache answers (its change listener is connected), else 0.', () => (this.sources.cacheEnabled() ? 1 : 0), 'min');
  }

  /** urdb_db_up last: the counts above are read before its probe query starts (and before it can fail). */
  private databaseMetrics(registers: Registry[]) {
    const { queries, poolSize, databaseAnswers } = this.sources;
    new Gauge({ name: 'urdb_db_pool_max_connections', help: 'Connections the pool may open (--pool-size).', registers, collect() { this.set(poolSize); } });
    new Gauge({
      name: 'urdb_db_queries_in_flight',
      help: 'Queries sent through the pool and not answered yet (a transaction counts once); at or above the pool size, requests queue for a connection.',
      registers,
      collect() {
        this.set(queries.inFlight);
      },
    });
    new Counter({
      name: 'urdb_db_connection_errors_total',
      help: 'Queries and transactions that failed because a database connection could not be made, was refused or was lost.',
      registers,
      collect() {
        this.reset();
        this.inc(queries.connectionErrors);
      },
    });
    new Gauge({
      name: 'urdb_db_up',
      help: '1 if the database answered select 1 during this scrape (within 1 s), else 0.',
      registers,
      aggregator: 'min',
      async collect() {
        this.set((await databaseAnswers()) ? 1 : 0);
      },
    });
  }
}
