/**
 * Terminal tables as gh draws them: a header line, columns aligned with two spaces between, no rules, no box. When
 * the table is wider than the terminal the widest text columns are cut (with `…`) until it fits; number columns are
 * never cut. Every cell is shown with its control characters made visible (see `visible`). Linear in the number of
 * cells: widths are measured once, each line is built once.
 */
import { visible } from './text';

const GAP = '  ';
/** A text column (its header included) is never cut below this. */
const MIN_WIDTH = 8;

/** Columns a character takes: 0 for combining marks and zero-width characters, 2 for wide (CJK, emoji), else 1. */
function charWidth(code: number): number {
  if (code < 0x300) return 1;
  if ((code >= 0x300 && code <= 0x36f) || (code >= 0x200b && code <= 0x200f) || code === 0xfe0f || (code >= 0xfe20 && code <= 0xfe2f)) return 0;
  if (
    (code >= 0x1100 && code <= 0x115f) ||
    (code >= 0x2e80 && code <= 0xa4cf) ||
    (code >= 0xac00 && code <= 0xd7a3) ||
    (code >= 0xf900 && code <= 0xfaff) ||
    (code >= 0xfe30 && code <= 0xfe4f) ||
    (code >= 0xff00 && code <= 0xff60) ||
    (code >= 0xffe0 && code <= 0xffe6) ||
    (code >= 0x1f300 && code <= 0x1faff) ||
    (code >= 0x20000 && code <= 0x3fffd)
  ) {
    return 2;
  }
  return 1;
}

export function displayWidth(s: string): number {
  let w = 0;
  for (let i = 0; i < s.length; i++) {
    const code = s.codePointAt(i)!;
    if (code > 0xffff) i++;
    w += charWidth(code);
  }
  return w;
}

/** `s` cut to at most `width` columns, ending in `…` when cut. */
export function truncate(s: string, width: number): string {
  if (displayWidth(s) <= width) return s;
  let out = '';
  let w = 0;
  for (const ch of s) {
    const cw = charWidth(ch.codePointAt(0)!);
    if (w + cw > width - 1) break;
    out += ch;
    w += cw;
  }
  return out + '…';
}

const pad = (s: string, width: number, w: number) => s + ' '.repeat(Math.max(0, width - w));

export interface TableOptions {
  /** The terminal's width; null: no limit. */
  width: number | null;
  bold: boolean;
}

/** What a cell shows: JSON for objects, nothing for null, control characters visible. */
export function cellText(v: unknown): string {
  if (v === null || v === undefined) return '';
  return visible(typeof v === 'object' ? JSON.stringify(v) : String(v));
}

/** Column widths that fit `limit`: the widest text column loses a column at a time until the table fits. */
function fitWidths(natural: number[], minimum: number[], limit: number | null): number[] {
  const widths = [...natural];
  if (limit === null) return widths;
  let total = widths.reduce((a, b) => a + b, 0) + GAP.length * (widths.length - 1);
  while (total > limit) {
    let widest = -1;
    for (let i = 0; i < widths.length; i++) {
      if (widths[i]! > minimum[i]! && (widest < 0 || widths[i]! > widths[widest]!)) widest = i;
    }
    if (widest < 0) break; // cannot shrink further: the terminal wraps
    const cut = Math.min(widths[widest]! - minimum[widest]!, total - limit, Math.max(1, widths[widest]! - secondWidest(widths, widest)));
    widths[widest]! -= cut;
    total -= cut;
  }
  return widths;
}

function secondWidest(widths: number[], except: number): number {
  let w = 0;
  for (let i = 0; i < widths.length; i++) if (i !== except && widths[i]! > w) w = widths[i]!;
  return w;
}

/**
 * Lays out a table and yields its lines in order, so the caller can write them in chunks (and stop between them).
 * `head` null: a key/value view with no header, never cut (values are what the user asked to see).
 */
export function* tableLines(head: string[] | null, rows: string[][], opts: TableOptions): Generator<string> {
  const cols = head?.length ?? rows[0]?.length ?? 0;
  const cellWidths = rows.map((r) => r.map(displayWidth));
  const natural = new Array<number>(cols).fill(0);
  // A number column (every value an integer, at least one) is never cut: a cut id is a wrong id.
  const numeric = new Array<boolean | null>(cols).fill(null);
  for (let r = 0; r < rows.length; r++) {
    for (let c = 0; c < cols; c++) {
      if (cellWidths[r]![c]! > natural[c]!) natural[c] = cellWidths[r]![c]!;
      if (numeric[c] !== false && rows[r]![c] !== '') numeric[c] = /^-?\d+$/.test(rows[r]![c]!);
    }
  }
  if (head) head.forEach((h, c) => (natural[c] = Math.max(natural[c]!, displayWidth(h))));
  const minimum = natural.map((n, c) => (numeric[c] || !head ? n : Math.min(n, MIN_WIDTH)));
  const widths = head ? fitWidths(natural, minimum, opts.width) : natural;
  const last = cols - 1;
  const line = (cells: string[], cw: number[] | null) =>
    cells
      .map((cell, c) => {
        const w = cw ? cw[c]! : displayWidth(cell);
        const shown = w > widths[c]! ? truncate(cell, widths[c]!) : cell;
        return c === last ? shown : pad(shown, widths[c]!, w > widths[c]! ? displayWidth(shown) : w);
      })
      .join(GAP)
      .trimEnd();
  if (head) {
    const text = line(head, null);
    yield opts.bold ? `\x1b[1m${text}\x1b[22m` : text;
  }
  for (let r = 0; r < rows.length; r++) yield line(rows[r]!, cellWidths[r]!);
}
