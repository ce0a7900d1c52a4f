/**
 * `--search` filters: a case-insensitive "contains" that knows every alphabet, Cyrillic included, on any database.
 *
 * ILIKE folds case by the collation's character type. A database created with the C locale (the embedded default
 * before urdb created it with the builtin C.UTF-8 locale) folds ASCII only, so `москва` missed `Москва`. There the
 * match uses an explicit collation that folds all of Unicode: `pg_c_utf8` (PostgreSQL 17+), else ICU's `und-x-icu`;
 * a database whose own locale already folds (C.UTF-8, ru_RU.UTF-8, builtin, ICU) keeps its default.
 */
import type { Sql, Tx } from '../db/client';

const chosen = new WeakMap<object, Promise<string | null>>();

/** The collation a search on this database needs (null: the database's own), looked up once per connection pool. */
export function searchCollation(sql: Sql | Tx): Promise<string | null> {
  let found = chosen.get(sql);
  if (!found) chosen.set(sql, (found = lookUp(sql)));
  return found;
}

async function lookUp(sql: Sql | Tx): Promise<string | null> {
  // to_jsonb: datlocprovider is new in PostgreSQL 15; older servers are libc.
  const [row] = await sql<{ provider: string | null; ctype: string; builtin: boolean; icu: boolean }[]>`
    select to_jsonb(d) ->> 'datlocprovider' as provider, d.datctype as ctype,
      exists (select 1 from pg_collation where collname = 'pg_c_utf8' and collencoding in (-1, d.encoding)) as builtin,
      exists (select 1 from pg_collation where collname = 'und-x-icu') as icu
    from pg_database d where d.datname = current_database()
  `;
  if (!row || (row.provider ?? 'c') !== 'c' || !['C', 'POSIX'].includes(row.ctype)) return null;
  return row.builtin ? 'pg_c_utf8' : row.icu ? 'und-x-icu' : null;
}

/** `column ILIKE '%search%'` (LIKE's wildcards in `search` taken literally) in `collation`; `true` without a search. */
export function nameContains(sql: Sql | Tx, column: ReturnType<Sql>, search: string | undefined, collation: string | null) {
  if (search === undefined) return sql`true`;
  const pattern = `%${search.replace(/[\\%_]/g, (c) => '\\' + c)}%`;
  return collation ? sql`${column} ilike ${pattern} collate ${sql(collation)}` : sql`${column} ilike ${pattern}`;
}
