/**
 * A client for a transaction-mode pool (PgBouncer): no session state survives a transaction there, so urdb's
 * schema cannot be a startup parameter or a session setting. Instead every statement runs in a transaction that
 * starts with `set_config('search_path', schema, true)`:
 * - a top-level query (`sql\`…\``, `sql.unsafe`) becomes begin, then set_config and the query pipelined, then commit
 *   (three round trips; its `.values()`/`.then` work as before, and it settles only once committed);
 * - `sql.begin(fn)` sends the set_config first in the transaction, pipelined with fn's first query (no extra trip).
 * Queries built from it but never awaited on their own (fragments inside another query) are untouched. The two
 * hot-path lookups avoid all this with schema-qualified SQL (`qualifiedClient` in client.ts).
 */
import type { Sql, Tx } from './client';

type Handler = (query: unknown) => void;
interface QueryLike {
  handler: Handler;
  execute(): unknown;
  catch(fn: (e: unknown) => void): unknown;
  then(ok: (v: unknown) => unknown, bad?: (e: unknown) => unknown): unknown;
}

interface Settle {
  resolve(x: unknown): void;
  reject(e: unknown): void;
  active: boolean;
}

const isQuery = (q: unknown): q is QueryLike =>
  typeof q === 'object' && q !== null && typeof (q as QueryLike).handler === 'function' && typeof (q as QueryLike).execute === 'function';

/** Queues a query on its connection now, ahead of anything sent later (`execute` would wait a microtask). */
function sendNow(q: QueryLike) {
  (q as unknown as { executed: boolean }).executed = true;
  q.handler(q);
}

export function poolSafe(base: Sql, schema: string): Sql {
  const searchPath = (s: Sql | Tx) => s`select set_config('search_path', ${schema}, true)` as unknown as QueryLike;

  /**
   * Runs one query inside its own transaction: begin, then set_config and the query pipelined, then commit. (A
   * reserved connection would pipeline begin and commit too, but postgres.js 3.4 never hands out a reserved
   * connection it had to open with fetch_types off, which urdb needs.)
   */
  const inTransaction: Handler = (query) => {
    const q = query as QueryLike & Settle;
    const settle = { resolve: q.resolve, reject: q.reject };
    base
      .begin((tx) => {
        // The query's own promise settles only after the commit: a caller must not read its write elsewhere first.
        const result = new Promise((resolve, reject) => {
          q.resolve = (x) => ((q.active = false), resolve(x));
          q.reject = (e) => ((q.active = false), reject(e));
        });
        const set = searchPath(tx);
        q.handler = set.handler;
        sendNow(set);
        q.handler(q);
        return result;
      })
      .then(settle.resolve, settle.reject);
  };

  const wrap = <T>(q: T): T => {
    if (isQuery(q)) q.handler = inTransaction;
    return q;
  };

  const sql = ((strings: unknown, ...args: unknown[]) =>
    wrap((base as unknown as (...a: unknown[]) => unknown)(strings, ...args))) as unknown as Sql;
  Object.assign(sql, base);
  const unsafe = base.unsafe.bind(base);
  const begin = base.begin.bind(base) as (...a: unknown[]) => Promise<unknown>;
  Object.assign(sql, {
    unsafe: (...a: Parameters<Sql['unsafe']>) => wrap(unsafe(...a)),
    begin: (...a: unknown[]) => {
      const fn = a.pop() as (tx: Sql) => unknown;
      return begin(...a, (tx: Sql) => {
        sendNow(searchPath(tx));
        return fn(tx);
      });
    },
  });
  return sql;
}
