/**
 * Hostile inputs shared by the fuzzers and the injection tests: SQL and format-string injections, escapes, unicode
 * tricks, integer edges. And `leaks`, the one definition of "an error message that reveals internals".
 */

/** Strings that must be stored literally (after trimming) wherever a text field takes them, or refused. */
export const INJECTIONS: readonly string[] = [
  "'",
  "''",
  '"',
  '`',
  "'; drop table report_route; --",
  '"; drop table unit; --',
  "1' or '1'='1",
  '1 or 1=1',
  "' union select access_code_sha256 from role --",
  "x'); delete from telegram_chat where ('a'='a",
  '$$; drop table role; $$',
  '$tag$ x $tag$',
  '\\',
  "\\'",
  "\\\\'; select 1; --",
  '\\x00',
  '\\0',
  '%00',
  "E'\\x41'",
  '/* comment */ select',
  '-- comment',
  '#',
  ';',
  '%s%s%s%n',
  '%d %x %p',
  '{0} {1}',
  '${7*7}',
  '{{7*7}}',
  '<script>alert(1)</script>',
  '{"chat_id": 1, "type": "GROUP"}',
  '[1, 2, 3]',
  'null',
  'NULL',
  'true',
  '\\u0000',
  '😀🍕',
  'e\u0301',
  '\u00e9',
  'САNCELED_ORDERS', // Cyrillic С and А
  'ᴬᴰᴹᴵᴺ',
  '\u202eevil\u202c',
  'zero\u200bwidth',
  'a\tb',
  'a\nb',
  'a\r\nb',
  'bell\u0007',
  '\u001b[31mred\u001b[0m',
  '..',
  '../..',
  '/',
  '%2F',
  'a/b',
  '?',
  '&x=1',
  '=',
  '+',
  'x'.repeat(64),
  'я'.repeat(64),
  "'||pg_sleep(10)||'",
  'pg_sleep(10)',
  'current_user',
  '::text',
  '0x41',
  '-1',
  '9223372036854775808',
];

/** Strings every text field must refuse (400 / exit 2): NUL, lone surrogates, far too long. */
export const UNSTORABLE: readonly string[] = ['a\u0000b', '\u0000', 'x\ud800', '\udc00y', 'x'.repeat(10_000)];

/** Integers around every edge the API meets: int32, 2^53 (JSON's exact integers), int64, beyond. As text. */
export const INTEGER_EDGES: readonly string[] = [
  '0',
  '-0',
  '1',
  '-1',
  '2147483647',
  '2147483648',
  '-2147483648',
  '-2147483649',
  '4294967296',
  '9007199254740991',
  '9007199254740992',
  '9007199254740993',
  '-9007199254740991',
  '-9007199254740992',
  '9223372036854775807',
  '9223372036854775808',
  '-9223372036854775808',
  '-9223372036854775809',
  '18446744073709551616',
  '99999999999999999999999999999999999999',
  '1e3',
  '1.0',
  '1.5',
  '1e309',
  '-1e309',
  '5e-324',
];

/** Integer-looking text that is not one: what query strings and path segments may carry. */
export const NOT_QUITE_INTEGERS: readonly string[] = [
  '',
  ' ',
  '+1',
  '0x10',
  '007',
  ' 1 ',
  '1,2',
  '1;2',
  '1 2',
  'NaN',
  'Infinity',
  '-Infinity',
  'null',
  'true',
  '１２',
  '١٢',
  '1\u0000',
  '%31',
  '1%00',
];

/**
 * What no error shown to a caller may contain: SQL, a stack frame, a source position, a driver error, a connection
 * URL — judged on what urdb wrote, not on what the caller sent: a message may quote the caller's value
 * (`"['; drop table x']" is not a valid choice.`), so every echo of an input is masked before the markers are looked
 * for, and a marker counts only when some of it is urdb's own text. The echoes looked for: each input as given,
 * trimmed and JSON-quoted, and when an input is JSON (a request body), each of its strings and keys and each of its
 * lists and objects as JSON (how the API quotes a value). A JSON message (an API answer) is judged string by string,
 * unescaped.
 */
export function leaks(message: string, ...inputs: string[]): string | null {
  const echoes = echoedForms(inputs);
  for (const text of textsOf(message)) {
    let own = text;
    // Longest first, so that a longer echo is masked whole; masked, not removed, so no marker forms across a gap.
    for (const echo of echoes) if (own.includes(echo)) own = own.split(echo).join('\u0000');
    for (const [what, re] of LEAK_MARKERS) if (re.test(own)) return what;
  }
  return null;
}

const LEAK_MARKERS: [string, RegExp][] = [
  ['a stack frame', /\bat [\w.<>$]+ \(|\n\s+at \S/],
  ['a source position', /\.(?:ts|js|mjs|cjs):\d+/],
  ['a driver error', /PostgresError|SQLSTATE|ECONNREFUSED|node:internal/],
  ['SQL', /\b(?:select\b[\s\S]*\bfrom|insert\s+into|delete\s+from|update\s+\w+\s+set|syntax error at or near|violates\b[\s\S]*constraint|relation "|column "|invalid input syntax)/i],
  ['a connection URL', /postgres(?:ql)?:\/\//i],
];

/** No marker is shorter than this: shorter echoes are left unmasked (masking "e" would hide "PostgresError"). */
const SHORTEST_MARKER = 5;

function echoedForms(inputs: string[]): string[] {
  const forms = new Set<string>();
  const add = (s: string) => {
    for (const f of [s, s.trim(), JSON.stringify(s), JSON.stringify(s.trim())]) if (f.length >= SHORTEST_MARKER) forms.add(f);
  };
  for (const input of inputs) {
    add(input);
    let parsed: unknown;
    try {
      parsed = JSON.parse(input);
    } catch {
      continue;
    }
    let budget = 2000; // nodes: a 10,000-element array quoted in a message is quoted whole
    const walk = (v: unknown, depth: number) => {
      if (--budget < 0) return;
      if (typeof v === 'string') return add(v);
      if (v === null || typeof v !== 'object' || depth > 20) return;
      try {
        add(JSON.stringify(v));
      } catch {
        return; // too deep to print: the API does not quote it either
      }
      for (const [k, x] of Object.entries(v)) {
        add(k);
        walk(x, depth + 1);
      }
    };
    walk(parsed, 0);
  }
  return [...forms].sort((a, b) => b.length - a.length);
}

/** The strings of a JSON message (keys too), unescaped; any other message as it is. */
function textsOf(message: string): string[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(message);
  } catch {
    return [message];
  }
  if (parsed === null || typeof parsed !== 'object') return [message];
  const out: string[] = [];
  const walk = (v: unknown) => {
    if (typeof v === 'string') out.push(v);
    else if (v !== null && typeof v === 'object') for (const [k, x] of Object.entries(v)) (out.push(k), walk(x));
  };
  walk(parsed);
  return out;
}
