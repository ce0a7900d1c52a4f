/**
 * THE description of the admin API (/api/v1/): per resource its path, natural key (data.md §3), its fields (the
 * description shared with the CLI: handlers/resource-fields.ts), what a collection can be searched, ordered and
 * filtered by, the SQL view it is read from, and the handlers its writes and deletes call. Routing, validation,
 * OPTIONS and the OpenAPI document are all generated from this table.
 */
import { sha256hex } from '../../core/access-code';
import type { FieldErrors } from '../../core/errors';
import type { Ctx } from '../../core/operation';
import { intArray, type Tx } from '../../db/client';
import type { BundleSection } from '../../handlers/bundle/schema';
import { deleteChat } from '../../handlers/chats';
import type { CollectionView } from '../../handlers/collections';
import { deleteDepartment } from '../../handlers/departments';
import { deleteRegion } from '../../handlers/regions';
import { changeKey, deleteAccountRole, ItemErrors, deleteReportType, deleteRoute, deleteRouteIn } from '../../handlers/resource-writes';
import { deleteRole } from '../../handlers/roles';
import {
  ACCOUNT_ROLE_FIELDS,
  CHAT_FIELDS,
  DEPARTMENT_FIELDS,
  MIN_ACCESS_CODE,
  REGION_FIELDS,
  REPORT_TYPE_FIELDS,
  ROLE_FIELDS,
  ROUTE_FIELDS,
  UNIT_FIELDS,
  type ResourceFields,
} from '../../handlers/resource-fields';
import { deleteUnit } from '../../handlers/units';

type Item = Record<string, any>;
export { fieldLabel, MIN_ACCESS_CODE, shownFields, type ItemSchema } from '../../handlers/resource-fields';

export interface ResourceKey {
  /** The key's fields, in the order the path segment lists them. */
  fields: readonly string[];
  /** The key's values from a decoded path segment, or null (no such object: 404). */
  parse(segment: string): Item | null;
}

/** The fields (schema, labels, write-only ones) are the resource's shared description: handlers/resource-fields.ts. */
export interface V1Resource extends ResourceFields {
  path: string;
  /** OPTIONS' `name` is `${name} List` / `${name} Instance`. */
  name: string;
  description: string;
  section: BundleSection;
  key: ResourceKey;
  /** Fields whose text `search` looks in (case-insensitive, Cyrillic included). */
  searchable: readonly string[];
  /** `ordering=field` / `-field`. */
  orderable: readonly string[];
  /** `?field=value` equality filters, validated with the field's own schema. */
  filters: readonly string[];
  /** `select … from …`: one row per object, its columns named as the fields. */
  select: CollectionView['select'];
  /** A valid item in the bundle section's shape. */
  toBundle?(item: Item): Item;
  /** The item's field for a bundle field named in a database check's problem (a route's `unit_ids`: `unit_id`). */
  bundleFieldNames?: Readonly<Record<string, string>>;
  /** Completes items inside the write's transaction. */
  prepare?(tx: Tx, items: Item[]): Promise<Item[]>;
  /** PUT/PATCH changed the key: move the stored row to it first, keeping its links. */
  changeKey(tx: Tx, from: Item, to: Item): Promise<void>;
  /** Deletes the object as the CLI's rm does: null when it does not exist, else how many dependent rows went or changed. */
  remove(ctx: Ctx, key: Item): Promise<number | null>;
}

const positiveId: ResourceKey = {
  fields: ['id'],
  parse: (s) => (/^[1-9][0-9]{0,9}$/.test(s) && Number(s) <= 2147483647 ? { id: Number(s) } : null),
};

/** The delete handlers of the CLI resolve "id or name": check the id exists first, so a name never matches. */
async function ifExists(ctx: Ctx, table: string, id: number, remove: () => Promise<number>): Promise<number | null> {
  const [row] = await ctx.sql`select 1 from ${ctx.sql(table)} where id = ${id}`;
  return row ? remove() : null;
}

const sum = (...n: number[]) => n.reduce((a, b) => a + b, 0);
const taken = (what: string, field: string) => `${/^[aeiou]/.test(what) ? 'An' : 'A'} ${what} with this ${field} already exists.`;
const idChange = (table: 'region' | 'department' | 'unit' | 'role' | 'account_role', what: string) => (tx: Tx, from: Item, to: Item) =>
  changeKey(tx, table, 'id', from.id, to.id, taken(what, 'id'));

const units: V1Resource = {
  path: 'units',
  name: 'Unit',
  description: 'Units (pizzerias); the id is the Dodo IS unit id. A unit names its region (created when missing).',
  section: 'units',
  key: positiveId,
  ...UNIT_FIELDS,
  searchable: ['name', 'office_manager_account_name', 'dodo_is_api_account_name', 'shift_manager_account_name'],
  orderable: ['id', 'name', 'region', 'department_id'],
  filters: ['region', 'department_id'],
  select: (sql) => sql`
    select u.id, u.name, u.uuid::text as uuid, r.name as region, u.department_id::int as department_id,
           u.office_manager_account_name, u.dodo_is_api_account_name, u.shift_manager_account_name
    from unit u join region r on r.id = u.region_id
  `,
  changeKey: idChange('unit', 'unit'),
  remove: (ctx, { id }) =>
    ifExists(ctx, 'unit', id, async () => {
      const r = await deleteUnit.run(ctx, { unit: String(id) });
      return sum(r.routes, r.role_grants);
    }),
};

const regions: V1Resource = {
  path: 'regions',
  name: 'Region',
  description: 'Regions (groups of units). Deleting one deletes its units with their routes and role grants.',
  section: 'regions',
  key: positiveId,
  ...REGION_FIELDS,
  searchable: ['name'],
  orderable: ['id', 'name'],
  filters: ['name'],
  select: (sql) => sql`select id, name from region`,
  changeKey: idChange('region', 'region'),
  remove: (ctx, { id }) =>
    ifExists(ctx, 'region', id, async () => {
      const r = await deleteRegion.run(ctx, { region: String(id) });
      return sum(r.units, r.routes, r.role_grants);
    }),
};

const departments: V1Resource = {
  path: 'departments',
  name: 'Department',
  description: 'Departments (an optional grouping of units). Deleting one leaves its units without a department.',
  section: 'departments',
  key: { fields: ['id'], parse: (s) => (/^[1-9][0-9]{0,4}$/.test(s) && Number(s) <= 32767 ? { id: Number(s) } : null) },
  ...DEPARTMENT_FIELDS,
  searchable: ['name'],
  orderable: ['id', 'name', 'uuid'],
  filters: ['name', 'uuid'],
  select: (sql) => sql`select id::int as id, name, uuid::text as uuid from department`,
  changeKey: idChange('department', 'department'),
  remove: (ctx, { id }) =>
    ifExists(ctx, 'department', id, async () => (await deleteDepartment.run(ctx, { department: String(id) })).units),
};

const reportTypes: V1Resource = {
  path: 'report-types',
  name: 'Report Type',
  description: 'Report types, keyed by name; `parent` is the parent\'s name. Deleting one deletes its routes and role grants.',
  section: 'report_types',
  key: { fields: ['name'], parse: (s) => (s.trim() === s && s !== '' && s.length <= 64 && !s.includes('\u0000') ? { name: s } : null) },
  ...REPORT_TYPE_FIELDS,
  searchable: ['name', 'verbose_name'],
  orderable: ['id', 'name', 'verbose_name', 'is_active', 'parent', 'priority'],
  filters: ['is_active', 'parent', 'priority'],
  select: (sql) => sql`
    select t.id, t.name, t.verbose_name, t.is_active, p.name as parent, t.priority::int as priority
    from report_type t left join report_type p on p.id = t.parent_id
  `,
  changeKey: (tx, from, to) => changeKey(tx, 'report_type', 'name', from.name, to.name, taken('report type', 'name')),
  async remove(ctx, { name }) {
    const r = await deleteReportType(ctx, name);
    return r && sum(r.routes, r.role_grants, r.children);
  },
};

const roles: V1Resource = {
  path: 'roles',
  name: 'Role',
  description:
    'Roles: the units and report types a chat holding the role may route. `access_code` is write-only and stored as ' +
    `its SHA-256 digest; it is required for a new role (at least ${MIN_ACCESS_CODE} characters) and kept when omitted.`,
  section: 'roles',
  key: positiveId,
  ...ROLE_FIELDS,
  searchable: ['name'],
  orderable: ['id', 'name'],
  filters: ['name'],
  select: (sql) => sql`
    select r.id, r.name,
      coalesce((select jsonb_agg(g.unit_id order by g.unit_id) from role_unit g where g.role_id = r.id), '[]'::jsonb) as units,
      coalesce((select jsonb_agg(t.name order by t.name) from role_report_type g join report_type t on t.id = g.report_type_id
                where g.role_id = r.id), '[]'::jsonb) as report_types
    from role r
  `,
  /** An item without access_code keeps the stored digest; a new role without one is a field error. */
  async prepare(tx, items) {
    const wanted = items.filter((r) => r.access_code === undefined).map((r) => r.id as number);
    const stored = new Map<number, string>();
    if (wanted.length) {
      for (const row of await tx<{ id: number; digest: string }[]>`
        select id, access_code_sha256 as digest from role where id = any(${intArray(wanted)}::int[])
      `) stored.set(row.id, row.digest);
    }
    const missing = new Map<number, FieldErrors>();
    items.forEach((r, i) => {
      if (r.access_code === undefined && !stored.has(r.id)) missing.set(i, { access_code: ['This field is required.'] });
    });
    if (missing.size) throw new ItemErrors(missing);
    return items.map((r) => (r.access_code === undefined ? { ...r, access_code_sha256: stored.get(r.id) } : { ...r, access_code_sha256: sha256hex(r.access_code) }));
  },
  changeKey: idChange('role', 'role'),
  remove: (ctx, { id }) =>
    ifExists(ctx, 'role', id, async () => {
      const r = await deleteRole.run(ctx, { role: String(id), dry_run: false });
      return sum(r.chats, r.units, r.report_types);
    }),
};

const chats: V1Resource = {
  path: 'telegram-chats',
  name: 'Telegram Chat',
  description: 'Telegram chats, keyed by chat_id. A changed chat_id keeps the chat\'s routes and role; deleting a chat deletes its routes.',
  section: 'telegram_chats',
  key: { fields: ['chat_id'], parse: (s) => (/^-?[1-9][0-9]{0,15}$/.test(s) && Number.isSafeInteger(Number(s)) ? { chat_id: Number(s) } : null) },
  ...CHAT_FIELDS,
  searchable: ['title', 'username'],
  orderable: ['chat_id', 'type', 'title', 'username', 'role_id'],
  filters: ['chat_id', 'type', 'role_id', 'username'],
  select: (sql) => sql`select chat_id, type, title, username, role_id from telegram_chat`,
  changeKey: (tx, from, to) => changeKey(tx, 'telegram_chat', 'chat_id', from.chat_id, to.chat_id, taken('chat', 'chat_id')),
  async remove(ctx, { chat_id }) {
    const [row] = await ctx.sql`select 1 from telegram_chat where chat_id = ${chat_id}`;
    return row ? (await deleteChat.run(ctx, { chat: String(chat_id), dry_run: false })).routes : null;
  },
};

const routes: V1Resource = {
  path: 'report-routes',
  name: 'Report Route',
  description:
    'Report routes: "send reports of this type about this unit to this chat". The key is `report_type,chat_id,unit_id` ' +
    '(e.g. `CANCELED_ORDERS,-1001234567890,5`); a route has no other fields, so POST only inserts.',
  section: 'report_routes',
  key: {
    fields: ['report_type', 'chat_id', 'unit_id'],
    parse(s) {
      const m = /^(.+),(-?[1-9][0-9]{0,15}),([1-9][0-9]{0,9})$/.exec(s);
      if (!m || !Number.isSafeInteger(Number(m[2])) || Number(m[3]) > 2147483647) return null;
      return { report_type: m[1], chat_id: Number(m[2]), unit_id: Number(m[3]) };
    },
  },
  ...ROUTE_FIELDS,
  searchable: ['report_type'],
  orderable: ['report_type', 'chat_id', 'unit_id'],
  filters: ['report_type', 'chat_id', 'unit_id'],
  select: (sql) => sql`
    select t.name as report_type, c.chat_id, r.unit_id
    from report_route r join report_type t on t.id = r.report_type_id join telegram_chat c on c.id = r.telegram_chat_id
  `,
  toBundle: (r) => ({ report_type: r.report_type, chat_id: r.chat_id, unit_ids: [r.unit_id] }),
  bundleFieldNames: { unit_ids: 'unit_id' },
  async changeKey(tx, from) {
    await deleteRouteIn(tx, from as never);
  },
  remove: async (ctx, key) => ((await deleteRoute(ctx, key as never)) ? 0 : null),
};

const accountRoles: V1Resource = {
  path: 'account-roles',
  name: 'Account Role',
  description: 'Service-account roles of the upstream Dodo IS API.',
  section: 'account_roles',
  key: positiveId,
  ...ACCOUNT_ROLE_FIELDS,
  searchable: ['name'],
  orderable: ['id', 'name'],
  filters: ['name'],
  select: (sql) => sql`select id, name from account_role`,
  changeKey: idChange('account_role', 'account role'),
  remove: async (ctx, { id }) => ((await deleteAccountRole(ctx, id)) ? 0 : null),
};

export const RESOURCES: readonly V1Resource[] = [units, regions, departments, reportTypes, chats, roles, routes, accountRoles];

/** The resource as a collection to read (handlers/collections.ts). */
export function viewOf(r: V1Resource): CollectionView {
  return { select: r.select, key: r.key.fields, searchable: r.searchable };
}

/** The key's path segment of an object (`5`, `CANCELED_ORDERS`, `CANCELED_ORDERS,-100…,5`). */
export function keySegment(r: V1Resource, row: Item): string {
  return encodeURIComponent(r.key.fields.map((f) => String(row[f])).join(','));
}
