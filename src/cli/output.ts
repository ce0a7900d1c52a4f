import { createRequire } from 'node:module';

/**
 * The one writer: a table on a terminal, tab-separated lines without a header when piped, JSON with --json (pretty on
 * a terminal, compact piped). Data goes to stdout; messages, warnings and progress to stderr.
 */

export interface Column<T> {
  header: string;
  value: (row: T) => unknown;
}

export interface OutputOptions {
  json: boolean;
  stdoutIsTTY: boolean;
  stderrIsTTY: boolean;
  color: boolean;
  quiet: boolean;
}

export function outputOptions(flags: { json?: boolean; color?: boolean; quiet?: boolean }, env = process.env): OutputOptions {
  const stdoutIsTTY = Boolean(process.stdout.isTTY);
  const color =
    flags.color !== false && stdoutIsTTY && !env.NO_COLOR && env.TERM !== 'dumb' && env.FORCE_COLOR !== '0';
  return {
    json: Boolean(flags.json),
    stdoutIsTTY,
    stderrIsTTY: Boolean(process.stderr.isTTY),
    color,
    quiet: Boolean(flags.quiet),
  };
}

/** COPY text format escaping, so a value never breaks a line or a column. */
function tsvField(v: unknown): string {
  if (v === null || v === undefined) return '';
  const s = typeof v === 'string' ? v : typeof v === 'object' ? JSON.stringify(v) : String(v);
  return s.replace(/[\\\t\n\r]/g, (c) => (c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r'));
}

function cell(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

// cli-table3 is CommonJS; loaded only when a terminal shows a table.
let tableModule: typeof import('cli-table3') | undefined;
function loadTable(): typeof import('cli-table3') {
  tableModule ??= createRequire(import.meta.url)('cli-table3') as typeof import('cli-table3');
  return tableModule;
}

export class Output {
  constructor(
    readonly opts: OutputOptions,
    private readonly out: NodeJS.WritableStream = process.stdout,
    private readonly err: NodeJS.WritableStream = process.stderr,
  ) {}

  /** A list: rows as a table / TSV, or `json` (default: the rows themselves) as a JSON array. */
  list<T>(rows: readonly T[], columns: Column<T>[], json: (row: T) => unknown = (r) => r): void {
    if (this.opts.json) return this.json(rows.map(json));
    if (this.opts.stdoutIsTTY) {
      if (rows.length === 0) return;
      return this.table(
        columns.map((c) => c.header),
        rows.map((r) => columns.map((c) => cell(c.value(r)))),
      );
    }
    this.writeLines(rows.map((r) => columns.map((c) => tsvField(c.value(r))).join('\t')));
  }

  /** One object: KEY VALUE lines (table on a terminal, TSV piped), or JSON. */
  object(obj: Record<string, unknown>, fields?: [label: string, key: string][], json: unknown = obj): void {
    if (this.opts.json) return this.json(json);
    const pairs = (fields ?? Object.keys(obj).map((k) => [k, k] as [string, string])).map(
      ([label, key]) => [label, obj[key]] as const,
    );
    if (this.opts.stdoutIsTTY) {
      return this.table(
        null,
        pairs.map(([k, v]) => [k, cell(v)]),
      );
    }
    this.writeLines(pairs.map(([k, v]) => `${k}\t${tsvField(v)}`));
  }

  json(value: unknown): void {
    const text = this.opts.stdoutIsTTY ? JSON.stringify(value, null, 2) : JSON.stringify(value);
    this.out.write(text + '\n');
  }

  /** Raw data to stdout. */
  data(text: string): void {
    this.out.write(text.endsWith('\n') ? text : text + '\n');
  }

  /** A message for people: what a change did. stderr; silenced by --quiet. */
  say(text: string): void {
    if (!this.opts.quiet) this.err.write(text + '\n');
  }

  warn(text: string): void {
    this.err.write(`warning: ${text}\n`);
  }

  private writeLines(lines: string[]) {
    const CHUNK = 2000;
    for (let i = 0; i < lines.length; i += CHUNK) {
      this.out.write(lines.slice(i, i + CHUNK).join('\n') + '\n');
    }
  }

  private table(head: string[] | null, rows: string[][]) {
    const Table = loadTable();
    // Colour is applied here rather than through cli-table3's `style`: that goes through @colors/colors, which makes
    // its own decision (off whenever CI is set, for one) instead of ours (terminal, NO_COLOR, TERM=dumb, --no-color).
    const color = this.opts.color;
    const heading = head && color ? head.map((h) => `\x1b[1m${h}\x1b[22m`) : head;
    const table = new Table({ ...(heading ? { head: heading } : {}), style: { head: [], border: [] }, wordWrap: false });
    table.push(...rows);
    let text = table.toString();
    if (color) text = text.replace(/[\u2500\u2502\u250c\u2510\u2514\u2518\u251c\u2524\u252c\u2534\u253c]+/g, (b) => `\x1b[90m${b}\x1b[39m`);
    this.out.write(text + '\n');
  }
}
