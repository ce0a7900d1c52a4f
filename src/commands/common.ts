import type { Command } from 'commander';
import fs from 'node:fs';
import type { Runtime } from '../cli/runtime';
import { UsageError } from '../core/errors';
import type { Page, PageInput } from '../core/operation';

/** A file's text, or stdin's for `-`; a file that cannot be read is a usage error (exit 2) naming it. */
export async function readText(file: string): Promise<string> {
  try {
    if (file !== '-') return await fs.promises.readFile(file, 'utf8');
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new UsageError(`cannot read ${file}: ${e.code === 'ENOENT' ? 'no such file' : e.message}`);
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
