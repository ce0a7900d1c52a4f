/**
 * Reading a resource as a collection (the admin API's GET): one SQL view per resource whose columns are the
 * resource's fields (bundle names), then the same filter / search / ordering / page over every view. Column names
 * come only from the resource table (identifiers escaped by postgres.js), values are always parameters.
 */
import type { PendingQuery, Row } from 'postgres';
import type { Sql, Tx } from '../db/client';
import { nameContains, searchCollation } from './search';

type Q = Sql | Tx;

export interface CollectionView {
  /** `select … from …`: one row per object, its columns named as the resource's fields. */
  select(sql: Q): PendingQuery<Row[]>;
  /** The key's columns (one, or three for a route): the order's tie-break and the instance lookup. */
  key: readonly string[];
  /** Text columns `search` looks in. */
  searchable: readonly string[];
}

export interface CollectionQuery {
  limit: number;
  offset: number;
  search?: string | undefined;
  ordering?: { field: string; descending: boolean } | undefined;
  /** Equality filters, column → value (already validated by the field's schema). */
  filters?: ReadonlyMap<string, unknown>;
}

export interface CollectionPage {
  count: number;
  rows: Row[];
}

function conditions(sql: Q, view: CollectionView, q: CollectionQuery, collation: string | null): PendingQuery<Row[]> {
  let where = sql`true`;
  for (const [column, value] of q.filters ?? []) {
    where = value === null ? sql`${where} and v.${sql(column)} is null` : sql`${where} and v.${sql(column)} = ${value as string}`;
  }
  if (q.search !== undefined && q.search !== '' && view.searchable.length) {
    // The CLI's --search: case-insensitive in every alphabet, Cyrillic included, whatever the database's locale.
    let any = sql`false`;
    for (const column of view.searchable) any = sql`${any} or ${nameContains(sql, sql`v.${sql(column)}`, q.search, collation)}`;
    where = sql`${where} and (${any})`;
  }
  return where;
}

/** One page and the count of all matching rows, ordered by the field and then by the key (a stable order). */
export async function listCollection(sql: Q, view: CollectionView, q: CollectionQuery): Promise<CollectionPage> {
  const where = conditions(sql, view, q, q.search ? await searchCollation(sql) : null);
  let order = sql``;
  if (q.ordering) order = q.ordering.descending ? sql`v.${sql(q.ordering.field)} desc nulls last,` : sql`v.${sql(q.ordering.field)} asc nulls first,`;
  const keyOrder = view.key.map((k) => sql`v.${sql(k)}`).reduce((a, b) => sql`${a}, ${b}`);
  const [counted] = await sql<{ n: number }[]>`select count(*)::int as n from (${view.select(sql)}) v where ${where}`;
  const rows = await sql`
    select v.* from (${view.select(sql)}) v where ${where}
    order by ${order} ${keyOrder}
    limit ${q.limit} offset ${q.offset}
  `;
  return { count: counted!.n, rows: [...rows] };
}

/** The object with this key (column → value), or undefined. */
export async function findInCollection(sql: Q, view: CollectionView, key: ReadonlyMap<string, unknown>): Promise<Row | undefined> {
  const [row] = await sql`select v.* from (${view.select(sql)}) v where ${conditions(sql, view, { limit: 1, offset: 0, filters: key }, null)}`;
  return row;
}
