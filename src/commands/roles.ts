import type { Command } from 'commander';
import type { Runtime } from '../cli/runtime';
import { action } from '../cli/runtime';
import { ROLE_FIELDS } from '../handlers/resource-fields';
import { fieldColumns } from './columns';
import { counted, plural, quoted } from '../cli/text';
import { NotFoundError, UsageError } from '../core/errors';
import type { GrantChange, RoleDetail } from '../handlers/roles';
import { capitalised, deletionOptions, pageInput, pageOptions, printPageHint, proceedWithDeletion } from './common';
import { collectList, nonEmpty, reportChange } from './ref-options';

const roleName = (r: { id: number; name: string }) => `role ${r.id} ${quoted(r.name)}`;
const chatName = (c: { chat_id: number; title: string }) => `chat ${c.chat_id} ${quoted(c.title)}`;

/** What `roles list` and `roles show` say of a role whose code is known to be weak. */
export const WEAK_CODE_NOTE = 'weak code: rotate it with `urdb roles rotate-code`';

interface GrantFlags {
  units?: string[];
  regions?: string[];
  reportTypes?: string[];
}

function grantOptions(cmd: Command, verb: string): Command {
  return cmd
    .option('--units <units>', `units to ${verb}: ids or names, comma-separated or repeated`, collectList)
    .option('--regions <regions>', `${verb} every unit of these regions (ids or names; as they are now: units added later are not included)`, collectList)
    .option('--report-types <types>', `report types to ${verb}: names or ids`, collectList);
}

function grantInput(opts: GrantFlags) {
  return {
    units: nonEmpty(opts.units, '--units') ?? [],
    regions: nonEmpty(opts.regions, '--regions') ?? [],
    report_types: nonEmpty(opts.reportTypes, '--report-types') ?? [],
  };
}

const GRANT_FLAGS = { units: '--units', regions: '--regions', report_types: '--report-types' };

const hasGrants = (g: ReturnType<typeof grantInput>) => g.units.length + g.regions.length + g.report_types.length > 0;

/**
 * The access code of --access-code (value, `-` for stdin, or alone to type it). A code being chosen is refused by
 * the handler when weak (shorter than 10 characters or common) unless --force-weak.
 */
async function accessCode(rt: Runtime, value: string | boolean | undefined): Promise<string | undefined> {
  const { askSecret } = await import('../cli/prompts-admin');
  return askSecret(rt, value, { flag: '--access-code', message: 'Access code' });
}

const FORCE_WEAK_HELP = 'accept a chosen code shorter than 10 characters or a common one (the role is flagged as weak)';

/** Prints a generated code on stdout (the data of the command), once; or says that the given one is in force. */
function printCode(rt: Runtime, what: string, code: string | null, json: unknown) {
  if (rt.out.opts.json) {
    rt.out.say(what);
    return rt.out.json(json);
  }
  if (code === null) return rt.out.say(`${what}; the access code is the one you gave`);
  rt.out.say(`${what}; the access code follows, shown only this once (urdb stores only its SHA-256 digest):`);
  rt.out.data(code);
}

/**
 * Before a role switch that would delete routes (those into the chat for units the new role does not grant): asks on
 * a terminal, needs --yes elsewhere; --dry-run says what it would do. A code that matches no role is left to the
 * switch itself, which counts the wrong attempt.
 */
async function confirmRoleSwitch(
  rt: Runtime,
  opts: { yes?: boolean; dryRun?: boolean },
  chatText: string,
  role: { ref: string } | { code: string },
): Promise<boolean> {
  const { roleOfAccessCode, roleSwitchImpact } = await import('../handlers/roles');
  const { chatRef } = await import('../handlers/chats');
  const { roleRef } = await import('../handlers/refs');
  const { sql } = await rt.ctx();
  const chat = await chatRef(sql, chatText);
  const target = 'code' in role ? await roleOfAccessCode(sql, role.code) : await roleRef(sql, role.ref);
  if (!target) {
    if (opts.dryRun) throw new NotFoundError('no role has this access code', 'check the code, or give the role by name with --role');
    return true;
  }
  const n = await roleSwitchImpact(sql, chat.id, target.id);
  const give = `give ${chatName(chat)} ${roleName(target)}`;
  if (n === 0) {
    if (opts.dryRun) rt.out.say(`dry run, nothing changed: would ${give}; no route would be deleted`);
    return !opts.dryRun;
  }
  const sentence = `${give} and delete ${plural(n, 'route')} into it for units the role does not grant`;
  const plan = { chat_id: chat.chat_id, title: chat.title, role_id: target.id, role: target.name, deleted_routes: n };
  return proceedWithDeletion(rt, opts, `${capitalised(sentence)}?`, sentence, plan);
}

/** `Москва 1: 101, 102; Казань: 201` */
function unitsByRegion(units: RoleDetail['units']): string {
  const byRegion = new Map<string, number[]>();
  for (const u of units) byRegion.set(u.region, [...(byRegion.get(u.region) ?? []), u.id]);
  return [...byRegion].map(([region, ids]) => `${region}: ${ids.join(', ')}`).join('; ');
}

function grantSentence(verb: 'granted' | 'revoked', c: GrantChange): string {
  const changed = counted([
    [c.units, 'unit'],
    [c.report_types, 'report type'],
  ]);
  const unchanged = counted([
    [c.units_requested - c.units, 'unit'],
    [c.report_types_requested - c.report_types, 'report type'],
  ]);
  const already = verb === 'granted' ? 'already granted' : 'not granted anyway';
  if (!changed) return `${roleName(c)}: nothing to change (${unchanged ?? 'nothing'} ${already})`;
  return `${verb} ${changed} ${verb === 'granted' ? 'to' : 'from'} ${roleName(c)}${unchanged ? ` (${unchanged} ${already})` : ''}`;
}

export function registerRoles(program: Command): void {
  const roles = program
    .command('roles')
    .description('roles: what a Telegram user given an access code may route (units and report types)');

  pageOptions(
    roles
      .command('list')
      .description('roles by id, with how many units and report types they grant and how many chats hold them')
      .option('--search <text>', 'only roles whose name contains this text'),
  ).action(
    action(async (rt, opts) => {
      const { listRoles } = await import('../handlers/roles');
      const input = rt.validate(listRoles.cliInput, { search: opts.search, ...pageInput(rt, opts) });
      const page = await listRoles.run(await rt.ctx(), input);
      await rt.out.list(page.items, [
        ...fieldColumns(ROLE_FIELDS, ['id', 'name']),
        { header: 'UNITS', value: (r) => r.unit_count },
        { header: 'REPORT TYPES', value: (r) => r.report_type_count },
        { header: 'CHATS', value: (r) => r.chat_count },
      ]);
      for (const r of page.items) if (r.weak_code && !rt.out.opts.json) rt.out.warn(`${roleName(r)}: ${WEAK_CODE_NOTE}`);
      await printPageHint(rt, page, input, 'roles', async (all) => listRoles.run(await rt.ctx(), all));
    }),
  );

  roles
    .command('show')
    .description('one role: the units and report types it grants and the chats holding it')
    .argument('[role]', 'the role (id or name)')
    .action(
      action(async (rt, _opts, [ref]) => {
        const { showRole } = await import('../handlers/roles');
        const { askRole } = await import('../cli/prompts');
        const role = await askRole(rt, ref, { flag: '<role>' });
        const detail = await showRole.run(await rt.ctx(), rt.validate(showRole.input, { role }, { role: '<role>' }));
        rt.out.object(
          {
            id: detail.id,
            name: detail.name,
            ...(detail.weak_code ? { access_code: WEAK_CODE_NOTE } : {}),
            units: `${detail.units.length}${detail.units.length ? ` (${unitsByRegion(detail.units)})` : ''}`,
            report_types: `${detail.report_types.length}${detail.report_types.length ? ` (${detail.report_types.map((t) => t.name).join(', ')})` : ''}`,
            chats: `${detail.chats.length}${detail.chats.length ? ` (${detail.chats.map((c) => `${c.chat_id} ${c.title}`).join(', ')})` : ''}`,
          },
          undefined,
          detail,
        );
      }),
    );

  grantOptions(
    roles
      .command('add')
      .description('create a role; its access code is generated and printed once unless --access-code gives one')
      .option('--name <name>', 'the role name (up to 64 characters)')
      .option('--access-code [code]', 'use this code instead of a generated one (- reads it from stdin; alone: type it)')
      .option('--force-weak', FORCE_WEAK_HELP),
    'grant',
  ).action(
    action(async (rt, opts) => {
      const { createRole } = await import('../handlers/roles');
      const { askText } = await import('../cli/prompts');
      const name = await askText(rt, { value: opts.name, flag: '--name', message: 'Role name', schema: createRole.input.shape.name });
      const code = await accessCode(rt, opts.accessCode);
      const grants = grantInput(opts);
      if (!hasGrants(grants) && rt.interactive) {
        const { pickUnits, pickReportTypes } = await import('../cli/prompts-admin');
        grants.units = (await pickUnits(rt, { message: 'Units the role grants (space ticks, enter when done)' })).map(String);
        grants.report_types = (await pickReportTypes(rt, { message: 'Report types the role grants' })).map(String);
      }
      const input = rt.validate(createRole.input, { name, access_code: code, force_weak: Boolean(opts.forceWeak), ...grants }, GRANT_FLAGS);
      const role = await createRole.run(await rt.ctx(), input);
      const granted = counted([
        [role.units, 'unit'],
        [role.report_types, 'report type'],
      ]);
      printCode(rt, `added ${roleName(role)}${granted ? ` granting ${granted}` : ' (it grants nothing yet: `urdb roles grant`)'}`, role.access_code, role);
    }),
  );

  roles
    .command('update')
    .description('rename a role')
    .argument('[role]', 'the role (id or name)')
    .option('--name <name>', 'its new name')
    .action(
      action(async (rt, opts, [ref]) => {
        const { renameRole } = await import('../handlers/roles');
        const { askRole, askText } = await import('../cli/prompts');
        const role = await askRole(rt, ref, { flag: '<role>', message: 'Role to rename' });
        const name = await askText(rt, { value: opts.name, flag: '--name', message: 'New name', schema: renameRole.input.shape.name });
        const renamed = await renameRole.run(await rt.ctx(), rt.validate(renameRole.input, { role, name }, { role: '<role>' }));
        reportChange(
          rt,
          renamed.old_name === renamed.name
            ? `${roleName(renamed)} is already named so; nothing changed`
            : `renamed role ${renamed.id} ${quoted(renamed.old_name)} to ${quoted(renamed.name)}`,
          { id: renamed.id, name: renamed.name },
        );
      }),
    );

  grantOptions(
    roles.command('grant').description('let a role route more units or report types').argument('[role]', 'the role (id or name)'),
    'grant',
  ).action(
    action(async (rt, opts, [ref]) => {
      const { grantRole } = await import('../handlers/roles');
      const { askRole } = await import('../cli/prompts');
      const role = await askRole(rt, ref, { flag: '<role>', message: 'Role to grant to' });
      const grants = grantInput(opts);
      if (!hasGrants(grants)) {
        if (!rt.interactive) throw new UsageError('nothing to grant', 'give --units, --regions or --report-types');
        const { pickUnits, pickReportTypes } = await import('../cli/prompts-admin');
        grants.units = (await pickUnits(rt, { message: 'Units to grant (space ticks, enter when done)' })).map(String);
        grants.report_types = (await pickReportTypes(rt, { message: 'Report types to grant' })).map(String);
        if (!hasGrants(grants)) throw new UsageError('nothing ticked; nothing was changed');
      }
      const input = rt.validate(grantRole.input, { role, ...grants }, { role: '<role>', ...GRANT_FLAGS });
      const change = await grantRole.run(await rt.ctx(), input);
      reportChange(rt, grantSentence('granted', change), change);
    }),
  );

  grantOptions(
    roles
      .command('revoke')
      .description("take units or report types from a role; the routes into its chats they covered go too (asks first)")
      .argument('[role]', 'the role (id or name)')
      .option('--keep-routes', "keep the routes into the role's chats")
      .option('-y, --yes', 'revoke without asking')
      .option('--dry-run', 'say what would be revoked and deleted; change nothing'),
    'revoke',
  ).action(
    action(async (rt, opts, [ref]) => {
      const { revokeRole, showRole } = await import('../handlers/roles');
      const { askRole } = await import('../cli/prompts');
      const role = await askRole(rt, ref, { flag: '<role>', message: 'Role to revoke from' });
      const ctx = await rt.ctx();
      const grants = grantInput(opts);
      if (!hasGrants(grants)) {
        if (!rt.interactive) throw new UsageError('nothing to revoke', 'give --units, --regions or --report-types');
        const { pickUnits, pickReportTypes } = await import('../cli/prompts-admin');
        const current = await showRole.run(ctx, { role });
        grants.units = (await pickUnits(rt, { message: 'Units to revoke', only: current.units.map((u) => u.id) })).map(String);
        grants.report_types = (
          await pickReportTypes(rt, { message: 'Report types to revoke', only: current.report_types.map((t) => t.id) })
        ).map(String);
        if (!hasGrants(grants)) throw new UsageError('nothing ticked; nothing was changed');
      }
      const input = rt.validate(revokeRole.input, { role, ...grants, keep_routes: Boolean(opts.keepRoutes) }, { role: '<role>', ...GRANT_FLAGS });
      const plan = await revokeRole.run(ctx, { ...input, dry_run: true });
      const routes = (c: GrantChange) =>
        c.routes_deleted ? ` and delete ${plural(c.routes_deleted, 'route')} into ${c.chats === 1 ? 'its chat' : `its ${c.chats} chats`}` : '';
      if (plan.units + plan.report_types > 0) {
        const revoking = counted([
          [plan.units, 'unit'],
          [plan.report_types, 'report type'],
        ]);
        const sentence = `revoke ${revoking} from ${roleName(plan)}${routes(plan)}`;
        if (!(await proceedWithDeletion(rt, opts, `${capitalised(sentence)}?`, sentence, plan))) return;
      } else if (opts.dryRun) {
        return rt.out.say(`dry run, nothing changed: ${roleName(plan)} grants none of those`);
      }
      const change = await revokeRole.run(ctx, { ...input, role: String(plan.id), dry_run: false });
      reportChange(rt, `${grantSentence('revoked', change)}${routes(change).replace(' and delete', '; deleted')}`, change);
    }),
  );

  roles
    .command('rotate-code')
    .description("replace a role's access code (generated and printed once unless given); chats holding the role keep it")
    .argument('[role]', 'the role (id or name)')
    .option('--access-code [code]', 'use this code instead of a generated one (- reads it from stdin; alone: type it)')
    .option('--force-weak', FORCE_WEAK_HELP)
    .action(
      action(async (rt, opts, [ref]) => {
        const { rotateRoleCode } = await import('../handlers/roles');
        const { askRole } = await import('../cli/prompts');
        const role = await askRole(rt, ref, { flag: '<role>', message: 'Role whose code to replace' });
        const code = await accessCode(rt, opts.accessCode);
        const input = rt.validate(rotateRoleCode.input, { role, access_code: code, force_weak: Boolean(opts.forceWeak) }, { role: '<role>' });
        const rotated = await rotateRoleCode.run(await rt.ctx(), input);
        printCode(rt, `replaced the access code of ${roleName(rotated)} (the old one no longer works)`, rotated.access_code, rotated);
      }),
    );

  deletionOptions(
    roles
      .command('rm')
      .description('delete a role; the chats holding it are left without a role, their routes stay (asks first)')
      .argument('[role]', 'the role (id or name)'),
  ).action(
      action(async (rt, opts, [ref]) => {
        const { deleteRole } = await import('../handlers/roles');
        const { askRole } = await import('../cli/prompts');
        const role = await askRole(rt, ref, { flag: '<role>', message: 'Role to delete' });
        const input = rt.validate(deleteRole.input, { role }, { role: '<role>' });
        const ctx = await rt.ctx();
        const plan = await deleteRole.run(ctx, { ...input, dry_run: true });
        const chats = (n: number) =>
          n === 0 ? '' : n === 1 ? '; 1 chat is left without a role (its routes stay)' : `; ${n} chats are left without a role (their routes stay)`;
        const sentence = `delete ${roleName(plan)}${chats(plan.chats)}`;
        if (!(await proceedWithDeletion(rt, opts, `${capitalised(sentence)}?`, sentence, plan))) return;
        const deleted = await deleteRole.run(ctx, { role: String(plan.id), dry_run: false });
        reportChange(rt, `deleted ${roleName(deleted)}${chats(deleted.chats)}`, deleted);
      }),
    );

  roles
    .command('assign')
    .description(
      'give a chat a role, by its access code (as the Telegram bot does) or by name; ' +
        "routes into the chat for units the role does not grant are deleted",
    )
    .argument('[chat]', 'the chat: Telegram chat id, @username or title')
    .option('--access-code [code]', 'the access code (- reads it from stdin; alone: type it)')
    .option('--role <role>', 'the role (id or name), for the administrator')
    .option('-y, --yes', 'delete the routes the new role does not cover without asking')
    .option('--dry-run', 'say what the switch would delete; change nothing')
    .action(
      action(async (rt, opts, [ref]) => {
        const { assignRole, assignRoleByCode, assignRoleInput } = await import('../handlers/roles');
        const { chatRef } = await import('../handlers/chats');
        const { askChat } = await import('../cli/prompts-admin');
        const { askRole } = await import('../cli/prompts');
        if (opts.accessCode !== undefined && opts.role !== undefined) {
          throw new UsageError('give either --access-code or --role, not both');
        }
        const chatText = await askChat(rt, ref, { flag: '<chat>', message: 'Chat to give a role' });
        if (opts.accessCode === undefined && opts.role === undefined && !rt.interactive) {
          throw new UsageError('--access-code or --role is required', 'give the access code the person was given, or the role by name');
        }
        const ctx = await rt.ctx();
        let result: { role_id: number; role: string; deleted_routes: number; chat_id: number; title: string };
        const code = opts.accessCode !== undefined ? await accessCode(rt, opts.accessCode) : undefined;
        const roleText = code === undefined ? await askRole(rt, opts.role, { flag: '--role', message: 'Role to give' }) : undefined;
        if (!(await confirmRoleSwitch(rt, opts, chatText, code === undefined ? { ref: roleText! } : { code }))) return;
        if (code !== undefined) {
          const chat = await chatRef(ctx.sql, chatText);
          const input = rt.validate(assignRoleInput, { chat_id: chat.chat_id, access_code: code });
          try {
            result = { ...(await assignRoleByCode.run(ctx, input)), chat_id: chat.chat_id, title: chat.title };
          } catch (err) {
            if (err instanceof NotFoundError && err.message === 'Role is not found') {
              const { CODE_ATTEMPTS } = await import('../handlers/roles');
              throw new NotFoundError(
                err.message,
                `no role has this code, or too many wrong codes were tried (for this chat, or by you) within ${CODE_ATTEMPTS.windowMinutes} minutes; ` +
                  'check the code, or give the role by name with --role',
              );
            }
            throw err;
          }
        } else {
          result = await assignRole.run(ctx, rt.validate(assignRole.input, { chat: chatText, role: roleText }, { chat: '<chat>' }));
        }
        const purge = result.deleted_routes
          ? `; deleted ${plural(result.deleted_routes, 'route')} into it for units the role does not grant`
          : '';
        reportChange(rt, `${chatName(result)} now has role ${result.role_id} ${quoted(result.role)}${purge}`, result);
      }),
    );

  roles
    .command('unassign')
    .description("take a chat's role away; its routes stay (asks first)")
    .argument('[chat]', 'the chat: Telegram chat id, @username or title')
    .option('-y, --yes', 'take it away without asking')
    .action(
      action(async (rt, opts, [ref]) => {
        const { unassignRole } = await import('../handlers/roles');
        const { askChat } = await import('../cli/prompts-admin');
        const { confirmChange } = await import('../cli/prompts');
        const chat = await askChat(rt, ref, { flag: '<chat>', message: 'Chat to take the role from' });
        const input = rt.validate(unassignRole.input, { chat }, { chat: '<chat>' });
        const ctx = await rt.ctx();
        const plan = await unassignRole.run(ctx, { ...input, dry_run: true });
        if (plan.role === null) return reportChange(rt, `${chatName(plan)} has no role; nothing changed`, plan);
        const stay = (n: number) => (n === 0 ? '' : n === 1 ? ' (its route stays)' : ` (its ${n} routes stay)`);
        await confirmChange(rt, `Take role ${quoted(plan.role)} from ${chatName(plan)}${stay(plan.routes)}?`, opts.yes);
        const done = await unassignRole.run(ctx, { chat: String(plan.chat_id), dry_run: false });
        reportChange(
          rt,
          done.role === null ? `${chatName(done)} has no role; nothing changed` : `took role ${quoted(done.role)} from ${chatName(done)}${stay(done.routes)}`,
          done,
        );
      }),
    );
}
