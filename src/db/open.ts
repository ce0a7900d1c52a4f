/**
 * Opening the database a process works on: a server (URL or libpq variables) or the embedded default, with the
 * schema checked (servers) or brought up to date (embedded, which migrates and seeds itself).
 */
import net from 'node:net';
import { UnavailableError } from '../core/errors';
import type { Actor } from '../core/operation';
import { FROM_DATABASE, classifyDbError, createClient, endpointOf, isPoolerRefusal, pooledByEnv, startupPid, type Sql } from './client';
import { acquire, embeddedPaths, PORT, type Lease } from './embedded';
import { checkVersion, currentVersion, latestVersion, migrate } from './migrate';
import { describeTarget, type Target } from './target';

export interface Database {
  sql: Sql;
  target: Target;
  schema: string;
  /** host:port or socket path, for messages. */
  endpoint: string;
  /** URL without password, or the embedded data directory. */
  description: string;
  lease: Lease | null;
  /** Reached through a transaction-mode pool (URDB_POOLED=1, or detected: see connectServer). */
  pooled: boolean;
  /** Ends the connections; `now`: without waiting for running queries (Ctrl-C: the server rolls back). */
  close(opts?: { now?: boolean }): Promise<void>;
}

export interface OpenOptions {
  target: Target;
  schema: string;
  max?: number;
  prepare?: boolean;
  applicationName?: string;
  /** check: fail unless the schema is current; none: no check (migrate, db status). */
  schemaCheck: 'check' | 'none';
  /** Seed a just-created embedded database (default true; init seeds itself). */
  autoSeed?: boolean;
  /** Keep the embedded server up after this process (urdb db start). */
  persistent?: boolean;
  /** One-line progress messages (stderr). */
  say?: (line: string) => void;
  connectTimeout?: number;
}

export async function openDatabase(opts: OpenOptions): Promise<Database> {
  const { target, schema } = opts;
  let lease: Lease | null = null;
  let sql: Sql;
  let pooled = false;
  if (target.kind === 'embedded') {
    // The client connects lazily, so it can exist before the server does: the first use's setup runs through it.
    sql = createClient({
      socketDir: embeddedPaths(target.home).runDir,
      port: PORT,
      schema,
      max: opts.max,
      prepare: opts.prepare,
      applicationName: opts.applicationName,
      connectTimeout: opts.connectTimeout,
    });
    const home = target.home;
    try {
      lease = await acquire(home, {
        persistent: opts.persistent ?? false,
        holder: opts.applicationName,
        ...(asIs(opts) ? {} : { setup: { key: schema, run: ({ created }) => setUpEmbedded(sql, home, opts, created) } }),
      });
    } catch (err) {
      await sql.end({ timeout: 5 }).catch(() => undefined);
      throw classifyDbError(err, embeddedPaths(home).runDir);
    }
    if (lease.created && asIs(opts)) opts.say?.(`urdb: created the embedded database in ${home}`);
  } else {
    ({ sql, pooled } = await connectServer(opts));
  }
  const db: Database = {
    sql,
    target,
    schema,
    endpoint: endpointOf(sql),
    description: describeTarget(target),
    lease,
    pooled,
    async close(opts = {}) {
      try {
        await sql.end({ timeout: opts.now ? 0 : 5 });
      } finally {
        await lease?.release();
      }
    },
  };
  try {
    if (target.kind === 'embedded') {
      if (!asIs(opts)) await upgradeEmbedded(db, opts);
    } else {
      const note = opts.schemaCheck === 'check' ? checkVersion(await currentVersion(sql), schema) : null;
      if (note) opts.say?.(`urdb: note: ${note}`);
    }
  } catch (err) {
    await db.close().catch(() => undefined);
    throw classifyDbError(err, db.endpoint);
  }
  return db;
}

/**
 * A server's client, in pooled mode when URDB_POOLED=1 or when the first contact shows a transaction-mode pool in
 * between: PgBouncer refuses the search_path startup parameter ("unsupported startup parameter"), or, told to ignore
 * it (ignore_startup_parameters), drops it, so the session's search_path is not urdb's schema; and any pooler gives
 * the client a backend pid (its cancel key) that is not the answering backend's (see viaPooler).
 */
async function connectServer(opts: OpenOptions): Promise<{ sql: Sql; pooled: boolean }> {
  const connect = (pooled: boolean) =>
    createClient({
      url: opts.target.kind === 'url' ? opts.target.url : undefined,
      schema: opts.schema,
      max: opts.max,
      prepare: opts.prepare,
      pooled,
      applicationName: opts.applicationName,
      connectTimeout: opts.connectTimeout,
    });
  let pooled = pooledByEnv();
  let sql = connect(pooled);
  try {
    const session = await firstContact(sql, endpointOf(sql));
    if (pooled || (session.searchPath === opts.schema && !session.viaPooler)) return { sql, pooled };
  } catch (err) {
    if (pooled || !isPoolerRefusal(err)) throw classifyDbError(err, endpointOf(sql));
  }
  await sql.end({ timeout: 0 }).catch(() => undefined);
  pooled = true;
  sql = connect(pooled);
  try {
    await firstContact(sql, endpointOf(sql));
  } catch (err) {
    throw classifyDbError(err, endpointOf(sql));
  }
  return { sql, pooled };
}

/**
 * postgres.js retries a connection that closes during the handshake (a port that speaks another protocol, a proxy
 * that accepts and hangs up) at once and for ever, restarting connect_timeout each time; a socket still connecting
 * when the pool ends then holds the process for another connect_timeout. So the first contact is bounded, and when
 * it is slow, a probe asks host:port what every PostgreSQL answers (S or N to an SSLRequest): anything else fails
 * at once, before a flood of reconnections.
 */
async function firstContact(sql: Sql, endpoint: string): Promise<{ searchPath: string; viaPooler: boolean }> {
  const o = sql.options as unknown as { connect_timeout?: number; host: string[]; port: number[] };
  const timers: NodeJS.Timeout[] = [];
  let probe: net.Socket | null = null;
  const failed = new Promise<never>((_, reject) => {
    const timedOut = Object.assign(new Error('timed out connecting'), { code: 'CONNECT_TIMEOUT', [FROM_DATABASE]: true });
    timers.push(setTimeout(() => reject(timedOut), (o.connect_timeout ?? 5) * 1000));
    const [host] = o.host;
    if (o.host.length === 1 && host && !host.startsWith('/')) {
      timers.push(setTimeout(() => (probe = probeProtocol(host, o.port[0] ?? 5432, endpoint, reject)), 250));
    }
  });
  try {
    const rows = await Promise.race([
      sql<{ search_path: string; pid: number }[]>`select current_setting('search_path') as search_path, pg_backend_pid() as pid`,
      failed,
    ]);
    return { searchPath: rows[0]!.search_path, viaPooler: startupPid(rows) !== rows[0]!.pid };
  } catch (err) {
    await sql.end({ timeout: 0 }).catch(() => undefined);
    throw err;
  } finally {
    timers.forEach(clearTimeout);
    (probe as net.Socket | null)?.destroy();
  }
}

const SSL_REQUEST = Buffer.from([0, 0, 0, 8, 4, 210, 22, 47]);

/** Rejects when host:port answers an SSLRequest with anything but S or N, or hangs up; refusals are the pool's. */
function probeProtocol(host: string, port: number, endpoint: string, reject: (err: unknown) => void): net.Socket {
  const notPostgres = (what: string) =>
    reject(
      new UnavailableError(`cannot connect to PostgreSQL at ${endpoint}: ${what}, not PostgreSQL`, {
        hint: 'check --database-url, DATABASE_URL or the PG* variables (host and port)',
      }),
    );
  let answered = false;
  const socket = net.connect(port, host);
  socket.unref();
  socket.on('error', () => undefined);
  socket.on('connect', () => socket.write(SSL_REQUEST));
  socket.once('data', (reply) => {
    answered = true;
    if (reply[0] !== 0x53 && reply[0] !== 0x4e) notPostgres('something else answers there');
    socket.destroy();
  });
  socket.on('end', () => answered || notPostgres('the server hangs up without an answer'));
  return socket;
}

/** `db status`, `migrate` and `init` see the embedded database as it is (they migrate and seed it themselves). */
const asIs = (opts: OpenOptions) => opts.schemaCheck === 'none' && opts.autoSeed === false;

const systemActor: Actor = { via: 'system', user: 'urdb' };

/**
 * The first use (under the embedded lock, once per cluster and schema): migrate, and seed the tables that are still
 * empty, so a setup killed half-way is finished by the next command and rows someone changed are never touched.
 * Returns whether the setup is complete (false when seeding is left to `urdb init report-types|account-roles`).
 */
async function setUpEmbedded(sql: Sql, home: string, opts: OpenOptions, created: boolean): Promise<boolean> {
  const before = await currentVersion(sql);
  const newer = before > latestVersion() ? checkVersion(before, opts.schema) : null;
  if (newer) opts.say?.(`urdb: note: ${newer}`);
  const migrated = await migrate(sql, opts.schema);
  const done: string[] = [`schema version ${migrated.to}`];
  if (opts.autoSeed !== false) {
    const { seedReportTypes, seedAccountRoles } = await import('../handlers/init');
    const ctx = { sql, actor: systemActor };
    const empty = async (table: string) => (await sql`select 1 from ${sql(table)} limit 1`).length === 0;
    if (await empty('report_type')) done.push(`${(await seedReportTypes.run(ctx, { inactive: false })).total} report types`);
    if (await empty('account_role')) done.push(`${(await seedAccountRoles.run(ctx, {})).total} account roles`);
  }
  if (created || migrated.applied.length > 0 || done.length > 1) {
    opts.say?.(`urdb: ${created ? 'created' : 'set up'} the embedded database in ${home}: ${done.join(', ')}`);
  }
  return opts.autoSeed !== false;
}

/** A newer urdb on an existing embedded database: its new migrations (under migrate's advisory lock). */
async function upgradeEmbedded(db: Database, opts: OpenOptions) {
  const version = await currentVersion(db.sql);
  if (version === latestVersion()) return;
  if (version > latestVersion()) {
    opts.say?.(`urdb: note: ${checkVersion(version, db.schema)}`);
    return;
  }
  const migrated = await migrate(db.sql, db.schema);
  if (migrated.applied.length > 0) {
    const home = db.target.kind === 'embedded' ? db.target.home : '';
    opts.say?.(`urdb: migrated the embedded database in ${home} to schema version ${migrated.to}`);
  }
}
