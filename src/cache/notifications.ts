/**
 * Keeps a RouteLookupCache correct across processes: a dedicated connection LISTENs on the schema's change channel
 * and clears the cache on every notification. The cache is enabled only while that connection is listening; when
 * it drops, the cache is disabled at once and the connection is retried with backoff.
 */
import { createClient, type ClientOptions, type Sql } from '../db/client';
import type { RouteLookupCache } from './route-lookup';

export interface ChangeListener {
  /** Resolves once listening (or after the first failed attempt: the cache then stays disabled and retries). */
  ready: Promise<void>;
  stop(): Promise<void>;
}

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

  const connect = async (): Promise<void> => {
    if (stopped) return;
    const client: Sql = createClient({ ...options, max: 1, connectTimeout: 5, applicationName: 'urdb listener' }, {
      idle_timeout: 0,
      max_lifetime: null,
      onnotify: (ch) => {
        if (ch === channel) cache.clear();
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
    try {
      await client`listen ${client(channel)}`;
      if (stopped) {
        await client.end({ timeout: 0 });
        return;
      }
      sql = client;
      attempt = 0;
      cache.enable();
      log('lookup cache enabled (listening for changes)');
    } catch {
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
