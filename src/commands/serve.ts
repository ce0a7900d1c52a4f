import type { Command } from 'commander';
import { action } from '../cli/runtime';
import { readText } from './common';
import { UsageError } from '../core/errors';

const HELP = `
The wire-compatible HTTP API of the old unit-routes-database service (every path also under /api/).
Probes: GET /healthz (alive), GET /readyz (database answers). Document: GET /openapi.json.

Authentication is opt-in: with URDB_API_TOKEN (or --token) every request but the probes needs
"Authorization: Bearer <token>". Prefer the variable: a flag is visible in the process list.
One token per caller: --tokens-file (or URDB_API_TOKENS_FILE), a file of "name secret" lines; the audit log
records the name of the token each change came with. Both may be given.

One access-log line per request goes to stderr. SIGTERM or Ctrl-C: stop accepting, finish the requests in
flight, close the database, exit 0.
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
    .option('--no-cache', 'answer the route lookups from the database every time (no in-process cache)')
    .option('--listen-database-url <url>', "the cache's change listener connects here: a direct URL to the primary when the database URL is a PgBouncer (default: URDB_LISTEN_URL)")
    .addHelpText('after', HELP)
    .action(
      action(async (rt, opts) => {
        const { z } = await import('zod');
        const { integer, choice, text } = await import('../core/fields');
        const { LOG_FORMATS } = await import('../http/log');
        const input = rt.validate(
          z.object({
            host: text({ max: 255 }),
            port: integer({ min: 0, max: 65535 }),
            token: text({ max: 4096 }).nullable(),
            workers: integer({ min: 1, max: 256 }),
            log_format: choice(LOG_FORMATS),
            pool_size: integer({ min: 1, max: 1000 }),
          }),
          {
            host: opts.host,
            port: opts.port,
            token: opts.token ?? (process.env.URDB_API_TOKEN || null),
            workers: opts.workers,
            log_format: opts.logFormat,
            pool_size: opts.poolSize,
          },
          { log_format: '--log-format', pool_size: '--pool-size', token: '--token (or URDB_API_TOKEN)' },
        );
        const tokensFile = opts.tokensFile ?? (process.env.URDB_API_TOKENS_FILE || undefined);
        const { apiTokens, parseTokensFile } = await import('../http/tokens');
        const tokens = apiTokens(input.token, tokensFile === undefined ? [] : parseTokensFile(await readText(tokensFile), tokensFile));
        const { resolveTarget, schemaName } = await import('../db/target');
        const { serve } = await import('../http/serve');
        await serve({
          host: input.host,
          port: input.port,
          tokens,
          workers: input.workers,
          logFormat: input.log_format,
          poolSize: input.pool_size,
          routeCache: opts.cache !== false,
          listenUrl: listenUrl(opts.listenDatabaseUrl ?? (process.env.URDB_LISTEN_URL || undefined)),
          target: resolveTarget({ databaseUrl: rt.globals.databaseUrl }),
          schema: schemaName(),
        });
      }),
    );
}
