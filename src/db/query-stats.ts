/**
 * What the server's metrics know of the database pool. postgres.js (3.4) keeps its pool state (open, busy,
 * connecting connections) in closure variables with no public accessor (porsager/postgres#443), so urdb counts what
 * passes through its own hands instead: the queries it sends through the pool and how they end.
 */
import { isConnectionError, type Sql } from './client';

export interface QueryStats {
  /** Queries sent through the pool and not answered yet; a transaction counts once, for its whole duration. */
  inFlight: number;
  /** Queries and transactions that failed because a connection could not be made, was refused or was lost. */
  connectionErrors: number;
}

/**
 * The same pool, counting into `stats`. A query is counted when it runs (postgres.js runs a query when it is first
 * awaited); a fragment built with sql`…` and embedded in another query never runs, so it is never counted.
 */
export function countQueries(sql: Sql, stats: QueryStats): Sql {
  const settled = () => {
    stats.inFlight--;
  };
  const failed = (err: unknown) => {
    stats.inFlight--;
    if (isConnectionError(err)) stats.connectionErrors++;
  };
  const track = (q: unknown) => {
    if (!(q instanceof Promise)) return q; // sql(identifier), sql(rows): helpers, not queries
    const then = q.then;
    let running = false;
    q.then = function (this: Promise<unknown>, ok?: unknown, fail?: unknown) {
      if (!running) {
        running = true;
        stats.inFlight++;
        then.call(q, settled, failed);
      }
      return then.call(this, ok as never, fail as never);
    } as typeof q.then;
    return q;
  };
  const begin = (...args: unknown[]) => {
    stats.inFlight++;
    const tx = (sql.begin as (...a: unknown[]) => Promise<unknown>)(...args);
    tx.then(settled, failed);
    return tx;
  };
  const unsafe = (...args: unknown[]) => track((sql.unsafe as (...a: unknown[]) => unknown)(...args));
  return new Proxy(sql, {
    apply: (target, self, args) => track(Reflect.apply(target, self, args)),
    get: (target, key) => (key === 'begin' ? begin : key === 'unsafe' ? unsafe : Reflect.get(target, key)),
  });
}
