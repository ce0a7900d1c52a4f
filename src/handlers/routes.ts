/**
 * Report routes: "send reports of this type about this unit to this chat". The two lookups are the service's hot
 * path; creation follows the old API's check order exactly (http-api.md, POST /report-routes/).
 */
import { z } from 'zod';
import { ConflictError, ForbiddenError, NotFoundError } from '../core/errors';
import { chatId, integer, list, text } from '../core/fields';
import { fetchLimit, listOperation, operation, slicePage, toPage, write } from '../core/operation';
import { intArray, qualifiedClient, type Sql, type Tx } from '../db/client';
import { actingChat, MESSAGES } from './access';
import { chatRef } from './chats';
import { regionUnitIds, unitRefs } from './ref-sets';
import { regionRef, reportTypeRef, unitRef } from './refs';

/**
 * Chat ids for (unit, type), ascending; `limit` null: all of them (what the cache keeps). Both lookups name the
 * schema themselves: behind a transaction-mode pool they are then one statement each (src/db/client.ts).
 */
const chatsOf = (ctxSql: Sql, unitId: number, reportTypeId: number, limit: number | null, offset: number) => {
  const { sql, schema } = qualifiedClient(ctxSql);
  return sql<{ chat_id: number }[]>`
    select c.chat_id
    from ${sql(schema)}.report_route r join ${sql(schema)}.telegram_chat c on c.id = r.telegram_chat_id
    where r.unit_id = ${unitId} and r.report_type_id = ${reportTypeId}
    order by c.chat_id
    limit ${limit} offset ${offset}
  `.then((rows) => rows.map((r) => r.chat_id));
};

/** Unit ids for (Telegram chat, type), ascending. */
const unitsOf = (ctxSql: Sql, chatId: number, reportTypeId: number, limit: number | null, offset: number) => {
  const { sql, schema } = qualifiedClient(ctxSql);
  return sql<{ unit_id: number }[]>`
    select r.unit_id
    from ${sql(schema)}.report_route r join ${sql(schema)}.telegram_chat c on c.id = r.telegram_chat_id
    where c.chat_id = ${chatId} and r.report_type_id = ${reportTypeId}
    order by r.unit_id
    limit ${limit} offset ${offset}
  `.then((rows) => rows.map((r) => r.unit_id));
};

export const listRouteChats = listOperation({
  name: 'routes.chats',
  summary: 'Telegram chat ids that receive reports of this type about this unit (ascending; negative for groups).',
  filters: { unit_id: integer(), report_type_id: integer() },
  async run({ sql, routeCache }, { unit_id, report_type_id, limit, offset }) {
    if (!routeCache) return toPage(await chatsOf(sql, unit_id, report_type_id, fetchLimit(limit), offset), limit);
    const all = await routeCache.chats(unit_id, report_type_id, () => chatsOf(sql, unit_id, report_type_id, null, 0));
    return slicePage(all, limit, offset);
  },
});

export const listRouteUnits = listOperation({
  name: 'routes.units',
  summary: 'Unit ids whose reports of this type go to this chat (ascending). Unknown chat or type: an empty list.',
  filters: { chat_id: chatId(), report_type_id: integer() },
  async run({ sql, routeCache }, { chat_id, report_type_id, limit, offset }) {
    if (!routeCache) return toPage(await unitsOf(sql, chat_id, report_type_id, fetchLimit(limit), offset), limit);
    const all = await routeCache.units(chat_id, report_type_id, () => unitsOf(sql, chat_id, report_type_id, null, 0));
    return slicePage(all, limit, offset);
  },
});

export const createRoutesInput = z.object({
  report_type_id: integer(),
  chat_id: chatId(),
  unit_ids: list(integer()),
  user_chat_id: chatId().nullable().optional(),
});

/**
 * All routes or none. Checks, first failure wins: acting chat known (404) and with a role (403), report type known
 * (404) and granted (403), every unit granted (403, naming the others), receiving chat known (404), no route already
 * there (409). Rows read for the checks are locked FOR SHARE, so a concurrent role switch or revoke cannot slip
 * between the check and the insert; a concurrent identical request waits on the unique index and gets the 409.
 */
export const createRoutes = operation({
  name: 'routes.create',
  summary: 'Route reports of a type about units to a chat, as the acting user (user_chat_id, else the chat itself) may.',
  input: createRoutesInput,
  async run(ctx, input): Promise<{ inserted: number }> {
    const unitIds = [...new Set(input.unit_ids)].sort((a, b) => a - b);
    return write(ctx, ['report_route'], async (tx) => {
      const acting = await actingChat(tx, input.user_chat_id ?? input.chat_id, { lock: true });
      const [type] = await tx<{ id: number }[]>`select id from report_type where id = ${input.report_type_id}`;
      if (!type) throw new NotFoundError(MESSAGES.reportTypeByIdNotFound);
      const granted = await tx`
        select 1 from role_report_type where role_id = ${acting.role_id} and report_type_id = ${type.id} for share
      `;
      if (granted.count === 0) throw new ForbiddenError(MESSAGES.reportTypeDenied);
      const allowed = await tx<{ unit_id: number }[]>`
        select unit_id from role_unit where role_id = ${acting.role_id} and unit_id = any(${intArray(unitIds)}::int[]) for share
      `;
      const allowedSet = new Set(allowed.map((a) => a.unit_id));
      const denied = unitIds.filter((id) => !allowedSet.has(id));
      if (denied.length) throw new ForbiddenError(MESSAGES.unitsDenied(denied));
      const [target] = await tx<{ id: number }[]>`select id from telegram_chat where chat_id = ${input.chat_id} for share`;
      if (!target) throw new NotFoundError(MESSAGES.chatNotFound);
      const inserted = await tx`
        insert into report_route (unit_id, report_type_id, telegram_chat_id)
        select u, ${type.id}, ${target.id} from unnest(${intArray(unitIds)}::int[]) as u
        on conflict do nothing
      `;
      if (inserted.count !== unitIds.length) throw new ConflictError(MESSAGES.routeExists);
      return { inserted: inserted.count };
    });
  },
});

/** `unit_ids=1&unit_ids=2` (a list) or `unit_ids=1,2` (one value), or a JSON array. */
const unitIdList = z.preprocess((v) => {
  const parts = (Array.isArray(v) ? v : v === undefined ? undefined : [v])?.flatMap((x) =>
    typeof x === 'string' ? x.split(',').filter((s) => s.trim() !== '') : [x],
  );
  return parts;
}, list(integer(), { allowEmpty: true }).optional());

export const deleteRoutes = operation({
  name: 'routes.delete',
  summary: 'Delete the routes of these units for this chat and type. No unit_ids: nothing is deleted. user_chat_id is ignored.',
  input: z.object({
    chat_id: chatId(),
    report_type_id: integer(),
    unit_ids: unitIdList,
    user_chat_id: z.unknown().optional(),
  }),
  async run(ctx, { chat_id, report_type_id, unit_ids }): Promise<{ deleted: number }> {
    if (!unit_ids || unit_ids.length === 0) return { deleted: 0 };
    return write(ctx, ['report_route'], async (tx) => {
      const deleted = await tx`
        delete from report_route r
        using telegram_chat c
        where c.id = r.telegram_chat_id and c.chat_id = ${chat_id}
          and r.report_type_id = ${report_type_id}
          and r.unit_id = any(${intArray([...new Set(unit_ids)])}::int[])
      `;
      return { deleted: deleted.count };
    });
  },
});

// Administration (the CLI): routes with names for people, and the administrator's additive add and remove.

export interface RouteRow {
  chat_id: number;
  chat_title: string;
  report_type_id: number;
  report_type: string;
  unit_id: number;
  unit_name: string;
  region: string;
}

const ref = (max: number) => text({ max });

export const listRoutes = listOperation({
  name: 'routes.list',
  summary: 'Routes with the names of their chat, report type, unit and region; filtered by any of them (id or name).',
  filters: { chat: ref(256).optional(), report: ref(64).optional(), unit: ref(64).optional(), region: ref(64).optional() },
  async run({ sql }, { chat, report, unit, region, limit, offset }) {
    const chatId = chat === undefined ? undefined : (await chatRef(sql, chat)).id;
    const typeId = report === undefined ? undefined : (await reportTypeRef(sql, report)).id;
    const unitId = unit === undefined ? undefined : (await unitRef(sql, unit)).id;
    const regionId = region === undefined ? undefined : (await regionRef(sql, region)).id;
    const rows = await sql<RouteRow[]>`
      select c.chat_id, c.title as chat_title, t.id as report_type_id, t.name as report_type,
             u.id as unit_id, u.name as unit_name, g.name as region
      from report_route r
      join telegram_chat c on c.id = r.telegram_chat_id
      join report_type t on t.id = r.report_type_id
      join unit u on u.id = r.unit_id
      join region g on g.id = u.region_id
      where ${chatId === undefined ? sql`true` : sql`r.telegram_chat_id = ${chatId}`}
        and ${typeId === undefined ? sql`true` : sql`r.report_type_id = ${typeId}`}
        and ${unitId === undefined ? sql`true` : sql`r.unit_id = ${unitId}`}
        and ${regionId === undefined ? sql`true` : sql`u.region_id = ${regionId}`}
      order by r.telegram_chat_id, r.report_type_id, r.unit_id
      limit ${fetchLimit(limit)} offset ${offset}
    `;
    return toPage(rows, limit);
  },
});

/** Which units: a list (ids or names), every unit of a region, or every unit. Exactly one. */
const unitSelection = {
  units: z.array(ref(64)).optional(),
  region: ref(64).optional(),
  all: z.boolean().default(false),
};

const oneSelection = (s: { units?: unknown; region?: unknown; all: boolean }) =>
  [s.units !== undefined, s.region !== undefined, s.all].filter(Boolean).length === 1;
const oneSelectionError = { error: 'Give exactly one of units, region or all.' };

async function selectedUnits(tx: Tx, s: { units?: string[] | undefined; region?: string | undefined; all: boolean }): Promise<number[]> {
  if (s.units !== undefined) return (await unitRefs(tx, s.units)).map((u) => u.id);
  if (s.region !== undefined) return regionUnitIds(tx, [(await regionRef(tx, s.region)).id]);
  return (await tx<{ id: number }[]>`select id from unit order by id`).map((u) => u.id);
}

export interface RouteChange {
  chat_id: number;
  chat_title: string;
  report_type_id: number;
  report_type: string;
  report_type_active: boolean;
  /** Units asked for (null: every route of the chat and type). */
  units: number | null;
  added: number;
  /** Add: routes that were there already. */
  existed: number;
  deleted: number;
  /** Remove: units listed (--units) that were not routed. */
  not_routed: number;
  dry_run: boolean;
}

async function routeTarget(tx: Tx, chat: string, report: string) {
  const target = await chatRef(tx, chat);
  const type = await reportTypeRef(tx, report);
  const [active] = await tx<{ is_active: boolean }[]>`select is_active from report_type where id = ${type.id}`;
  return { target, type, active: active?.is_active ?? true };
}

/**
 * The administrator's add: no role checks, additive. Routes already there are counted, not an error (unlike the
 * API's all-or-nothing 409).
 */
export const addRoutes = operation({
  name: 'routes.add',
  summary: 'Route reports of a type about units (list, region or all) to a chat; says how many were added and how many existed.',
  input: z.object({ chat: ref(256), report: ref(64), ...unitSelection }).refine(oneSelection, oneSelectionError),
  async run(ctx, input): Promise<RouteChange> {
    return write(ctx, ['report_route'], async (tx) => {
      const { target, type, active } = await routeTarget(tx, input.chat, input.report);
      const unitIds = await selectedUnits(tx, input);
      const inserted = await tx`
        insert into report_route (unit_id, report_type_id, telegram_chat_id)
        select u, ${type.id}, ${target.id} from unnest(${intArray(unitIds)}::int[]) as u
        on conflict do nothing
      `;
      return {
        chat_id: target.chat_id,
        chat_title: target.title,
        report_type_id: type.id,
        report_type: type.name,
        report_type_active: active,
        units: unitIds.length,
        added: inserted.count,
        existed: unitIds.length - inserted.count,
        deleted: 0,
        not_routed: 0,
        dry_run: false,
      };
    });
  },
});

/** The administrator's remove: the routes of the chat and type for these units (or all of them). */
export const removeRoutes = operation({
  name: 'routes.remove',
  summary: 'Delete the routes of a chat and report type for units (list, region or all). dry_run: count, change nothing.',
  input: z
    .object({ chat: ref(256), report: ref(64), ...unitSelection, dry_run: z.boolean().default(false) })
    .refine(oneSelection, oneSelectionError),
  async run(ctx, input): Promise<RouteChange> {
    return write(
      ctx,
      ['report_route'],
      async (tx) => {
        const { target, type, active } = await routeTarget(tx, input.chat, input.report);
        const unitIds = input.all ? null : await selectedUnits(tx, input);
        const deleted = await tx`
          delete from report_route
          where telegram_chat_id = ${target.id} and report_type_id = ${type.id}
            and ${unitIds === null ? tx`true` : tx`unit_id = any(${intArray(unitIds)}::int[])`}
        `;
        return {
          chat_id: target.chat_id,
          chat_title: target.title,
          report_type_id: type.id,
          report_type: type.name,
          report_type_active: active,
          units: unitIds?.length ?? null,
          added: 0,
          existed: 0,
          deleted: deleted.count,
          not_routed: input.units === undefined || unitIds === null ? 0 : unitIds.length - deleted.count,
          dry_run: input.dry_run,
        };
      },
      { dryRun: input.dry_run },
    );
  },
});

/**
 * Removing routes as a Telegram user would be allowed to (`routes rm --as`). The API's DELETE checks nothing; here
 * the acting user may remove only what it could have added: the checks of POST /report-routes/, in its order and
 * with its messages (acting user known and with a role, report type known and granted, units granted, receiving
 * chat known). Routes that do not exist are not an error, as with the API's DELETE.
 */
export const deleteRoutesAs = operation({
  name: 'routes.delete-as',
  summary: 'Delete routes as the acting user may: the role checks of POST /report-routes/, then the delete.',
  input: z.object({
    report_type_id: integer(),
    chat_id: chatId(),
    unit_ids: list(integer(), { allowEmpty: true }),
    user_chat_id: chatId(),
    dry_run: z.boolean().default(false),
  }),
  async run(ctx, input): Promise<{ deleted: number; dry_run: boolean }> {
    const unitIds = [...new Set(input.unit_ids)].sort((a, b) => a - b);
    return write(ctx, ['report_route'], async (tx) => {
      const acting = await actingChat(tx, input.user_chat_id, { lock: true });
      const [type] = await tx<{ id: number }[]>`select id from report_type where id = ${input.report_type_id}`;
      if (!type) throw new NotFoundError(MESSAGES.reportTypeByIdNotFound);
      const granted = await tx`
        select 1 from role_report_type where role_id = ${acting.role_id} and report_type_id = ${type.id} for share
      `;
      if (granted.count === 0) throw new ForbiddenError(MESSAGES.reportTypeDenied);
      const allowed = await tx<{ unit_id: number }[]>`
        select unit_id from role_unit where role_id = ${acting.role_id} and unit_id = any(${intArray(unitIds)}::int[]) for share
      `;
      const allowedSet = new Set(allowed.map((a) => a.unit_id));
      const denied = unitIds.filter((id) => !allowedSet.has(id));
      if (denied.length) throw new ForbiddenError(MESSAGES.unitsDenied(denied));
      const [target] = await tx<{ id: number }[]>`select id from telegram_chat where chat_id = ${input.chat_id} for share`;
      if (!target) throw new NotFoundError(MESSAGES.chatNotFound);
      const deleted = await tx`
        delete from report_route
        where telegram_chat_id = ${target.id} and report_type_id = ${type.id} and unit_id = any(${intArray(unitIds)}::int[])
      `;
      return { deleted: deleted.count, dry_run: input.dry_run };
    }, { dryRun: input.dry_run });
  },
});
