/**
 * Keeps a RouteLookupCache correct across processes: a dedicated connection LISTENs on the schema's change channel
 * and clears the cache on every notification. The cache is enabled only while that connection is listening; when
 * it drops, the cache is disabled at once and the connection is retried with backoff.
 *
 * Listening is proven, not assumed: after LISTEN the connection notifies itself and the cache is enabled only once
 * that notification arrives. Through a transaction-mode pool (PgBouncer) LISTEN "succeeds" and nothing ever
 * arrives: the cache then stays off, which is slower but never stale.
 */
import { createClient, endpointOf, isPoolerRefusal, viaPooler, type ClientOptions, type Sql } from '../db/client';
import type { RouteLookupCache } from './route-lookup';

export interface ChangeListener {
  /** Resolves once listening (or after the first failed attempt: the cache then stays disabled and retries). */
  ready: Promise<void>;
  stop(): Promise<void>;
}

/** The payload of the notification a new listener sends itself. */
const PROBE = 'urdb:listener-probe';
const PROBE_MS = 2000;

export function channelFor(schema: string): string {
  return `urdb_changes:${schema}`;
}

export function listenForChanges(
  options: ClientOptions,
  schema: string,
  cache: RouteLookupCache,
  log: (line: string) => void = () => {},
): ChangeListener {
  const channel = channelFor(schema);
  let stopped = false;
  let timer: NodeJS.Timeout | null = null;
  let attempt = 0;
  let sql: Sql | null = null;
  let lastProblem = '';
  /** One line per kind of failure, not one per retry. */
  const problem = (line: string) => {
    if (line !== lastProblem) log(line);
    lastProblem = line;
  };

  const connect = async (): Promise<void> => {
    if (stopped) return;
    let probed: (() => void) | null = null;
    const client: Sql = createClient(
      // The pid tells one process's listener from another's in pg_stat_activity.
      { ...options, pooled: false, max: 1, connectTimeout: 5, applicationName: `urdb listener ${process.pid}` },
      {
      idle_timeout: 0,
      max_lifetime: null,
      onnotify: (ch, payload) => {
        if (ch !== channel) return;
        if (payload === PROBE) probed?.();
        else cache.clear();
      },
      onclose: () => {
        if (sql !== client) return;
        sql = null;
        cache.disable();
        if (!stopped) {
          log('lookup cache disabled: the change notification connection closed; reconnecting');
          void client.end({ timeout: 0 }).catch(() => undefined);
          schedule();
        }
      },
    });
    const throughPooler = () =>
      problem(
        `lookup cache off: the listener's connection (${endpointOf(client)}) goes through a pooler such as PgBouncer, ` +
          'where LISTEN receives nothing; give it a direct connection to the primary: --listen-database-url or URDB_LISTEN_URL',
      );
    try {
      if (await viaPooler(client)) {
        throughPooler();
        throw new Error('through a pooler');
      }
      await client`listen ${client(channel)}`;
      const arrived = new Promise<boolean>((resolve) => {
        probed = () => resolve(true);
        setTimeout(() => resolve(false), PROBE_MS).unref();
      });
      await client`select pg_notify(${channel}, ${PROBE})`;
      if (!(await arrived)) {
        problem(`lookup cache off: LISTEN on ${endpointOf(client)} receives no notifications; retrying`);
        throw new Error('no notification');
      }
      if (stopped) {
        await client.end({ timeout: 0 });
        return;
      }
      sql = client;
      attempt = 0;
      cache.enable();
      lastProblem = '';
      log('lookup cache enabled (listening for changes)');
    } catch (err) {
      if (isPoolerRefusal(err)) throughPooler();
      await client.end({ timeout: 0 }).catch(() => undefined);
      schedule();
    }
  };

  const schedule = () => {
    if (stopped || timer) return;
    const delay = Math.min(100 * 2 ** attempt++, 5000);
    timer = setTimeout(() => {
      timer = null;
      void connect();
    }, delay);
    timer.unref();
  };

  const ready = connect();
  return {
    ready,
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      cache.disable();
      const client = sql;
      sql = null;
      await client?.end({ timeout: 1 }).catch(() => undefined);
    },
  };
}
