/**
 * What every command action runs inside: global flags, the output writer, the database (opened on first use and
 * always closed in `finally`), the error map to exit codes, and Ctrl-C (exit 130, open transaction rolled back).
 */
import type { Command } from 'commander';
import os from 'node:os';
import { EXIT, ForbiddenError, UrdbError, ValidationError, exitCodeFor, type FieldErrors } from '../core/errors';
import { validate } from '../core/fields';
import type { Actor, Ctx } from '../core/operation';
import { classifyDbError, isConnectionError } from '../db/client';
import type { Database } from '../db/open';
import { resolveTarget, schemaName } from '../db/target';
import { Output, outputOptions } from './output';
import { flushStdout, stdoutFailure } from './stdout';
import type { z } from 'zod';

export interface Globals {
  databaseUrl?: string;
  json?: boolean;
  input?: boolean;
  debug?: boolean;
  color?: boolean;
  quiet?: boolean;
  /** false: --no-pager. */
  pager?: boolean;
}

/** No success message once stdout has failed: the failure is what the command reports. */
class CommandOutput extends Output {
  override say(text: string): void {
    if (!stdoutFailure()) super.say(text);
  }
}

export class Runtime {
  readonly out: Output;
  readonly globals: Globals;
  /** Prompts are allowed: stdin and stdout are terminals and --no-input was not given. */
  readonly interactive: boolean;
  interrupted = false;
  /** Aborted on Ctrl-C / SIGTERM: long handler loops (units import) stop at their next step. */
  readonly abort = new AbortController();
  /** host:port of the database, once known: connection failures name it. */
  endpoint: string | null = null;
  /** The PostgreSQL user, once connected: permission errors name it in the grant to give. */
  databaseUser: string | null = null;
  private db: Database | null = null;
  private opening: Promise<Database> | null = null;

  constructor(globals: Globals) {
    this.globals = globals;
    this.out = new CommandOutput(outputOptions(globals));
    this.interactive =
      globals.input !== false && Boolean(process.stdin.isTTY) && Boolean(process.stdout.isTTY) && !process.env.URDB_NO_INPUT;
  }

  get actor(): Actor {
    let user = 'unknown';
    try {
      user = os.userInfo().username;
    } catch {
      user = process.env.USER ?? 'unknown';
    }
    if (process.env.SUDO_USER && process.env.SUDO_USER !== user) user = `${user} (sudo by ${process.env.SUDO_USER})`;
    return { via: 'cli', user };
  }

  /** The database, opened once: schema checked against a server, migrated and seeded for the embedded default. */
  async database(opts: { schemaCheck?: 'check' | 'none'; persistent?: boolean; autoSeed?: boolean } = {}): Promise<Database> {
    if (this.db) return this.db;
    if (!this.opening) {
      const target = resolveTarget({ databaseUrl: this.globals.databaseUrl });
      const { openDatabase } = await import('../db/open');
      this.opening = openDatabase({
        target,
        schema: schemaName(),
        // One connection: a command's queries run one after another, and pipelining them needs a single socket.
        max: 1,
        // One-shot statements: preparing them costs a round trip each and is never paid back.
        prepare: false,
        applicationName: 'urdb cli',
        schemaCheck: opts.schemaCheck ?? 'check',
        persistent: opts.persistent ?? false,
        autoSeed: opts.autoSeed ?? true,
        say: (line) => process.stderr.write(line + '\n'),
      });
    }
    this.db = await this.opening;
    this.endpoint = this.db.endpoint;
    this.databaseUser = (this.db.sql.options as { user?: string }).user ?? null;
    return this.db;
  }

  async ctx(): Promise<Ctx> {
    const db = await this.database();
    return { sql: db.sql, actor: this.actor };
  }

  /** Validates CLI input with a handler's schema; errors name the flags, not the API's fields. */
  validate<S extends z.ZodType>(schema: S, input: unknown, flags: Record<string, string> = {}): z.output<S> {
    try {
      return validate(schema, input);
    } catch (err) {
      if (err instanceof ValidationError) throw new ValidationError(err.fields, describeFields(err.fields, flags));
      throw err;
    }
  }

  async close(opts: { now?: boolean } = {}): Promise<void> {
    const db = this.db ?? (this.opening ? await this.opening.catch(() => null) : null);
    this.db = null;
    this.opening = null;
    if (db) await db.close(opts);
  }
}

/** `--unit: A valid integer is required.; --report: This field is required.` */
export function describeFields(fields: FieldErrors, flags: Record<string, string> = {}, prefix = ''): string {
  const parts: string[] = [];
  for (const [key, value] of Object.entries(fields)) {
    const name = prefix ? `${prefix}[${key}]` : key === 'non_field_errors' ? '' : flags[key] ?? `--${key.replace(/_/g, '-')}`;
    if (Array.isArray(value)) parts.push(name ? `${name}: ${value.join(' ')}` : value.join(' '));
    else parts.push(describeFields(value, flags, name));
  }
  return parts.join('; ');
}

type ActionFn = (rt: Runtime, opts: Record<string, any>, args: string[], cmd: Command) => Promise<void>;

/** Wraps a command action: runtime in, exit code out, database closed in `finally`, Ctrl-C handled. */
export function action(fn: ActionFn) {
  return async (...raw: unknown[]) => {
    const cmd = raw[raw.length - 1] as Command;
    const opts = raw[raw.length - 2] as Record<string, unknown>;
    const args = raw.slice(0, -2).flat().filter((a): a is string => typeof a === 'string');
    const globals = cmd.optsWithGlobals() as Globals;
    const rt = new Runtime(globals);
    let forced = false;
    const onSigint = () => {
      if (rt.interrupted) {
        if (!forced) {
          forced = true;
          process.stderr.write('urdb: interrupted\n');
        }
        process.exit(EXIT.interrupted);
      }
      rt.interrupted = true;
      rt.out.interrupt();
      rt.abort.abort();
      // Ends the connections at once: an open transaction is rolled back by the server, the pending query rejects.
      void rt.close({ now: true }).catch(() => undefined);
    };
    process.on('SIGINT', onSigint);
    process.on('SIGTERM', onSigint);
    try {
      await fn(rt, opts, args, cmd);
      // Data a command wrote that could not reach stdout (a full disk) is its failure, not a success.
      await flushStdout();
    } catch (err) {
      report(rt, err);
    } finally {
      try {
        await rt.close();
      } catch (err) {
        if (process.exitCode === undefined || process.exitCode === 0) report(rt, err);
      }
      process.off('SIGINT', onSigint);
      process.off('SIGTERM', onSigint);
    }
  };
}

/**
 * A message on one line: control characters a quoted value carries (a newline, a terminal escape sequence) are shown
 * escaped, so that input from a file or a flag can neither forge another line nor drive the terminal.
 */
export function oneLine(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (c) =>
    c === '\n' ? '\\n' : c === '\r' ? '\\r' : c === '\t' ? '\\t' : `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

function isPromptCancel(err: unknown): boolean {
  const name = (err as { name?: string } | null)?.name;
  return name === 'ExitPromptError' || name === 'AbortPromptError';
}

/** PostgreSQL's "permission denied" (42501) as what it is: a grant the database user lacks, and who can give it. */
function privilegeError(err: unknown, rt: Runtime): unknown {
  const pg = err as { code?: string; message?: string; name?: string } | null;
  if (pg?.name !== 'PostgresError' || pg.code !== '42501') return err;
  const user = rt.databaseUser ?? 'this user';
  const schema = schemaName();
  return new ForbiddenError(
    `the database refused: ${pg.message} (the database user "${user}" lacks a privilege)`,
    `as the owner of schema ${schema} or a superuser, grant it, e.g. grant select, insert, update, delete on all tables in schema ${schema} to ${user}`,
  );
}

export function report(rt: Runtime, err: unknown): void {
  let e = err;
  if (rt.interrupted || isPromptCancel(err)) {
    process.stderr.write('urdb: interrupted; nothing was changed\n');
    process.exitCode = EXIT.interrupted;
    return;
  }
  if (!(e instanceof UrdbError) && isConnectionError(e)) {
    e = classifyDbError(e, rt.endpoint ?? 'the database');
  }
  e = privilegeError(e, rt);
  process.exitCode = exitCodeFor(e);
  if (e instanceof UrdbError) {
    const hint = e.hint ? `; ${e.hint}` : '';
    const message = e instanceof ValidationError && e.message === 'Validation error' ? describeFields(e.fields) : e.message;
    process.stderr.write(`urdb: ${oneLine(message + hint)}\n`);
    const problems = (e as { problems?: unknown }).problems;
    if (Array.isArray(problems)) for (const p of problems) process.stderr.write(`  ${oneLine(String(p))}\n`);
  } else {
    const pg = e as { code?: string; message?: string; severity?: string } | null;
    const text = pg?.severity ? `database error: ${pg.message} (SQLSTATE ${pg.code})` : `unexpected error: ${(e as Error)?.message ?? String(e)}`;
    process.stderr.write(`urdb: ${oneLine(text)}${rt.globals.debug ? '' : '; run with --debug for details'}\n`);
  }
  if (rt.globals.debug && e instanceof Error && e.stack) {
    process.stderr.write(`${e.stack}\n`);
    const cause = e.cause as Error | undefined;
    if (cause?.stack) process.stderr.write(`caused by: ${cause.stack}\n`);
  }
}

