/**
 * Field builders for the zod schemas every handler validates its input with. They accept what the old service
 * (Django REST framework) accepted and fail with its texts, so the HTTP API stays wire-compatible and the CLI
 * reports the same thing for the same mistake.
 */
import { z } from 'zod';
import { ValidationError, type FieldErrors } from './errors';

export const MSG = {
  required: 'This field is required.',
  null: 'This field may not be null.',
  blank: 'This field may not be blank.',
  integer: 'A valid integer is required.',
  string: 'Not a valid string.',
  boolean: 'Must be a valid boolean.',
  uuid: 'Must be a valid UUID.',
  nullCharacters: 'Null characters are not allowed.',
  emptyList: 'This list may not be empty.',
  min: (n: number | bigint) => `Ensure this value is greater than or equal to ${n}.`,
  max: (n: number | bigint) => `Ensure this value is less than or equal to ${n}.`,
  maxLength: (n: number) => `Ensure this field has no more than ${n} characters.`,
  choice: (input: unknown) => `"${pythonStr(input)}" is not a valid choice.`,
  notList: (input: unknown) => `Expected a list of items but got type "${pythonType(input)}".`,
  notDict: (input: unknown) => `Invalid data. Expected a dictionary, but got ${pythonType(input)}.`,
  surrogate: (code: number) => `Surrogate characters are not allowed: U+${code.toString(16).toUpperCase()}.`,
} as const;

/** The name Python gives the type of a decoded JSON value: DRF puts it in its messages. */
export function pythonType(v: unknown): string {
  if (v === null || v === undefined) return 'NoneType';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float';
  if (typeof v === 'string') return 'str';
  if (Array.isArray(v)) return 'list';
  return 'dict';
}

function pythonStr(v: unknown): string {
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return String(v);
  try {
    return JSON.stringify(v);
  } catch {
    return pythonType(v); // nested too deep to print (JSON.stringify overflows the stack): a 400 all the same
  }
}

export const INT32 = { min: -2147483648, max: 2147483647 } as const;
export const INT16 = { min: -32768, max: 32767 } as const;
/** Telegram ids use at most 52 bits; JSON numbers are exact up to 2^53 - 1, so that is the accepted range. */
export const CHAT_ID = { min: -Number.MAX_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER } as const;

const typeError = (kind: string) => (iss: { input?: unknown }) =>
  iss.input === undefined ? MSG.required : iss.input === null ? MSG.null : kind;

const INTEGER_TEXT = /^\s*[+-]?\d+(\.0*)?\s*$/;

/** DRF's IntegerField: integers, integral floats (`5.0`), and strings of digits (query strings are strings). */
function toInteger(v: unknown): unknown {
  if (typeof v === 'string' && INTEGER_TEXT.test(v)) return Number(v.trim().replace(/\.0*$/, ''));
  return v;
}

export function integer(range: { min?: number; max?: number } = INT32) {
  const min = range.min ?? INT32.min;
  const max = range.max ?? INT32.max;
  // zod's int() also fails integers beyond 2^53; those are out of every range here, so say which bound they break.
  const notInteger = (iss: { input?: unknown }) =>
    typeof iss.input === 'number' && Number.isInteger(iss.input) ? (iss.input > 0 ? MSG.max(max) : MSG.min(min)) : MSG.integer;
  const n = z
    .number({ error: typeError(MSG.integer) })
    .int({ error: notInteger, abort: true })
    .min(min, { error: MSG.min(min) })
    .max(max, { error: MSG.max(max) });
  return z.preprocess(toInteger, n);
}

/** PostgreSQL text cannot hold NUL: a name with one names nothing (a lookup answers "not found", not a database error). */
export function storable(s: string): boolean {
  return !s.includes('\u0000');
}

/** A positive 32-bit id, as the model's integer keys. */
export const id = () => integer({ min: 1, max: INT32.max });
export const chatId = () => integer(CHAT_ID);

function checkText(s: string, ctx: z.core.$RefinementCtx<string>) {
  if (s.includes('\u0000')) ctx.addIssue({ code: 'custom', message: MSG.nullCharacters, input: s });
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdfff) {
      const next = s.charCodeAt(i + 1);
      if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
        i++;
        continue;
      }
      ctx.addIssue({ code: 'custom', message: MSG.surrogate(c), input: s });
      return;
    }
  }
}

/** DRF's CharField: strings (numbers are turned into strings), trimmed, not blank unless allowed, bounded. */
export function text(opts: { max: number; allowBlank?: boolean; trim?: boolean }) {
  let s = z.string({ error: typeError(MSG.string) });
  if (opts.trim !== false) s = s.trim();
  if (!opts.allowBlank) s = s.min(1, { error: MSG.blank, abort: true });
  s = s.max(opts.max, { error: MSG.maxLength(opts.max) });
  return z.preprocess(
    (v) => (typeof v === 'number' && Number.isFinite(v) ? String(v) : v),
    s.superRefine(checkText),
  );
}

export function choice<const T extends readonly [string, ...string[]]>(values: T) {
  return z.enum(values, {
    error: (iss) => (iss.input === undefined ? MSG.required : iss.input === null ? MSG.null : MSG.choice(iss.input)),
  });
}

export function uuid() {
  return z.preprocess(
    (v) => (typeof v === 'string' ? v.trim().toLowerCase() : v),
    z.string({ error: typeError(MSG.uuid) }).regex(/^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/, {
      error: MSG.uuid,
    }),
  ).transform((v) => (v.includes('-') ? v : `${v.slice(0, 8)}-${v.slice(8, 12)}-${v.slice(12, 16)}-${v.slice(16, 20)}-${v.slice(20)}`));
}

export function boolean() {
  return z.preprocess(
    (v) => {
      if (typeof v === 'string') {
        const t = v.trim().toLowerCase();
        if (['true', '1', 'yes', 'on', 't', 'y'].includes(t)) return true;
        if (['false', '0', 'no', 'off', 'f', 'n'].includes(t)) return false;
      }
      if (v === 1) return true;
      if (v === 0) return false;
      return v;
    },
    z.boolean({ error: typeError(MSG.boolean) }),
  );
}

/** DRF's ListField: a JSON array (not a string or an object); errors inside it are reported by position. */
export function list<T extends z.ZodType>(item: T, opts: { allowEmpty?: boolean; max?: number } = {}) {
  let a = z.array(item, {
    error: (iss) => (iss.input === undefined ? MSG.required : iss.input === null ? MSG.null : MSG.notList(iss.input)),
  });
  if (!opts.allowEmpty) a = a.min(1, { error: MSG.emptyList });
  if (opts.max !== undefined) a = a.max(opts.max, { error: `Ensure this field has no more than ${opts.max} elements.` });
  return a;
}

/** Paging of every list: `limit` 1..100 (default 100) and `offset` ≥ 0, as the old API. */
export const page = {
  limit: integer({ min: 1, max: 100 }).default(100),
  offset: integer({ min: 0, max: INT32.max }).default(0),
};

/**
 * Turns zod's issues into DRF's field map: one key per field in the order the schema declares them, a list of
 * texts each, positional maps inside lists, and `non_field_errors` for a body that is not an object.
 */
export function fieldErrors(error: z.ZodError, input: unknown): FieldErrors {
  const fields: FieldErrors = {};
  for (const issue of error.issues) {
    const path = issue.path;
    if (path.length === 0) {
      const message =
        issue.code === 'invalid_type' && (input === null || typeof input !== 'object' || Array.isArray(input))
          ? MSG.notDict(input)
          : issue.message;
      push(fields, ['non_field_errors'], message);
      continue;
    }
    push(fields, path.map(String), issue.message);
  }
  return fields;
}

function push(fields: FieldErrors, path: string[], message: string) {
  let node: FieldErrors = fields;
  for (let i = 0; i < path.length - 1; i++) {
    const key = path[i]!;
    const next = node[key];
    if (next === undefined || Array.isArray(next)) {
      const created: FieldErrors = {};
      node[key] = created;
      node = created;
    } else {
      node = next;
    }
  }
  const last = path[path.length - 1]!;
  const existing = node[last];
  if (Array.isArray(existing)) {
    if (!existing.includes(message)) existing.push(message);
  } else if (existing === undefined) {
    node[last] = [message];
  }
}

/** Validates `input` with `schema`; throws a ValidationError carrying DRF's field map. */
export function validate<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw new ValidationError(fieldErrors(result.error, input));
}
