/** Wording of the messages that say what a command did. */

/** `1 route`, `14 routes`, `0 units`. */
export const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;

/** `a`, `a and b`, `a, b and c`. */
export function andList(parts: readonly string[]): string {
  if (parts.length <= 1) return parts[0] ?? '';
  return `${parts.slice(0, -1).join(', ')} and ${parts[parts.length - 1]}`;
}

/** The non-zero counts as `2 units, 14 routes and 3 role grants`; null when all are zero. */
export function counted(counts: readonly [n: number, one: string, many?: string][]): string | null {
  const parts = counts.filter(([n]) => n > 0).map(([n, one, many]) => plural(n, one, many));
  return parts.length ? andList(parts) : null;
}

/** A name in messages: `"Москва 1"`. */
export const quoted = (s: string): string => visible(JSON.stringify(s));

/**
 * A value as a terminal may show it: C0 and C1 control characters, DEL, ESC and the characters that reorder or break
 * lines (U+2028/2029, bidi overrides) are made visible (`\e`, `\x07`, `\n`, `\u202e`), so that data from the API (a
 * chat title) can neither drive the terminal (set its title, clear the screen) nor forge a line.
 */
export function visible(text: string): string {
  return text.replace(VISIBLE_NEEDED, (c) => {
    const code = c.charCodeAt(0);
    const named = NAMED[c];
    if (named) return named;
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

const VISIBLE_NEEDED = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
const NAMED: Record<string, string> = { '\x1b': '\\e', '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/** Like `visible`, but keeps line breaks: a message of several lines written by urdb itself. */
export function visibleLines(text: string): string {
  return text.split('\n').map(visible).join('\n');
}

/**
 * One TSV field in PostgreSQL's COPY text format, so `\copy … from` reads the exact value back: backslash, tab,
 * newline and carriage return as `\\`, `\t`, `\n`, `\r`; every other control character (C0, DEL, C1) as the `\xHH`
 * escapes of its UTF-8 bytes. Nothing else is changed.
 */
export function tsvEscape(s: string): string {
  return s.replace(/[\\\t\n\r\u0000-\u001f\u007f-\u009f]/g, (c) => {
    if (c === '\\') return '\\\\';
    const named = NAMED[c];
    if (named && c !== '\x1b') return named;
    return [...Buffer.from(c, 'utf8')].map((b) => `\\x${b.toString(16).padStart(2, '0')}`).join('');
  });
}
