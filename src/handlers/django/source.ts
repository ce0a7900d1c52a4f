/**
 * The old Django service's tables in one schema of any PostgreSQL database: which tables and columns this generation
 * of its schema has, and reading them (in one snapshot) into temporary staging tables of urdb's transaction.
 *
 * Rows travel as JSON text, never parsed in between; access codes are digested by the source server, so the plain
 * text never leaves it.
 */
import type postgres from 'postgres';
import { MIN_CHOSEN_CODE } from '../../core/access-code';
import { COMMON_ACCESS_CODES } from '../../core/common-access-codes';
import { UnavailableError, UrdbError, UsageError } from '../../core/errors';
import { classifyDbError, isConnectionError, type Tx } from '../../db/client';

export type Section =
  | 'regions'
  | 'departments'
  | 'units'
  | 'report_types'
  | 'roles'
  | 'role_units'
  | 'role_report_types'
  | 'telegram_chats'
  | 'report_routes'
  | 'account_roles';

interface TableSpec {
  section: Section;
  /** The Django table: `<app>_<model>`, M2M tables `<app>_<model>_<field>`. */
  source: string;
  required: boolean;
  /** Staging table in urdb's transaction, and its columns (wide types, so that bad values arrive and get reported). */
  stage: string;
  columns: string;
}

export const TABLES: readonly TableSpec[] = [
  { section: 'regions', source: 'units_region', required: true, stage: 'django_region', columns: 'id bigint, name text' },
  { section: 'departments', source: 'units_department', required: false, stage: 'django_department', columns: 'id bigint, name text, uuid uuid' },
  {
    section: 'units',
    source: 'units_unit',
    required: true,
    stage: 'django_unit',
    columns:
      'id bigint, name text, uuid uuid, office_manager_account_name text, dodo_is_api_account_name text, ' +
      'shift_manager_account_name text, region_id bigint, department_id bigint',
  },
  {
    section: 'report_types',
    source: 'reports_reporttype',
    required: true,
    stage: 'django_report_type',
    columns: 'id bigint, name text, verbose_name text, is_active boolean, parent_id bigint, priority integer',
  },
  { section: 'roles', source: 'user_roles_userrole', required: false, stage: 'django_role', columns: 'id bigint, name text, access_code_sha256 text, weak_code boolean' },
  { section: 'role_units', source: 'user_roles_userrole_units', required: false, stage: 'django_role_unit', columns: 'id bigint, role_id bigint, unit_id bigint' },
  {
    section: 'role_report_types',
    source: 'user_roles_userrole_report_types',
    required: false,
    stage: 'django_role_report_type',
    columns: 'id bigint, role_id bigint, report_type_id bigint',
  },
  {
    section: 'telegram_chats',
    source: 'telegram_telegramchat',
    required: true,
    stage: 'django_chat',
    columns: 'id bigint, chat_id bigint, type text, title text, username text, role_id bigint, created_at timestamptz',
  },
  {
    section: 'report_routes',
    source: 'reports_reportroute',
    required: true,
    stage: 'django_route',
    columns: 'id bigint, report_type_id bigint, unit_id bigint, telegram_chat_id bigint',
  },
  { section: 'account_roles', source: 'accounts_accountrole', required: false, stage: 'django_account_role', columns: 'id bigint, name text' },
];

export const SECTIONS: readonly Section[] = TABLES.map((t) => t.section);

/** What this generation of the Django schema has. */
export interface Layout {
  schema: string;
  present: Set<Section>;
  /** reports_reporttype between its migrations 0004 and 0007 called the code `alias` and the display text `name`. */
  reportTypeAlias: boolean;
  reportTypePriority: boolean;
  unitAccountNames: boolean;
  unitShiftManager: boolean;
  unitDepartment: boolean;
  chatCreatedAt: boolean;
}

const REQUIRED_COLUMNS: Partial<Record<Section, string[]>> = {
  regions: ['id', 'name'],
  departments: ['id', 'name', 'uuid'],
  units: ['id', 'name', 'uuid', 'region_id'],
  report_types: ['id', 'is_active', 'parent_id'],
  roles: ['id', 'name', 'access_code'],
  role_units: ['id', 'userrole_id', 'unit_id'],
  role_report_types: ['id', 'userrole_id', 'reporttype_id'],
  telegram_chats: ['id', 'chat_id', 'type', 'title', 'username', 'role_id'],
  report_routes: ['id', 'report_type_id', 'unit_id', 'telegram_chat_id'],
  account_roles: ['id', 'name'],
};

/** Awaits a query on the source, so that its failures say they are about the source. */
export type Read = <T>(query: PromiseLike<T>) => Promise<T>;

/** A source failure as an error about the source: exit 3 naming its host:port when unreachable, never the password. */
export function sourceError(err: unknown, endpoint: string): unknown {
  if (err instanceof UrdbError) return err;
  if (isConnectionError(err)) {
    const e = classifyDbError(err, endpoint) as Error;
    return new UnavailableError(`source: ${e.message}`, { hint: 'check the --from URL (a password is better kept in PGPASSWORD)', cause: err });
  }
  const pg = err as { severity?: string; message?: string; code?: string } | null;
  if (pg?.severity) return new UrdbError('failed', `source database: ${pg.message} (SQLSTATE ${pg.code})`, { cause: err });
  return err;
}

export function sourceReader(endpoint: string): Read {
  return async (query) => {
    try {
      return await query;
    } catch (err) {
      throw sourceError(err, endpoint);
    }
  };
}

export async function detectLayout(s: postgres.TransactionSql<{}>, read: Read, schema: string): Promise<Layout> {
  const rows = await read(s<{ table_name: string; column_name: string }[]>`
    select table_name::text, column_name::text
    from information_schema.columns
    where table_schema = ${schema} and table_name in ${s(TABLES.map((t) => t.source))}
  `);
  const columns = new Map<string, Set<string>>();
  for (const r of rows) columns.set(r.table_name, (columns.get(r.table_name) ?? new Set()).add(r.column_name));
  if (columns.size === 0) {
    throw new UsageError(
      `the source has no tables of the Django service in schema "${schema}" (looked for ${TABLES.map((t) => t.source).join(', ')})`,
      'check --from and --source-schema',
    );
  }
  const present = new Set<Section>();
  for (const t of TABLES) {
    const cols = columns.get(t.source);
    if (!cols) {
      if (t.required) throw new UsageError(`the source schema "${schema}" has no table ${t.source}`, 'check --from and --source-schema');
      continue;
    }
    const missing = (REQUIRED_COLUMNS[t.section] ?? []).filter((c) => !cols.has(c));
    if (missing.length) {
      throw new UsageError(`the source table ${schema}.${t.source} has no column ${missing.join(', ')}: not a schema of the Django service urdb knows`);
    }
    present.add(t.section);
  }
  // Grants belong to roles: without the roles table they cannot be read.
  if (!present.has('roles')) {
    present.delete('role_units');
    present.delete('role_report_types');
  }
  const has = (table: string, column: string) => columns.get(table)?.has(column) ?? false;
  const reportTypeAlias = has('reports_reporttype', 'alias') && !has('reports_reporttype', 'verbose_name');
  if (!has('reports_reporttype', reportTypeAlias ? 'alias' : 'name') || !has('reports_reporttype', reportTypeAlias ? 'name' : 'verbose_name')) {
    throw new UsageError(`the source table ${schema}.reports_reporttype has neither (name, verbose_name) nor (alias, name)`);
  }
  return {
    schema,
    present,
    reportTypeAlias,
    reportTypePriority: has('reports_reporttype', 'priority'),
    unitAccountNames: has('units_unit', 'office_manager_account_name') && has('units_unit', 'dodo_is_api_account_name'),
    unitShiftManager: has('units_unit', 'shift_manager_account_name'),
    unitDepartment: has('units_unit', 'department_id') && present.has('departments'),
    chatCreatedAt: has('telegram_telegramchat', 'created_at'),
  };
}

const COMMON_LOWER = COMMON_ACCESS_CODES.map((c) => c.toLowerCase());

type Fragment = postgres.PendingQuery<postgres.Row[]>;

/** The select list of each Django table, in the staging table's column names. */
function selectList(s: postgres.TransactionSql<{}>, section: Section, l: Layout): Fragment {
  const nullText = s`null::text`;
  switch (section) {
    case 'regions':
      return s`id, name`;
    case 'departments':
      return s`id, name, uuid`;
    case 'units':
      return s`
        id, name, uuid,
        ${l.unitAccountNames ? s`office_manager_account_name` : nullText} as office_manager_account_name,
        ${l.unitAccountNames ? s`dodo_is_api_account_name` : nullText} as dodo_is_api_account_name,
        ${l.unitShiftManager ? s`shift_manager_account_name` : nullText} as shift_manager_account_name,
        region_id,
        ${l.unitDepartment ? s`department_id` : s`null::bigint`} as department_id`;
    case 'report_types':
      return l.reportTypeAlias
        ? s`id, alias as name, name as verbose_name, is_active, parent_id, ${l.reportTypePriority ? s`priority` : s`null::int`} as priority`
        : s`id, name, verbose_name, is_active, parent_id, ${l.reportTypePriority ? s`priority` : s`null::int`} as priority`;
    case 'roles':
      // Weakness is judged where the plain code is (as for a chosen code: core/access-code.ts).
      return s`
        id, name, encode(sha256(convert_to(access_code, 'UTF8')), 'hex') as access_code_sha256,
        coalesce(char_length(access_code) < ${MIN_CHOSEN_CODE}
          or lower(access_code) = any(array(select jsonb_array_elements_text(${s.json(COMMON_LOWER)}))), false) as weak_code`;
    case 'role_units':
      return s`id, userrole_id as role_id, unit_id`;
    case 'role_report_types':
      return s`id, userrole_id as role_id, reporttype_id as report_type_id`;
    case 'telegram_chats':
      return s`
        id, chat_id,
        case type when 1 then 'PRIVATE' when 2 then 'GROUP' else coalesce(type::text, 'NULL') end as type,
        title, username, role_id,
        ${l.chatCreatedAt ? s`created_at` : s`null::timestamptz`} as created_at`;
    case 'report_routes':
      return s`id, report_type_id, unit_id, telegram_chat_id`;
    case 'account_roles':
      return s`id, name`;
  }
}

export const BATCH = 25_000;

export interface RouteBatch {
  /** The largest source id in the batch (text: a bigint). */
  last: string;
  rows: number;
}

/** Row counts of the present Django tables, in the source's snapshot. */
export async function sourceCounts(s: postgres.TransactionSql<{}>, read: Read, layout: Layout): Promise<Record<Section, number>> {
  const counts = Object.fromEntries(SECTIONS.map((x) => [x, 0])) as Record<Section, number>;
  for (const t of TABLES) {
    if (!layout.present.has(t.section)) continue;
    const [row] = await read(s<{ n: number }[]>`select count(*)::int as n from ${s(layout.schema)}.${s(t.source)}`);
    counts[t.section] = row!.n;
  }
  return counts;
}

/**
 * Copies every present Django table into its staging table (created empty for absent tables), in batches by id;
 * `onRows` is told after each batch. Returns the rows received per table, and the routes' batches (the largest id
 * and the row count of each), in which they are written too.
 */
export async function stageSource(
  s: postgres.TransactionSql<{}>,
  read: Read,
  tx: Tx,
  layout: Layout,
  onRows: (section: Section, rows: number) => void,
): Promise<{ received: Record<Section, number>; routeBatches: RouteBatch[] }> {
  const received = Object.fromEntries(SECTIONS.map((x) => [x, 0])) as Record<Section, number>;
  const routeBatches: RouteBatch[] = [];
  for (const t of TABLES) {
    // Constant names from TABLES (postgres.js would read an identifier after `insert` as a row to insert).
    await tx.unsafe(`create temporary table ${t.stage} (${t.columns}, primary key (id)) on commit drop`);
    if (!layout.present.has(t.section)) continue;
    const fetch = (after: string | null) =>
      read(s<{ n: number; last: string | null; rows: string }[]>`
        select count(*)::int as n, max(id)::text as last, coalesce(json_agg(b), '[]')::text as rows
        from (
          select ${selectList(s, t.section, layout)}
          from ${s(layout.schema)}.${s(t.source)}
          where ${after === null ? s`true` : s`id > ${after}::bigint`}
          order by id
          limit ${BATCH}
        ) b
      `).then((rows) => rows[0]!);
    // The next batch is read from the source while this one is written.
    for (let batch = await fetch(null); batch.n > 0; ) {
      const next = batch.n < BATCH ? null : fetch(batch.last);
      await tx.unsafe(`insert into ${t.stage} select * from json_to_recordset($1::text::json) as b(${t.columns})`, [batch.rows]);
      received[t.section] += batch.n;
      if (t.section === 'report_routes') routeBatches.push({ last: batch.last!, rows: batch.n });
      onRows(t.section, batch.n);
      if (!next) break;
      batch = await next;
    }
    // Temporary tables have no statistics until analysed; without them, joins over 200,000 routes plan badly.
    await tx.unsafe(`analyze ${t.stage}`);
  }
  return { received, routeBatches };
}
