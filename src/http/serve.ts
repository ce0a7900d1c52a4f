/**
 * `urdb serve` as a process: open the database (the embedded default holds its lease for the server's lifetime),
 * listen, log, and stop cleanly on SIGTERM/SIGINT. With several workers, the primary prepares the database once and
 * forks workers that share the port (node:cluster), restarts one that dies, and stops them all on a signal.
 */
import cluster, { type Worker } from 'node:cluster';
import { listenForChanges } from '../cache/notifications';
import { RouteLookupCache } from '../cache/route-lookup';
import { plural } from '../cli/text';
import { UrdbError } from '../core/errors';
import type { ClientOptions } from '../db/client';
import { embeddedPaths, PORT } from '../db/embedded';
import { openDatabase, type Database } from '../db/open';
import type { Target } from '../db/target';
import { createApi } from './api';
import { ServerLog, type LogFormat } from './log';
import { startServer } from './server';
import type { ApiToken } from './tokens';

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
  target: Target;
  schema: string;
  /** Grace time for in-flight requests at shutdown, ms. */
  graceMs?: number;
}

/** Resolves once the server has stopped after a signal. */
export function serve(opts: ServeOptions): Promise<void> {
  if (cluster.isWorker) return serveProcess(opts, cluster.worker!.id);
  if (opts.workers > 1) return servePrimary(opts);
  return serveProcess(opts, null);
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.');
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
  const log = new ServerLog(opts.logFormat, undefined, worker);
  survivePendingWriteOnClosedConnection(log);
  const stop = stopRequested();
  const db = await openFor(opts, log, opts.poolSize);
  const routeCache = opts.routeCache ? new RouteLookupCache() : undefined;
  // The cache's messages wait until the port is ours: a busy port is the first and only thing said.
  let held: string[] | null = [];
  const cacheSays = (line: string) => (held ? held.push(line) : log.message('info', line));
  const listener = routeCache ? listenForChanges(clientOptions(opts.target, opts.schema), opts.schema, routeCache, cacheSays) : null;
  try {
    await listener?.ready;
    const api = createApi({ sql: db.sql, tokens: opts.tokens, endpoint: db.endpoint, routeCache, onEvent: (e) => log.event(e) });
    const running = await startServer({ api, host: opts.host, port: opts.port, log });
    // Workers tell the primary their port (the cluster's own 'listening' event can report -1 for a shared handle).
    if (worker === null) announce(log, opts, running.address.port, db.description);
    else process.send?.({ urdb: 'listening', port: running.address.port });
    for (const line of held) log.message('info', line);
    held = null;
    const why = await stop;
    log.message('info', `stopping (${why}): finishing ${plural(running.inFlight(), 'request')} in flight`);
    await running.close(opts.graceMs);
    if (worker === null) log.message('info', 'stopped');
  } finally {
    await listener?.stop();
    await db.close();
    log.flush();
    // A worker's IPC channel keeps it alive: let go of it (as a planned disconnect, which node does not turn into
    // exit 0) so the process ends with its own exit code.
    if (worker !== null && process.connected) cluster.worker!.disconnect();
  }
}

/**
 * postgres.js (3.4.x, porsager/postgres#1154) defers small writes with setImmediate; when the connection closes
 * before that runs (the database crashed or restarted under load) the deferred write dereferences the closed socket
 * and throws outside any promise, which would end the server. The query it belonged to has already been rejected
 * with CONNECTION_CLOSED (the request answered 503), so the write is moot: that one exception is logged and ignored.
 * Any other uncaught exception still ends the process, as node's default does.
 */
function survivePendingWriteOnClosedConnection(log: ServerLog) {
  process.on('uncaughtException', (err) => {
    if (err instanceof TypeError && err.message === "Cannot read properties of null (reading 'write')" && /\bnextWrite\b/.test(err.stack ?? '')) {
      log.message('warning', 'a database connection closed with a write pending; its request was already answered');
      return;
    }
    log.flush();
    process.stderr.write(`${err.stack ?? String(err)}\n`);
    process.exit(1);
  });
}

/** Where the cache's change listener connects: the same database as the pool. */
function clientOptions(target: Target, schema: string): ClientOptions {
  if (target.kind === 'embedded') return { socketDir: embeddedPaths(target.home).runDir, port: PORT, schema };
  if (target.kind === 'url') return { url: target.url, schema };
  return { schema };
}

function announce(log: ServerLog, opts: ServeOptions, port: number, database: string, workers = 1) {
  log.message('info', `serving ${urlOf(opts.host, port)} (${workers} worker${workers === 1 ? '' : 's'}; database: ${database})`, {
    url: urlOf(opts.host, port),
    workers,
  });
  if (opts.tokens.length === 0 && !isLoopback(opts.host)) {
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
        announce(log, opts, m.port!, db.description, opts.workers);
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
  try {
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
    await db.close();
    log.flush();
  }
}
