/**
 * GET /metrics (issue 12 §3): scraped from a real `urdb serve` after a known load, every exposition checked with a
 * strict parser of the text format, exact counts, route patterns (never raw paths) as labels, the token, the own
 * listener, and the sum over `--workers`. The pool counters and the lockout counter in-process.
 */
import { AggregatorRegistry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CACHE_BYTES, RouteLookupCache } from '../src/cache/route-lookup';
import { reportLockout } from '../src/core/lockouts';
import { createClient } from '../src/db/client';
import { countQueries, type QueryStats } from '../src/db/query-stats';
import { importBundle } from '../src/handlers/bundle/import';
import { createApi } from '../src/http/api';
import { ServerMetrics } from '../src/http/metrics';
import { smallBundle } from './support/bundles';
import { freshDatabase } from './support/db';
import { urdb } from './support/cli';
import { startServe } from './support/http';
import { parsePrometheus, sampleValue, type Family } from './support/prometheus';

const db = await freshDatabase();
await importBundle(db.ctx(), smallBundle());
const env = { DATABASE_URL: db.url };
const CHATS = '/report-routes/telegram-chats/';
const lookup = (unit: number) => `${CHATS}?report_type_id=7&unit_id=${unit}`;

async function scrape(url: string, headers: Record<string, string> = {}): Promise<Map<string, Family>> {
  const res = await fetch(url, { headers: { connection: 'close', ...headers } });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
  return parsePrometheus(await res.text());
}

const requests = (m: Map<string, Family>, endpoint: string, status: string, method = 'GET') =>
  sampleValue(m, 'urdb_http_requests_total', { endpoint, method, status });

async function get(url: string, headers: Record<string, string> = {}): Promise<number> {
  const res = await fetch(url, { headers: { connection: 'close', ...headers } });
  await res.arrayBuffer();
  return res.status;
}

describe('GET /metrics', () => {
  it('after 3 misses, 7 cache hits and 2 unknown paths: exact counts, patterns as labels, the cache, the pool, the process', async () => {
    const serve = await startServe(['--pool-size', '3'], env);
    try {
      for (const unit of [101, 102, 201]) expect(await get(serve.url + lookup(unit))).toBe(200); // 3 misses
      for (const unit of [101, 101, 102, 201, 201, 201, 102]) expect(await get(serve.url + lookup(unit))).toBe(200); // 7 hits
      expect(await get(`${serve.url}/units/12345/secret-name/`)).toBe(404);
      expect(await get(`${serve.url}/api/nowhere/98765`)).toBe(404);
      expect(await get(`${serve.url}/report-types/names/SECRET_REPORT_777/`)).toBe(404);
      expect(await get(`${serve.url}/api/roles/users/424242/units/`)).toBe(404);
      const m = await scrape(`${serve.url}/metrics`);

      expect(requests(m, CHATS, '200')).toBe(10);
      expect(requests(m, 'unmatched', '404')).toBe(2);
      expect(requests(m, '/report-types/names/{name}/', '404')).toBe(1);
      expect(requests(m, '/roles/users/{chat_id:int}/units/', '404')).toBe(1);
      const latency = { endpoint: CHATS, method: 'GET', status: '200' };
      expect(sampleValue(m, 'urdb_http_request_duration_seconds_count', latency)).toBe(10);
      expect(sampleValue(m, 'urdb_http_request_duration_seconds_bucket', { ...latency, le: '+Inf' })).toBe(10);
      expect(sampleValue(m, 'urdb_http_request_duration_seconds_sum', latency)).toBeGreaterThan(0);

      // No raw path, id or name in any label: only route patterns, 'unmatched' and /metrics.
      const labelValues = [...m.values()].flatMap((f) => f.samples.flatMap((s) => Object.values(s.labels)));
      expect(labelValues.join(' ')).not.toMatch(/12345|98765|424242|SECRET|secret|nowhere|unit_id=/);
      const endpoints = new Set(m.get('urdb_http_requests_total')!.samples.map((s) => s.labels.endpoint));
      expect(endpoints).toEqual(new Set([CHATS, 'unmatched', '/report-types/names/{name}/', '/roles/users/{chat_id:int}/units/']));

      expect(sampleValue(m, 'urdb_route_cache_hits_total')).toBe(7);
      expect(sampleValue(m, 'urdb_route_cache_misses_total')).toBe(3);
      expect(sampleValue(m, 'urdb_route_cache_entries')).toBe(3);
      // Three entries and the answers prepared from them (test/route-cache-lru.test.ts pins the accounting itself).
      expect(sampleValue(m, 'urdb_route_cache_bytes')).toBeGreaterThan(3 * 160);
      expect(sampleValue(m, 'urdb_route_cache_bytes')).toBeLessThan(3 * 2048);
      expect(sampleValue(m, 'urdb_route_cache_max_bytes')).toBe(DEFAULT_CACHE_BYTES);
      expect(sampleValue(m, 'urdb_route_cache_clears_total')).toBe(1); // enabled once, from empty
      expect(sampleValue(m, 'urdb_route_cache_enabled')).toBe(1);

      expect(sampleValue(m, 'urdb_db_pool_max_connections')).toBe(3);
      expect(sampleValue(m, 'urdb_db_up')).toBe(1);
      expect(sampleValue(m, 'urdb_db_queries_in_flight')).toBe(0);
      expect(sampleValue(m, 'urdb_db_connection_errors_total')).toBe(0);
      expect(sampleValue(m, 'urdb_access_code_lockouts_total', { scope: 'chat' })).toBe(0);
      expect(sampleValue(m, 'urdb_access_code_lockouts_total', { scope: 'source' })).toBe(0);
      expect(m.get('process_cpu_user_seconds_total')?.type).toBe('counter');
      expect(m.get('nodejs_heap_size_used_bytes')?.type).toBe('gauge');
      expect(m.get('urdb_http_request_duration_seconds')?.type).toBe('histogram');

      // The scrape itself is counted, under its own path; writes are counted, and one that commits clears the cache.
      const deleted = await fetch(`${serve.url}/report-routes/?chat_id=42&report_type_id=7&unit_ids=201`, { method: 'DELETE', headers: { connection: 'close' } });
      expect(deleted.status).toBe(204);
      const created = await fetch(`${serve.url}/report-routes/`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', connection: 'close' },
        body: JSON.stringify({ report_type_id: 7, chat_id: -1001234567890, unit_ids: [101] }),
      });
      expect(created.status).toBe(409);
      const again = await scrape(`${serve.url}/api/metrics/`);
      expect(requests(again, '/metrics', '200')).toBe(1);
      expect(requests(again, '/report-routes/', '409', 'POST')).toBe(1);
      expect(requests(again, '/report-routes/', '204', 'DELETE')).toBe(1);
      expect(sampleValue(again, 'urdb_route_cache_clears_total')).toBeGreaterThanOrEqual(2); // and its NOTIFY, soon after
      expect(sampleValue(again, 'urdb_route_cache_entries')).toBe(0);
      const head = await fetch(`${serve.url}/metrics`, { method: 'HEAD' });
      expect([head.status, await head.text()]).toEqual([200, '']);
      const post = await fetch(`${serve.url}/metrics`, { method: 'POST' });
      expect([post.status, post.headers.get('allow')]).toEqual([405, 'GET, HEAD']);
    } finally {
      expect((await serve.stop()).code).toBe(0);
    }
  });

  it('behind the API token when one is set; with --no-cache the cache metrics stay 0', async () => {
    const serve = await startServe(['--no-cache'], { ...env, URDB_API_TOKEN: 'metrics-tok' });
    try {
      const denied = await fetch(`${serve.url}/metrics`);
      expect(denied.status).toBe(401);
      expect(await denied.json()).toEqual({ message: 'Authentication credentials were not provided.', extra: {} });
      expect(await get(serve.url + lookup(101), { authorization: 'Bearer metrics-tok' })).toBe(200);
      const m = await scrape(`${serve.url}/metrics`, { authorization: 'Bearer metrics-tok' });
      expect(requests(m, '/metrics', '401')).toBe(1);
      expect(requests(m, CHATS, '200')).toBe(1);
      for (const name of ['hits_total', 'misses_total', 'clears_total', 'entries', 'bytes', 'enabled']) {
        expect(sampleValue(m, `urdb_route_cache_${name}`)).toBe(0);
      }
    } finally {
      await serve.stop();
    }
  });

  it('--metrics-port: on a listener of its own (no token), not on the API port', async () => {
    const serve = await startServe(['--metrics-port', '0'], { ...env, URDB_API_TOKEN: 'tok' });
    try {
      const own = /urdb: metrics on (http:\/\/127\.0\.0\.1:\d+\/metrics) \(no token/.exec(serve.stderr())?.[1];
      expect(own).toBeDefined();
      const auth = { authorization: 'Bearer tok' };
      expect(await get(`${serve.url}/metrics`, auth)).toBe(404);
      expect(await get(serve.url + lookup(101), auth)).toBe(200);
      const m = await scrape(own!);
      expect(requests(m, '/metrics', '404')).toBe(1);
      expect(requests(m, CHATS, '200')).toBe(1);
      expect(await get(own!.replace('/metrics', '/units/'))).toBe(404);
      const taken = await urdb(['serve', '--port', '0', '--metrics-port', new URL(own!).port], { url: db.url });
      expect(taken.code).toBe(1);
      expect(taken.stderr).toContain(`urdb: cannot listen on 127.0.0.1:${new URL(own!).port}: the address is in use (another server on that port?)\n`);
    } finally {
      await serve.stop();
    }
    const bad = await urdb(['serve', '--metrics-port', '70000'], { url: db.url });
    expect([bad.code, bad.stderr]).toEqual([2, 'urdb: --metrics-port: Ensure this value is less than or equal to 65535.\n']);
  });

  it('--workers 2: every scrape, whichever worker or listener answers it, is the sum over the workers', async () => {
    for (const own of [false, true]) {
      const serve = await startServe(['--workers', '2', ...(own ? ['--metrics-port', '0'] : [])], env);
      try {
        const url = own ? /urdb: metrics on (\S+)/.exec(serve.stderr())![1]! : `${serve.url}/metrics`;
        for (let i = 0; i < 12; i++) expect(await get(serve.url + lookup(101))).toBe(200);
        await new Promise((r) => setTimeout(r, 100)); // the access log lines
        expect(new Set([...serve.stderr().matchAll(/Z \[(\d+)\] GET \/report-routes\//g)].map((x) => x[1])).size).toBe(2);
        for (let k = 0; k < 4; k++) {
          const m = await scrape(url);
          expect(requests(m, CHATS, '200')).toBe(12);
          expect(requests(m, '/metrics', '200')).toBe(own || k === 0 ? undefined : k);
          expect(sampleValue(m, 'urdb_db_pool_max_connections')).toBe(20); // 2 × the default 10
          expect(sampleValue(m, 'urdb_route_cache_misses_total')).toBe(2); // one per worker
          expect(sampleValue(m, 'urdb_route_cache_hits_total')).toBe(10);
          expect(sampleValue(m, 'urdb_db_up')).toBe(1);
        }
      } finally {
        expect((await serve.stop()).code).toBe(0);
      }
    }
  });
});

describe('what the metrics read', () => {
  const metricsOf = (queries: QueryStats, sql: ReturnType<typeof createClient>, cache: RouteLookupCache | null = null) =>
    new ServerMetrics({
      router: createApi({ sql }).router,
      cache,
      cacheEnabled: () => cache?.isEnabled ?? false,
      queries,
      poolSize: 2,
      databaseAnswers: () => sql`select 1`.then(() => true, () => false),
    });

  it('admin API requests are labelled by resource pattern, never by key; an unknown v1 path is unmatched', async () => {
    const sql = createClient({ url: db.url, schema: 'urdb', max: 1 });
    try {
      const metrics = metricsOf({ inFlight: 0, connectionErrors: 0 }, sql);
      metrics.answered('GET', '/api/v1/units/?search=x', 200, 1);
      metrics.answered('PATCH', '/api/v1/units/98765/', 200, 1);
      metrics.answered('GET', '/api/v1/report-types/SECRET_TYPE.json', 404, 1);
      metrics.answered('GET', '/api/v1/', 200, 1);
      metrics.answered('GET', '/api/v1/nowhere-12345/', 404, 1);
      const m = parsePrometheus(await metrics.text());
      const endpoints = new Set(m.get('urdb_http_requests_total')!.samples.map((s) => s.labels.endpoint));
      expect(endpoints).toEqual(new Set(['/api/v1/units/', '/api/v1/units/{key}/', '/api/v1/report-types/{key}/', '/api/v1/', 'unmatched']));
    } finally {
      await sql.end({ timeout: 5 });
    }
  });

  it('queries in flight: a query while it runs, a transaction once, a fragment never; connection errors; up', async () => {
    const stats: QueryStats = { inFlight: 0, connectionErrors: 0 };
    const sql = countQueries(createClient({ url: db.url, schema: 'urdb', max: 2 }), stats);
    try {
      const fragment = sql`for update`;
      const slow = sql`select pg_sleep(0.3)`.then(() => stats.inFlight);
      const tx = sql.begin(async (t) => {
        await t`select 1`;
        await t`select pg_sleep(0.2)`;
        return stats.inFlight;
      });
      await new Promise((r) => setTimeout(r, 100));
      expect(stats.inFlight).toBe(2);
      expect(await tx).toBe(2);
      expect(await slow).toBe(0); // counted out before the caller's own callback runs
      expect(stats.inFlight).toBe(0);
      void fragment;
      await expect(sql`select 1/0`).rejects.toThrow(/division by zero/);
      expect(stats).toEqual({ inFlight: 0, connectionErrors: 0 });
      const m = parsePrometheus(await metricsOf(stats, sql).text());
      expect(sampleValue(m, 'urdb_db_up')).toBe(1);
    } finally {
      await sql.end({ timeout: 5 });
    }
    const downStats: QueryStats = { inFlight: 0, connectionErrors: 0 };
    const down = countQueries(createClient({ url: 'postgres://postgres@127.0.0.1:1/none', schema: 'urdb', max: 1, connectTimeout: 2 }), downStats);
    try {
      await expect(down`select 1`).rejects.toMatchObject({ code: 'ECONNREFUSED' });
      await expect(down.begin((t) => t`select 1`)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
      expect(downStats).toEqual({ inFlight: 0, connectionErrors: 2 });
      const m = parsePrometheus(await metricsOf(downStats, down).text());
      expect(sampleValue(m, 'urdb_db_up')).toBe(0);
      expect(sampleValue(m, 'urdb_db_connection_errors_total')).toBe(2); // read before the scrape's own probe failed
      expect(downStats.connectionErrors).toBe(3);
    } finally {
      await down.end({ timeout: 1 });
    }
    const strangerStats: QueryStats = { inFlight: 0, connectionErrors: 0 };
    const stranger = countQueries(createClient({ url: db.url.replace('://postgres@', '://urdb_no_such_role@'), schema: 'urdb', max: 1 }), strangerStats);
    try {
      await expect(stranger`select 1`).rejects.toMatchObject({ code: '28000' }); // refused at authentication
      expect(strangerStats).toEqual({ inFlight: 0, connectionErrors: 1 });
    } finally {
      await stranger.end({ timeout: 1 });
    }
  });

  it('summed over workers (as the primary sums them): counts and sizes add up, up and enabled are the minimum', async () => {
    const sql = createClient({ url: db.url, schema: 'urdb', max: 1 });
    try {
      const workers = [true, false].map((up) => {
        const cache = new RouteLookupCache();
        if (up) cache.enable();
        const metrics = new ServerMetrics({
          router: createApi({ sql }).router,
          cache,
          cacheEnabled: () => cache.isEnabled,
          queries: { inFlight: up ? 1 : 2, connectionErrors: up ? 0 : 5 },
          poolSize: 10,
          databaseAnswers: async () => up,
        });
        metrics.answered('GET', lookup(101), 200, 0.4);
        return metrics;
      });
      const json = await Promise.all(workers.map((w) => w.registry.getMetricsAsJSON()));
      const m = parsePrometheus(await AggregatorRegistry.aggregate(json).metrics());
      expect(requests(m, CHATS, '200')).toBe(2);
      expect(sampleValue(m, 'urdb_http_request_duration_seconds_bucket', { endpoint: CHATS, method: 'GET', status: '200', le: '0.0005' })).toBe(2);
      expect(sampleValue(m, 'urdb_db_pool_max_connections')).toBe(20);
      expect(sampleValue(m, 'urdb_db_queries_in_flight')).toBe(3);
      expect(sampleValue(m, 'urdb_db_connection_errors_total')).toBe(5);
      expect(sampleValue(m, 'urdb_db_up')).toBe(0);
      expect(sampleValue(m, 'urdb_route_cache_enabled')).toBe(0);
    } finally {
      await sql.end({ timeout: 5 });
    }
  });

  it('access-code lockouts, by scope, as the handlers report them', async () => {
    const sql = createClient({ url: db.url, schema: 'urdb', max: 1 });
    try {
      const metrics = metricsOf({ inFlight: 0, connectionErrors: 0 }, sql);
      reportLockout('chat');
      reportLockout('chat');
      reportLockout('source');
      const m = parsePrometheus(await metrics.text());
      expect(sampleValue(m, 'urdb_access_code_lockouts_total', { scope: 'chat' })).toBe(2);
      expect(sampleValue(m, 'urdb_access_code_lockouts_total', { scope: 'source' })).toBe(1);
    } finally {
      await sql.end({ timeout: 5 });
    }
  });
});

describe('the strict parser (test support) rejects what a scraper would misread', () => {
  const ok = '# HELP a_total A.\n# TYPE a_total counter\na_total{x="1"} 2\n';
  it.each([
    ['no final newline', ok.trimEnd()],
    ['a duplicate series', `${ok}a_total{x="1"} 3\n`],
    ['a split family', `${ok}# TYPE b gauge\nb 1\na_total{x="2"} 1\n`],
    ['a negative counter', ok.replace(' 2\n', ' -1\n')],
    ['a bad escape', ok.replace('"1"', '"\\t"')],
    ['a bad value', ok.replace(' 2\n', ' two\n')],
    ['TYPE after samples', `${ok}# TYPE a_total counter\n`],
    ['a non-cumulative histogram', '# TYPE h histogram\nh_bucket{le="1"} 2\nh_bucket{le="+Inf"} 1\nh_sum 1\nh_count 1\n'],
    ['a histogram without +Inf', '# TYPE h histogram\nh_bucket{le="1"} 1\nh_sum 1\nh_count 1\n'],
  ])('%s', (_, text) => {
    expect(() => parsePrometheus(text)).toThrow();
  });
  it('accepts a valid exposition', () => {
    expect(sampleValue(parsePrometheus(`${ok}\n# TYPE h histogram\nh_bucket{le="1"} 1\nh_bucket{le="+Inf"} 1\nh_sum 0.5\nh_count 1\n`), 'h_count')).toBe(1);
  });
});
