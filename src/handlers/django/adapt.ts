/**
 * What the staged Django rows need before they can be written: problems that stop the import (values urdb cannot
 * hold, references to rows that do not exist), and adaptations that are made and reported as warnings.
 */
import { UrdbError } from '../../core/errors';
import type { Tx } from '../../db/client';
import type { Layout } from './source';

/** Source rows urdb cannot take, or urdb rows in the way: every one listed, nothing written. */
export class DjangoImportError extends UrdbError {
  readonly problems: string[];
  constructor(kind: 'invalid' | 'conflict' | 'failed', message: string, problems: string[]) {
    super(kind, message, { extra: { problems } });
    this.problems = problems;
  }
}

const SHOWN = 10;

/** `1, 2, 3 and 4 more` */
export function listOf(items: readonly (string | number)[], total = items.length): string {
  const shown = items.slice(0, SHOWN).join(', ');
  return total > SHOWN ? `${shown} and ${total - SHOWN} more` : shown;
}

type Fragment = ReturnType<Tx>;

/** How many rows `from` has, and the first few of them as `example` texts. */
async function sample(tx: Tx, from: Fragment, example: Fragment): Promise<{ n: number; examples: string[] }> {
  const rows = await tx<{ n: number; example: string }[]>`
    select count(*) over ()::int as n, ${example} as example from ${from} limit ${SHOWN}
  `;
  return { n: rows[0]?.n ?? 0, examples: rows.map((r) => r.example) };
}

export async function findProblems(tx: Tx): Promise<string[]> {
  const problems: string[] = [];
  const check = async (what: (f: { n: number; examples: string[] }) => string, from: Fragment, example: Fragment) => {
    const f = await sample(tx, from, example);
    if (f.n) problems.push(what(f));
  };
  const INT4 = tx`-2147483648 and 2147483647`;
  for (const [stage, table] of [
    ['django_region', 'units_region'],
    ['django_unit', 'units_unit'],
    ['django_report_type', 'reports_reporttype'],
    ['django_role', 'user_roles_userrole'],
    ['django_chat', 'telegram_telegramchat'],
    ['django_account_role', 'accounts_accountrole'],
  ] as const) {
    await check(
      (f) => `${table}: id ${listOf(f.examples, f.n)} out of urdb's integer range`,
      tx`${tx(stage)} where id not between ${INT4}`,
      tx`id::text`,
    );
  }
  await check(
    (f) => `units_department: id ${listOf(f.examples, f.n)} out of range (1..32767)`,
    tx`django_department where id not between 1 and 32767`,
    tx`id::text`,
  );
  await check(
    (f) => `telegram_telegramchat: type must be 1 (PRIVATE) or 2 (GROUP): ${listOf(f.examples, f.n)}`,
    tx`django_chat where type not in ('PRIVATE', 'GROUP')`,
    tx`format('chat %s has %s', chat_id, type)`,
  );
  await check(
    (f) => `telegram_telegramchat: chat_id ${listOf(f.examples, f.n)} beyond ±(2^53 - 1)`,
    tx`django_chat where chat_id not between -9007199254740991 and 9007199254740991`,
    tx`chat_id::text`,
  );
  await check(
    (f) => `units_unit: region missing for unit ${listOf(f.examples, f.n)}`,
    tx`django_unit u where not exists (select 1 from django_region r where r.id = u.region_id)`,
    tx`format('%s (region_id %s)', u.id, coalesce(u.region_id::text, 'NULL'))`,
  );
  const refs = [
    ['reports_reportroute', 'django_route', 'report_type_id', 'django_report_type'],
    ['reports_reportroute', 'django_route', 'unit_id', 'django_unit'],
    ['reports_reportroute', 'django_route', 'telegram_chat_id', 'django_chat'],
    ['user_roles_userrole_units', 'django_role_unit', 'role_id', 'django_role'],
    ['user_roles_userrole_units', 'django_role_unit', 'unit_id', 'django_unit'],
    ['user_roles_userrole_report_types', 'django_role_report_type', 'role_id', 'django_role'],
    ['user_roles_userrole_report_types', 'django_role_report_type', 'report_type_id', 'django_report_type'],
  ] as const;
  for (const [table, stage, column, target] of refs) {
    await check(
      (f) => `${table}: ${column} ${listOf(f.examples, f.n)} refer${f.n === 1 ? 's' : ''} to no row`,
      tx`(select distinct ${tx(column)} as ref from ${tx(stage)} x
          where not exists (select 1 from ${tx(target)} t where t.id = x.${tx(column)})) m`,
      tx`coalesce(ref::text, 'NULL')`,
    );
  }
  return problems;
}

/**
 * Unit and department ids are Dodo IS ids: a urdb row under another id holding a source row's name or uuid is a
 * different pizzeria or department by id, so urdb cannot tell which is right.
 */
export async function findConflicts(tx: Tx): Promise<string[]> {
  const rows = await tx<{ problem: string }[]>`
    select format('units: urdb unit %s has the %s of the source''s unit %s (%s)', u.id, c.col, s.id, c.val) as problem
    from unit u
    join django_unit s on s.id <> u.id
    cross join lateral (values ('name', u.name::text, u.name = s.name), ('uuid', u.uuid::text, u.uuid = s.uuid)) c(col, val, same)
    where c.same and not exists (select 1 from django_unit x where x.id = u.id)
    union all
    select format('departments: urdb department %s has the %s of the source''s department %s (%s)', d.id, c.col, s.id, c.val)
    from department d
    join django_department s on s.id <> d.id
    cross join lateral (values ('name', d.name::text, d.name = s.name), ('uuid', d.uuid::text, d.uuid = s.uuid)) c(col, val, same)
    where c.same and not exists (select 1 from django_department x where x.id = d.id)
    order by 1
  `;
  return rows.map((r) => r.problem);
}

/** Makes the staged rows fit urdb's model, saying what was changed. */
export async function adapt(tx: Tx, layout: Layout): Promise<string[]> {
  const warnings: string[] = [];
  const absent = (['departments', 'roles', 'account_roles'] as const).filter((s) => !layout.present.has(s));
  const names = { departments: 'units_department', roles: 'user_roles_userrole (and its grants)', account_roles: 'accounts_accountrole' };
  if (absent.length) warnings.push(`the source has no ${absent.map((s) => names[s]).join(', ')}: urdb's are left as they are`);
  const older = [
    !layout.unitAccountNames && 'units_unit.office_manager_account_name and dodo_is_api_account_name',
    !layout.unitShiftManager && 'units_unit.shift_manager_account_name',
    !layout.unitDepartment && layout.present.has('departments') && 'units_unit.department_id',
    !layout.reportTypePriority && 'reports_reporttype.priority',
    !layout.chatCreatedAt && 'telegram_telegramchat.created_at',
  ].filter((x): x is string => Boolean(x));
  if (older.length) warnings.push(`an older schema without ${older.join(', ')}: urdb keeps its own values there`);
  if (layout.reportTypeAlias) warnings.push('reports_reporttype names its code "alias" and its display text "name" (an older schema): read as name and verbose_name');

  const nullNames = await tx`
    update django_unit set
      office_manager_account_name = coalesce(office_manager_account_name, ''),
      dodo_is_api_account_name = coalesce(dodo_is_api_account_name, ''),
      shift_manager_account_name = coalesce(shift_manager_account_name, '')
    where (office_manager_account_name is null and ${layout.unitAccountNames}::boolean)
       or (dodo_is_api_account_name is null and ${layout.unitAccountNames}::boolean)
       or (shift_manager_account_name is null and ${layout.unitShiftManager}::boolean)
    returning id
  `;
  if (nullNames.count) warnings.push(`${nullNames.count} unit${nullNames.count === 1 ? ' has' : 's have'} NULL account names: imported as ""`);

  const orphan = (table: string, what: (ids: string) => string, rows: { id: string }[]) => {
    if (rows.length) warnings.push(`${table}: ${what(listOf(rows.map((r) => r.id)))}`);
  };
  if (layout.unitDepartment) {
    orphan('units_unit', (ids) => `unit ${ids}: no department in the source, imported without a department`, await tx<{ id: string }[]>`
      select id::text as id from django_unit where department_id is null order by id
    `);
  }
  orphan('units_unit', (ids) => `unit ${ids}: department missing in the source, imported without a department`, await tx<{ id: string }[]>`
    update django_unit u set department_id = null
    from django_unit o
    where o.id = u.id and o.department_id is not null
      and not exists (select 1 from django_department d where d.id = o.department_id)
    returning format('%s (department_id %s)', u.id, o.department_id) as id
  `);
  orphan('reports_reporttype', (ids) => `report type ${ids}: parent missing in the source, imported without a parent`, await tx<{ id: string }[]>`
    update django_report_type t set parent_id = null
    where parent_id is not null and not exists (select 1 from django_report_type p where p.id = t.parent_id)
    returning t.name as id
  `);
  if (layout.present.has('roles')) {
    orphan('telegram_telegramchat', (ids) => `chat ${ids}: role missing in the source, imported without a role`, await tx<{ id: string }[]>`
      update django_chat c set role_id = null
      where role_id is not null and not exists (select 1 from django_role r where r.id = c.role_id)
      returning c.chat_id::text as id
    `);
  }

  const bug = await tx<{ name: string }[]>`select name from django_report_type where verbose_name = ${"['verbose_name']"} order by id`;
  if (bug.length) {
    warnings.push(
      `report type ${listOf(bug.map((b) => b.name))}: verbose name "['verbose_name']" (a bug of the old seed command), ` +
        'imported as is; `urdb init report-types` restores the seeded verbose names',
    );
  }
  // Django's unique constraints make these impossible, unless a generation or a restore lacked them.
  const [dup] = await tx<{ routes: boolean; units: boolean; types: boolean }[]>`
    select exists (select 1 from django_route group by report_type_id, unit_id, telegram_chat_id having count(*) > 1) as routes,
           exists (select 1 from django_role_unit group by role_id, unit_id having count(*) > 1) as units,
           exists (select 1 from django_role_report_type group by role_id, report_type_id having count(*) > 1) as types
  `;
  const once = (table: string, removed: number) =>
    warnings.push(`${table}: ${removed} duplicate row${removed === 1 ? '' : 's'} (the source lacks its unique constraint), imported once`);
  if (dup!.routes) {
    once('reports_reportroute', (await tx`
      delete from django_route a where exists (
        select 1 from django_route b
        where b.id < a.id and (b.report_type_id, b.unit_id, b.telegram_chat_id) = (a.report_type_id, a.unit_id, a.telegram_chat_id))
    `).count);
  }
  if (dup!.units) {
    once('user_roles_userrole_units', (await tx`
      delete from django_role_unit a where exists (
        select 1 from django_role_unit b where b.id < a.id and (b.role_id, b.unit_id) = (a.role_id, a.unit_id))
    `).count);
  }
  if (dup!.types) {
    once('user_roles_userrole_report_types', (await tx`
      delete from django_role_report_type a where exists (
        select 1 from django_role_report_type b where b.id < a.id and (b.role_id, b.report_type_id) = (a.role_id, a.report_type_id))
    `).count);
  }
  return warnings;
}
