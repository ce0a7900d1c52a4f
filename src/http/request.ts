/**
 * What the API reads from a request: the query string (repeated keys kept), the JSON body, and integer path ids.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { MESSAGES } from './response';
import type { TokenCheck } from './tokens';

export interface ApiRequest {
  method: string;
  /** The path as received: percent-encoded, without the query string. */
  path: string;
  /** The query string without `?` ('' or undefined: none). */
  query?: string;
  /** Lower-case names, as node:http gives them. */
  headers?: IncomingHttpHeaders;
  /** The raw body; undefined or empty counts as `{}`. */
  body?: Buffer | string;
  /** The peer's address, recorded as the actor of writes. */
  remoteAddress?: string;
  /** The tokens in force when the request arrived (a reload does not change a request in flight); default: the current ones. */
  tokens?: TokenCheck;
}

/**
 * The Content-Type of a body that is not JSON, or null. Parameters (`charset`) are allowed and the type is
 * case-insensitive; a body without a Content-Type is read as JSON (a browser's cross-site request always carries
 * an Origin, refused by the server unless allowed); a request without a body is never refused for its type.
 */
export function unsupportedMediaType(req: ApiRequest): string | null {
  if (req.body === undefined || req.body.length === 0) return null;
  const type = req.headers?.['content-type'];
  if (type === undefined || type === 'application/json' || type === 'application/json; charset=utf-8') return null;
  const semi = type.indexOf(';');
  const media = (semi === -1 ? type : type.slice(0, semi)).trim().toLowerCase();
  return media === 'application/json' ? null : type;
}

/** Every value of every key, in order: `unit_ids=1&unit_ids=2` keeps both. Django's QueryDict reads the same way. */
export function parseQuery(qs: string | undefined): Map<string, string[]> {
  const params = new Map<string, string[]>();
  if (!qs) return params;
  let start = 0;
  while (start <= qs.length) {
    let end = qs.indexOf('&', start);
    if (end === -1) end = qs.length;
    if (end > start) {
      const eq = qs.indexOf('=', start);
      const hasValue = eq !== -1 && eq < end;
      const key = decodeComponent(qs.slice(start, hasValue ? eq : end));
      const value = hasValue ? decodeComponent(qs.slice(eq + 1, end)) : '';
      const values = params.get(key);
      if (values) values.push(value);
      else params.set(key, [value]);
    }
    start = end + 1;
  }
  return params;
}

/** Form decoding (`+` is a space); a malformed escape is kept as written rather than failing the request. */
function decodeComponent(s: string): string {
  if (s.indexOf('%') === -1 && s.indexOf('+') === -1) return s;
  const spaced = s.replace(PLUS, ' ');
  try {
    return decodeURIComponent(spaced);
  } catch {
    return spaced;
  }
}

const PLUS = /\+/g;

export class BodyError extends Error {
  constructor(readonly status: 400 | 413, message: string) {
    super(message);
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

/** The JSON body; an empty body is `{}` (DRF reads an empty body as empty data). */
export function parseBody(body: Buffer | string | undefined, limit: number): unknown {
  if (body === undefined || body.length === 0) return {};
  if (Buffer.byteLength(body) > limit) throw new BodyError(413, MESSAGES.tooLarge);
  let text: string;
  if (typeof body === 'string') text = body;
  else {
    try {
      text = utf8.decode(body);
    } catch {
      throw new BodyError(400, MESSAGES.jsonParse('the body is not valid UTF-8'));
    }
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new BodyError(400, MESSAGES.jsonParse((err as Error).message));
  }
}

const SIGNED_INTEGER = /^-?[0-9]+$/;

/**
 * A path id: a signed integer (Telegram group ids are negative and 64-bit), else null (the path does not match).
 * Integers beyond 2^53 are returned as NaN: they match the path but can name nothing stored.
 */
export function parsePathInteger(segment: string): number | null {
  if (!SIGNED_INTEGER.test(segment)) return null;
  const n = Number(segment);
  return Number.isSafeInteger(n) ? n : Number.NaN;
}

/** The bearer token of an `Authorization` header, or null. */
export function bearerToken(headers: IncomingHttpHeaders | undefined): string | null {
  const value = headers?.authorization;
  if (typeof value !== 'string') return null;
  const space = value.indexOf(' ');
  if (space === -1 || value.slice(0, space).toLowerCase() !== 'bearer') return null;
  const token = value.slice(space + 1).trim();
  return token === '' ? null : token;
}
