import type { Command } from 'commander';
import fs from 'node:fs';
import path from 'node:path';
import type { Runtime } from '../cli/runtime';
import { FileError, UsageError } from '../core/errors';
import type { Page, PageInput } from '../core/operation';
import { andList } from '../cli/text';

/** A file's text, or stdin's for `-`; a file that cannot be read is a FileError naming it (exit 2 when missing). */
export async function readText(file: string): Promise<string> {
  try {
    if (file !== '-') return await fs.promises.readFile(file, 'utf8');
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  } catch (err) {
    throw new FileError(file === '-' ? 'stdin' : file, 'read', err);
  }
}

/**
 * A file written whole or not at all: a temporary file next to it (created at once, so that a path that cannot be
 * written fails before any work), fsynced and renamed into place by `commit`. Any failure is a FileError naming the
 * file (not the temporary), and the temporary is removed.
 */
export class AtomicFile {
  private readonly tmp: string;
  private fd: number | null = null;

  constructor(readonly file: string) {
    this.tmp = `${path.resolve(file)}.tmp-${process.pid}`;
    this.guard(() => (this.fd = fs.openSync(this.tmp, 'w')));
  }

  write(chunks: Iterable<string>): void {
    this.guard(() => {
      for (const chunk of chunks) fs.writeSync(this.fd!, chunk);
      fs.fsyncSync(this.fd!);
    });
  }

  commit(): void {
    this.guard(() => {
      fs.closeSync(this.fd!);
      this.fd = null;
      fs.renameSync(this.tmp, path.resolve(this.file));
    });
  }

  abort(): void {
    if (this.fd !== null) fs.closeSync(this.fd);
    this.fd = null;
    try {
      fs.rmSync(this.tmp, { force: true });
    } catch {
      // never created (the directory is missing or is not one)
    }
  }

  private guard(fn: () => void) {
    try {
      fn();
    } catch (err) {
      this.abort();
      throw new FileError(this.file, 'write', err);
    }
  }
}

/** --limit/--offset/--all on a list command. */
export function pageOptions(cmd: Command): Command {
  return cmd
    .option('--limit <n>', 'rows per page (default: 100 on a terminal, every row when piped or with --json)')
    .option('--offset <n>', 'rows to skip (default 0)')
    .option('--all', 'every row, unpaged');
}

/**
 * The page to ask for. A person at a terminal sees 100 rows (and a note when more remain); piped output and --json
 * get every row unless --limit says otherwise, as psql does: a script must never lose rows without asking.
 */
export function pageInput(rt: Runtime, opts: Record<string, unknown>): { limit: unknown; offset: unknown } {
  const person = rt.out.opts.stdoutIsTTY && !rt.out.opts.json;
  return { limit: opts.all ? null : (opts.limit ?? (person ? undefined : null)), offset: opts.offset };
}

/**
 * When rows remain after the page, says so on stderr in every mode (unless --quiet):
 * `urdb: showing 100 of 153 units; --all for every row`. `rest` fetches the rows from the offset on, to count them.
 */
export async function printPageHint<I extends PageInput>(
  rt: Runtime,
  page: Page<unknown>,
  input: I,
  noun: string,
  rest: (input: I) => Promise<Page<unknown>>,
): Promise<void> {
  if (page.is_end_of_list_reached || input.limit === null || rt.out.opts.quiet) return;
  const total = input.offset + (await rest({ ...input, limit: null })).items.length;
  const shown = page.items.length;
  const from = input.offset === 0 ? '' : ` from offset ${input.offset}`;
  const next = input.offset + shown < total ? `--offset ${input.offset + shown} for the next page, ` : '';
  rt.out.say(`urdb: showing ${shown} of ${total} ${noun}${from}; ${input.offset === 0 ? '' : next}--all for every row`);
}

/** --yes and --dry-run on a command that deletes (or deletes as a side effect). */
export function deletionOptions(cmd: Command, verb = 'delete'): Command {
  return cmd.option('-y, --yes', `${verb} without asking`).option('--dry-run', `say what would be ${verb === 'delete' ? 'deleted' : 'changed'}; change nothing`);
}

/**
 * The gate before a deletion: with --dry-run, says what would happen (`dry run, nothing changed: would delete …`,
 * plus the plan as JSON with --json) and answers false; otherwise confirms on a terminal (or needs --yes) and
 * answers true. `question` is the confirmation (`Delete region 1 "X" and its 2 units?`), `would` the dry run's words.
 */
export async function proceedWithDeletion(
  rt: Runtime,
  opts: { yes?: boolean; dryRun?: boolean },
  question: string,
  would: string,
  plan?: unknown,
): Promise<boolean> {
  if (opts.dryRun) {
    rt.out.say(`dry run, nothing changed: would ${would}`);
    if (rt.out.opts.json && plan !== undefined) rt.out.json({ ...(plan as object), dry_run: true });
    return false;
  }
  const { confirmChange } = await import('../cli/prompts');
  await confirmChange(rt, question, opts.yes);
  return true;
}

/** `delete region 1` → `Delete region 1`. */
export const capitalised = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);

/**
 * Off a terminal (or with --no-input), every required flag that is missing, named in one error: `--name, --uuid and
 * --region are required`. On a terminal the prompts ask for them instead.
 */
export function requireFlags(rt: Runtime, flags: [flag: string, value: unknown][]): void {
  if (rt.interactive) return;
  const missing = flags.filter(([, v]) => v === undefined).map(([f]) => f);
  if (missing.length === 0) return;
  if (missing.length === 1) throw new UsageError(`${missing[0]} is required`, `pass ${missing[0]}, or run on a terminal to be asked`);
  throw new UsageError(`${andList(missing)} are required`, 'pass them, or run on a terminal to be asked');
}
