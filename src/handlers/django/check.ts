/**
 * The consistency check that ends an import, in its transaction: every source row was read (the source's own count)
 * and has an identical row in urdb (duplicates of link rows once), the source's roles hold exactly the source's
 * grants, and a random sample of routes joined on the source side (report type name, unit id, Telegram chat id) is
 * found joined the same way in urdb. Any mismatch rolls back.
 */
import type postgres from 'postgres';
import type { Tx } from '../../db/client';
import { DjangoImportError, listOf } from './adapt';
import { SECTIONS, type Layout, type Read, type Section } from './source';

export interface TableCheck {
  /** Rows in the source table. */
  source: number;
  /** Source rows (duplicate link rows once) found identical in urdb. */
  matched: number;
  /** Rows in urdb's table, the ones the source does not have included. */
  urdb: number;
}

export interface CheckResult {
  tables: Record<Section, TableCheck>;
  sampled_routes: number;
}

export const SAMPLE = 1000;

type Fragment = ReturnType<Tx>;

export async function checkImport(
  s: postgres.TransactionSql<{}>,
  read: Read,
  tx: Tx,
  layout: Layout,
  sourceCounts: Record<Section, number>,
  received: Record<Section, number>,
  warnings: string[],
): Promise<CheckResult> {
  const l = layout;
  const matchedBy: Record<Section, [from: Fragment, urdb: Fragment]> = {
    regions: [tx`django_region s join region r on r.id = s.id and r.name = s.name`, tx`region`],
    departments: [tx`django_department s join department d on (d.id, d.name, d.uuid) = (s.id, s.name, s.uuid)`, tx`department`],
    units: [
      tx`django_unit s join unit u on (u.id, u.name, u.uuid, u.region_id) = (s.id, s.name, s.uuid, s.region_id)
         and (not ${l.unitAccountNames}::boolean
              or (u.office_manager_account_name, u.dodo_is_api_account_name) = (s.office_manager_account_name, s.dodo_is_api_account_name))
         and (not ${l.unitShiftManager}::boolean or u.shift_manager_account_name = s.shift_manager_account_name)
         and (not ${l.unitDepartment}::boolean or u.department_id is not distinct from s.department_id)`,
      tx`unit`,
    ],
    report_types: [
      tx`django_report_type s join report_type t
         on (t.id, t.name, t.verbose_name, t.is_active) = (s.id, s.name, s.verbose_name, s.is_active)
         and t.parent_id is not distinct from s.parent_id
         and (not ${l.reportTypePriority}::boolean or t.priority = s.priority)`,
      tx`report_type`,
    ],
    roles: [tx`django_role s join role r on (r.id, r.name, r.access_code_sha256::text) = (s.id, s.name, s.access_code_sha256)`, tx`role`],
    role_units: [
      tx`django_role_unit s where exists (select 1 from role_unit g where (g.role_id, g.unit_id) = (s.role_id, s.unit_id))`,
      tx`role_unit`,
    ],
    role_report_types: [
      tx`django_role_report_type s
         where exists (select 1 from role_report_type g where (g.role_id, g.report_type_id) = (s.role_id, s.report_type_id))`,
      tx`role_report_type`,
    ],
    telegram_chats: [
      tx`django_chat s join telegram_chat c on (c.id, c.chat_id, c.type, c.title) = (s.id, s.chat_id, s.type, s.title)
         and c.username is not distinct from s.username
         and (not ${l.present.has('roles')}::boolean or c.role_id is not distinct from s.role_id)
         and (not ${l.chatCreatedAt}::boolean or c.created_at = s.created_at)`,
      tx`telegram_chat`,
    ],
    report_routes: [
      tx`django_route s where exists (
           select 1 from report_route r
           where (r.unit_id, r.report_type_id, r.telegram_chat_id) = (s.unit_id, s.report_type_id, s.telegram_chat_id))`,
      tx`report_route`,
    ],
    account_roles: [tx`django_account_role s join account_role a on (a.id, a.name) = (s.id, s.name)`, tx`account_role`],
  };
  const stageOf: Record<Section, Fragment> = {
    regions: tx`django_region`,
    departments: tx`django_department`,
    units: tx`django_unit`,
    report_types: tx`django_report_type`,
    roles: tx`django_role`,
    role_units: tx`django_role_unit`,
    role_report_types: tx`django_role_report_type`,
    telegram_chats: tx`django_chat`,
    report_routes: tx`django_route`,
    account_roles: tx`django_account_role`,
  };

  const problems: string[] = [];
  const tables = {} as Record<Section, TableCheck>;
  for (const section of SECTIONS) {
    const [from, urdb] = matchedBy[section];
    const [row] = await tx<{ staged: number; matched: number; urdb: number }[]>`
      select (select count(*) from ${stageOf[section]})::int as staged,
             (select count(*) from ${from})::int as matched,
             (select count(*) from ${urdb})::int as urdb
    `;
    const c = row!;
    tables[section] = { source: sourceCounts[section], matched: c.matched, urdb: c.urdb };
    const label = section.replace(/_/g, ' ');
    if (received[section] !== sourceCounts[section]) problems.push(`${label}: the source has ${sourceCounts[section]} ${sourceCounts[section] === 1 ? 'row' : 'rows'}, ${received[section]} ${received[section] === 1 ? 'was' : 'were'} read`);
    else if (c.matched !== c.staged) problems.push(`${label}: ${c.staged - c.matched} of ${c.staged} source rows are not in urdb as they are in the source`);
  }
  for (const [section, extra] of [
    ['role_units', tx`role_unit g where g.role_id in (select id from django_role)`],
    ['role_report_types', tx`role_report_type g where g.role_id in (select id from django_role)`],
  ] as const) {
    const [row] = await tx<{ n: number }[]>`select count(*)::int as n from ${extra}`;
    if (row!.n !== tables[section].matched) problems.push(`${section.replace(/_/g, ' ')}: urdb's roles hold grants the source's do not`);
  }

  const sampled = await sampleRoutes(s, read, tx, layout);
  if (sampled.missing.length) {
    problems.push(`report routes: ${sampled.missing.length} of ${sampled.n} sampled source routes are not in urdb: ${listOf(sampled.missing)}`);
  }
  if (problems.length) throw new DjangoImportError('failed', 'the consistency check failed; nothing was imported', problems);

  const extra = SECTIONS.filter((x) => tables[x].urdb > tables[x].matched && layout.present.has(x)).map(
    (x) => `${tables[x].urdb - tables[x].matched} ${x.replace(/_/g, ' ')}`,
  );
  if (extra.length) {
    // Report types show in the API's lists, so name them.
    const types = await tx<{ name: string }[]>`
      select name from report_type t where not exists (select 1 from django_report_type s where s.id = t.id) order by id
    `;
    const named = types.length ? ` (report types ${listOf(types.map((t) => t.name))})` : '';
    warnings.push(`urdb keeps rows the source does not have (not deleted): ${extra.join(', ')}${named}`);
  }
  return { tables, sampled_routes: sampled.n };
}

/** Routes picked at random in the source, joined there, and looked up by the same joined values in urdb. */
async function sampleRoutes(s: postgres.TransactionSql<{}>, read: Read, tx: Tx, layout: Layout) {
  const source = (table: string) => s`${s(layout.schema)}.${s(table)}`;
  const [picked] = await read(s<{ n: number; rows: string }[]>`
    select count(*)::int as n, coalesce(json_agg(x), '[]')::text as rows
    from (
      select ${layout.reportTypeAlias ? s`t.alias` : s`t.name`} as report_type, r.unit_id, c.chat_id
      from (select * from ${source('reports_reportroute')} order by random() limit ${SAMPLE}) r
      join ${source('reports_reporttype')} t on t.id = r.report_type_id
      join ${source('telegram_telegramchat')} c on c.id = r.telegram_chat_id
    ) x
  `);
  const missing = await tx<{ route: string }[]>`
    select format('%s unit %s -> chat %s', x.report_type, x.unit_id, x.chat_id) as route
    from jsonb_to_recordset(${picked!.rows}::text::jsonb) as x(report_type text, unit_id bigint, chat_id bigint)
    where not exists (
      select 1 from report_route r
      join report_type t on t.id = r.report_type_id
      join telegram_chat c on c.id = r.telegram_chat_id
      where t.name = x.report_type and r.unit_id = x.unit_id and c.chat_id = x.chat_id
    )
  `;
  return { n: picked!.n, missing: missing.map((m) => m.route) };
}
