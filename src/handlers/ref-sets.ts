/**
 * Lists of references (`--units 101,"Москва 1-2"`, `--regions 1,Казань`, `--report-types CANCELED_ORDERS,17`),
 * resolved in one query each, by the rules of single references (refs.ts: `id:`/`name:`, ambiguity refused). Every
 * reference that matches nothing is named in one error.
 */
import { NotFoundError } from '../core/errors';
import { intArray, type Sql, type Tx } from '../db/client';
import { REF_NOUNS, parseRef, pickRef, type RefTable } from './refs';

type Q = Sql | Tx;

interface Named {
  id: number;
  name: string;
}

async function resolveRefs(sql: Q, table: Extract<RefTable, 'unit' | 'region' | 'report_type'>, refs: readonly string[]): Promise<Named[]> {
  if (refs.length === 0) return [];
  const noun = REF_NOUNS[table];
  const parsed = refs.map((r) => parseRef(r, noun.idDigits));
  const ids = intArray(parsed.flatMap((p) => (p.id === null ? [] : [p.id])));
  const names = JSON.stringify(parsed.flatMap((p) => (p.name === null ? [] : [p.name])));
  const rows = await sql<Named[]>`
    select id, name from ${sql(table)}
    where id = any(${ids}::int[]) or name in (select jsonb_array_elements_text(${names}::text::jsonb))
  `;
  const found = new Map<number, Named>();
  const missing: string[] = [];
  for (const ref of parsed) {
    const row = pickRef(rows, ref, table);
    if (row) found.set(row.id, row);
    else missing.push(ref.id !== null && ref.name !== null ? ref.text : JSON.stringify(ref.text));
  }
  if (missing.length) {
    throw new NotFoundError(`${missing.length === 1 ? noun.one : noun.many} ${missing.join(', ')} not found`, noun.hint);
  }
  return [...found.values()].sort((a, b) => a.id - b.id);
}

/** Units by id or name; the result is sorted by id, without duplicates. */
export const unitRefs = (sql: Q, refs: readonly string[]) => resolveRefs(sql, 'unit', refs);
export const regionRefs = (sql: Q, refs: readonly string[]) => resolveRefs(sql, 'region', refs);
export const reportTypeRefs = (sql: Q, refs: readonly string[]) => resolveRefs(sql, 'report_type', refs);

/** The ids of every unit of these regions (as they are now: a unit added to a region later is not included). */
export async function regionUnitIds(sql: Q, regionIds: readonly number[]): Promise<number[]> {
  if (regionIds.length === 0) return [];
  const rows = await sql<{ id: number }[]>`
    select id from unit where region_id = any(${intArray(regionIds)}::int[]) order by id
  `;
  return rows.map((r) => r.id);
}
