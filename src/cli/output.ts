import { pagerCommand, startPager } from './pager';
import { cellText, tableLines } from './table';
import { tsvEscape, visibleLines } from './text';

/**
 * The one writer: a table on a terminal (through a pager when longer than the screen), tab-separated lines without a
 * header when piped, JSON with --json (pretty on a terminal, compact piped). Data goes to stdout; messages, warnings
 * and progress to stderr. Lists are written in chunks that yield to the event loop, so Ctrl-C and SIGTERM stop them
 * at once (see `interrupt`).
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
  /** The pager's argv, or null: none (not a terminal, --no-pager, URDB_PAGER/PAGER empty or `cat`). */
  pager: string[] | null;
}

export function outputOptions(flags: { json?: boolean; color?: boolean; quiet?: boolean; pager?: boolean }, env = process.env): OutputOptions {
  const stdoutIsTTY = Boolean(process.stdout.isTTY);
  const color =
    flags.color !== false && stdoutIsTTY && !env.NO_COLOR && env.TERM !== 'dumb' && env.FORCE_COLOR !== '0';
  return {
    json: Boolean(flags.json),
    stdoutIsTTY,
    stderrIsTTY: Boolean(process.stderr.isTTY),
    color,
    quiet: Boolean(flags.quiet),
    pager: stdoutIsTTY && !flags.json ? pagerCommand(flags.pager, env) : null,
  };
}

/** A TSV field: PostgreSQL's COPY text format (see `tsvEscape`); objects as JSON, null as nothing. */
function tsvField(v: unknown): string {
  if (v === null || v === undefined) return '';
  return tsvEscape(typeof v === 'string' ? v : typeof v === 'object' ? JSON.stringify(v) : String(v));
}

class Interrupted extends Error {
  override name = 'AbortError';
  constructor() {
    super('interrupted');
  }
}

const CHUNK = 500;

/** Resolves when `to` wants more, or is gone (a pager quit: its 'close'). */
function drained(to: NodeJS.WritableStream): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      to.off('drain', done);
      to.off('close', done);
      resolve();
    };
    to.on('drain', done);
    to.on('close', done);
  });
}
const yieldToEvents = () => new Promise<void>((resolve) => setImmediate(resolve));

export class Output {
  private interrupted = false;

  constructor(
    readonly opts: OutputOptions,
    private readonly out: NodeJS.WritableStream = process.stdout,
    private readonly err: NodeJS.WritableStream = process.stderr,
  ) {}

  /** Ctrl-C / SIGTERM: a list being written stops at the next chunk (and its promise rejects). */
  interrupt(): void {
    this.interrupted = true;
  }

  /** A list: rows as a table / TSV, or `json` (default: the rows themselves) as a JSON array. */
  async list<T>(rows: readonly T[], columns: Column<T>[], json: (row: T) => unknown = (r) => r): Promise<void> {
    if (this.opts.json) return this.json(rows.map(json));
    if (!this.opts.stdoutIsTTY) {
      return this.writeLines(this.out, rows.length, function* () {
        for (const r of rows) yield columns.map((c) => tsvField(c.value(r))).join('\t');
      });
    }
    if (rows.length === 0) return;
    const cells = rows.map((r) => columns.map((c) => cellText(c.value(r))));
    const lines = () => tableLines(columns.map((c) => c.header), cells, { width: this.width(), bold: this.opts.color });
    const screen = (process.stdout as NodeJS.WriteStream).rows ?? Infinity;
    const pager = this.opts.pager && rows.length + 1 >= screen ? await startPager(this.opts.pager) : null;
    if (!pager) return this.writeLines(this.out, rows.length + 1, lines);
    try {
      await this.writeLines(pager.stream, rows.length + 1, lines, pager.gone);
    } finally {
      await pager.close();
    }
  }

  /** One object: KEY VALUE lines (aligned on a terminal, TSV piped), or JSON. */
  object(obj: Record<string, unknown>, fields?: [label: string, key: string][], json: unknown = obj): void {
    if (this.opts.json) return this.json(json);
    const pairs = (fields ?? Object.keys(obj).map((k) => [k, k] as [string, string])).map(
      ([label, key]) => [label, obj[key]] as const,
    );
    const lines = this.opts.stdoutIsTTY
      ? [...tableLines(null, pairs.map(([k, v]) => [k, cellText(v)]), { width: null, bold: false })]
      : pairs.map(([k, v]) => `${k}\t${tsvField(v)}`);
    this.out.write(lines.join('\n') + '\n');
  }

  json(value: unknown): void {
    const text = this.opts.stdoutIsTTY ? JSON.stringify(value, null, 2) : JSON.stringify(value);
    this.out.write(text + '\n');
  }

  /** Raw data to stdout. */
  data(text: string): void {
    this.out.write(text.endsWith('\n') ? text : text + '\n');
  }

  /** A message for people: what a change did. stderr; silenced by --quiet. Control characters made visible. */
  say(text: string): void {
    if (!this.opts.quiet) this.err.write(visibleLines(text) + '\n');
  }

  warn(text: string): void {
    this.err.write(`warning: ${visibleLines(text)}\n`);
  }

  private width(): number | null {
    return (process.stdout as NodeJS.WriteStream).columns || 80;
  }

  /** Writes lines in chunks, waiting for the reader (a pipe, the pager) and letting signals in between chunks. */
  private async writeLines(to: NodeJS.WritableStream, count: number, lines: () => Iterable<string>, gone = () => false) {
    let chunk: string[] = [];
    const flush = async () => {
      const ok = to.write(chunk.join('\n') + '\n');
      chunk = [];
      if (!ok && !gone()) await drained(to);
      if (count > CHUNK) await yieldToEvents();
      if (this.interrupted) throw new Interrupted();
    };
    for (const line of lines()) {
      if (gone()) return;
      chunk.push(line);
      if (chunk.length >= CHUNK) await flush();
    }
    if (chunk.length && !gone()) await flush();
  }
}
