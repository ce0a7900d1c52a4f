/**
 * What a Telegram user's role lets it route, and the role switch by access code (http-api.md, Roles).
 */
import { z } from 'zod';
import { generateAccessCode, sha256hex, STRONG_CODE_HINT, weakCodeReason } from '../core/access-code';
import { ConflictError, NotFoundError, UsageError } from '../core/errors';
import { chatId, integer, text } from '../core/fields';
import { fetchLimit, listOperation, operation, toPage, write } from '../core/operation';
import { intArray, type Tx } from '../db/client';
import { actingChat, MESSAGES } from './access';
import { alreadyLockedOut, announceWrongCode, checkGuess, guessSource } from './code-guessing';
import { chatRef } from './chats';
import { mapConflicts, type ConflictMessages } from './constraints';
import { regionRefs, regionUnitIds, reportTypeRefs, unitRefs } from './ref-sets';
import { roleRef } from './refs';
import { nameContains, searchCollation } from './search';
import type { ReportType } from './report-types';

/** A unit as the role endpoints show it: six keys, region by id. */
export interface RoleUnit {
  id: number;
  name: string;
  uuid: string;
  region_id: number;
  office_manager_account_name: string;
  dodo_is_api_account_name: string;
}

export const listRoleUnits = listOperation({
  name: 'roles.user-units',
  summary: "The units the chat's role grants, by id, optionally only those of one region.",
  filters: { chat_id: chatId(), region_id: integer().optional() },
  async run({ sql }, { chat_id, region_id, limit, offset }) {
    const chat = await actingChat(sql, chat_id);
    const rows = await sql<RoleUnit[]>`
      select u.id, u.name, u.uuid, u.region_id, u.office_manager_account_name, u.dodo_is_api_account_name
      from role_unit g join unit u on u.id = g.unit_id
      where g.role_id = ${chat.role_id}
        and ${region_id === undefined ? sql`true` : sql`u.region_id = ${region_id}`}
      order by u.id
      limit ${fetchLimit(limit)} offset ${offset}
    `;
    return toPage(rows, limit);
  },
});

export const listRoleRegions = listOperation({
  name: 'roles.user-regions',
  summary: "The distinct regions of the units the chat's role grants, by id.",
  filters: { chat_id: chatId() },
  async run({ sql }, { chat_id, limit, offset }) {
    const chat = await actingChat(sql, chat_id);
    const rows = await sql<{ id: number; name: string }[]>`
      select r.id, r.name from region r
      where exists (select 1 from role_unit g join unit u on u.id = g.unit_id where g.role_id = ${chat.role_id} and u.region_id = r.id)
      order by r.id
      limit ${fetchLimit(limit)} offset ${offset}
    `;
    return toPage(rows, limit);
  },
});

export const listRoleReportTypes = listOperation({
  name: 'roles.user-report-types',
  summary: "Every report type the chat's role grants, by priority (highest first) then id.",
  filters: { chat_id: chatId() },
  async run({ sql }, { chat_id, limit, offset }) {
    const chat = await actingChat(sql, chat_id);
    const rows = await sql<ReportType[]>`
      select t.id, t.name, t.verbose_name, t.is_active, p.name as parent, t.priority
      from role_report_type g join report_type t on t.id = g.report_type_id
      left join report_type p on p.id = t.parent_id
      where g.role_id = ${chat.role_id}
      order by t.priority desc, t.id
      limit ${fetchLimit(limit)} offset ${offset}
    `;
    return toPage(rows, limit);
  },
});

export interface AssignResult {
  role_id: number;
  role: string;
  /** Routes into the chat whose unit the new role does not grant, deleted with the switch. */
  deleted_routes: number;
}

export const assignRoleInput = z.object({ chat_id: chatId(), access_code: text({ max: 64 }) });

export { CODE_ATTEMPTS } from './code-guessing';

/**
 * The role switch: the chat gets the role whose access code this is, and in the same transaction loses the routes
 * whose unit that role does not grant. Applying the same code again is allowed. Wrong codes are limited per chat
 * and per source (handlers/code-guessing.ts); a refused attempt answers "Role is not found", like a wrong code,
 * even with the right code, and writes nothing.
 */
export const assignRoleByCode = operation({
  name: 'roles.assign-by-code',
  summary: 'Give a chat the role of an access code; routes into the chat for units the role does not grant are deleted.',
  input: assignRoleInput,
  async run(ctx, { chat_id, access_code }): Promise<AssignResult> {
    const source = guessSource(ctx.actor);
    if (await alreadyLockedOut(ctx.sql, chat_id, source)) throw new NotFoundError(MESSAGES.roleNotFound);
    const outcome = await write(ctx, ['telegram_chat', 'report_route'], async (tx) => {
      const [chat] = await tx<{ id: number }[]>`select id from telegram_chat where chat_id = ${chat_id} for update`;
      if (!chat) throw new NotFoundError(MESSAGES.chatNotFound);
      const guess = await checkGuess(tx, chat_id, source);
      if (guess.refused) return { refused: true } as const;
      const [role] = await tx<{ id: number; name: string }[]>`
        select id, name from role where access_code_sha256 = ${sha256hex(access_code)} for share
      `;
      if (!role) return { wrong: await guess.record() } as const;
      return switchRole(tx, chat.id, role);
    });
    if ('refused' in outcome) throw new NotFoundError(MESSAGES.roleNotFound);
    if ('wrong' in outcome) {
      announceWrongCode(ctx, chat_id, source, outcome.wrong);
      throw new NotFoundError(MESSAGES.roleNotFound);
    }
    return outcome;
  },
});

/** Sets the chat's role and deletes its routes for units the role does not grant. Inside a write transaction. */
export async function switchRole(
  tx: import('../db/client').Tx,
  chatInternalId: number,
  role: { id: number; name: string },
): Promise<AssignResult> {
  await tx`update telegram_chat set role_id = ${role.id} where id = ${chatInternalId}`;
  const deleted = await tx`
    delete from report_route r
    where r.telegram_chat_id = ${chatInternalId}
      and not exists (select 1 from role_unit g where g.role_id = ${role.id} and g.unit_id = r.unit_id)
  `;
  return { role_id: role.id, role: role.name, deleted_routes: deleted.count };
}

/** How many routes a role switch would delete (those into the chat for units the role does not grant). Reads only. */
export async function roleSwitchImpact(sql: import('../db/client').Sql, chatInternalId: number, roleId: number): Promise<number> {
  const [row] = await sql<{ n: number }[]>`
    select count(*)::int as n from report_route r
    where r.telegram_chat_id = ${chatInternalId}
      and not exists (select 1 from role_unit g where g.role_id = ${roleId} and g.unit_id = r.unit_id)
  `;
  return row!.n;
}

/** The role an access code gives, for the administrator's preview; records no attempt (assignRoleByCode does). */
export async function roleOfAccessCode(sql: import('../db/client').Sql, code: string): Promise<{ id: number; name: string } | null> {
  const [role] = await sql<{ id: number; name: string }[]>`select id, name from role where access_code_sha256 = ${sha256hex(code)}`;
  return role ?? null;
}

// Administration (the CLI): roles, their access codes and grants, and giving chats roles.

const refList = () => z.array(text({ max: 64 })).default([]);

export interface RoleSummary {
  id: number;
  name: string;
  unit_count: number;
  report_type_count: number;
  chat_count: number;
  /** The code is known to be weak (imported or migrated, or forced): rotate it. */
  weak_code: boolean;
}

export const listRoles = listOperation({
  name: 'roles.list',
  summary: 'Roles by id (optionally those whose name contains a text), with how many units and report types each grants and how many chats hold it.',
  filters: { search: text({ max: 64 }).optional() },
  async run({ sql }, { search, limit, offset }) {
    const collation = search === undefined ? null : await searchCollation(sql);
    const rows = await sql<RoleSummary[]>`
      select r.id, r.name,
        (select count(*)::int from role_unit g where g.role_id = r.id) as unit_count,
        (select count(*)::int from role_report_type g where g.role_id = r.id) as report_type_count,
        (select count(*)::int from telegram_chat c where c.role_id = r.id) as chat_count,
        r.weak_code
      from role r
      where ${nameContains(sql, sql`r.name`, search, collation)}
      order by r.id
      limit ${fetchLimit(limit)} offset ${offset}
    `;
    return toPage(rows, limit);
  },
});

export interface RoleDetail {
  id: number;
  name: string;
  weak_code: boolean;
  units: { id: number; name: string; region: string }[];
  report_types: { id: number; name: string; verbose_name: string }[];
  chats: { chat_id: number; type: string; title: string }[];
}

export const showRole = operation({
  name: 'roles.show',
  summary: 'One role (id or name): the units and report types it grants and the chats that hold it.',
  input: z.object({ role: text({ max: 64 }) }),
  async run({ sql }, { role }): Promise<RoleDetail> {
    const found = await roleRef(sql, role);
    const units = await sql<RoleDetail['units']>`
      select u.id, u.name, g2.name as region
      from role_unit g join unit u on u.id = g.unit_id join region g2 on g2.id = u.region_id
      where g.role_id = ${found.id} order by u.id
    `;
    const reportTypes = await sql<RoleDetail['report_types']>`
      select t.id, t.name, t.verbose_name
      from role_report_type g join report_type t on t.id = g.report_type_id
      where g.role_id = ${found.id} order by t.priority desc, t.id
    `;
    const chats = await sql<RoleDetail['chats']>`
      select chat_id, type, title from telegram_chat where role_id = ${found.id} order by id
    `;
    const [flag] = await sql<{ weak_code: boolean }[]>`select weak_code from role where id = ${found.id}`;
    return { id: found.id, name: found.name, weak_code: flag?.weak_code ?? false, units: [...units], report_types: [...reportTypes], chats: [...chats] };
  },
});

async function lockRoleNames(tx: Tx, name: string, exceptId: number | null) {
  // Names are not unique in the schema (the old service allowed duplicates); urdb keeps new ones unique.
  await tx`lock table role in share row exclusive mode`;
  const [other] = await tx<{ id: number }[]>`
    select id from role where name = ${name} and id is distinct from ${exceptId} limit 1
  `;
  if (other) throw new ConflictError(`a role named ${JSON.stringify(name)} already exists (id ${other.id})`, 'choose another name');
}

/**
 * A code someone chose: refused when shorter than 10 characters or common, unless forced (then the role is flagged).
 * Returns whether it is weak.
 */
function chosenCodeIsWeak(code: string, forceWeak: boolean): boolean {
  const reason = weakCodeReason(code);
  if (reason !== null && !forceWeak) throw new UsageError(`access code refused: ${reason}`, STRONG_CODE_HINT);
  return reason !== null;
}

const codeTaken = {
  role_access_code_sha256_key: ['another role already has this access code', 'choose another code, or omit --access-code to generate one'],
} satisfies ConflictMessages;

interface Grants {
  units: readonly string[];
  regions: readonly string[];
  report_types: readonly string[];
}

/** Unit ids (given units plus every unit of the given regions) and report type ids. */
async function resolveGrants(tx: Tx, g: Grants): Promise<{ unitIds: number[]; reportTypeIds: number[] }> {
  const units = await unitRefs(tx, g.units);
  const regions = await regionRefs(tx, g.regions);
  const unitIds = [...new Set([...units.map((u) => u.id), ...(await regionUnitIds(tx, regions.map((r) => r.id)))])].sort((a, b) => a - b);
  const reportTypeIds = (await reportTypeRefs(tx, g.report_types)).map((t) => t.id);
  return { unitIds, reportTypeIds };
}

async function insertGrants(tx: Tx, roleId: number, unitIds: number[], reportTypeIds: number[]) {
  const units = await tx`
    insert into role_unit (role_id, unit_id) select ${roleId}, u from unnest(${intArray(unitIds)}::int[]) as u
    on conflict do nothing
  `;
  const types = await tx`
    insert into role_report_type (role_id, report_type_id) select ${roleId}, t from unnest(${intArray(reportTypeIds)}::int[]) as t
    on conflict do nothing
  `;
  return { units: units.count, report_types: types.count };
}

export interface CreatedRole {
  id: number;
  name: string;
  /** The plain access code, only when urdb generated it: shown once, never stored. */
  access_code: string | null;
  units: number;
  report_types: number;
}

export const createRole = operation({
  name: 'roles.create',
  summary: 'Create a role with an access code (generated when not given; only its SHA-256 digest is stored) and grants.',
  input: z.object({
    name: text({ max: 64 }),
    access_code: text({ max: 64 }).optional(),
    force_weak: z.boolean().default(false),
    units: refList(),
    regions: refList(),
    report_types: refList(),
  }),
  async run(ctx, input): Promise<CreatedRole> {
    const generated = input.access_code === undefined ? generateAccessCode() : null;
    const code = input.access_code ?? generated!;
    const weak = generated === null && chosenCodeIsWeak(code, input.force_weak);
    return mapConflicts(codeTaken, () =>
      write(ctx, ['role', 'role_unit', 'role_report_type'], async (tx) => {
        await lockRoleNames(tx, input.name, null);
        const { unitIds, reportTypeIds } = await resolveGrants(tx, input);
        const [role] = await tx<{ id: number }[]>`
          insert into role (name, access_code_sha256, weak_code) values (${input.name}, ${sha256hex(code)}, ${weak}) returning id
        `;
        const granted = await insertGrants(tx, role!.id, unitIds, reportTypeIds);
        return { id: role!.id, name: input.name, access_code: generated, ...granted };
      }),
    );
  },
});

export const renameRole = operation({
  name: 'roles.rename',
  summary: 'Rename a role.',
  input: z.object({ role: text({ max: 64 }), name: text({ max: 64 }) }),
  async run(ctx, { role, name }): Promise<{ id: number; old_name: string; name: string }> {
    return write(ctx, ['role'], async (tx) => {
      const found = await roleRef(tx, role);
      await lockRoleNames(tx, name, found.id);
      await tx`update role set name = ${name} where id = ${found.id}`;
      return { id: found.id, old_name: found.name, name };
    });
  },
});

export const rotateRoleCode = operation({
  name: 'roles.rotate-code',
  summary: "Replace a role's access code (generated when not given). Chats that hold the role keep it.",
  input: z.object({ role: text({ max: 64 }), access_code: text({ max: 64 }).optional(), force_weak: z.boolean().default(false) }),
  async run(ctx, { role, access_code, force_weak }): Promise<{ id: number; name: string; access_code: string | null }> {
    const generated = access_code === undefined ? generateAccessCode() : null;
    const weak = access_code !== undefined && chosenCodeIsWeak(access_code, force_weak);
    return mapConflicts(codeTaken, () =>
      write(ctx, ['role'], async (tx) => {
        const found = await roleRef(tx, role);
        await tx`update role set access_code_sha256 = ${sha256hex(access_code ?? generated!)}, weak_code = ${weak} where id = ${found.id}`;
        return { id: found.id, name: found.name, access_code: generated };
      }),
    );
  },
});

export interface GrantChange {
  id: number;
  name: string;
  /** Units / report types asked for. */
  units_requested: number;
  report_types_requested: number;
  /** Of those, how many changed (granted or revoked); the rest were already so. */
  units: number;
  report_types: number;
  /** Revoke: routes deleted into the role's chats. */
  routes_deleted: number;
  /** Revoke: chats holding the role. */
  chats: number;
  dry_run: boolean;
}

const grantInput = z.object({
  role: text({ max: 64 }),
  units: refList(),
  regions: refList(),
  report_types: refList(),
});

export const grantRole = operation({
  name: 'roles.grant',
  summary: 'Grant a role units (by id or name, or every unit of regions) and report types; what it has stays.',
  input: grantInput,
  async run(ctx, input): Promise<GrantChange> {
    return write(ctx, ['role_unit', 'role_report_type'], async (tx) => {
      const found = await roleRef(tx, input.role);
      await tx`select 1 from role where id = ${found.id} for update`;
      const { unitIds, reportTypeIds } = await resolveGrants(tx, input);
      const granted = await insertGrants(tx, found.id, unitIds, reportTypeIds);
      return {
        id: found.id,
        name: found.name,
        units_requested: unitIds.length,
        report_types_requested: reportTypeIds.length,
        ...granted,
        routes_deleted: 0,
        chats: 0,
        dry_run: false,
      };
    });
  },
});

/**
 * Revokes grants. A chat that holds the role loses, in the same transaction, its routes for the revoked units and
 * report types (the rule of the role switch: a chat's routes stay within what its role grants), unless keep_routes.
 */
export const revokeRole = operation({
  name: 'roles.revoke',
  summary: "Revoke units and report types from a role, and delete the routes into its chats that they covered.",
  input: grantInput.extend({ keep_routes: z.boolean().default(false), dry_run: z.boolean().default(false) }),
  async run(ctx, input): Promise<GrantChange> {
    return write(
      ctx,
      ['role_unit', 'role_report_type', 'report_route'],
      async (tx) => {
        const found = await roleRef(tx, input.role);
        await tx`select 1 from role where id = ${found.id} for update`;
        const { unitIds, reportTypeIds } = await resolveGrants(tx, input);
        const units = await tx`
          delete from role_unit where role_id = ${found.id} and unit_id = any(${intArray(unitIds)}::int[])
        `;
        const types = await tx`
          delete from role_report_type where role_id = ${found.id} and report_type_id = any(${intArray(reportTypeIds)}::int[])
        `;
        const chats = await tx<{ id: number }[]>`select id from telegram_chat where role_id = ${found.id} for update`;
        let routesDeleted = 0;
        if (!input.keep_routes && chats.length > 0) {
          const deleted = await tx`
            delete from report_route
            where telegram_chat_id = any(${intArray(chats.map((c) => c.id))}::int[])
              and (unit_id = any(${intArray(unitIds)}::int[]) or report_type_id = any(${intArray(reportTypeIds)}::int[]))
          `;
          routesDeleted = deleted.count;
        }
        return {
          id: found.id,
          name: found.name,
          units_requested: unitIds.length,
          report_types_requested: reportTypeIds.length,
          units: units.count,
          report_types: types.count,
          routes_deleted: routesDeleted,
          chats: chats.length,
          dry_run: input.dry_run,
        };
      },
      { dryRun: input.dry_run },
    );
  },
});

export interface RoleRemoval {
  id: number;
  name: string;
  /** Chats that held the role and now have none (their routes stay). */
  chats: number;
  units: number;
  report_types: number;
  dry_run: boolean;
}

export const deleteRole = operation({
  name: 'roles.delete',
  summary: 'Delete a role and its grants; the chats that held it are left without a role, their routes stay.',
  input: z.object({ role: text({ max: 64 }), dry_run: z.boolean().default(false) }),
  async run(ctx, { role, dry_run }): Promise<RoleRemoval> {
    return write(
      ctx,
      ['role', 'role_unit', 'role_report_type', 'telegram_chat'],
      async (tx) => {
        const found = await roleRef(tx, role);
        const [counts] = await tx<{ chats: number; units: number; report_types: number }[]>`
          select
            (select count(*)::int from telegram_chat where role_id = ${found.id}) as chats,
            (select count(*)::int from role_unit where role_id = ${found.id}) as units,
            (select count(*)::int from role_report_type where role_id = ${found.id}) as report_types
        `;
        await tx`delete from role where id = ${found.id}`;
        return { id: found.id, name: found.name, ...counts!, dry_run };
      },
      { dryRun: dry_run },
    );
  },
});

export interface AdminAssignResult extends AssignResult {
  chat_id: number;
  title: string;
}

/** The administrator's role switch: like the access code's, with the same purge, but naming the role. */
export const assignRole = operation({
  name: 'roles.assign',
  summary: 'Give a chat a role (id or name); routes into the chat for units the role does not grant are deleted.',
  input: z.object({ chat: text({ max: 256 }), role: text({ max: 64 }) }),
  async run(ctx, input): Promise<AdminAssignResult> {
    return write(ctx, ['telegram_chat', 'report_route'], async (tx) => {
      const chat = await chatRef(tx, input.chat, { lock: true });
      const role = await roleRef(tx, input.role);
      await tx`select 1 from role where id = ${role.id} for share`;
      const result = await switchRole(tx, chat.id, role);
      return { ...result, chat_id: chat.chat_id, title: chat.title };
    });
  },
});

export interface UnassignResult {
  chat_id: number;
  title: string;
  /** The role the chat held (null: it had none, nothing changed). */
  role: string | null;
  /** Routes into the chat: they stay. */
  routes: number;
  dry_run: boolean;
}

export const unassignRole = operation({
  name: 'roles.unassign',
  summary: "Take a chat's role away; its routes stay (as when its role is deleted).",
  input: z.object({ chat: text({ max: 256 }), dry_run: z.boolean().default(false) }),
  async run(ctx, input): Promise<UnassignResult> {
    return write(
      ctx,
      ['telegram_chat'],
      async (tx) => {
        const chat = await chatRef(tx, input.chat, { lock: true });
        const [info] = await tx<{ role: string | null; routes: number }[]>`
          select (select name from role where id = ${chat.role_id}) as role,
                 (select count(*)::int from report_route where telegram_chat_id = ${chat.id}) as routes
        `;
        if (chat.role_id !== null) await tx`update telegram_chat set role_id = null where id = ${chat.id}`;
        return { chat_id: chat.chat_id, title: chat.title, role: info!.role, routes: info!.routes, dry_run: input.dry_run };
      },
      { dryRun: input.dry_run },
    );
  },
});
