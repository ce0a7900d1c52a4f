import { z } from 'zod';
import { NotFoundError, ValidationError } from '../core/errors';
import { boolean, choice, id, INT16, integer, list, storable, text } from '../core/fields';
import { fetchLimit, listOperation, operation, toPage, write } from '../core/operation';
import { intArray, type Sql, type Tx } from '../db/client';
import { MESSAGES } from './access';
import { mapConflicts } from './constraints';
import { reportTypeRef } from './refs';

export interface ReportType {
  id: number;
  name: string;
  verbose_name: string;
  is_active: boolean;
  parent: string | null;
  priority: number;
}

export const REPORT_TYPE_SCOPES = ['default', 'statistics', 'inactive', 'all'] as const;

export const listReportTypes = listOperation({
  name: 'report-types.list',
  summary:
    'Report types, by priority (highest first) then id. default: active types that are not statistics types ' +
    '(with parent_id: the active children of that type); statistics: active children of STATISTICS; ' +
    'inactive: inactive types; all: every type.',
  filters: {
    scope: choice(REPORT_TYPE_SCOPES).default('default'),
    parent_id: id().optional(),
  },
  async run({ sql }, { scope, parent_id, limit, offset }) {
    const statistics = sql`(select s.id from report_type s where s.name = 'STATISTICS')`;
    const where =
      scope === 'all'
        ? sql`true`
        : scope === 'inactive'
          ? sql`not t.is_active`
          : scope === 'statistics'
            ? sql`t.is_active and t.parent_id = ${statistics}`
            : parent_id !== undefined
              ? sql`t.is_active and t.parent_id = ${parent_id}`
              : sql`t.is_active and t.parent_id is distinct from ${statistics}`;
    const rows = await sql<ReportType[]>`
      select t.id, t.name, t.verbose_name, t.is_active, p.name as parent, t.priority
      from report_type t
      left join report_type p on p.id = t.parent_id
      where ${where}
      order by t.priority desc, t.id
      limit ${fetchLimit(limit)} offset ${offset}
    `;
    return toPage(rows, limit);
  },
});

export type ReportTypeScope = z.output<typeof listReportTypes.input>['scope'];

export const getReportTypeByName = operation({
  name: 'report-types.get-by-name',
  summary: 'One active report type by its exact name.',
  input: z.object({ name: z.string({ error: 'This field is required.' }) }),
  async run({ sql }, { name }): Promise<ReportType> {
    if (!storable(name)) throw new NotFoundError(MESSAGES.reportTypeNotFound);
    const [row] = await sql<ReportType[]>`
      select t.id, t.name, t.verbose_name, t.is_active, p.name as parent, t.priority
      from report_type t left join report_type p on p.id = t.parent_id
      where t.name = ${name} and t.is_active
    `;
    if (!row) throw new NotFoundError(MESSAGES.reportTypeNotFound);
    return row;
  },
});

/** A report type as `report-types show` shows it: with its parent's id and what depends on it. */
export interface ReportTypeDetail extends ReportType {
  parent_id: number | null;
  /** Types whose parent this is. */
  children: number;
  routes: number;
  roles: number;
}

async function reportTypeDetail(sql: Sql | Tx, typeId: number): Promise<ReportTypeDetail> {
  const [row] = await sql<ReportTypeDetail[]>`
    select t.id, t.name, t.verbose_name, t.is_active, p.name as parent, t.priority, t.parent_id,
           (select count(*)::int from report_type c where c.parent_id = t.id) as children,
           (select count(*)::int from report_route x where x.report_type_id = t.id) as routes,
           (select count(*)::int from role_report_type g where g.report_type_id = t.id) as roles
    from report_type t left join report_type p on p.id = t.parent_id
    where t.id = ${typeId}
  `;
  if (!row) throw new NotFoundError(`report type ${typeId} not found`, 'list them with `urdb report-types list --all`');
  return row;
}

/** The report type fields an administrator sets; `parent` is a reference (id or name). */
export const reportTypeFields = {
  id: id(),
  name: text({ max: 64 }),
  verbose_name: text({ max: 64 }),
  parent: text({ max: 64 }).nullable(),
  priority: integer({ min: 0, max: INT16.max }),
  is_active: boolean(),
};

const typeConflicts = (input: { id?: number; name?: string }) => ({
  report_type_pkey: (input.id === undefined
    ? ['the next generated report type id is already taken (the id sequence is behind)', 'pass --id with a free id']
    : [`report type id ${input.id} is taken`, 'leave out --id to get the next free one']) as [string, string],
  report_type_name_key: [`a report type named ${JSON.stringify(input.name)} already exists`, `see it with \`urdb report-types show ${input.name}\``] as [string, string],
});

/** The parent a type may have: an existing type that is neither the type itself nor one of its descendants. */
async function parentFor(tx: Tx, ref: string | null, typeId: number | null): Promise<{ id: number; name: string } | null> {
  if (ref === null) return null;
  const parent = await reportTypeRef(tx, ref);
  if (typeId !== null) {
    const [cycle] = await tx`
      with recursive ancestors as (
        select id, parent_id from report_type where id = ${parent.id}
        union
        select t.id, t.parent_id from report_type t join ancestors a on t.id = a.parent_id
      )
      select 1 from ancestors where id = ${typeId}
    `;
    if (cycle) throw new ValidationError({ parent: [`${parent.name} cannot be the parent: it is this type or one of its descendants.`] });
  }
  return parent;
}

export const getReportType = operation({
  name: 'report-types.get',
  summary: 'One report type, active or not, by id or name, with what depends on it counted.',
  input: z.object({ report_type: text({ max: 64 }) }),
  async run({ sql }, { report_type }): Promise<ReportTypeDetail> {
    return reportTypeDetail(sql, (await reportTypeRef(sql, report_type)).id);
  },
});

export const createReportType = operation({
  name: 'report-types.create',
  summary: 'Add a report type (its id is generated unless given).',
  input: z.object({
    id: reportTypeFields.id.optional(),
    name: reportTypeFields.name,
    verbose_name: reportTypeFields.verbose_name,
    parent: reportTypeFields.parent.optional().default(null),
    priority: reportTypeFields.priority.optional().default(0),
    is_active: reportTypeFields.is_active.optional().default(true),
  }),
  async run(ctx, input): Promise<ReportTypeDetail> {
    return mapConflicts(typeConflicts(input), () =>
      write(ctx, ['report_type'], async (tx) => {
        const parent = await parentFor(tx, input.parent, null);
        const [row] =
          input.id === undefined
            ? await tx<{ id: number }[]>`
                insert into report_type (name, verbose_name, is_active, parent_id, priority)
                values (${input.name}, ${input.verbose_name}, ${input.is_active}, ${parent?.id ?? null}, ${input.priority})
                returning id
              `
            : await tx<{ id: number }[]>`
                insert into report_type (id, name, verbose_name, is_active, parent_id, priority)
                values (${input.id}, ${input.name}, ${input.verbose_name}, ${input.is_active}, ${parent?.id ?? null}, ${input.priority})
                returning id
              `;
        if (input.id !== undefined) {
          await tx`select setval(pg_get_serial_sequence('report_type', 'id'), greatest(max(id), 1)) from report_type`;
        }
        return reportTypeDetail(tx, row!.id);
      }),
    );
  },
});

export const updateReportTypeInput = z.object({
  report_type: text({ max: 64 }),
  name: reportTypeFields.name.optional(),
  verbose_name: reportTypeFields.verbose_name.optional(),
  parent: reportTypeFields.parent.optional(),
  priority: reportTypeFields.priority.optional(),
});

export const REPORT_TYPE_UPDATE_FIELDS = ['name', 'verbose_name', 'parent', 'priority'] as const;

export interface ReportTypeUpdate {
  report_type: ReportTypeDetail;
  changes: { field: string; from: unknown; to: unknown }[];
}

export const updateReportType = operation({
  name: 'report-types.update',
  summary: "Change a report type's name, verbose name, parent (null: none) or priority; fields not given are kept.",
  input: updateReportTypeInput,
  async run(ctx, input): Promise<ReportTypeUpdate> {
    return mapConflicts(typeConflicts(input), () =>
      write(ctx, ['report_type'], async (tx) => {
        const ref = await reportTypeRef(tx, input.report_type);
        await tx`select id from report_type where id = ${ref.id} for update`;
        const before = await reportTypeDetail(tx, ref.id);
        const set: Record<string, unknown> = {};
        const changes: ReportTypeUpdate['changes'] = [];
        const change = (field: string, column: string, from: unknown, to: unknown, stored: unknown = to) => {
          if (to === undefined || from === to) return;
          set[column] = stored;
          changes.push({ field, from, to });
        };
        change('name', 'name', before.name, input.name);
        change('verbose_name', 'verbose_name', before.verbose_name, input.verbose_name);
        if (input.parent !== undefined) {
          const parent = await parentFor(tx, input.parent, ref.id);
          change('parent', 'parent_id', before.parent, parent?.name ?? null, parent?.id ?? null);
        }
        change('priority', 'priority', before.priority, input.priority);
        if (changes.length === 0) return { report_type: before, changes };
        await tx`update report_type set ${tx(set)} where id = ${ref.id}`;
        return { report_type: await reportTypeDetail(tx, ref.id), changes };
      }),
    );
  },
});

export interface ActivationResult {
  /** Names whose state changed. */
  changed: string[];
  /** Names that were already in that state. */
  unchanged: string[];
}

/** Activates or deactivates types by id or name; any unknown reference fails the whole call. */
export const setReportTypesActive = operation({
  name: 'report-types.set-active',
  summary: 'Make report types (ids or names) active or inactive; all or nothing.',
  input: z.object({ report_types: list(text({ max: 64 })), is_active: boolean() }),
  async run(ctx, { report_types, is_active }): Promise<ActivationResult> {
    return write(ctx, ['report_type'], async (tx) => {
      const found: { id: number; name: string }[] = [];
      const missing: string[] = [];
      for (const ref of report_types) {
        try {
          found.push(await reportTypeRef(tx, ref));
        } catch (err) {
          if (!(err instanceof NotFoundError)) throw err;
          missing.push(ref);
        }
      }
      if (missing.length) {
        throw new NotFoundError(
          `report type${missing.length > 1 ? 's' : ''} ${missing.map((m) => JSON.stringify(m)).join(', ')} not found; nothing was changed`,
          'list them with `urdb report-types list --all`',
        );
      }
      const ids = [...new Set(found.map((t) => t.id))];
      const changed = await tx<{ name: string }[]>`
        update report_type set is_active = ${is_active}
        where id = any(${intArray(ids)}::int[]) and is_active <> ${is_active}
        returning name
      `;
      const changedNames = new Set(changed.map((r) => r.name));
      const names = [...new Set(found.map((t) => t.name))];
      return { changed: names.filter((n) => changedNames.has(n)), unchanged: names.filter((n) => !changedNames.has(n)) };
    });
  },
});
