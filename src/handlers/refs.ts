/**
 * References that accept an id or a name (`--region 3`, `--region "Москва 1"`, `--report CANCELED_ORDERS`).
 * A number matches an id first, then a name.
 */
import { NotFoundError, UsageError } from '../core/errors';
import type { Sql, Tx } from '../db/client';

type Q = Sql | Tx;

const isId = (ref: string | number) => typeof ref === 'number' || /^\d{1,9}$/.test(ref.trim());

export async function regionRef(sql: Q, ref: string | number): Promise<{ id: number; name: string }> {
  const text = String(ref).trim();
  const rows = isId(ref)
    ? await sql<{ id: number; name: string }[]>`
        select id, name from region where id = ${Number(text)} or name = ${text} order by (id = ${Number(text)}) desc limit 1
      `
    : await sql<{ id: number; name: string }[]>`select id, name from region where name = ${text}`;
  if (!rows[0]) throw new NotFoundError(`region ${JSON.stringify(text)} not found`, 'list regions with `urdb regions list`');
  return rows[0];
}

export async function reportTypeRef(sql: Q, ref: string | number): Promise<{ id: number; name: string }> {
  const text = String(ref).trim();
  const rows = isId(ref)
    ? await sql<{ id: number; name: string }[]>`
        select id, name from report_type where id = ${Number(text)} or name = ${text}
        order by (id = ${Number(text)}) desc limit 1
      `
    : await sql<{ id: number; name: string }[]>`select id, name from report_type where name = ${text}`;
  if (!rows[0]) {
    throw new NotFoundError(`report type ${JSON.stringify(text)} not found`, 'list them with `urdb report-types list --all`');
  }
  return rows[0];
}

export async function unitRef(sql: Q, ref: string | number): Promise<{ id: number; name: string }> {
  const text = String(ref).trim();
  const rows = isId(ref)
    ? await sql<{ id: number; name: string }[]>`
        select id, name from unit where id = ${Number(text)} or name = ${text} order by (id = ${Number(text)}) desc limit 1
      `
    : await sql<{ id: number; name: string }[]>`select id, name from unit where name = ${text}`;
  if (!rows[0]) throw new NotFoundError(`unit ${JSON.stringify(text)} not found`, 'list units with `urdb units list`');
  return rows[0];
}

export async function roleRef(sql: Q, ref: string | number): Promise<{ id: number; name: string }> {
  const text = String(ref).trim();
  const rows = isId(ref)
    ? await sql<{ id: number; name: string }[]>`
        select id, name from role where id = ${Number(text)} or name = ${text} order by (id = ${Number(text)}) desc, id limit 2
      `
    : await sql<{ id: number; name: string }[]>`select id, name from role where name = ${text} order by id limit 2`;
  if (!rows[0]) throw new NotFoundError(`role ${JSON.stringify(text)} not found`, 'list roles with `urdb roles list`');
  if (rows.length > 1 && rows[0].name === text && rows[1]!.name === text && !isId(ref)) {
    throw new UsageError(`${rows.length} roles are named ${JSON.stringify(text)}`, 'refer to the role by its id');
  }
  return rows[0];
}

export async function departmentRef(sql: Q, ref: string | number): Promise<{ id: number; name: string }> {
  const text = String(ref).trim();
  const rows = /^\d{1,5}$/.test(text)
    ? await sql<{ id: number; name: string }[]>`
        select id, name from department where id = ${Number(text)} or name = ${text} order by (id = ${Number(text)}) desc limit 1
      `
    : await sql<{ id: number; name: string }[]>`select id, name from department where name = ${text}`;
  if (!rows[0]) throw new NotFoundError(`department ${JSON.stringify(text)} not found`, 'list departments with `urdb departments list`');
  return rows[0];
}

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
