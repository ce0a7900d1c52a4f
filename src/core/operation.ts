/**
 * The handler layer: an operation is a name, a zod input schema and `run(ctx, input) → plain data`, throwing typed
 * errors. It knows nothing of terminals or HTTP; the CLI and the server are adapters that validate with the same
 * schemas and call `run`.
 */
import { z } from 'zod';
import type { Sql, Tx } from '../db/client';
import { INT32, integer, page, validate } from './fields';

/** Who makes a change: recorded with it (audit log) and used for role checks. */
export interface Actor {
  via: 'cli' | 'api' | 'system';
  /** OS user (CLI), `api` (API). */
  user: string;
  /** The name of the bearer token the request came with (API with tokens). */
  token?: string;
  address?: string;
  userChatId?: number;
}

export interface Ctx {
  sql: Sql;
  actor: Actor;
  /** Called after a write transaction commits, with the tables it wrote (caches). */
  afterCommit?: (tables: readonly string[]) => void;
  /** Security-relevant events for the process's log (the server's access log, the CLI's stderr). */
  log?: (event: string, fields: Record<string, unknown>) => void;
  /** The server's lookup cache (src/cache); the CLI has none. */
  routeCache?: import('../cache/route-lookup').RouteLookupCache;
}

export interface Operation<S extends z.ZodType, O> {
  name: string;
  summary: string;
  input: S;
  run(ctx: Ctx, input: z.output<S>): Promise<O>;
}

export function operation<S extends z.ZodType, O>(op: Operation<S, O>): Operation<S, O> {
  return op;
}

/** Validates raw input with the operation's schema, then runs it. */
export async function call<S extends z.ZodType, O>(op: Operation<S, O>, ctx: Ctx, raw: unknown): Promise<O> {
  return op.run(ctx, validate(op.input, raw));
}

export interface Page<T> {
  items: T[];
  is_end_of_list_reached: boolean;
}

export interface PageInput {
  /** null: every row (the CLI's --all). */
  limit: number | null;
  offset: number;
}

/** The CLI pages like the API, but may ask for any page size or for everything. */
export const cliPage = {
  limit: integer({ min: 1, max: INT32.max }).nullable().default(100),
  offset: integer({ min: 0, max: INT32.max }).default(0),
};

/** What a list handler receives: its filters (none for an empty shape) and the page. */
export type ListInput<F extends z.ZodRawShape> = ({} extends F ? {} : z.output<z.ZodObject<F>>) & PageInput;

export interface ListOperation<F extends z.ZodRawShape, T> {
  name: string;
  summary: string;
  filters: F;
  /** What the API validates: filters plus limit 1..100 and offset. */
  input: z.ZodObject<F & typeof page>;
  /** What the CLI validates: filters plus any limit, or none. */
  cliInput: z.ZodObject<F & typeof cliPage>;
  run(ctx: Ctx, input: ListInput<F>): Promise<Page<T>>;
}

export function listOperation<F extends z.ZodRawShape, T>(def: {
  name: string;
  summary: string;
  filters: F;
  run(ctx: Ctx, input: ListInput<F>): Promise<Page<T>>;
}): ListOperation<F, T> {
  return {
    ...def,
    input: z.object({ ...def.filters, ...page }),
    cliInput: z.object({ ...def.filters, ...cliPage }),
  };
}

/** Fetches limit + 1 rows to tell whether the list ends here: true exactly when no row exists at offset + limit. */
export function toPage<T>(rows: T[], limit: number | null): Page<T> {
  if (limit === null || rows.length <= limit) return { items: rows, is_end_of_list_reached: true };
  return { items: rows.slice(0, limit), is_end_of_list_reached: false };
}

/** A page of an already complete, ordered list (cached lookups). */
export function slicePage<T>(all: readonly T[], limit: number | null, offset: number): Page<T> {
  const end = limit === null ? all.length : offset + limit;
  return { items: all.slice(offset, end), is_end_of_list_reached: end >= all.length };
}

/** The LIMIT to ask for: one more than the page, or null (no limit). */
export function fetchLimit(limit: number | null): number | null {
  return limit === null ? null : limit + 1;
}

class DryRun extends Error {
  constructor(readonly result: unknown) {
    super('dry run');
  }
}

/**
 * Every write goes through here: one transaction, the actor recorded in it for the audit trigger, and
 * `afterCommit` told which tables changed. With `dryRun` the work is done and then rolled back.
 */
export async function write<T>(
  ctx: Ctx,
  tables: readonly string[],
  fn: (tx: Tx) => Promise<T>,
  opts: { dryRun?: boolean } = {},
): Promise<T> {
  try {
    const result = (await ctx.sql.begin(async (tx) => {
      await tx`select set_config('urdb.actor', ${JSON.stringify(ctx.actor)}, true)`;
      const out = await fn(tx);
      if (opts.dryRun) throw new DryRun(out);
      return out as unknown;
    })) as T;
    ctx.afterCommit?.(tables);
    return result;
  } catch (err) {
    if (err instanceof DryRun) return err.result as T;
    throw err;
  }
}
