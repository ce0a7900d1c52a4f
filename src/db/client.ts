/**
 * postgres.js clients: one place that sets the options every urdb process needs, and one that turns connection
 * failures into a one-line UnavailableError (exit 3 / HTTP 503) naming host and port, never the password.
 */
import postgres from 'postgres';
import { UnavailableError, UrdbError } from '../core/errors';
import { poolSafe } from './pooled';
import { schemaName } from './target';

export type Sql = postgres.Sql<{}>;
export type Tx = postgres.TransactionSql<{}>;

export interface ClientOptions {
  /** A URL, or undefined for libpq variables / explicit socket options. */
  url?: string | undefined;
  /** Explicit socket directory (embedded server). */
  socketDir?: string;
  port?: number;
  user?: string;
  database?: string;
  schema: string;
  max?: number;
  /** Prepared statements (default on; URDB_PREPARE=0 turns them off). */
  prepare?: boolean;
  /** Behind a transaction-mode pool (PgBouncer): no session state at all (see pooled.ts). */
  pooled?: boolean;
  connectTimeout?: number;
  idleTimeout?: number;
  applicationName?: string;
  /** Where NOTICE/WARNING messages go; never stdout. */
  onNotice?: (message: string) => void;
}

const int8 = {
  to: 20,
  from: [20],
  serialize: (x: number | bigint | string) => String(x),
  parse: (x: string) => Number(x),
};

/**
 * Seconds before a pool connection tries again after a failed one. postgres.js's default grows as 3^n / 100 up to
 * 20 s, counted over the whole pool: a server under load reaches the ceiling within a few seconds of an outage and
 * then stays unavailable for up to 20 s after the database is back, with requests queued all that time. Capped at
 * about a second instead: at most one attempt a second per connection while the database is down.
 */
export function reconnectDelay(retries: number): number {
  return (0.5 + Math.random() / 2) * Math.min(0.05 * 2 ** retries, 1);
}

function defaultNotice(message: string) {
  process.stderr.write(`urdb: postgres: ${message}\n`);
}

/** postgres.js options it accepts but does not declare. */
export interface ExtraOptions extends Partial<postgres.Options<{}>> {
  onnotify?: (channel: string, payload: string) => void;
  onclose?: (connectionId: number) => void;
  max_lifetime?: number | null;
}

export function createClient(opts: ClientOptions, extra: ExtraOptions = {}): Sql {
  const session = createSessionClient(opts.pooled ? { ...opts, prepare: false } : opts, extra, !opts.pooled);
  const sql = opts.pooled ? poolSafe(session, opts.schema) : session;
  return Object.assign(sql, { [QUALIFIED]: { sql: session, schema: opts.schema } });
}

/** PgBouncer refusing a startup parameter urdb sends (search_path) when not in pooled mode. */
export function isPoolerRefusal(err: unknown): boolean {
  return /unsupported startup parameter/.test((err as Error | null)?.message ?? '');
}

/**
 * Whether the connection goes through a pooler: PgBouncer hands every client its own BackendKeyData (its cancel
 * key), so the backend pid the client was told at startup is not the pid of the backend that answers.
 */
export async function viaPooler(sql: Sql): Promise<boolean> {
  const rows = await sql<{ pid: number }[]>`select pg_backend_pid() as pid`;
  return startupPid(rows) !== rows[0]!.pid;
}

/** The backend pid a result's connection was told at startup (postgres.js keeps it on every result). */
export function startupPid(rows: unknown): number | undefined {
  return (rows as { state?: { pid?: number } }).state?.pid;
}

const QUALIFIED = Symbol('urdb.qualified');

/**
 * For the hot path only: a client for schema-qualified SQL (`${sql(schema)}.report_route`), which needs no
 * search_path and so, behind a pool, no transaction around it — one statement instead of begin/set_config/commit
 * (test/bench/search-path.mjs measures the difference).
 */
export function qualifiedClient(sql: Sql): { sql: Sql; schema: string } {
  // A client made elsewhere (a test's stand-in) gets the process's schema.
  return (sql as Sql & { [QUALIFIED]?: { sql: Sql; schema: string } })[QUALIFIED] ?? { sql, schema: schemaName() };
}

/** URDB_POOLED=1: the database URL is a transaction-mode pool, even where urdb cannot tell (see open.ts). */
export function pooledByEnv(env: Record<string, string | undefined> = process.env): boolean {
  return env.URDB_POOLED === '1';
}

function createSessionClient(opts: ClientOptions, extra: ExtraOptions, searchPath = true): Sql {
  const timeout = Number(process.env.URDB_CONNECT_TIMEOUT) || opts.connectTimeout || 5;
  const base: postgres.Options<{}> = {
    max: opts.max ?? 4,
    connect_timeout: timeout,
    idle_timeout: opts.idleTimeout ?? 0,
    backoff: reconnectDelay,
    fetch_types: false,
    prepare: process.env.URDB_PREPARE !== '0' && opts.prepare !== false,
    types: { int8 } as unknown as {},
    connection: {
      application_name: opts.applicationName ?? 'urdb',
      ...(searchPath ? { search_path: opts.schema } : {}),
    },
    onnotice: (n) => (opts.onNotice ?? defaultNotice)(`${n.severity ?? 'NOTICE'}: ${n.message}`),
    ...(extra as postgres.Options<{}>),
  };
  if (opts.socketDir) {
    return postgres({
      ...base,
      host: opts.socketDir,
      port: opts.port ?? 5432,
      user: opts.user ?? 'postgres',
      database: opts.database ?? 'postgres',
      password: '',
    });
  }
  if (opts.url) {
    const { url, host } = splitSocketHost(opts.url);
    return postgres(url, host ? { ...base, host } : base);
  }
  return postgres(base);
}

/** libpq accepts `postgres:///db?host=/run/postgresql`; postgres.js would send `host` as a server setting. */
function splitSocketHost(url: string): { url: string; host?: string } {
  const m = /[?&]host=([^&]*)/.exec(url);
  if (!m) return { url };
  const host = decodeURIComponent(m[1]!);
  const rest = url.replace(/([?&])host=[^&]*&?/, '$1').replace(/[?&]$/, '');
  return { url: rest, host };
}

/** The host:port (or socket) a client talks to, for messages. */
export function endpointOf(sql: Sql): string {
  const o = sql.options as unknown as { host: string[]; port: number[]; path?: string | false };
  if (o.path) return o.path;
  return (o.host ?? []).map((h, i) => `${h}:${o.port?.[i] ?? 5432}`).join(',');
}

const CONNECTION_CODES: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ENOENT: 'no server socket there',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host name lookup failed',
  ETIMEDOUT: 'timed out',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ECONNRESET: 'connection reset',
  EPIPE: 'connection closed',
  EACCES: 'permission denied on the socket',
  CONNECT_TIMEOUT: 'timed out connecting',
  CONNECTION_CLOSED: 'connection closed',
  CONNECTION_ENDED: 'connection ended',
  CONNECTION_DESTROYED: 'connection destroyed',
};

/** SQLSTATEs that mean "cannot connect or authenticate" (exit 3), or that the server is going away. */
const SERVER_CODES: Record<string, string> = {
  '28P01': 'password authentication failed',
  '28000': 'authentication rejected',
  '3D000': 'database does not exist',
  '57P01': 'server is shutting down',
  '57P02': 'server crashed',
  '57P03': 'server is starting up',
  '53300': 'too many connections',
  '08006': 'connection failure',
  '08001': 'cannot establish connection',
  '08004': 'connection rejected',
};

/** Marks an error urdb made about a database connection (a timed-out first contact) as the database client's. */
export const FROM_DATABASE = Symbol('urdb.fromDatabase');

/**
 * Whether an error came from the database client, by what only its errors carry: a PostgresError (the server's); the
 * query postgres.js attaches to an error it rejects a query with; postgres.js's own connection errors (CONNECT_TIMEOUT,
 * CONNECTION_CLOSED…: errno is the code, with the server's address), which it rejects a transaction with when its
 * connection closes; or a socket's failure to connect or resolve. A file's ENOENT or EACCES (it names a path) is not.
 */
export function fromDatabaseClient(err: unknown): boolean {
  if (!err || typeof err !== 'object') return false;
  const e = err as { name?: string; code?: unknown; errno?: unknown; syscall?: unknown; path?: unknown };
  if (e.name === 'PostgresError' || 'query' in err || FROM_DATABASE in err) return true;
  if (typeof e.path === 'string') return false;
  if (typeof e.code === 'string' && e.errno === e.code && 'address' in err) return true;
  return e.syscall === 'connect' || e.syscall === 'getaddrinfo';
}

export function isConnectionError(err: unknown): boolean {
  const code = (err as { code?: string } | null)?.code;
  return fromDatabaseClient(err) && typeof code === 'string' && (code in CONNECTION_CODES || code in SERVER_CODES);
}

/** Wraps connection failures; everything else passes through unchanged. */
export function classifyDbError(err: unknown, endpoint: string): unknown {
  if (err instanceof UrdbError || !fromDatabaseClient(err)) return err;
  const e = err as { code?: string; message?: string } | null;
  const code = e?.code;
  if (typeof code !== 'string') return err;
  const reason = CONNECTION_CODES[code] ?? SERVER_CODES[code];
  if (!reason) return err;
  const what = code === '3D000' || code === '28P01' || code === '28000' ? `${reason} (${scrub(e?.message ?? '')})` : reason;
  return new UnavailableError(`cannot connect to PostgreSQL at ${endpoint}: ${what}`, {
    hint: 'check --database-url, DATABASE_URL or the PG* variables, or unset them all to use the embedded database',
    cause: err,
  });
}

function scrub(message: string): string {
  return message.replace(/postgres(ql)?:\/\/[^\s]*/g, '<url>');
}

/** A PostgreSQL array literal of integers, passed as one text parameter: `${intArray(ids)}::int[]`. */
export function intArray(values: readonly number[]): string {
  for (const v of values) if (!Number.isSafeInteger(v)) throw new TypeError(`not an integer: ${v}`);
  return `{${values.join(',')}}`;
}
