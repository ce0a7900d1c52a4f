/**
 * Writes the staged Django rows into urdb's tables, keeping every id: the source's id is the identity of a row.
 *
 * Two situations need more than an upsert by id:
 * - a urdb row under another id, absent from the source, holding a source row's unique key (a seeded report type,
 *   a chat added in urdb): it is the same thing, so it is merged into the source's row (its references follow);
 * - unique keys moving between ids (renames in the source since the last run): the changing rows' keys are parked
 *   on unique placeholders first, so that no statement trips over a value that is about to move.
 */
import { weakCodesWarning } from '../bundle/import';
import type { Tx } from '../../db/client';
import { syncSequence } from '../init';
import { listOf } from './adapt';
import type { Layout, RouteBatch, Section } from './source';

export interface Count {
  read: number;
  inserted: number;
  updated: number;
}

export type Counts = Record<Section, Count>;

interface Written {
  id: number;
  inserted: boolean;
}

interface Merged {
  old_id: number;
  new_id: number;
  label: string;
}

/**
 * Counts written rows. A source row that took in a merged urdb row was in urdb before (under another id), so it
 * counts as updated; `touched` rows changed in another statement (parent, grants) and count as updated unless new.
 */
function tally(count: Count, written: Written[], merged: Merged[] = [], touched: number[] = []) {
  const inserted = new Set(written.filter((w) => w.inserted).map((w) => w.id));
  const updated = new Set(written.filter((w) => !w.inserted).map((w) => w.id));
  for (const m of merged) {
    inserted.delete(m.new_id);
    updated.add(m.new_id);
  }
  for (const id of touched) if (!inserted.has(id)) updated.add(id);
  count.inserted += inserted.size;
  count.updated += updated.size;
}

function sayMerged(warnings: string[], what: string, merged: Merged[]) {
  if (!merged.length) return;
  const pairs = merged.map((m) => `${m.label} (${m.old_id} → ${m.new_id})`);
  warnings.push(`${what} ${listOf(pairs)}: urdb had ${merged.length === 1 ? 'it' : 'them'} under another id; merged into the source's id`);
}

/** A placeholder for a unique text while its row is rewritten: never a value people type. */
const PARKED = '\u0001urdb parked ';

interface Run {
  tx: Tx;
  layout: Layout;
  counts: Counts;
  warnings: string[];
}

/** `written` is told how many source rows of a table are done, after each table (and each batch of routes). */
export async function applyDjango(
  tx: Tx,
  layout: Layout,
  counts: Counts,
  routeBatches: RouteBatch[],
  warnings: string[],
  written: (section: Section, rows: number) => void,
) {
  const run: Run = { tx, layout, counts, warnings };
  const done = (section: Section) => written(section, counts[section].read);
  await tx`create temporary table django_merge (tbl text, old_id integer, new_id integer, label text) on commit drop`;
  await applyRegions(run);
  done('regions');
  if (layout.present.has('departments')) await applyDepartments(run);
  done('departments');
  await applyUnits(run);
  done('units');
  await applyReportTypes(run);
  done('report_types');
  if (layout.present.has('roles')) await applyRoles(run);
  for (const section of ['roles', 'role_units', 'role_report_types'] as const) done(section);
  await applyChats(run);
  done('telegram_chats');
  await applyRoutes(run, routeBatches, (rows) => written('report_routes', rows));
  if (layout.present.has('account_roles')) await applyAccountRoles(run);
  done('account_roles');
}

/** Regions by id; a urdb region with a source region's name is merged into it (its units follow). */
async function applyRegions({ tx, counts, warnings }: Run) {
  const merged = await tx<Merged[]>`
    insert into django_merge (tbl, old_id, new_id, label)
    select 'region', u.id, s.id, u.name from region u join django_region s on s.name = u.name
    where u.id <> s.id and not exists (select 1 from django_region x where x.id = u.id)
    returning old_id, new_id, label
  `;
  await tx`
    update region u set name = ${PARKED}::text || u.id
    where u.id in (select old_id from django_merge where tbl = 'region')
       or exists (select 1 from django_region s where s.id = u.id and s.name <> u.name)
  `;
  const written = await tx<Written[]>`
    insert into region (id, name) select id, name from django_region
    on conflict (id) do update set name = excluded.name where region.name is distinct from excluded.name
    returning id, (xmax = 0) as inserted
  `;
  await tx`update unit set region_id = m.new_id from django_merge m where m.tbl = 'region' and unit.region_id = m.old_id`;
  await tx`delete from region where id in (select old_id from django_merge where tbl = 'region')`;
  tally(counts.regions, written, merged);
  sayMerged(warnings, 'region', merged);
  await syncSequence(tx, 'region');
}

async function applyDepartments({ tx, counts }: Run) {
  await tx`
    update department u set name = ${PARKED}::text || u.id, uuid = md5('urdb parked department ' || u.id)::uuid
    where exists (select 1 from django_department s where s.id = u.id and (s.name, s.uuid) <> (u.name, u.uuid))
  `;
  tally(counts.departments, await tx<Written[]>`
    insert into department (id, name, uuid) select id, name, uuid from django_department
    on conflict (id) do update set name = excluded.name, uuid = excluded.uuid
    where (department.name, department.uuid) is distinct from (excluded.name, excluded.uuid)
    returning id, (xmax = 0) as inserted
  `);
}

async function applyUnits({ tx, layout, counts }: Run) {
  await tx`
    update unit u set name = ${PARKED}::text || u.id, uuid = md5('urdb parked unit ' || u.id)::uuid
    where exists (select 1 from django_unit s where s.id = u.id and (s.name, s.uuid) <> (u.name, u.uuid))
  `;
  // A column the source's generation does not have keeps urdb's value.
  tally(counts.units, await tx<Written[]>`
    insert into unit (id, name, uuid, office_manager_account_name, dodo_is_api_account_name, shift_manager_account_name,
                      region_id, department_id)
    select s.id, s.name, s.uuid,
           case when ${layout.unitAccountNames}::boolean then s.office_manager_account_name else coalesce(u.office_manager_account_name, '') end,
           case when ${layout.unitAccountNames}::boolean then s.dodo_is_api_account_name else coalesce(u.dodo_is_api_account_name, '') end,
           case when ${layout.unitShiftManager}::boolean then s.shift_manager_account_name else coalesce(u.shift_manager_account_name, '') end,
           s.region_id,
           case when ${layout.unitDepartment}::boolean then s.department_id else u.department_id end
    from django_unit s left join unit u on u.id = s.id
    on conflict (id) do update set
      name = excluded.name, uuid = excluded.uuid,
      office_manager_account_name = excluded.office_manager_account_name,
      dodo_is_api_account_name = excluded.dodo_is_api_account_name,
      shift_manager_account_name = excluded.shift_manager_account_name,
      region_id = excluded.region_id, department_id = excluded.department_id
    where (unit.name, unit.uuid, unit.office_manager_account_name, unit.dodo_is_api_account_name,
           unit.shift_manager_account_name, unit.region_id, unit.department_id)
      is distinct from
          (excluded.name, excluded.uuid, excluded.office_manager_account_name, excluded.dodo_is_api_account_name,
           excluded.shift_manager_account_name, excluded.region_id, excluded.department_id)
    returning id, (xmax = 0) as inserted
  `);
}

/** Report types by id; a urdb type with a source type's name is merged into it (routes, grants, children follow). */
async function applyReportTypes({ tx, layout, counts, warnings }: Run) {
  const renamed = await tx<{ id: number; was: string; now: string }[]>`
    select t.id, t.name as was, s.name as now from report_type t join django_report_type s on s.id = t.id
    where t.name <> s.name order by t.id
  `;
  if (renamed.length) {
    warnings.push(
      `report type ${listOf(renamed.map((r) => `${r.id} ${r.was} → ${r.now}`))}: urdb's id now means the source's type ` +
        '(routes and grants of that id follow it)',
    );
  }
  const merged = await tx<Merged[]>`
    insert into django_merge (tbl, old_id, new_id, label)
    select 'report_type', u.id, s.id, u.name from report_type u join django_report_type s on s.name = u.name
    where u.id <> s.id and not exists (select 1 from django_report_type x where x.id = u.id)
    returning old_id, new_id, label
  `;
  await tx`
    update report_type u set name = ${PARKED}::text || u.id
    where u.id in (select old_id from django_merge where tbl = 'report_type')
       or exists (select 1 from django_report_type s where s.id = u.id and s.name <> u.name)
  `;
  const written = await tx<Written[]>`
    insert into report_type (id, name, verbose_name, is_active, priority)
    select s.id, s.name, s.verbose_name, s.is_active,
           case when ${layout.reportTypePriority}::boolean then s.priority else coalesce(t.priority, 0) end
    from django_report_type s left join report_type t on t.id = s.id
    on conflict (id) do update set
      name = excluded.name, verbose_name = excluded.verbose_name, is_active = excluded.is_active, priority = excluded.priority
    where (report_type.name, report_type.verbose_name, report_type.is_active, report_type.priority)
      is distinct from (excluded.name, excluded.verbose_name, excluded.is_active, excluded.priority)
    returning id, (xmax = 0) as inserted
  `;
  const reparented = await tx<{ id: number }[]>`
    update report_type t set parent_id = s.parent_id from django_report_type s
    where t.id = s.id and t.parent_id is distinct from s.parent_id
    returning t.id
  `;
  await tx`
    insert into report_route (unit_id, report_type_id, telegram_chat_id)
    select r.unit_id, m.new_id, r.telegram_chat_id
    from report_route r join django_merge m on m.tbl = 'report_type' and r.report_type_id = m.old_id
    on conflict do nothing
  `;
  await tx`
    insert into role_report_type (role_id, report_type_id)
    select g.role_id, m.new_id from role_report_type g join django_merge m on m.tbl = 'report_type' and g.report_type_id = m.old_id
    on conflict do nothing
  `;
  await tx`update report_type t set parent_id = m.new_id from django_merge m where m.tbl = 'report_type' and t.parent_id = m.old_id`;
  await tx`delete from report_type where id in (select old_id from django_merge where tbl = 'report_type')`;
  tally(counts.report_types, written, merged, reparented.map((r) => r.id));
  sayMerged(warnings, 'report type', merged);
  await syncSequence(tx, 'report_type');
}

/** Chats by id; a urdb chat with a source chat's Telegram id is merged into it (its routes follow). */
async function applyChats({ tx, layout, counts, warnings }: Run) {
  const merged = await tx<Merged[]>`
    insert into django_merge (tbl, old_id, new_id, label)
    select 'telegram_chat', u.id, s.id, u.chat_id::text from telegram_chat u join django_chat s on s.chat_id = u.chat_id
    where u.id <> s.id and not exists (select 1 from django_chat x where x.id = u.id)
    returning old_id, new_id, label
  `;
  // Parked Telegram ids sit at the far end of the allowed range, where Telegram hands out none.
  await tx`
    update telegram_chat u set chat_id = -9007199254740991 + u.id
    where u.id in (select old_id from django_merge where tbl = 'telegram_chat')
       or exists (select 1 from django_chat s where s.id = u.id and s.chat_id <> u.chat_id)
  `;
  const written = await tx<Written[]>`
    insert into telegram_chat (id, chat_id, type, title, username, role_id, created_at)
    select s.id, s.chat_id, s.type, s.title, s.username,
           case when ${layout.present.has('roles')}::boolean then s.role_id else c.role_id end,
           case when ${layout.chatCreatedAt}::boolean then s.created_at else coalesce(c.created_at, now()) end
    from django_chat s left join telegram_chat c on c.id = s.id
    on conflict (id) do update set
      chat_id = excluded.chat_id, type = excluded.type, title = excluded.title, username = excluded.username,
      role_id = excluded.role_id, created_at = excluded.created_at
    where (telegram_chat.chat_id, telegram_chat.type, telegram_chat.title, telegram_chat.username,
           telegram_chat.role_id, telegram_chat.created_at)
      is distinct from (excluded.chat_id, excluded.type, excluded.title, excluded.username,
                        excluded.role_id, excluded.created_at)
    returning id, (xmax = 0) as inserted
  `;
  await tx`
    insert into report_route (unit_id, report_type_id, telegram_chat_id)
    select r.unit_id, r.report_type_id, m.new_id
    from report_route r join django_merge m on m.tbl = 'telegram_chat' and r.telegram_chat_id = m.old_id
    on conflict do nothing
  `;
  await tx`delete from telegram_chat where id in (select old_id from django_merge where tbl = 'telegram_chat')`;
  tally(counts.telegram_chats, written, merged);
  sayMerged(warnings, 'chat', merged);
  await syncSequence(tx, 'telegram_chat');
}

async function applyRoutes({ tx, counts }: Run, batches: RouteBatch[], written: (rows: number) => void) {
  // In the batches they were read in, so that progress shows. The anti-join skips the routes urdb has in one pass
  // (a re-run), instead of one failed insertion each.
  let after: string | null = null;
  for (const batch of batches) {
    const routes = await tx`
      insert into report_route (unit_id, report_type_id, telegram_chat_id)
      select s.unit_id, s.report_type_id, s.telegram_chat_id from django_route s
      where ${after === null ? tx`true` : tx`s.id > ${after}::bigint`} and s.id <= ${batch.last}::bigint
        and not exists (
          select 1 from report_route r
          where (r.unit_id, r.report_type_id, r.telegram_chat_id) = (s.unit_id, s.report_type_id, s.telegram_chat_id)
        )
      on conflict do nothing
    `;
    counts.report_routes.inserted += routes.count;
    written(batch.rows);
    after = batch.last;
  }
}

/** Account roles by id; nothing refers to them, so a urdb one with a source one's name is just replaced. */
async function applyAccountRoles({ tx, counts, warnings }: Run) {
  const merged = await tx<Merged[]>`
    insert into django_merge (tbl, old_id, new_id, label)
    select 'account_role', u.id, s.id, u.name from account_role u join django_account_role s on s.name = u.name
    where u.id <> s.id and not exists (select 1 from django_account_role x where x.id = u.id)
    returning old_id, new_id, label
  `;
  await tx`delete from account_role where id in (select old_id from django_merge where tbl = 'account_role')`;
  await tx`
    update account_role u set name = ${PARKED}::text || u.id
    where exists (select 1 from django_account_role s where s.id = u.id and s.name <> u.name)
  `;
  tally(counts.account_roles, await tx<Written[]>`
    insert into account_role (id, name) select id, name from django_account_role
    on conflict (id) do update set name = excluded.name where account_role.name is distinct from excluded.name
    returning id, (xmax = 0) as inserted
  `, merged);
  sayMerged(warnings, 'account role', merged);
}

/** Roles by id (one access code, one role: a urdb role with a source role's code is merged), then their grants. */
async function applyRoles({ tx, counts, warnings }: Run) {
  const merged = await tx<Merged[]>`
    insert into django_merge (tbl, old_id, new_id, label)
    select 'role', u.id, s.id, u.name from role u join django_role s on s.access_code_sha256 = u.access_code_sha256
    where u.id <> s.id and not exists (select 1 from django_role x where x.id = u.id)
    returning old_id, new_id, label
  `;
  await tx`
    update role u set access_code_sha256 = md5('urdb parked role ' || u.id) || md5('urdb parked role ' || u.id || '.')
    where u.id in (select old_id from django_merge where tbl = 'role')
       or exists (select 1 from django_role s where s.id = u.id and s.access_code_sha256 <> u.access_code_sha256)
  `;
  const written = await tx<Written[]>`
    insert into role (id, name, access_code_sha256, weak_code) select id, name, access_code_sha256, weak_code from django_role
    on conflict (id) do update set name = excluded.name, access_code_sha256 = excluded.access_code_sha256, weak_code = excluded.weak_code
    where (role.name, role.access_code_sha256, role.weak_code) is distinct from (excluded.name, excluded.access_code_sha256, excluded.weak_code)
    returning id, (xmax = 0) as inserted
  `;
  const weak = await tx<{ id: number; name: string }[]>`select id::int as id, name from django_role where weak_code order by id`;
  if (weak.length) warnings.push(weakCodesWarning(weak));
  await tx`update telegram_chat set role_id = m.new_id from django_merge m where m.tbl = 'role' and telegram_chat.role_id = m.old_id`;
  await tx`delete from role where id in (select old_id from django_merge where tbl = 'role')`;
  sayMerged(warnings, 'role', merged);

  // A source role's grants are exactly the source's.
  const removed = [
    ...(await tx<{ role_id: number }[]>`
      delete from role_unit g
      where g.role_id in (select id from django_role)
        and not exists (select 1 from django_role_unit s where s.role_id = g.role_id and s.unit_id = g.unit_id)
      returning g.role_id
    `),
    ...(await tx<{ role_id: number }[]>`
      delete from role_report_type g
      where g.role_id in (select id from django_role)
        and not exists (select 1 from django_role_report_type s where s.role_id = g.role_id and s.report_type_id = g.report_type_id)
      returning g.role_id
    `),
  ];
  const unitGrants = await tx<{ role_id: number }[]>`
    insert into role_unit (role_id, unit_id) select role_id, unit_id from django_role_unit
    on conflict do nothing
    returning role_id
  `;
  const typeGrants = await tx<{ role_id: number }[]>`
    insert into role_report_type (role_id, report_type_id) select role_id, report_type_id from django_role_report_type
    on conflict do nothing
    returning role_id
  `;
  counts.role_units.inserted += unitGrants.length;
  counts.role_report_types.inserted += typeGrants.length;
  const touched = [...removed, ...unitGrants, ...typeGrants].map((g) => g.role_id);
  tally(counts.roles, written, merged, touched);
  await syncSequence(tx, 'role');
}
