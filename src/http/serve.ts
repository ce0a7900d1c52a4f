/**
 * `urdb serve` as a process: open the database (the embedded default holds its lease for the server's lifetime),
 * listen, log, reload the tokens and edge lists on SIGHUP, and stop cleanly on SIGTERM/SIGINT. With several workers, the primary prepares the database once and
 * forks workers that share the port (node:cluster), restarts one that dies, and stops them all on a signal.
 */
import cluster, { type Worker } from 'node:cluster';
import v8 from 'node:v8';
import { listenForChanges } from '../cache/notifications';
import { RouteLookupCache } from '../cache/route-lookup';
import { plural } from '../cli/text';
import { UrdbError } from '../core/errors';
import type { ClientOptions } from '../db/client';
import { embeddedPaths, PORT } from '../db/embedded';
import { openDatabase, type Database } from '../db/open';
import type { Target } from '../db/target';
import { countQueries, type QueryStats } from '../db/query-stats';
import { createApi } from './api';
import { defaultConnectionCap, openFileLimit } from './connections';
import { isLoopback } from './edge';
import { ready } from './endpoints';
import { ServerLog, type LogFormat } from './log';
import { ServerMetrics } from './metrics';
import { listenForScrapes, metricsOnApiPort, primaryScrapes, workerScrapes, type MetricsListener, type Scrape } from './metrics-serve';
import { startServer, type EdgeSettings } from './server';
import type { ApiToken } from './tokens';

/** What SIGHUP rereads (the same loader as at start). */
export interface Reloadable {
  tokens: ApiToken[];
  edge: EdgeSettings;
  files: string[];
}

export interface ServeOptions {
  host: string;
  port: number;
  /** Bearer tokens, by name; none: the API is open (to whoever can reach it). */
  tokens: ApiToken[];
  workers: number;
  logFormat: LogFormat;
  /** Connections per process. */
  poolSize: number;
  /** Answer the route lookups from an in-process cache kept correct by LISTEN/NOTIFY. */
  routeCache: boolean;
  /** Where the cache's change listener connects (a direct URL when the database URL is a pool). */
  listenUrl?: string | undefined;
  /** The route cache's memory bound per process, bytes (default: DEFAULT_CACHE_BYTES). */
  cacheBytes?: number;
  target: Target;
  schema: string;
  /** Grace time for in-flight requests at shutdown, ms. */
  graceMs?: number;
  /** Who may talk to the server (peer, Host, Origin). */
  edge?: EdgeSettings;
  /** Rereads the tokens and edge lists (SIGHUP); a rejection keeps the previous ones. */
  reload?: () => Promise<Reloadable>;
  keepAliveTimeoutMs?: number;
  /** Open connections at most; default: from the open-file limit. */
  maxConnections?: number;
  /** GET /metrics on a listener of its own (then not on the API's port); null: on the API's port. */
  metricsListen: { host: string; port: number } | null;
}

/** Resolves once the server has stopped after a signal. */
export function serve(opts: ServeOptions): Promise<void> {
  if (cluster.isWorker) return serveProcess(opts, cluster.worker!.id);
  if (opts.workers > 1) return servePrimary(opts);
  return serveProcess(opts, null);
}

function urlOf(host: string, port: number): string {
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

function openFor(opts: ServeOptions, log: ServerLog, max: number): Promise<Database> {
  return openDatabase({
    target: opts.target,
    schema: opts.schema,
    max,
    applicationName: 'urdb serve',
    schemaCheck: 'check',
    say: (line) => log.message('info', line.replace(/^urdb: /, '')),
  });
}

/** Resolves on the first SIGTERM/SIGINT, or when the primary asks a worker to stop. */
function stopRequested(): Promise<string> {
  return new Promise((resolve) => {
    const stop = (why: string) => () => {
      process.off('SIGTERM', onTerm);
      process.off('SIGINT', onInt);
      process.off('message', onMessage);
      resolve(why);
    };
    const onTerm = stop('SIGTERM');
    const onInt = stop('SIGINT');
    const onMessage = (m: unknown) => m === 'urdb:shutdown' && onMessageStop();
    const onMessageStop = stop('asked by the primary');
    process.on('SIGTERM', onTerm);
    process.on('SIGINT', onInt);
    if (cluster.isWorker) process.on('message', onMessage);
  });
}

async function serveProcess(opts: ServeOptions, worker: number | null): Promise<void> {
  // V8 grows the heap by up to 4 × the live set between full collections; a server with a large cache (live set) then
  // sits at several times its size. Favouring size caps that growth: peak RSS under the bench's load and 60 s of
  // random keys ~105 MB instead of 140–230 MB, at no measurable CPU cost per request (README, Performance).
  v8.setFlagsFromString('--optimize-for-size');
  const log = new ServerLog(opts.logFormat, undefined, worker);
  const stop = stopRequested();
  const hangup = onHangup(log);
  const db = await openFor(opts, log, opts.poolSize);
  const listenOn = listenerTarget(opts, db);
  // The primary of several workers says it for all of them.
  if (listenOn === 'pooled' && worker === null) log.message('warning', CACHE_OFF_POOLED);
  const routeCache = listenOn && listenOn !== 'pooled' ? new RouteLookupCache(opts.cacheBytes) : undefined;
  // The cache's messages wait until the port is ours: a busy port is the first and only thing said.
  let held: string[] | null = [];
  const cacheSays = (line: string) => (held ? held.push(line) : log.message('info', line));
  const listener = routeCache
    ? listenForChanges(listenOn as ClientOptions, opts.schema, routeCache, cacheSays)
    : null;
  let scrapes: MetricsListener | null = null;
  try {
    await listener?.ready;
    const queries: QueryStats = { inFlight: 0, connectionErrors: 0 };
    const sql = countQueries(db.sql, queries);
    let scrape: Scrape = () => Promise.reject(new Error('not ready'));
    const unrouted = opts.metricsListen ? undefined : metricsOnApiPort(() => scrape());
    const api = createApi({ sql, tokens: opts.tokens, endpoint: db.endpoint, routeCache, onEvent: (e) => log.event(e), unrouted });
    const metrics = new ServerMetrics({
      router: api.router,
      cache: routeCache ?? null,
      cacheEnabled: () => routeCache?.isEnabled ?? false,
      queries,
      poolSize: opts.poolSize,
      databaseAnswers: () => ready(sql, 1000).then(() => true, () => false),
    });
    scrape = worker === null ? () => metrics.text() : workerScrapes(metrics.registry);
    if (worker === null && opts.metricsListen) scrapes = await listenForScrapes(opts.metricsListen.host, opts.metricsListen.port, scrape);
    const onAnswer = metrics.answered.bind(metrics);
    const maxConnections = opts.maxConnections ?? defaultConnectionCap(opts.poolSize);
    const running = await startServer({
      api,
      host: opts.host,
      port: opts.port,
      log,
      edge: opts.edge,
      keepAliveTimeoutMs: opts.keepAliveTimeoutMs,
      maxConnections,
      onAnswer,
    });
    for (const line of held) log.message('info', line);
    held = null;
    hangup.ready(opts.reload, (next) => {
      api.setTokens(next.tokens);
      running.setEdge(next.edge);
    });
    if (worker === null) {
      const limit = openFileLimit();
      log.message('info', `at most ${maxConnections} connections${limit === null ? '' : ` (open-file limit ${limit})`}`);
    }
    // Workers tell the primary their port (the cluster's own 'listening' event can report -1 for a shared handle).
    if (worker === null) announce(log, opts, running.address.port, db.description, 1, scrapes);
    else process.send?.({ urdb: 'listening', port: running.address.port });
    const why = await stop;
    log.message('info', `stopping (${why}): finishing ${plural(running.inFlight(), 'request')} in flight`);
    await running.close(opts.graceMs);
    if (worker === null) log.message('info', 'stopped');
  } finally {
    hangup.stop();
    await scrapes?.close();
    await listener?.stop();
    await db.close();
    log.flush();
    // A worker's IPC channel keeps it alive: let go of it (as a planned disconnect, which node does not turn into
    // exit 0) so the process ends with its own exit code.
    if (worker !== null && process.connected) cluster.worker!.disconnect();
  }
}

/**
 * SIGHUP: reread the settings with the loader used at start, and swap them in whole (the tokens are an immutable
 * set; a request takes the one in force when it arrives). A load that fails changes nothing and says why. Until
 * the server listens a SIGHUP is ignored (node's default would end the process).
 */
function onHangup(log: ServerLog) {
  let reload: (() => Promise<void>) | null = null;
  let running = Promise.resolve();
  const onSignal = () => {
    if (!reload) return log.message('warning', 'SIGHUP before the server was listening: ignored');
    running = running.then(reload);
  };
  process.on('SIGHUP', onSignal);
  return {
    ready(load: (() => Promise<Reloadable>) | undefined, apply: (next: Reloadable) => void) {
      reload = async () => {
        if (!load) return log.message('info', 'SIGHUP: nothing to reread (no --tokens-file, no @file list)');
        try {
          const next = await load();
          apply(next);
          const from = next.files.length ? ` from ${next.files.join(', ')}` : '';
          log.message('info', `reloaded${from}: ${next.tokens.length} token(s)`);
        } catch (err) {
          log.message('error', `reload failed, keeping the previous tokens and lists: ${(err as Error).message}`);
        }
      };
    },
    stop: () => process.off('SIGHUP', onSignal),
  };
}

const CACHE_OFF_POOLED =
  'route cache off: the database URL goes through a transaction-mode pool (PgBouncer), where LISTEN receives ' +
  'nothing, so every lookup asks the database; give the listener a direct connection to the primary with ' +
  '--listen-database-url or URDB_LISTEN_URL to turn the cache on';

/** Where the change listener connects; null: no cache asked for; 'pooled': none possible (pool, no listen URL). */
function listenerTarget(opts: ServeOptions, db: Database): ClientOptions | 'pooled' | null {
  if (!opts.routeCache) return null;
  if (opts.listenUrl) return { url: opts.listenUrl, schema: opts.schema };
  if (db.pooled) return 'pooled';
  return clientOptions(opts.target, opts.schema);
}

/** The listener on the same database as the pool. */
function clientOptions(target: Target, schema: string): ClientOptions {
  if (target.kind === 'embedded') return { socketDir: embeddedPaths(target.home).runDir, port: PORT, schema };
  if (target.kind === 'url') return { url: target.url, schema };
  return { schema };
}

function announce(log: ServerLog, opts: ServeOptions, port: number, database: string, workers: number, scrapes: MetricsListener | null) {
  // Before the 'serving' line, which callers wait for.
  if (scrapes) {
    const url = `${urlOf(opts.metricsListen!.host, scrapes.address.port)}/metrics`;
    log.message('info', `metrics on ${url} (no token: keep this address for the scraper)`, { metrics: url });
  }
  log.message('info', `serving ${urlOf(opts.host, port)} (${workers} worker${workers === 1 ? '' : 's'}; database: ${database})`, {
    url: urlOf(opts.host, port),
    workers,
  });
  // Scoped tokens protect only /api/v1/: the old paths are open unless an unscoped token is configured.
  if (!opts.tokens.some((t) => !t.scopes) && !isLoopback(opts.host)) {
    log.message(
      'warning',
      `listening on ${opts.host} without a token: anyone who can reach this port can read and change routes; ` +
        'set URDB_API_TOKEN (or --token) to require "Authorization: Bearer <token>"',
    );
  }
}

async function servePrimary(opts: ServeOptions): Promise<void> {
  const log = new ServerLog(opts.logFormat);
  const stop = stopRequested();
  // Migrates and seeds the embedded default once, and holds its lease until every worker is gone.
  const db = await openFor(opts, log, 1);
  await db.sql.end({ timeout: 5 });
  const scrape = primaryScrapes();
  let scrapes: MetricsListener | null = null;
  if (listenerTarget(opts, db) === 'pooled') log.message('warning', CACHE_OFF_POOLED);
  const workers = new Set<Worker>();
  let stopping = false;
  let listening = 0; // workers up before the announcement
  let announced = false;
  let restartDelay = 1000;
  let failure: UrdbError | null = null;
  let allExited: (() => void) | null = null;
  let fatal: (() => void) | null = null;
  const fatalStop = new Promise<string>((resolve) => (fatal = () => resolve('a worker failed to start')));

  const fork = () => {
    const w = cluster.fork();
    workers.add(w);
    let up = false;
    w.on('message', (m: { urdb?: string; port?: number }) => {
      if (m?.urdb !== 'listening' || up) return;
      up = true;
      restartDelay = 1000;
      if (announced) log.message('info', `worker ${w.id} is serving`);
      else if (++listening === opts.workers) {
        announced = true;
        announce(log, opts, m.port!, db.description, opts.workers, scrapes);
      }
    });
    w.on('exit', (code, signal) => {
      workers.delete(w);
      if (stopping) {
        if (workers.size === 0) allExited?.();
        return;
      }
      if (!announced) {
        // At start, a worker that cannot serve (port taken, database unreachable) means the server cannot.
        failure ??= new UrdbError('failed', `worker ${w.id} exited with ${signal ?? code} before it was listening (see above)`);
        fatal?.();
        return;
      }
      log.message('error', `worker ${w.id} exited with ${signal ?? code}; starting another in ${restartDelay / 1000} s`);
      setTimeout(() => !stopping && fork(), restartDelay);
      restartDelay = Math.min(restartDelay * 2, 30_000);
    });
  };
  // Each worker rereads its own settings.
  const forwardHangup = () => {
    for (const w of workers) w.process.kill('SIGHUP');
  };
  process.on('SIGHUP', forwardHangup);
  try {
    if (opts.metricsListen) scrapes = await listenForScrapes(opts.metricsListen.host, opts.metricsListen.port, scrape);
    for (let i = 0; i < opts.workers; i++) fork();
    const why = await Promise.race([stop, fatalStop]);
    stopping = true;
    if (!failure) log.message('info', `stopping (${why}): ${plural(workers.size, 'worker')} finishing their requests`);
    if (workers.size > 0) {
      const exited = new Promise<void>((resolve) => (allExited = resolve));
      for (const w of workers) if (w.isConnected()) w.send('urdb:shutdown');
      const grace = (opts.graceMs ?? 25_000) + 5_000;
      const timer = setTimeout(() => {
        for (const w of workers) w.process.kill('SIGKILL');
      }, grace);
      await exited;
      clearTimeout(timer);
    }
    if (failure) throw failure;
    log.message('info', 'stopped');
  } finally {
    process.off('SIGHUP', forwardHangup);
    await scrapes?.close();
    await db.close();
    log.flush();
  }
}
