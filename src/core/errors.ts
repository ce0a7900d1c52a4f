/**
 * Typed failures of the handler layer, and the one map that turns any error into an exit code (CLI) or an HTTP
 * status with the `{message, extra}` envelope (API).
 */

export type ErrorKind =
  | 'invalid'
  | 'usage'
  | 'not_found'
  | 'forbidden'
  | 'conflict'
  | 'unauthorized'
  | 'too_large'
  | 'method_not_allowed'
  | 'unavailable'
  | 'schema_outdated'
  | 'interrupted'
  | 'failed';

export class UrdbError extends Error {
  readonly kind: ErrorKind;
  readonly extra: Record<string, unknown>;
  /** A hint for people (CLI): what to do next. Never sent over HTTP. */
  readonly hint: string | undefined;

  constructor(kind: ErrorKind, message: string, opts: { extra?: Record<string, unknown>; hint?: string; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'UrdbError';
    this.kind = kind;
    this.extra = opts.extra ?? {};
    this.hint = opts.hint;
  }
}

export class NotFoundError extends UrdbError {
  constructor(message: string, hint?: string) {
    super('not_found', message, { hint });
  }
}

export class ForbiddenError extends UrdbError {
  constructor(message: string, hint?: string) {
    super('forbidden', message, { hint });
  }
}

export class ConflictError extends UrdbError {
  constructor(message: string, hint?: string) {
    super('conflict', message, { hint });
  }
}

/** Field errors in the DRF shape: `{field: ["text"]}`, or positional `{field: {"1": ["text"]}}` inside lists. */
export type FieldErrors = { [field: string]: string[] | FieldErrors };

export class ValidationError extends UrdbError {
  readonly fields: FieldErrors;
  constructor(fields: FieldErrors, message = 'Validation error') {
    super('invalid', message, { extra: { fields } });
    this.fields = fields;
  }
}

/** A command line that cannot be run as given (missing flag, --yes needed, bad file). Exit 2. */
export class UsageError extends UrdbError {
  constructor(message: string, hint?: string) {
    super('usage', message, { hint });
  }
}

/** Why a file operation failed, in words (`no such directory`), from its errno. */
const FILE_CAUSES: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  EISDIR: 'is a directory',
  ENOTDIR: 'a part of the path is not a directory',
  EEXIST: 'already exists',
  EIO: 'input/output error',
  EMFILE: 'too many open files',
  ENAMETOOLONG: 'name too long',
  ELOOP: 'too many symbolic links',
  EFBIG: 'file too large',
  EPIPE: 'the reader went away',
};

/** Codes that say the path itself is wrong (the command line names something that is not there): exit 2. */
const BAD_PATH = new Set(['ENOENT', 'ENOTDIR', 'EISDIR', 'ENAMETOOLONG', 'ELOOP']);

/**
 * A file or directory that could not be read or written, naming it and why: `cannot write /x/y.json: no such
 * directory`. Exit 2 when the path given is wrong (does not exist, not a directory), 1 when the system refuses
 * (permission, read-only, full disk). Never a database error, whatever its errno.
 */
export class FileError extends UrdbError {
  readonly path: string;
  readonly code: string | undefined;
  constructor(file: string, op: 'read' | 'write' | 'create' | 'use', cause: unknown, opts: { hint?: string; context?: string } = {}) {
    const code = (cause as NodeJS.ErrnoException | null)?.code;
    const why =
      code === 'ENOENT'
        ? op === 'read' ? 'no such file' : op === 'use' ? 'no such file or directory' : 'no such directory'
        : (code && FILE_CAUSES[code]) ?? String((cause as Error)?.message ?? cause).replace(/^E[A-Z]+: /, '');
    const what = file === 'stdout' ? 'to stdout' : file;
    const message = `${opts.context ? `${opts.context}: ` : ''}cannot ${op} ${what}: ${why}`;
    super(code && BAD_PATH.has(code) && file !== 'stdout' ? 'usage' : 'failed', message, { hint: opts.hint, cause });
    this.path = file;
    this.code = code;
  }
}

/** A Node file-system error (it names a path); postgres.js errors never carry one. */
export function isFsError(err: unknown): err is NodeJS.ErrnoException & { path: string } {
  const e = err as NodeJS.ErrnoException | null;
  return typeof e?.path === 'string' && typeof e.syscall === 'string' && typeof e.code === 'string';
}

export class UnavailableError extends UrdbError {
  constructor(message: string, opts: { hint?: string; cause?: unknown } = {}) {
    super('unavailable', message, opts);
  }
}

export class SchemaOutdatedError extends UrdbError {
  constructor(message: string, hint = 'run `urdb migrate` against this database') {
    super('schema_outdated', message, { hint });
  }
}

export class InterruptedError extends UrdbError {
  constructor(message = 'interrupted') {
    super('interrupted', message);
  }
}

export const EXIT = {
  ok: 0,
  error: 1,
  usage: 2,
  database: 3,
  interrupted: 130,
} as const;

const exitByKind: Record<ErrorKind, number> = {
  invalid: EXIT.usage,
  usage: EXIT.usage,
  not_found: EXIT.error,
  forbidden: EXIT.error,
  conflict: EXIT.error,
  unauthorized: EXIT.error,
  too_large: EXIT.usage,
  method_not_allowed: EXIT.usage,
  unavailable: EXIT.database,
  schema_outdated: EXIT.error,
  interrupted: EXIT.interrupted,
  failed: EXIT.error,
};

const statusByKind: Record<ErrorKind, number> = {
  invalid: 400,
  usage: 400,
  not_found: 404,
  forbidden: 403,
  conflict: 409,
  unauthorized: 401,
  too_large: 413,
  method_not_allowed: 405,
  unavailable: 503,
  schema_outdated: 503,
  interrupted: 503,
  failed: 500,
};

export function exitCodeFor(err: unknown): number {
  return err instanceof UrdbError ? exitByKind[err.kind] : EXIT.error;
}

export interface HttpError {
  status: number;
  body: { message: string; extra: Record<string, unknown> };
}

/** The API never shows internals: unknown errors become a bare 500, a down database a bare 503. */
export function httpErrorFor(err: unknown): HttpError {
  if (!(err instanceof UrdbError) || err.kind === 'failed') {
    return { status: 500, body: { message: 'Internal server error', extra: {} } };
  }
  if (err.kind === 'unavailable' || err.kind === 'schema_outdated' || err.kind === 'interrupted') {
    return { status: 503, body: { message: 'Database unavailable', extra: {} } };
  }
  return { status: statusByKind[err.kind], body: { message: err.message, extra: err.extra } };
}
