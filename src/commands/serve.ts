import type { Command } from 'commander';
import { action } from '../cli/runtime';
import { UsageError } from '../core/errors';

const HELP = `
The wire-compatible HTTP API of the old unit-routes-database service (every path also under /api/).
Probes: GET /healthz (alive), GET /readyz (database answers). Document: GET /openapi.json.

Authentication is opt-in: with URDB_API_TOKEN (or --token) every request but the probes needs
"Authorization: Bearer <token>". Prefer the variable: a flag is visible in the process list.
One token per caller: --tokens-file (or URDB_API_TOKENS_FILE), a file of "name secret" lines; the audit log
records the name of the token each change came with. Both may be given.

Browsers cannot write through it: a body that is not application/json is 415, a request with an Origin
not in --allowed-origins is 403, a Host not in --allowed-hosts is 400 (default on loopback: the bind address,
localhost, 127.0.0.1, [::1], with the port; on any other address: any Host). --allow-from refuses other peers
(403). The lists are comma-separated, or @file (one entry per line).

Idle keep-alive connections close after --keep-alive-timeout seconds; at most --max-connections are open
(default: the open-file limit minus a reserve); at the cap the longest-idle connection is closed first.
GET /metrics: Prometheus metrics, behind the token like every path but the probes; with --metrics-port
they are served on a listener of their own instead (no token there: bind it where only the scraper reaches).
With --workers, the numbers are the sum over the workers.

One access-log line per request goes to stderr. SIGTERM or Ctrl-C: stop accepting, finish the requests in
flight, close the database, exit 0. SIGHUP: reread --tokens-file and the @file lists; requests in flight keep
what they came with; a file that does not load leaves everything as it was (the log says why).
`;

/** A listen URL is checked like a database URL. */
function listenUrl(url: string | undefined): string | undefined {
  if (url === undefined) return undefined;
  if (!/^postgres(ql)?:\/\//.test(url)) {
    throw new UsageError('--listen-database-url (or URDB_LISTEN_URL) is not a PostgreSQL URL (expected postgres://user@host:port/database)');
  }
  return url;
}

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('serve the HTTP API')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--port <port>', 'port to listen on (0: any free port)', '8000')
    .option('--token <token>', 'require this bearer token, named "default" (default: URDB_API_TOKEN)')
    .option('--tokens-file <file>', 'require one of these named tokens: "name secret" lines (default: URDB_API_TOKENS_FILE)')
    .option('--workers <n>', 'processes sharing the port', '1')
    .option('--log-format <format>', 'access log and messages on stderr: text or json', 'text')
    .option('--pool-size <n>', 'database connections per process', '10')
    .option('--code-guesses-per-source <n>', 'wrong access codes one source (token name, else address) may send per 10 minutes, across all chats (default: URDB_CODE_GUESSES_PER_SOURCE or 50)')
    .option('--no-cache', 'answer the route lookups from the database every time (no in-process cache)')
    .option('--cache-bytes <n>', 'memory for the route lookup cache per process, bytes (default: URDB_CACHE_BYTES, else 16777216)')
    .option('--allowed-hosts <hosts>', 'Host headers accepted, or @file (default: URDB_ALLOWED_HOSTS, else see below)')
    .option('--allowed-origins <origins>', 'Origin headers accepted, or @file (default: URDB_ALLOWED_ORIGINS, else none)')
    .option('--allow-from <networks>', 'peer addresses/networks served, or @file (default: URDB_ALLOW_FROM, else all)')
    .option('--keep-alive-timeout <seconds>', 'close idle keep-alive connections after this (default: URDB_KEEP_ALIVE_TIMEOUT, else 5)')
    .option('--max-connections <n>', 'open connections at most (default: URDB_MAX_CONNECTIONS, else from the open-file limit)')
    .option('--metrics-port <port>', 'serve GET /metrics on this port instead of the API port (no token)')
    .option('--metrics-host <host>', 'address of the --metrics-port listener', '127.0.0.1')
    .option('--listen-database-url <url>', "the cache's change listener connects here: a direct URL to the primary when the database URL is a PgBouncer (default: URDB_LISTEN_URL)")
    .addHelpText('after', HELP)
    .action(
      action(async (rt, opts) => {
        const { z } = await import('zod');
        const { integer, choice, text } = await import('../core/fields');
        const { LOG_FORMATS } = await import('../http/log');
        const { DEFAULT_SOURCE_LIMIT, setSourceGuessLimit } = await import('../handlers/code-guessing');
        const input = rt.validate(
          z.object({
            host: text({ max: 255 }),
            port: integer({ min: 0, max: 65535 }),
            token: text({ max: 4096 }).nullable(),
            workers: integer({ min: 1, max: 256 }),
            log_format: choice(LOG_FORMATS),
            pool_size: integer({ min: 1, max: 1000 }),
            keep_alive_timeout: integer({ min: 1, max: 3600 }),
            max_connections: integer({ min: 1, max: 10_000_000 }).nullable(),
            metrics_port: integer({ min: 0, max: 65535 }).nullable(),
            metrics_host: text({ max: 255 }),
            code_guesses_per_source: integer({ min: 1, max: 1_000_000 }),
            cache_bytes: integer({ min: 0, max: Number.MAX_SAFE_INTEGER }).nullable(),
          }),
          {
            host: opts.host,
            port: opts.port,
            token: opts.token ?? (process.env.URDB_API_TOKEN || null),
            workers: opts.workers,
            log_format: opts.logFormat,
            pool_size: opts.poolSize,
            keep_alive_timeout: opts.keepAliveTimeout ?? (process.env.URDB_KEEP_ALIVE_TIMEOUT || '5'),
            max_connections: opts.maxConnections ?? (process.env.URDB_MAX_CONNECTIONS || null),
            metrics_port: opts.metricsPort ?? null,
            metrics_host: opts.metricsHost,
            code_guesses_per_source: opts.codeGuessesPerSource ?? (process.env.URDB_CODE_GUESSES_PER_SOURCE || DEFAULT_SOURCE_LIMIT),
            cache_bytes: opts.cacheBytes ?? (process.env.URDB_CACHE_BYTES || null),
          },
          {
            log_format: '--log-format',
            pool_size: '--pool-size',
            token: '--token (or URDB_API_TOKEN)',
            keep_alive_timeout: '--keep-alive-timeout (or URDB_KEEP_ALIVE_TIMEOUT)',
            max_connections: '--max-connections (or URDB_MAX_CONNECTIONS)',
            metrics_port: '--metrics-port',
            metrics_host: '--metrics-host',
            code_guesses_per_source: '--code-guesses-per-source (or URDB_CODE_GUESSES_PER_SOURCE)',
            cache_bytes: '--cache-bytes (or URDB_CACHE_BYTES)',
          },
        );
        setSourceGuessLimit(input.code_guesses_per_source);
        const { loadReloadable } = await import('./serve-settings');
        const specs = {
          token: input.token,
          tokensFile: opts.tokensFile ?? (process.env.URDB_API_TOKENS_FILE || undefined),
          allowedHosts: opts.allowedHosts ?? (process.env.URDB_ALLOWED_HOSTS || undefined),
          allowedOrigins: opts.allowedOrigins ?? (process.env.URDB_ALLOWED_ORIGINS || undefined),
          allowFrom: opts.allowFrom ?? (process.env.URDB_ALLOW_FROM || undefined),
        };
        const settings = await loadReloadable(specs);
        const { resolveTarget, schemaName } = await import('../db/target');
        const { serve } = await import('../http/serve');
        await serve({
          host: input.host,
          port: input.port,
          tokens: settings.tokens,
          edge: settings.edge,
          reload: () => loadReloadable(specs),
          keepAliveTimeoutMs: input.keep_alive_timeout * 1000,
          maxConnections: input.max_connections ?? undefined,
          workers: input.workers,
          logFormat: input.log_format,
          poolSize: input.pool_size,
          routeCache: opts.cache !== false,
          listenUrl: listenUrl(opts.listenDatabaseUrl ?? (process.env.URDB_LISTEN_URL || undefined)),
          cacheBytes: input.cache_bytes ?? undefined,
          target: resolveTarget({ databaseUrl: rt.globals.databaseUrl }),
          schema: schemaName(),
          metricsListen: input.metrics_port === null ? null : { host: input.metrics_host, port: input.metrics_port },
        });
      }),
    );
}
