import { z } from 'zod';
import { NotFoundError } from '../core/errors';
import { id, storable, text, uuid } from '../core/fields';
import { fetchLimit, listOperation, operation, toPage, write } from '../core/operation';
import type { Sql, Tx } from '../db/client';
import { MESSAGES } from './access';
import { mapConflicts } from './constraints';
import { nameContains, searchCollation } from './search';
import { departmentRef, regionRef, unitRef } from './refs';

/** A unit as the API shows it: `region` is the region's name, account names are never null. */
export interface Unit {
  id: number;
  name: string;
  uuid: string;
  office_manager_account_name: string;
  dodo_is_api_account_name: string;
  region: string;
}

export const listUnits = listOperation({
  name: 'units.list',
  summary: 'Units (pizzerias) by id, optionally of one region (id or name) or whose name contains a text.',
  filters: {
    region: text({ max: 64 }).optional(),
    search: text({ max: 64 }).optional(),
  },
  async run({ sql }, { region, search, limit, offset }) {
    const regionId = region === undefined ? undefined : (await regionRef(sql, region)).id;
    const collation = search === undefined ? null : await searchCollation(sql);
    const rows = await sql<Unit[]>`
      select u.id, u.name, u.uuid, u.office_manager_account_name, u.dodo_is_api_account_name, r.name as region
      from unit u
      join region r on r.id = u.region_id
      where ${regionId === undefined ? sql`true` : sql`u.region_id = ${regionId}`}
        and ${nameContains(sql, sql`u.name`, search, collation)}
      order by u.id
      limit ${fetchLimit(limit)} offset ${offset}
    `;
    return toPage(rows, limit);
  },
});

export const getUnitByName = operation({
  name: 'units.get-by-name',
  summary: 'One unit by its exact (case-sensitive) name.',
  input: z.object({ unit_name: z.string({ error: 'This field is required.' }) }),
  async run({ sql }, { unit_name }): Promise<Unit> {
    if (!storable(unit_name)) throw new NotFoundError(MESSAGES.unitNotFoundByName);
    const [unit] = await sql<Unit[]>`
      select u.id, u.name, u.uuid, u.office_manager_account_name, u.dodo_is_api_account_name, r.name as region
      from unit u join region r on r.id = u.region_id
      where u.name = ${unit_name}
    `;
    if (!unit) throw new NotFoundError(MESSAGES.unitNotFoundByName);
    return unit;
  },
});

/** A unit as `units show` shows it: the API's fields, then what the administrator also needs. */
export interface UnitDetail extends Unit {
  region_id: number;
  department_id: number | null;
  department: string | null;
  shift_manager_account_name: string;
  /** Report routes about this unit. */
  routes: number;
  /** Roles that grant this unit. */
  roles: number;
}

async function unitDetail(sql: Sql | Tx, unitId: number): Promise<UnitDetail> {
  const [row] = await sql<UnitDetail[]>`
    select u.id, u.name, u.uuid, u.office_manager_account_name, u.dodo_is_api_account_name, r.name as region,
           u.region_id, u.department_id, d.name as department, u.shift_manager_account_name,
           (select count(*)::int from report_route x where x.unit_id = u.id) as routes,
           (select count(*)::int from role_unit g where g.unit_id = u.id) as roles
    from unit u
    join region r on r.id = u.region_id
    left join department d on d.id = u.department_id
    where u.id = ${unitId}
  `;
  if (!row) throw new NotFoundError(`unit ${unitId} not found`, 'list units with `urdb units list`');
  return row;
}

const accountName = () => text({ max: 255, allowBlank: true });

/** The unit fields an administrator sets; `region` and `department` are references (id or name). */
export const unitFields = {
  id: id(),
  name: text({ max: 64 }),
  uuid: uuid(),
  region: text({ max: 64 }),
  department: text({ max: 64 }).nullable(),
  office_manager_account_name: accountName(),
  dodo_is_api_account_name: accountName(),
  shift_manager_account_name: accountName(),
};

/** The CLI flag of each field, for error messages. */
export const UNIT_FLAGS: Record<string, string> = {
  office_manager_account_name: '--office-manager-account',
  dodo_is_api_account_name: '--dodo-is-api-account',
  shift_manager_account_name: '--shift-manager-account',
};

function unitConflicts(input: { id?: number; name?: string; uuid?: string }) {
  return {
    unit_pkey: [`unit ${input.id} already exists`, `change it with \`urdb units update ${input.id}\``] as [string, string],
    unit_name_key: [`another unit is already named ${JSON.stringify(input.name)}`, `see it with \`urdb units show ${JSON.stringify(input.name)}\``] as [string, string],
    unit_uuid_key: [`another unit already has the uuid ${input.uuid}`, 'a uuid belongs to one unit; check the value'] as [string, string],
  };
}

/**
 * Whether a value of a unique unit field is taken, said as createUnit's conflict would say it (null: free). For
 * prompts, which check each value as it is typed; the insert's constraint still decides a race.
 */
export async function unitValueTaken(sql: Sql, field: 'id' | 'name' | 'uuid', value: string | number): Promise<string | null> {
  const input = { id: Number(value), name: String(value), uuid: String(value) };
  const [row] =
    field === 'id'
      ? await sql`select 1 from unit where id = ${input.id}`
      : field === 'name'
        ? await sql`select 1 from unit where name = ${input.name}`
        : await sql`select 1 from unit where uuid = ${input.uuid}::uuid`;
  if (!row) return null;
  const [message, hint] = unitConflicts(input)[field === 'id' ? 'unit_pkey' : field === 'name' ? 'unit_name_key' : 'unit_uuid_key'];
  return `${message}; ${hint}`;
}

export const getUnit = operation({
  name: 'units.get',
  summary: 'One unit by id or exact name, with its department, routes and roles counted.',
  input: z.object({ unit: text({ max: 64 }) }),
  async run({ sql }, { unit }): Promise<UnitDetail> {
    return unitDetail(sql, (await unitRef(sql, unit)).id);
  },
});

export const createUnit = operation({
  name: 'units.create',
  summary: 'Add a unit (pizzeria) with its Dodo IS id and uuid, in an existing region.',
  input: z.object({
    ...unitFields,
    department: unitFields.department.optional().default(null),
    office_manager_account_name: accountName().optional().default(''),
    dodo_is_api_account_name: accountName().optional().default(''),
    shift_manager_account_name: accountName().optional().default(''),
  }),
  async run(ctx, input): Promise<UnitDetail> {
    return mapConflicts(unitConflicts(input), () =>
      write(ctx, ['unit'], async (tx) => {
        const region = await regionRef(tx, input.region);
        const department = input.department === null ? null : await departmentRef(tx, input.department);
        await tx`
          insert into unit (id, name, uuid, office_manager_account_name, dodo_is_api_account_name,
                            shift_manager_account_name, region_id, department_id)
          values (${input.id}, ${input.name}, ${input.uuid}, ${input.office_manager_account_name},
                  ${input.dodo_is_api_account_name}, ${input.shift_manager_account_name}, ${region.id},
                  ${department?.id ?? null})
        `;
        return unitDetail(tx, input.id);
      }),
    );
  },
});

export const updateUnitInput = z.object({
  unit: text({ max: 64 }),
  name: unitFields.name.optional(),
  uuid: unitFields.uuid.optional(),
  region: unitFields.region.optional(),
  department: unitFields.department.optional(),
  office_manager_account_name: accountName().optional(),
  dodo_is_api_account_name: accountName().optional(),
  shift_manager_account_name: accountName().optional(),
});

/** The fields of `updateUnit` that set something (all but the reference to the unit). */
export const UNIT_UPDATE_FIELDS = [
  'name',
  'uuid',
  'region',
  'department',
  'office_manager_account_name',
  'dodo_is_api_account_name',
  'shift_manager_account_name',
] as const;

export interface UnitUpdate {
  unit: UnitDetail;
  /** `field: old → new` for each field that changed (empty: nothing changed). */
  changes: { field: string; from: unknown; to: unknown }[];
}

export const updateUnit = operation({
  name: 'units.update',
  summary: 'Change a unit\'s fields; fields not given are kept. `department: null` removes its department.',
  input: updateUnitInput,
  async run(ctx, input): Promise<UnitUpdate> {
    return mapConflicts(unitConflicts(input), () =>
      write(ctx, ['unit'], async (tx) => {
        const ref = await unitRef(tx, input.unit);
        await tx`select id from unit where id = ${ref.id} for update`;
        const before = await unitDetail(tx, ref.id);
        const set: Record<string, unknown> = {};
        const changes: UnitUpdate['changes'] = [];
        const change = (field: string, column: string, from: unknown, to: unknown, stored: unknown = to) => {
          if (to === undefined || from === to) return;
          set[column] = stored;
          changes.push({ field, from, to });
        };
        change('name', 'name', before.name, input.name);
        change('uuid', 'uuid', before.uuid, input.uuid);
        if (input.region !== undefined) {
          const region = await regionRef(tx, input.region);
          change('region', 'region_id', before.region, region.name, region.id);
        }
        if (input.department !== undefined) {
          const department = input.department === null ? null : await departmentRef(tx, input.department);
          change('department', 'department_id', before.department, department?.name ?? null, department?.id ?? null);
        }
        change('office_manager_account_name', 'office_manager_account_name', before.office_manager_account_name, input.office_manager_account_name);
        change('dodo_is_api_account_name', 'dodo_is_api_account_name', before.dodo_is_api_account_name, input.dodo_is_api_account_name);
        change('shift_manager_account_name', 'shift_manager_account_name', before.shift_manager_account_name, input.shift_manager_account_name);
        if (changes.length === 0) return { unit: before, changes };
        await tx`update unit set ${tx(set)} where id = ${ref.id}`;
        return { unit: await unitDetail(tx, ref.id), changes };
      }),
    );
  },
});

/** What deleting a unit takes with it (ON DELETE CASCADE). */
export interface UnitImpact {
  id: number;
  name: string;
  routes: number;
  role_grants: number;
}

const unitImpact = (sql: Sql | Tx, unitId: number) => sql<UnitImpact[]>`
  select u.id, u.name,
         (select count(*)::int from report_route x where x.unit_id = u.id) as routes,
         (select count(*)::int from role_unit g where g.unit_id = u.id) as role_grants
  from unit u where u.id = ${unitId}
`;

export const describeUnitDelete = operation({
  name: 'units.delete-impact',
  summary: 'What deleting a unit would delete with it: its routes and role grants.',
  input: z.object({ unit: text({ max: 64 }) }),
  async run({ sql }, { unit }): Promise<UnitImpact> {
    const [row] = await unitImpact(sql, (await unitRef(sql, unit)).id);
    return row!;
  },
});

export const deleteUnit = operation({
  name: 'units.delete',
  summary: 'Delete a unit with its routes and role grants.',
  input: z.object({ unit: text({ max: 64 }) }),
  async run(ctx, { unit }): Promise<UnitImpact> {
    return write(ctx, ['unit', 'report_route', 'role_unit'], async (tx) => {
      const ref = await unitRef(tx, unit);
      await tx`select id from unit where id = ${ref.id} for update`;
      const [row] = await unitImpact(tx, ref.id);
      await tx`delete from unit where id = ${ref.id}`;
      return row!;
    });
  },
});
