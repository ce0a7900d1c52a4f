/**
 * What must hold of a urdb database whatever was sent to it: `checkConsistency` lists every violated invariant (an
 * empty list is a consistent database), `fingerprint` is a cheap comparable digest of every data table ("nothing
 * changed" is `expect(await fingerprint(sql)).toEqual(before)`).
 */
import type { Sql } from '../../src/db/client';

/** Every table that holds urdb's data (not its journals: audit_log, access_code_attempt). */
export const DATA_TABLES = [
  'region',
  'department',
  'unit',
  'report_type',
  'role',
  'role_unit',
  'role_report_type',
  'telegram_chat',
  'report_route',
  'account_role',
] as const;

export interface Fingerprint {
  /** md5 of each data table's rows in a canonical order. */
  tables: Record<string, string>;
  access_code_attempts: number;
  audit_rows: number;
}

export async function fingerprint(sql: Sql): Promise<Fingerprint> {
  const columns = DATA_TABLES.map(
    (t) => `(select md5(coalesce(string_agg(x::text, '|' order by x::text), '')) from ${t} x) as ${t}`,
  ).join(', ');
  const [row] = await sql.unsafe<Record<string, string>[]>(
    `select ${columns},
       (select count(*)::int from access_code_attempt) as access_code_attempts,
       (select count(*)::int from audit_log) as audit_rows`,
  );
  const { access_code_attempts, audit_rows, ...tables } = row as Record<string, unknown>;
  return { tables: tables as Record<string, string>, access_code_attempts: access_code_attempts as number, audit_rows: audit_rows as number };
}

/** One query per invariant: each returns the offending rows, described. */
const CHECKS: [invariant: string, query: string][] = [
  [
    'a route points at a missing unit, report type or chat',
    `select r.unit_id, r.report_type_id, r.telegram_chat_id from report_route r
     left join unit u on u.id = r.unit_id left join report_type t on t.id = r.report_type_id
     left join telegram_chat c on c.id = r.telegram_chat_id
     where u.id is null or t.id is null or c.id is null`,
  ],
  [
    'a route exists twice',
    `select unit_id, report_type_id, telegram_chat_id, count(*) from report_route group by 1, 2, 3 having count(*) > 1`,
  ],
  [
    'a role grant points at a missing role, unit or report type',
    `select 'unit' as kind, g.role_id, g.unit_id as target from role_unit g
       left join role r on r.id = g.role_id left join unit u on u.id = g.unit_id where r.id is null or u.id is null
     union all
     select 'report_type', g.role_id, g.report_type_id from role_report_type g
       left join role r on r.id = g.role_id left join report_type t on t.id = g.report_type_id where r.id is null or t.id is null`,
  ],
  [
    'a chat has a missing role, an id beyond 2^53, an unknown type or a blank or untrimmed title',
    `select c.chat_id, c.type, c.title, c.role_id from telegram_chat c left join role r on r.id = c.role_id
     where (c.role_id is not null and r.id is null)
        or abs(c.chat_id) > 9007199254740991
        or c.type not in ('PRIVATE', 'GROUP')
        or btrim(c.title, E' \\t\\n\\r\\f\\v') = '' or c.title <> btrim(c.title, E' \\t\\n\\r\\f\\v')`,
  ],
  [
    'a unit has a missing region or department, or a blank or untrimmed name',
    `select u.id, u.name from unit u left join region g on g.id = u.region_id left join department d on d.id = u.department_id
     where g.id is null or (u.department_id is not null and d.id is null)
        or btrim(u.name, E' \\t\\n\\r\\f\\v') = '' or u.name <> btrim(u.name, E' \\t\\n\\r\\f\\v')`,
  ],
  [
    'a region, report type or role has a blank or untrimmed name',
    `select 'region' as kind, name from region where btrim(name, E' \\t\\n\\r\\f\\v') = '' or name <> btrim(name, E' \\t\\n\\r\\f\\v')
     union all select 'report_type', name from report_type where btrim(name, E' \\t\\n\\r\\f\\v') = '' or name <> btrim(name, E' \\t\\n\\r\\f\\v')
     union all select 'role', name from role where btrim(name, E' \\t\\n\\r\\f\\v') = '' or name <> btrim(name, E' \\t\\n\\r\\f\\v')`,
  ],
  [
    'a report type is its own ancestor, or its parent is missing',
    `with recursive up (id, ancestor, depth) as (
       select id, parent_id, 1 from report_type where parent_id is not null
       union all
       select up.id, t.parent_id, up.depth + 1 from up join report_type t on t.id = up.ancestor
       where t.parent_id is not null and up.depth < 100
     )
     select id from up where ancestor = id
     union select t.id from report_type t left join report_type p on p.id = t.parent_id where t.parent_id is not null and p.id is null`,
  ],
  [
    'an access code digest is not 64 hex digits, or two roles share one',
    `select id from role where access_code_sha256 !~ '^[0-9a-f]{64}$'
     union all select min(id) from role group by access_code_sha256 having count(*) > 1`,
  ],
  [
    'the audit log holds an access code digest',
    `select id from audit_log where before ? 'access_code_sha256' or after ? 'access_code_sha256'`,
  ],
];

/** Identity columns whose sequence would hand out an id that is already taken (the next insert would fail). */
const IDENTITY_TABLES = ['region', 'report_type', 'role', 'telegram_chat'] as const;

export async function checkConsistency(sql: Sql): Promise<string[]> {
  const problems: string[] = [];
  for (const [invariant, query] of CHECKS) {
    const rows = await sql.unsafe(query);
    if (rows.length) problems.push(`${invariant}: ${JSON.stringify(rows.slice(0, 5))}${rows.length > 5 ? ` and ${rows.length - 5} more` : ''}`);
  }
  for (const table of IDENTITY_TABLES) {
    const [seq] = await sql<{ name: string }[]>`select pg_get_serial_sequence(${table}, 'id') as name`;
    const [state] = await sql.unsafe<{ last_value: string; is_called: boolean }[]>(`select last_value, is_called from ${seq!.name}`);
    const [max] = await sql.unsafe<{ m: number | null }[]>(`select max(id)::int as m from ${table}`);
    const next = Number(state!.last_value) + (state!.is_called ? 1 : 0);
    if (max!.m !== null && next <= max!.m) problems.push(`${table}: the next generated id ${next} is already taken (max id ${max!.m})`);
  }
  return problems;
}
