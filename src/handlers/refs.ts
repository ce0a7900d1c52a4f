/**
 * References that accept an id or a name (`--region 3`, `--region "Москва 1"`, `--report CANCELED_ORDERS`).
 * Digits are an id or a name; when they are the id of one row and the name of another, the reference is refused as
 * ambiguous rather than guessed. `id:3` and `name:3` say which is meant, wherever a reference is taken.
 */
import { NotFoundError, UsageError } from '../core/errors';
import type { Sql, Tx } from '../db/client';

type Q = Sql | Tx;

export type RefTable = 'region' | 'report_type' | 'unit' | 'role' | 'department';

export const REF_NOUNS: Record<RefTable, { one: string; many: string; hint: string; idDigits: number }> = {
  region: { one: 'region', many: 'regions', hint: 'list regions with `urdb regions list`', idDigits: 9 },
  report_type: { one: 'report type', many: 'report types', hint: 'list them with `urdb report-types list --all`', idDigits: 9 },
  unit: { one: 'unit', many: 'units', hint: 'list units with `urdb units list`', idDigits: 9 },
  role: { one: 'role', many: 'roles', hint: 'list roles with `urdb roles list`', idDigits: 9 },
  department: { one: 'department', many: 'departments', hint: 'list departments with `urdb departments list`', idDigits: 5 },
};

/** What a reference may match: an id, a name, or (plain digits) either. */
export interface ParsedRef {
  text: string;
  id: number | null;
  name: string | null;
}

/** `id:3` → id 3 only; `name:3` → the name "3" only; `3` → either; `Казань` → the name. */
export function parseRef(ref: string | number, idDigits = 9, idPrefixes = ['id:']): ParsedRef {
  const text = String(ref).trim();
  const digits = new RegExp(`^\\d{1,${idDigits}}$`);
  const prefix = idPrefixes.find((p) => text.toLowerCase().startsWith(p));
  if (prefix) {
    const id = text.slice(prefix.length).trim();
    if (!digits.test(id)) throw new UsageError(`${JSON.stringify(text)}: after ${prefix} comes a number`, 'e.g. id:3');
    return { text, id: Number(id), name: null };
  }
  if (/^(name|title):/i.test(text)) return { text, id: null, name: text.slice(text.indexOf(':') + 1).trim() };
  if (typeof ref === 'number' || digits.test(text)) return { text, id: Number(text), name: text };
  return { text, id: null, name: text };
}

interface Named {
  id: number;
  name: string;
}

/**
 * The row a parsed reference names among `rows` (the rows whose id or name it matches). Throws when it matches the
 * id of one row and the name of another, or a name several rows share.
 */
export function pickRef<T extends Named>(rows: readonly T[], ref: ParsedRef, table: RefTable, label = 'name'): T | undefined {
  const noun = REF_NOUNS[table];
  const byId = ref.id === null ? undefined : rows.find((r) => r.id === ref.id);
  const byName = ref.name === null ? [] : rows.filter((r) => r.name === ref.name && r !== byId);
  if (byId && byName.length > 0 && byId.name !== ref.name) {
    throw new UsageError(
      `${JSON.stringify(ref.text)} is ambiguous: the id of ${noun.one} ${byId.id} ${JSON.stringify(byId.name)} and the ${label} of ` +
        `${noun.one} ${byName[0]!.id}`,
      `say which: id:${ref.id} or ${label}:${ref.name}`,
    );
  }
  if (byId) return byId;
  if (byName.length > 1) {
    throw new UsageError(`${byName.length} ${noun.many} are named ${JSON.stringify(ref.name)}`, `refer to the ${noun.one} by its id (id:${byName[0]!.id})`);
  }
  return byName[0];
}

/** One reference, resolved: its row, or NotFoundError naming it with where to look. */
async function resolveRef(sql: Q, table: RefTable, ref: string | number): Promise<Named> {
  const noun = REF_NOUNS[table];
  const parsed = parseRef(ref, noun.idDigits);
  const rows = await sql<Named[]>`
    select id, name from ${sql(table)}
    where id = ${parsed.id} or name = ${parsed.name}
    order by id
  `;
  const row = pickRef(rows, parsed, table);
  if (!row) throw new NotFoundError(`${noun.one} ${JSON.stringify(parsed.text)} not found`, noun.hint);
  return row;
}

export const regionRef = (sql: Q, ref: string | number) => resolveRef(sql, 'region', ref);
export const reportTypeRef = (sql: Q, ref: string | number) => resolveRef(sql, 'report_type', ref);
export const unitRef = (sql: Q, ref: string | number) => resolveRef(sql, 'unit', ref);
export const roleRef = (sql: Q, ref: string | number) => resolveRef(sql, 'role', ref);
export const departmentRef = (sql: Q, ref: string | number) => resolveRef(sql, 'department', ref);

/** What a select list offers for a reference: the id (what the prompt returns) and a label for people. */
export interface RefChoice {
  id: number;
  name: string;
  /** Extra text shown greyed after the name (a report type's verbose name, a unit's region…). */
  detail: string | null;
  /** Grouping key (units: their region). */
  group: string | null;
}

/** Every row a reference of this kind may name, in the order people look for them. For prompts. */
export async function refChoices(sql: Q, kind: 'region' | 'department' | 'report_type' | 'role' | 'unit'): Promise<RefChoice[]> {
  switch (kind) {
    case 'region':
      return sql<RefChoice[]>`select id, name, null as detail, null as "group" from region order by name, id`;
    case 'department':
      return sql<RefChoice[]>`select id, name, null as detail, null as "group" from department order by name, id`;
    case 'report_type':
      return sql<RefChoice[]>`
        select id, name, verbose_name || case when is_active then '' else ' (inactive)' end as detail, null as "group"
        from report_type order by priority desc, id
      `;
    case 'role':
      return sql<RefChoice[]>`select id, name, null as detail, null as "group" from role order by name, id`;
    case 'unit':
      return sql<RefChoice[]>`
        select u.id, u.name, null as detail, r.name as "group"
        from unit u join region r on r.id = u.region_id
        order by r.name, u.name, u.id
      `;
  }
}
