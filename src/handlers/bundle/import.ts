/**
 * `urdb import`: validates a whole bundle first (every problem with its position), then upserts it by natural key
 * in one transaction with set-based statements (one per section, routes in batches), counting what was inserted and
 * what actually changed.
 */
import { isWeakDigest, sha256hex, weakCodeReason } from '../../core/access-code';
import { ValidationError, UsageError } from '../../core/errors';
import { fieldErrors } from '../../core/fields';
import { write, type Ctx } from '../../core/operation';
import type { Sql, Tx } from '../../db/client';
import { BUNDLE_FORMAT, bundleSchema, positionOf, SECTIONS, type Bundle, type BundleSection } from './schema';

export interface SectionCount {
  inserted: number;
  updated: number;
}

export type ImportCounts = Record<BundleSection, SectionCount>;

export interface ImportResult {
  dry_run: boolean;
  counts: ImportCounts;
  warnings: string[];
}

export interface ImportProgress {
  section: BundleSection;
  done: number;
  total: number;
}

export interface ImportOptions {
  dryRun?: boolean;
  /** Asked (inside the transaction) when the import would change existing rows; false rolls everything back. */
  confirmReplace?: (counts: ImportCounts) => Promise<boolean>;
  onProgress?: (p: ImportProgress) => void;
}

/** A bundle that cannot be imported: every problem, with its position. Exit 2, nothing written. */
export class BundleError extends ValidationError {
  readonly problems: string[];
  constructor(problems: string[]) {
    super({ bundle: problems }, `the bundle is invalid (${problems.length} problem${problems.length === 1 ? '' : 's'}); nothing was imported`);
    this.problems = problems;
  }
}

export { sha256hex };

/**
 * Imported codes are kept (users already have them) but flagged when weak: the plain code is judged like a chosen
 * one; a digest alone is compared with the digests of the common codes and of every code of up to 4 digits, and
 * an exported flag is kept.
 */
function importedCodeIsWeak(r: Bundle['roles'][number], digest: string): boolean {
  if (r.weak_code === true) return true;
  return r.access_code !== undefined ? weakCodeReason(r.access_code) !== null : isWeakDigest(digest);
}

/** The warning `urdb import` and `urdb import-django` print for the roles whose code is weak. */
export function weakCodesWarning(roles: { id: number; name: string }[]): string {
  const list = roles.map((r) => `role ${r.id} ${JSON.stringify(r.name)}`).join(', ');
  return `weak access code (shorter than 10 characters or a common one) kept for ${list}: rotate it with \`urdb roles rotate-code\``;
}

/** Shape validation plus the checks that need only the document itself (duplicate keys). */
export function parseBundle(raw: unknown): Bundle {
  const result = bundleSchema.safeParse(raw);
  if (!result.success) {
    const problems = result.error.issues.map((i) => `${positionOf(i.path)}: ${i.message}`);
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
      const fields = fieldErrors(result.error, raw);
      throw new BundleError(fields.non_field_errors ? [`(document): ${String(fields.non_field_errors)}`] : problems);
    }
    throw new BundleError(problems);
  }
  const b = result.data;
  const problems: string[] = [];
  /** `secret`: the key is an access code's digest, never shown (a message must not carry a code or its digest). */
  const unique = <T>(section: string, rows: T[], field: string, key: (r: T) => unknown, secret = false) => {
    const seen = new Map<string, number>();
    rows.forEach((r, i) => {
      const k = JSON.stringify(key(r));
      const first = seen.get(k);
      const shown = secret ? 'this access code' : k;
      if (first !== undefined) problems.push(`${section}[${i}].${field}: ${shown} is already used by ${section}[${first}]`);
      else seen.set(k, i);
    });
  };
  unique('regions', b.regions, 'id', (r) => r.id);
  unique('regions', b.regions, 'name', (r) => r.name);
  unique('departments', b.departments, 'id', (r) => r.id);
  unique('departments', b.departments, 'name', (r) => r.name);
  unique('departments', b.departments, 'uuid', (r) => r.uuid);
  unique('units', b.units, 'id', (r) => r.id);
  unique('units', b.units, 'name', (r) => r.name);
  unique('units', b.units, 'uuid', (r) => r.uuid);
  unique('report_types', b.report_types, 'name', (r) => r.name);
  unique('report_types', b.report_types.filter((r) => r.id !== undefined), 'id', (r) => r.id);
  unique('roles', b.roles, 'id', (r) => r.id);
  unique('roles', b.roles, 'access_code', (r) => r.access_code_sha256 ?? sha256hex(r.access_code!), true);
  unique('telegram_chats', b.telegram_chats, 'chat_id', (r) => r.chat_id);
  unique('account_roles', b.account_roles, 'id', (r) => r.id);
  unique('account_roles', b.account_roles, 'name', (r) => r.name);
  b.report_types.forEach((t, i) => {
    if (t.parent === t.name) problems.push(`report_types[${i}].parent: a report type cannot be its own parent`);
  });
  b.roles.forEach((r, i) => {
    if (r.access_code !== undefined && r.access_code_sha256 !== undefined && sha256hex(r.access_code) !== r.access_code_sha256) {
      problems.push(`roles[${i}].access_code_sha256: does not match access_code`);
    }
  });
  if (problems.length) throw new BundleError(problems);
  return b;
}

const json = (sql: Sql | Tx, rows: unknown[]) => sql.json(rows as never);

/** References to rows that exist neither in the bundle nor in the database, and unique values taken by other rows. */
export async function checkAgainstDatabase(sql: Sql | Tx, b: Bundle): Promise<string[]> {
  const problems: string[] = [];
  type Cast = 'int' | 'smallint' | 'bigint' | 'text';
  const existing = async (table: string, column: string, values: (string | number)[], cast: Cast) => {
    if (values.length === 0) return new Set<string>();
    const rows = await sql<{ v: string }[]>`
      select ${sql(column)}::text as v from ${sql(table)}
      where ${sql(column)} = any(array(select jsonb_array_elements_text(${json(sql, [...new Set(values)])})::${sql.unsafe(cast)}))
    `;
    return new Set(rows.map((r) => r.v));
  };

  const unitIds = new Set(b.units.map((u) => u.id));
  const wantedUnits = [...b.roles.flatMap((r) => r.units), ...b.report_routes.flatMap((r) => r.unit_ids)].filter((id) => !unitIds.has(id));
  const dbUnits = await existing('unit', 'id', wantedUnits, 'int');
  const hasUnit = (id: number) => unitIds.has(id) || dbUnits.has(String(id));

  const typeNames = new Set(b.report_types.map((t) => t.name));
  const wantedTypes = [
    ...b.report_types.flatMap((t) => (t.parent ? [t.parent] : [])),
    ...b.roles.flatMap((r) => r.report_types),
    ...b.report_routes.map((r) => r.report_type),
  ].filter((n) => !typeNames.has(n));
  const dbTypes = await existing('report_type', 'name', wantedTypes, 'text');
  const hasType = (name: string) => typeNames.has(name) || dbTypes.has(name);

  const departmentIds = new Set(b.departments.map((d) => d.id));
  const dbDepartments = await existing(
    'department',
    'id',
    b.units.flatMap((u) => (u.department_id !== null && !departmentIds.has(u.department_id) ? [u.department_id] : [])),
    'smallint',
  );
  const roleIds = new Set(b.roles.map((r) => r.id));
  const dbRoles = await existing(
    'role',
    'id',
    b.telegram_chats.flatMap((c) => (c.role_id !== null && !roleIds.has(c.role_id) ? [c.role_id] : [])),
    'int',
  );
  const chatIds = new Set(b.telegram_chats.map((c) => c.chat_id));
  const dbChats = await existing('telegram_chat', 'chat_id', b.report_routes.map((r) => r.chat_id).filter((c) => !chatIds.has(c)), 'bigint');

  b.units.forEach((u, i) => {
    if (u.department_id !== null && !departmentIds.has(u.department_id) && !dbDepartments.has(String(u.department_id))) {
      problems.push(`units[${i}].department_id: department ${u.department_id} does not exist`);
    }
  });
  b.report_types.forEach((t, i) => {
    if (t.parent && !hasType(t.parent)) problems.push(`report_types[${i}].parent: report type "${t.parent}" does not exist`);
  });
  b.roles.forEach((r, i) => {
    const missing = r.units.filter((id) => !hasUnit(id));
    if (missing.length) problems.push(`roles[${i}].units: unit${missing.length > 1 ? 's' : ''} ${missing.join(', ')} do${missing.length > 1 ? '' : 'es'} not exist`);
    r.report_types.forEach((name, j) => {
      if (!hasType(name)) problems.push(`roles[${i}].report_types[${j}]: report type "${name}" does not exist`);
    });
  });
  b.telegram_chats.forEach((c, i) => {
    if (c.role_id !== null && !roleIds.has(c.role_id) && !dbRoles.has(String(c.role_id))) {
      problems.push(`telegram_chats[${i}].role_id: role ${c.role_id} does not exist`);
    }
  });
  b.report_routes.forEach((r, i) => {
    if (!hasType(r.report_type)) problems.push(`report_routes[${i}].report_type: report type "${r.report_type}" does not exist`);
    if (!chatIds.has(r.chat_id) && !dbChats.has(String(r.chat_id))) {
      problems.push(`report_routes[${i}].chat_id: chat ${r.chat_id} does not exist`);
    }
    const missing = [...new Set(r.unit_ids.filter((id) => !hasUnit(id)))];
    if (missing.length) {
      problems.push(`report_routes[${i}].unit_ids: unit${missing.length > 1 ? 's' : ''} ${missing.join(', ')} do${missing.length > 1 ? '' : 'es'} not exist`);
    }
  });

  // Unique values that another row (another id) already holds in the database.
  const taken = async (
    section: string,
    table: string,
    column: string,
    rows: { id: number; value: string }[],
    describe: (value: string) => string,
  ) => {
    if (rows.length === 0) return;
    const found = await sql<{ pos: number; id: number }[]>`
      select b.pos, t.id
      from jsonb_to_recordset(${json(sql, rows.map((r, pos) => ({ pos, ...r })))}) as b(pos int, id int, value text)
      join ${sql(table)} t on t.${sql(column)}::text = b.value and t.id <> b.id
      order by b.pos
    `;
    for (const f of found) problems.push(`${section}[${f.pos}].${describe(rows[f.pos]!.value)} already belongs to ${table.replace('_', ' ')} ${f.id}`);
  };
  const named = (v: string) => `name: ${JSON.stringify(v)}`;
  await taken('regions', 'region', 'name', b.regions.map((r) => ({ id: r.id, value: r.name })), named);
  await taken('departments', 'department', 'name', b.departments.map((r) => ({ id: r.id, value: r.name })), named);
  await taken('departments', 'department', 'uuid', b.departments.map((r) => ({ id: r.id, value: r.uuid })), (v) => `uuid: ${v}`);
  await taken('units', 'unit', 'name', b.units.map((r) => ({ id: r.id, value: r.name })), named);
  await taken('units', 'unit', 'uuid', b.units.map((r) => ({ id: r.id, value: r.uuid })), (v) => `uuid: ${v}`);
  await taken(
    'roles',
    'role',
    'access_code_sha256',
    b.roles.map((r) => ({ id: r.id, value: r.access_code_sha256 ?? sha256hex(r.access_code!) })),
    () => 'access_code: this access code',
  );
  await taken('account_roles', 'account_role', 'name', b.account_roles.map((r) => ({ id: r.id, value: r.name })), named);
  return problems;
}

const zero = (): ImportCounts =>
  Object.fromEntries(SECTIONS.map((s) => [s, { inserted: 0, updated: 0 }])) as ImportCounts;

function tally(count: SectionCount, rows: readonly { inserted: boolean }[]) {
  for (const r of rows) r.inserted ? count.inserted++ : count.updated++;
}

/** Moves an identity sequence past the largest id after rows were written with explicit ids. */
async function syncIdentity(tx: Tx, table: string) {
  await tx`
    select setval(pg_get_serial_sequence(${table}, 'id'), coalesce(max(id), 1), max(id) is not null) from ${tx(table)}
  `;
}

const ROUTE_BATCH = 25_000;

/**
 * After the parents are set: a type that is its own ancestor (Y1 → Y2 → Y1, possibly through stored types) is refused,
 * as `report-types update --parent` refuses it, and the transaction rolls back.
 */
async function refuseParentCycles(tx: Tx, types: Bundle['report_types']): Promise<void> {
  const looped = await tx<{ name: string }[]>`
    with recursive up(id, ancestor) as (
      select id, parent_id from report_type where parent_id is not null
      union
      select up.id, t.parent_id from up join report_type t on t.id = up.ancestor where t.parent_id is not null
    )
    select t.name from up join report_type t on t.id = up.id where up.ancestor = up.id order by t.name
  `;
  if (!looped.length) return;
  const at = new Map(types.map((t, i) => [t.name, i]));
  throw new BundleError(
    looped.map(({ name }) => {
      const i = at.get(name);
      const text = `${name} would be its own ancestor (a cycle of parents)`;
      return i === undefined ? `report type ${text}` : `report_types[${i}].parent: ${text}`;
    }),
  );
}

/** Every table an import may write. */
export const BUNDLE_TABLES = ['region', 'department', 'unit', 'report_type', 'role', 'telegram_chat', 'report_route', 'account_role'];

export async function importBundle(ctx: Ctx, raw: unknown, opts: ImportOptions = {}): Promise<ImportResult> {
  const b = parseBundle(raw);
  const problems = await checkAgainstDatabase(ctx.sql, b);
  if (problems.length) throw new BundleError(problems);
  const { counts, warnings } = await write(ctx, BUNDLE_TABLES, (tx) => applyBundle(tx, b, opts), { dryRun: opts.dryRun ?? false });
  return { dry_run: opts.dryRun ?? false, counts, warnings };
}

/**
 * The writing half of an import, inside the caller's transaction: a checked bundle (parseBundle, then
 * checkAgainstDatabase) upserted section by section. The admin API's bulk POST, PUT and PATCH call it too.
 */
export async function applyBundle(tx: Tx, b: Bundle, opts: ImportOptions = {}): Promise<{ counts: ImportCounts; warnings: string[] }> {
  const warnings: string[] = [];
  const counts = zero();
  const progress = (section: BundleSection, done: number, total: number) => opts.onProgress?.({ section, done, total });
  // Serialises concurrent imports; readers are not blocked.
  await tx`select pg_advisory_xact_lock(hashtextextended('urdb.import', 0))`;

  if (b.regions.length) {
    tally(counts.regions, await tx<{ inserted: boolean }[]>`
      insert into region (id, name)
      select b.id, b.name from jsonb_to_recordset(${json(tx, b.regions)}) as b(id int, name text)
      on conflict (id) do update set name = excluded.name where region.name is distinct from excluded.name
      returning (xmax = 0) as inserted
    `);
    await syncIdentity(tx, 'region');
  }
  progress('regions', b.regions.length, b.regions.length);

  if (b.departments.length) {
    tally(counts.departments, await tx<{ inserted: boolean }[]>`
      insert into department (id, name, uuid)
      select b.id, b.name, b.uuid from jsonb_to_recordset(${json(tx, b.departments)}) as b(id smallint, name text, uuid uuid)
      on conflict (id) do update set name = excluded.name, uuid = excluded.uuid
      where (department.name, department.uuid) is distinct from (excluded.name, excluded.uuid)
      returning (xmax = 0) as inserted
    `);
  }
  progress('departments', b.departments.length, b.departments.length);

  if (b.units.length) {
    const regions = [...new Set(b.units.map((u) => u.region))];
    const created = await tx`
      insert into region (name)
      select r.name from jsonb_array_elements_text(${json(tx, regions)}) as r(name)
      where not exists (select 1 from region x where x.name = r.name)
      returning id
    `;
    counts.regions.inserted += created.count;
    if (created.count) warnings.push(`${opts.dryRun ? 'would create' : 'created'} ${created.count} region${created.count > 1 ? 's' : ''} named by units`);
    tally(counts.units, await tx<{ inserted: boolean }[]>`
      insert into unit (id, name, uuid, office_manager_account_name, dodo_is_api_account_name,
                        shift_manager_account_name, region_id, department_id)
      select b.id, b.name, b.uuid, b.office_manager_account_name, b.dodo_is_api_account_name,
             b.shift_manager_account_name, r.id, b.department_id
      from jsonb_to_recordset(${json(tx, b.units)}) as b(
        id int, name text, uuid uuid, office_manager_account_name text, dodo_is_api_account_name text,
        shift_manager_account_name text, region text, department_id smallint)
      join region r on r.name = b.region
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
      returning (xmax = 0) as inserted
    `);
  }
  progress('units', b.units.length, b.units.length);

  if (b.report_types.length) {
    const maxId = Math.max(0, ...b.report_types.map((t) => t.id ?? 0));
    await tx`
      select setval(pg_get_serial_sequence('report_type', 'id'), m, m > 0)
      from (select greatest(coalesce(max(id), 0), ${maxId}::int, 1) as m from report_type) s
    `;
    const written = await tx<{ id: number; name: string; inserted: boolean }[]>`
      insert into report_type (id, name, verbose_name, is_active, priority)
      select case when b.id is not null and not exists (select 1 from report_type t where t.id = b.id) then b.id
                  else nextval(pg_get_serial_sequence('report_type', 'id')) end,
             b.name, b.verbose_name, b.is_active, b.priority
      from jsonb_to_recordset(${json(tx, b.report_types)}) as b(id int, name text, verbose_name text, is_active boolean, priority smallint)
      on conflict (name) do update set
        verbose_name = excluded.verbose_name, is_active = excluded.is_active, priority = excluded.priority
      where (report_type.verbose_name, report_type.is_active, report_type.priority)
        is distinct from (excluded.verbose_name, excluded.is_active, excluded.priority)
      returning id, name, (xmax = 0) as inserted
    `;
    const reparented = await tx<{ id: number }[]>`
      update report_type t set parent_id = p.id
      from jsonb_to_recordset(${json(tx, b.report_types)}) as b(name text, parent text)
      left join report_type p on p.name = b.parent
      where t.name = b.name and t.parent_id is distinct from p.id
      returning t.id
    `;
    await refuseParentCycles(tx, b.report_types);
    const inserted = new Set(written.filter((w) => w.inserted).map((w) => w.id));
    const changed = new Set([...written.filter((w) => !w.inserted).map((w) => w.id), ...reparented.map((r) => r.id)]);
    counts.report_types.inserted += inserted.size;
    counts.report_types.updated += [...changed].filter((id) => !inserted.has(id)).length;
    const wanted = new Map(b.report_types.map((t) => [t.name, t.id]));
    for (const w of written) {
      const id = wanted.get(w.name);
      if (w.inserted && id !== undefined && id !== w.id) warnings.push(`report type ${w.name} got id ${w.id}: id ${id} belongs to another type`);
    }
    await syncIdentity(tx, 'report_type');
  }
  progress('report_types', b.report_types.length, b.report_types.length);

  if (b.roles.length) {
    const roles = b.roles.map((r) => {
      const digest = r.access_code_sha256 ?? sha256hex(r.access_code!);
      return { id: r.id, name: r.name, digest, weak: importedCodeIsWeak(r, digest) };
    });
    const written = await tx<{ id: number; inserted: boolean }[]>`
      insert into role (id, name, access_code_sha256, weak_code)
      select b.id, b.name, b.digest, b.weak from jsonb_to_recordset(${json(tx, roles)}) as b(id int, name text, digest text, weak boolean)
      on conflict (id) do update set name = excluded.name, access_code_sha256 = excluded.access_code_sha256, weak_code = excluded.weak_code
      where (role.name, role.access_code_sha256, role.weak_code) is distinct from (excluded.name, excluded.access_code_sha256, excluded.weak_code)
      returning id, (xmax = 0) as inserted
    `;
    const weak = roles.filter((r) => r.weak);
    if (weak.length) warnings.push(weakCodesWarning(weak));
    const ids = b.roles.map((r) => r.id);
    const unitGrants = b.roles.flatMap((r) => [...new Set(r.units)].map((unit_id) => ({ role_id: r.id, unit_id })));
    const typeGrants = b.roles.flatMap((r) => [...new Set(r.report_types)].map((name) => ({ role_id: r.id, name })));
    const touched = [
      ...(await tx<{ role_id: number }[]>`
        delete from role_unit g
        where g.role_id in (select jsonb_array_elements_text(${json(tx, ids)})::int)
          and not exists (select 1 from jsonb_to_recordset(${json(tx, unitGrants)}) as b(role_id int, unit_id int)
                          where b.role_id = g.role_id and b.unit_id = g.unit_id)
        returning g.role_id
      `),
      ...(await tx<{ role_id: number }[]>`
        insert into role_unit (role_id, unit_id)
        select b.role_id, b.unit_id from jsonb_to_recordset(${json(tx, unitGrants)}) as b(role_id int, unit_id int)
        on conflict do nothing
        returning role_id
      `),
      ...(await tx<{ role_id: number }[]>`
        delete from role_report_type g
        where g.role_id in (select jsonb_array_elements_text(${json(tx, ids)})::int)
          and not exists (select 1 from jsonb_to_recordset(${json(tx, typeGrants)}) as b(role_id int, name text)
                          join report_type t on t.name = b.name
                          where b.role_id = g.role_id and t.id = g.report_type_id)
        returning g.role_id
      `),
      ...(await tx<{ role_id: number }[]>`
        insert into role_report_type (role_id, report_type_id)
        select b.role_id, t.id from jsonb_to_recordset(${json(tx, typeGrants)}) as b(role_id int, name text)
        join report_type t on t.name = b.name
        on conflict do nothing
        returning role_id
      `),
    ];
    const inserted = new Set(written.filter((w) => w.inserted).map((w) => w.id));
    const changed = new Set([...written.filter((w) => !w.inserted).map((w) => w.id), ...touched.map((t) => t.role_id)]);
    counts.roles.inserted += inserted.size;
    counts.roles.updated += [...changed].filter((id) => !inserted.has(id)).length;
    await syncIdentity(tx, 'role');
  }
  progress('roles', b.roles.length, b.roles.length);

  if (b.telegram_chats.length) {
    tally(counts.telegram_chats, await tx<{ inserted: boolean }[]>`
      insert into telegram_chat (chat_id, type, title, username, role_id)
      select b.chat_id, b.type, b.title, b.username, b.role_id
      from jsonb_to_recordset(${json(tx, b.telegram_chats)}) as b(chat_id bigint, type text, title text, username text, role_id int)
      on conflict (chat_id) do update set
        type = excluded.type, title = excluded.title, username = excluded.username, role_id = excluded.role_id
      where (telegram_chat.type, telegram_chat.title, telegram_chat.username, telegram_chat.role_id)
        is distinct from (excluded.type, excluded.title, excluded.username, excluded.role_id)
      returning (xmax = 0) as inserted
    `);
  }
  progress('telegram_chats', b.telegram_chats.length, b.telegram_chats.length);

  const totalRoutes = b.report_routes.reduce((n, r) => n + r.unit_ids.length, 0);
  // Other writers of routes wait for the import (readers do not).
  if (totalRoutes) await tx`lock table report_route in share row exclusive mode`;
  let done = 0;
  let batch: typeof b.report_routes = [];
  let batchSize = 0;
  const flush = async () => {
    if (!batch.length) return;
    // Route writers are locked out (below), so skipping existing routes is exact and the plain INSERT avoids
    // ON CONFLICT's per-row speculative insertion (a third of the time on 200,000 routes).
    const result = await tx`
      insert into report_route (unit_id, report_type_id, telegram_chat_id)
      select distinct u.unit_id, t.id, c.id
      from jsonb_to_recordset(${json(tx, batch)}) as b(report_type text, chat_id bigint, unit_ids int[])
      join report_type t on t.name = b.report_type
      join telegram_chat c on c.chat_id = b.chat_id
      cross join lateral unnest(b.unit_ids) as u(unit_id)
      where not exists (
        select 1 from report_route r
        where r.unit_id = u.unit_id and r.report_type_id = t.id and r.telegram_chat_id = c.id
      )
    `;
    counts.report_routes.inserted += result.count;
    done += batchSize;
    batch = [];
    batchSize = 0;
    progress('report_routes', done, totalRoutes);
  };
  for (const route of b.report_routes) {
    batch.push(route);
    batchSize += route.unit_ids.length;
    if (batchSize >= ROUTE_BATCH) await flush();
  }
  await flush();

  if (b.account_roles.length) {
    tally(counts.account_roles, await tx<{ inserted: boolean }[]>`
      insert into account_role (id, name)
      select b.id, b.name from jsonb_to_recordset(${json(tx, b.account_roles)}) as b(id int, name text)
      on conflict (id) do update set name = excluded.name where account_role.name is distinct from excluded.name
      returning (xmax = 0) as inserted
    `);
  }
  progress('account_roles', b.account_roles.length, b.account_roles.length);

  const replaced = SECTIONS.reduce((n, s) => n + counts[s].updated, 0);
  if (!opts.dryRun && replaced > 0 && opts.confirmReplace && !(await opts.confirmReplace(counts))) {
    throw new UsageError('import cancelled; nothing was changed');
  }
  return { counts, warnings };
}

export { BUNDLE_FORMAT };
