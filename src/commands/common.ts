import type { Command } from 'commander';
import fs from 'node:fs';
import type { Runtime } from '../cli/runtime';
import { UsageError } from '../core/errors';

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
    .option('--limit <n>', 'rows per page (default 100)')
    .option('--offset <n>', 'rows to skip (default 0)')
    .option('--all', 'every row, unpaged');
}

export function pageInput(opts: Record<string, unknown>): { limit: unknown; offset: unknown } {
  return { limit: opts.all ? null : opts.limit, offset: opts.offset };
}

/** Tells people (stderr) that more rows exist; scripts see only the rows. */
export function printPageHint(rt: Runtime, page: { items: unknown[]; is_end_of_list_reached: boolean }, input: { limit: number | null; offset: number }) {
  if (page.is_end_of_list_reached || rt.out.opts.json || input.limit === null) return;
  if (!rt.out.opts.stderrIsTTY) return;
  rt.out.say(`(more rows: --offset ${input.offset + input.limit} for the next page, --all for every row)`);
}
