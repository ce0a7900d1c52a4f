/**
 * Lists of references (`--units 101,"Москва 1-2"`, `--regions 1,Казань`, `--report-types CANCELED_ORDERS,17`),
 * resolved in one query each. As with single references, a number matches an id first, then a name. Every
 * reference that matches nothing is named in one error.
 */
import { NotFoundError } from '../core/errors';
import { intArray, type Sql, type Tx } from '../db/client';

type Q = Sql | Tx;

const isId = (ref: string) => /^\d{1,9}$/.test(ref.trim());

interface Named {
  id: number;
  name: string;
}

function match(refs: readonly string[], rows: readonly Named[], what: [one: string, many: string], hint: string): Named[] {
  const byId = new Map(rows.map((r) => [r.id, r]));
  const byName = new Map(rows.map((r) => [r.name, r]));
  const found = new Map<number, Named>();
  const missing: string[] = [];
  for (const raw of refs) {
    const ref = raw.trim();
    const row = (isId(ref) ? byId.get(Number(ref)) : undefined) ?? byName.get(ref);
    if (row) found.set(row.id, row);
    else missing.push(isId(ref) ? ref : JSON.stringify(ref));
  }
  if (missing.length) {
    throw new NotFoundError(`${missing.length === 1 ? what[0] : what[1]} ${missing.join(', ')} not found`, hint);
  }
  return [...found.values()].sort((a, b) => a.id - b.id);
}

const split = (refs: readonly string[]) => ({
  ids: intArray(refs.filter(isId).map((r) => Number(r.trim()))),
  names: JSON.stringify(refs.map((r) => r.trim())),
});

/** Units by id or name; the result is sorted by id, without duplicates. */
export async function unitRefs(sql: Q, refs: readonly string[]): Promise<Named[]> {
  if (refs.length === 0) return [];
  const { ids, names } = split(refs);
  const rows = await sql<Named[]>`
    select id, name from unit
    where id = any(${ids}::int[]) or name in (select jsonb_array_elements_text(${names}::text::jsonb))
  `;
  return match(refs, rows, ['unit', 'units'], 'list units with `urdb units list`');
}

export async function regionRefs(sql: Q, refs: readonly string[]): Promise<Named[]> {
  if (refs.length === 0) return [];
  const { ids, names } = split(refs);
  const rows = await sql<Named[]>`
    select id, name from region
    where id = any(${ids}::int[]) or name in (select jsonb_array_elements_text(${names}::text::jsonb))
  `;
  return match(refs, rows, ['region', 'regions'], 'list regions with `urdb regions list`');
}

export async function reportTypeRefs(sql: Q, refs: readonly string[]): Promise<Named[]> {
  if (refs.length === 0) return [];
  const { ids, names } = split(refs);
  const rows = await sql<Named[]>`
    select id, name from report_type
    where id = any(${ids}::int[]) or name in (select jsonb_array_elements_text(${names}::text::jsonb))
  `;
  return match(refs, rows, ['report type', 'report types'], 'list them with `urdb report-types list --all`');
}

/** The ids of every unit of these regions (as they are now: a unit added to a region later is not included). */
export async function regionUnitIds(sql: Q, regionIds: readonly number[]): Promise<number[]> {
  if (regionIds.length === 0) return [];
  const rows = await sql<{ id: number }[]>`
    select id from unit where region_id = any(${intArray(regionIds)}::int[]) order by id
  `;
  return rows.map((r) => r.id);
}
