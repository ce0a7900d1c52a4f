import type { Command } from 'commander';
import { action } from '../cli/runtime';
import { resolveTarget, schemaName } from '../db/target';

export function registerDb(program: Command): void {
  const db = program.command('db').description('which database urdb uses; start or stop the embedded server');
  db.command('status')
    .description('the database in use, its server version and schema version')
    .action(
      action(async (rt) => {
        const target = resolveTarget({ databaseUrl: rt.globals.databaseUrl });
        const { describeTarget } = await import('../db/target');
        const { latestVersion, currentVersion } = await import('../db/migrate');
        const info: Record<string, unknown> = { database: describeTarget(target), schema: schemaName() };
        if (target.kind === 'embedded') {
          const { embeddedStatus } = await import('../db/embedded');
          const st = embeddedStatus(target.home);
          Object.assign(info, {
            data_directory: st.data_directory,
            socket_directory: st.socket_directory,
            server: !st.initialized ? 'not created yet' : st.running ? `running (pid ${st.pid}, ${modeText(st.mode)})` : 'stopped',
            server_user: st.server_user,
          });
          if (!st.initialized) {
            Object.assign(info, { server_version: null, schema_version: null, expected_schema_version: latestVersion() });
            return show(rt, info);
          }
        }
        const handle = await rt.database({ schemaCheck: 'none', autoSeed: false });
        const [row] = await handle.sql<{ server_version: string }[]>`select current_setting('server_version') as server_version`;
        const version = await currentVersion(handle.sql);
        Object.assign(info, {
          server_version: row?.server_version ?? null,
          schema_version: version,
          expected_schema_version: latestVersion(),
          schema_status: version === latestVersion() ? 'current' : version < latestVersion() ? 'outdated: run urdb migrate' : 'newer than this urdb',
        });
        show(rt, info);
      }),
    );
  db.command('start')
    .description('start the embedded server and keep it up between commands')
    .action(
      action(async (rt) => {
        const target = resolveTarget({ databaseUrl: rt.globals.databaseUrl });
        if (target.kind !== 'embedded') {
          const { UsageError } = await import('../core/errors');
          throw new UsageError('db start manages the embedded database, but a server is configured', 'unset --database-url, DATABASE_URL and PGHOST/PGDATABASE');
        }
        const handle = await rt.database({ persistent: true });
        const { embeddedStatus } = await import('../db/embedded');
        const st = embeddedStatus(target.home);
        rt.out.say(`embedded PostgreSQL ${handle.lease?.started ? 'started' : 'already running'} (pid ${st.pid}); it stays up until urdb db stop`);
        if (rt.out.opts.json) rt.out.json(st);
      }),
    );
  db.command('stop')
    .description('stop the embedded server')
    .option('--force', 'stop it even while other urdb processes use it')
    .action(
      action(async (rt, opts) => {
        const target = resolveTarget({ databaseUrl: rt.globals.databaseUrl });
        if (target.kind !== 'embedded') {
          const { UsageError } = await import('../core/errors');
          throw new UsageError('db stop manages the embedded database, but a server is configured', 'unset --database-url, DATABASE_URL and PGHOST/PGDATABASE');
        }
        const { stopEmbedded } = await import('../db/embedded');
        const result = await stopEmbedded(target.home, { force: Boolean(opts.force) });
        rt.out.say(result.stopped ? `embedded PostgreSQL stopped (pid ${result.pid})` : 'embedded PostgreSQL was not running');
        if (rt.out.opts.json) rt.out.json(result);
      }),
    );
}

function modeText(mode: string | null) {
  return mode === 'persistent'
    ? 'kept up by urdb db start'
    : mode === 'command'
      ? 'stops when the last command using it ends'
      : 'started outside urdb';
}

function show(rt: import('../cli/runtime').Runtime, info: Record<string, unknown>) {
  rt.out.object(info);
}
