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
 * URL. `input` is removed first: a message may quote what the caller sent ("x" is not a valid choice).
 */
export function leaks(message: string, ...inputs: string[]): string | null {
  let text = message;
  const forms = inputs.flatMap((i) => [i, i.trim(), JSON.stringify(i), JSON.stringify(i.trim())]).filter((f) => f.length > 0);
  // Longest first: removing a quote that is part of a longer input first would leave the rest of it behind.
  for (const form of [...new Set(forms)].sort((a, b) => b.length - a.length)) text = text.split(form).join('');
  const patterns: [string, RegExp][] = [
    ['a stack frame', /\bat [\w.<>$]+ \(|\n\s+at \S/],
    ['a source position', /\.(?:ts|js|mjs|cjs):\d+/],
    ['a driver error', /PostgresError|SQLSTATE|ECONNREFUSED|node:internal/],
    ['SQL', /\b(?:select\b[\s\S]*\bfrom|insert\s+into|delete\s+from|update\s+\w+\s+set|syntax error at or near|violates\b[\s\S]*constraint|relation "|column "|invalid input syntax)/i],
    ['a connection URL', /postgres(?:ql)?:\/\//i],
  ];
  for (const [what, re] of patterns) if (re.test(text)) return what;
  return null;
}
