/**
 * urdb's command line: commander wiring only. Each noun lives in src/commands/<noun>.ts and calls handlers.
 */
import { Command, CommanderError } from 'commander';
import pkg from '../package.json';
import { EXIT } from './core/errors';
import { expectedSchemaVersion } from './core/paths';
import { registerCommands } from './commands';
import { watchStdout } from './cli/stdout';
import { finishHelp } from './cli/help';

const HELP_FOOTER = `
Where the data is:
  --database-url URL > DATABASE_URL > PGHOST/PGDATABASE (libpq variables) > the embedded database in
  $URDB_HOME (default \${XDG_DATA_HOME:-~/.local/share}/urdb; /var/lib/urdb for root).
  URDB_SCHEMA names the PostgreSQL schema of urdb's tables (default urdb).

Output:
  a table on a terminal, tab-separated lines without a header when piped, --json for JSON.
  Data goes to stdout; messages and errors to stderr. NO_COLOR turns colour off.

Exit codes:
  0 ok (an empty list is ok)   1 error (not found, conflict, permission, database error)
  2 usage or validation error  3 cannot connect or authenticate to the database
  130 interrupted
`;

export function buildProgram(args?: readonly string[]): Command {
  const program = new Command('urdb')
    .description('The unit routes database: units, chats, report types, roles and report routes of a pizzeria chain.')
    .version(`urdb ${pkg.version} (schema ${expectedSchemaVersion()})`, '-V, --version', 'print the version and the schema version it expects')
    .option('--database-url <url>', 'PostgreSQL URL (default: DATABASE_URL, PG* variables, else the embedded database)')
    .option('--json', 'print JSON (the HTTP API field names)')
    .option('--no-input', 'never prompt; a missing value is an error')
    .option('--no-color', 'no colour in tables')
    .option('--no-pager', 'never send long tables through $URDB_PAGER / $PAGER (default less -FRX) on a terminal')
    .option('-q, --quiet', 'no messages on stderr, only data and errors')
    .option('--debug', 'print stack traces of errors')
    .helpOption('-h, --help', 'show help')
    .helpCommand(false)
    .addHelpText('after', HELP_FOOTER)
    .configureHelp({ showGlobalOptions: false, sortSubcommands: false })
    .exitOverride();
  registerCommands(program, args);
  finishHelp(program);
  return program;
}

export async function main(argv: string[]): Promise<void> {
  watchStdout();
  const program = buildProgram(argv.slice(2));
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      process.exitCode = err.exitCode === 0 ? EXIT.ok : EXIT.usage;
      return;
    }
    throw err;
  }
}


/**
 * Loads what commands use without running one (no database, no output), so that bin/build.mjs can record V8's
 * code cache for all of it.
 */
export async function warmup(): Promise<void> {
  buildProgram().helpInformation();
  await Promise.all([
    import('./cli/runtime'),
    import('./cli/output'),
    import('./cli/prompts'),
    import('./db/open'),
    import('./db/embedded'),
    import('./handlers/routes'),
    import('./handlers/units'),
    import('./handlers/report-types'),
    import('./handlers/chats'),
    import('./handlers/roles'),
    import('./handlers/regions'),
    import('./handlers/bundle/import'),
    import('./http/serve'),
  ]);
}
