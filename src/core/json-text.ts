import { UsageError } from './errors';

/**
 * JSON.parse of a file's text (a leading BOM ignored), failing with one UsageError that says where:
 * `x.json is not valid JSON: unexpected "g" at line 1, column 1`. V8's own text says "is not valid JSON" a second
 * time and quotes the start of the file, which may hold what the user did not mean to print (a secret, a password
 * file given by mistake), and gives a character offset instead of a line.
 */
export function parseJsonText(text: string, name: string, hint?: string): unknown {
  const body = text.replace(/^\uFEFF/, '');
  try {
    return JSON.parse(body);
  } catch (err) {
    throw new UsageError(`${name} is not valid JSON: ${jsonProblem((err as Error).message, body)}`, hint);
  }
}

function jsonProblem(message: string, text: string): string {
  const token = /^Unexpected token '(.+?)', /s.exec(message);
  if (token) return `unexpected ${JSON.stringify(token[1])} at ${lineColumn(text, firstBadToken(text, token[1]!))}`;
  const at = /^(.*?)(?: in JSON)? at position (\d+)/s.exec(message);
  if (at) return `${lowerFirst(at[1]!)} at ${lineColumn(text, Number(at[2]))}`;
  if (/^Unexpected end of JSON input/.test(message)) return text.trim() ? 'it ends too early' : 'the file is empty';
  return lowerFirst(message);
}

/** V8 names the token but not its offset: the first occurrence that JSON.parse of the prefix before it accepts
 * as a valid beginning is the one; failing that, the first occurrence. */
function firstBadToken(text: string, token: string): number {
  for (let i = text.indexOf(token); i >= 0; i = text.indexOf(token, i + 1)) {
    try {
      JSON.parse(text.slice(0, i + token.length));
    } catch (err) {
      if (/^Unexpected token/.test((err as Error).message)) return i;
    }
  }
  return Math.max(0, text.indexOf(token));
}

function lineColumn(text: string, offset: number): string {
  const before = text.slice(0, offset).split('\n');
  return `line ${before.length}, column ${before[before.length - 1]!.length + 1}`;
}

const lowerFirst = (s: string): string => s.charAt(0).toLowerCase() + s.slice(1);
