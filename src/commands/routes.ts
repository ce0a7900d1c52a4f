import type { Command } from 'commander';
import type { Runtime } from '../cli/runtime';
import { action } from '../cli/runtime';
import { ROUTE_FIELDS } from '../handlers/resource-fields';
import { fieldColumn } from './columns';
import { plural, quoted } from '../cli/text';
import { UsageError } from '../core/errors';
import type { Ctx } from '../core/operation';
import type { RouteChange } from '../handlers/routes';
import { capitalised, pageInput, pageOptions, printPageHint, proceedWithDeletion, requireFlags } from './common';
import { collectList, nonEmpty, reportChange } from './ref-options';
import { explainActing } from './acting';

const ID = /^\s*\d{1,9}\s*$/;
const CHAT_ID = /^\s*[+-]?\d{1,16}\s*$/;

interface Selection {
  units?: string[];
  region?: string;
  all?: boolean;
}

/** --units, --region or --all: at most one; none is undefined (asked for on a terminal). */
function selection(opts: Selection): Selection | undefined {
  const given = [opts.units !== undefined, opts.region !== undefined, Boolean(opts.all)].filter(Boolean).length;
  if (given > 1) throw new UsageError('give only one of --units, --region and --all');
  if (given === 0) return undefined;
  return { units: nonEmpty(opts.units, '--units'), region: opts.region, all: Boolean(opts.all) };
}

/** Off a terminal: --chat and --report, and the unit selection too when something else is missing, in one error. */
function requireMissing(rt: Runtime, opts: { chat?: string; report?: string }, units: Selection | undefined) {
  const flags: [string, unknown][] = [['--chat', opts.chat], ['--report', opts.report]];
  if (flags.some(([, v]) => v === undefined)) flags.push(['--units (or --region, --all)', units]);
  requireFlags(rt, flags);
}

const noSelection = () => new UsageError('which units? give --units, --region or --all', 'or run on a terminal to tick them in a list');

const SELECTION_FLAGS = { units: '--units', region: '--region', all: '--all', chat: '--chat', report: '--report' };
const API_FLAGS = { report_type_id: '--report', chat_id: '--chat', unit_ids: '--units', user_chat_id: '--as' };

/** The keys of a change's JSON that say which routes: the API's field names. */
const routeKeys = (c: RouteChange) => ({
  chat_id: c.chat_id,
  chat_title: c.chat_title,
  report_type_id: c.report_type_id,
  report_type: c.report_type,
});

/** ` (CANCELED_ORDERS into chat -100… "Ops")` */
const routeTarget = (c: RouteChange) => `${c.report_type} into chat ${c.chat_id} ${quoted(c.chat_title)}`;

function warnInactive(rt: Runtime, c: RouteChange) {
  if (!c.report_type_active) {
    rt.out.warn(`report type ${c.report_type} is inactive: its reports are not sent until \`urdb report-types activate ${c.report_type}\``);
  }
}

/** The chat and report type as ids, resolving names (ids pass as given, so that `--as` keeps the API's check order). */
async function apiIds(ctx: Ctx, chat: string, report: string): Promise<{ chat_id: string | number; report_type_id: string | number }> {
  const { chatRef } = await import('../handlers/chats');
  const { reportTypeRef } = await import('../handlers/refs');
  return {
    chat_id: CHAT_ID.test(chat) ? chat : (await chatRef(ctx.sql, chat)).chat_id,
    report_type_id: ID.test(report) ? report : (await reportTypeRef(ctx.sql, report)).id,
  };
}

/** The units of a selection as ids for the API's operations: ids pass as given (unknown ones are the role check's). */
async function apiUnitIds(ctx: Ctx, s: Selection): Promise<(string | number)[]> {
  const { regionUnitIds, unitRefs } = await import('../handlers/ref-sets');
  if (s.units) {
    const names = s.units.filter((u) => !ID.test(u));
    const named = await unitRefs(ctx.sql, names);
    return [...s.units.filter((u) => ID.test(u)), ...named.map((u) => u.id)];
  }
  if (s.region) {
    const { regionRef } = await import('../handlers/refs');
    return regionUnitIds(ctx.sql, [(await regionRef(ctx.sql, s.region)).id]);
  }
  return (await ctx.sql<{ id: number }[]>`select id from unit order by id`).map((u) => u.id);
}

/** The unit ids routed now for a chat and report type (given as ids). */
async function routedUnitIds(ctx: Ctx, ids: { chat_id: string | number; report_type_id: string | number }): Promise<number[]> {
  const { listRouteUnits } = await import('../handlers/routes');
  const input = listRouteUnits.cliInput.parse({ ...ids, limit: null });
  return (await listRouteUnits.run(ctx, input)).items;
}

export function registerRoutes(program: Command): void {
  const routes = program
    .command('routes')
    .description('report routes: which chat receives which report type about which unit');

  pageOptions(
    routes
      .command('list')
      .description('routes with chat titles, report type and unit names, by chat, report type and unit')
      .option('--chat <chat>', 'only routes into this chat (chat id, @username or title)')
      .option('--report <type>', 'only routes of this report type (id or name)')
      .option('--unit <unit>', 'only routes about this unit (id or name)')
      .option('--region <region>', 'only routes about units of this region (id or name)'),
  ).action(
    action(async (rt, opts) => {
      const { listRoutes } = await import('../handlers/routes');
      const input = rt.validate(
        listRoutes.cliInput,
        { chat: opts.chat, report: opts.report, unit: opts.unit, region: opts.region, ...pageInput(rt, opts) },
        { report: '--report' },
      );
      const page = await listRoutes.run(await rt.ctx(), input);
      await rt.out.list(page.items, [
        fieldColumn(ROUTE_FIELDS, 'chat_id'),
        { header: 'CHAT', value: (r) => r.chat_title },
        fieldColumn(ROUTE_FIELDS, 'report_type'),
        fieldColumn(ROUTE_FIELDS, 'unit_id'),
        { header: 'UNIT', value: (r) => r.unit_name },
        { header: 'REGION', value: (r) => r.region },
      ]);
      await printPageHint(rt, page, input, 'routes', async (all) => listRoutes.run(await rt.ctx(), all));
    }),
  );

  routes
    .command('add')
    .description('route reports of a type about units to a chat; adds what is missing and says what existed')
    .option('--chat <chat>', 'the chat that receives the reports (chat id, @username or title)')
    .option('--report <type>', 'the report type (id or name)')
    .option('--units <units>', 'these units (ids or names, comma-separated or repeated)', collectList)
    .option('--region <region>', 'every unit of this region (id or name)')
    .option('--all', 'every unit')
    .option('--as <user-chat-id>', "act as this Telegram user: the API's role checks, all or nothing")
    .addHelpText(
      'after',
      '\nWithout --as the administrator may route anything, and routes that exist are counted, not an error.\n' +
        'With --as the acting user\'s role must grant the report type and every unit, and any existing route\n' +
        'fails the whole request, exactly as POST /report-routes/ does (same checks, order and messages).',
    )
    .action(
      action(async (rt, opts) => {
        const { askReportType, askUnits } = await import('../cli/prompts');
        const { askChat } = await import('../cli/prompts-admin');
        let units = selection(opts);
        requireMissing(rt, opts, units);
        const chat = await askChat(rt, opts.chat, { flag: '--chat', message: 'Chat that receives the reports' });
        const report = await askReportType(rt, opts.report, { flag: '--report' });
        if (!units && !rt.interactive) throw noSelection();
        const ctx = await rt.ctx();

        if (opts.as !== undefined) {
          const { createRoutes, createRoutesInput } = await import('../handlers/routes');
          const ids = await apiIds(ctx, chat, report);
          let unitIds: (string | number)[];
          if (units) unitIds = await apiUnitIds(ctx, units);
          else {
            const { listRoleUnits } = await import('../handlers/roles');
            const granted = await listRoleUnits.run(ctx, rt.validate(listRoleUnits.cliInput, { chat_id: opts.as, limit: null }, { chat_id: '--as' }));
            const routed = new Set(await routedUnitIds(ctx, ids));
            const open = granted.items.map((u) => u.id).filter((id) => !routed.has(id));
            if (open.length === 0) return rt.out.say("nothing to add: every unit the acting user's role grants is routed already");
            unitIds = await askUnits(rt, { flag: '--units', message: 'Units to route (space ticks, enter when done)', only: open });
          }
          const input = rt.validate(createRoutesInput, { ...ids, unit_ids: unitIds, user_chat_id: opts.as }, API_FLAGS);
          const { inserted } = await createRoutes.run(ctx, input).catch(async (err) => {
            throw await explainActing(ctx, err, input);
          });
          return reportChange(rt, `added ${plural(inserted, 'route')} as user ${input.user_chat_id}`, { inserted, ...input });
        }

        const { addRoutes } = await import('../handlers/routes');
        if (!units) {
          const { chatRef } = await import('../handlers/chats');
          const { refChoices, reportTypeRef } = await import('../handlers/refs');
          const target = await chatRef(ctx.sql, chat);
          const type = await reportTypeRef(ctx.sql, report);
          const routed = new Set(await routedUnitIds(ctx, { chat_id: target.chat_id, report_type_id: type.id }));
          const open = (await refChoices(ctx.sql, 'unit')).map((u) => u.id).filter((id) => !routed.has(id));
          if (open.length === 0) {
            return rt.out.say(
              routed.size ? `nothing to add: every unit already routes ${type.name} to chat ${target.chat_id}` : 'there are no units yet; add one with `urdb units add`',
            );
          }
          const picked = await askUnits(rt, { flag: '--units', message: `Units whose ${type.name} reports go to ${target.title}`, only: open });
          units = { units: picked.map(String), all: false };
        }
        const input = rt.validate(addRoutes.input, { chat, report, ...units, all: Boolean(units.all) }, SELECTION_FLAGS);
        const change = await addRoutes.run(ctx, input);
        warnInactive(rt, change);
        const existed = change.existed ? `, ${change.existed} already existed` : '';
        reportChange(rt, `added ${plural(change.added, 'route')}${existed} (${routeTarget(change)})`, {
          ...routeKeys(change),
          units: change.units,
          added: change.added,
          existed: change.existed,
        });
      }),
    );

  routes
    .command('rm')
    .description('delete routes of a chat and report type (--all and --region ask first)')
    .option('--chat <chat>', 'the chat (chat id, @username or title)')
    .option('--report <type>', 'the report type (id or name)')
    .option('--units <units>', 'these units (ids or names, comma-separated or repeated)', collectList)
    .option('--region <region>', 'every unit of this region (id or name)')
    .option('--all', 'every route of the chat and report type')
    .option('--as <user-chat-id>', 'act as this Telegram user: only what its role could have added may go')
    .option('-y, --yes', 'delete without asking')
    .option('--dry-run', 'say how many routes would be deleted; change nothing')
    .addHelpText(
      'after',
      "\nWith --as the checks of POST /report-routes/ apply (its order and messages): the acting user's role must grant\n" +
        'the report type and every unit whose route is removed. The API\'s DELETE checks nothing; a user may remove only\n' +
        'what it could have added. Routes that do not exist are not an error.',
    )
    .action(
      action(async (rt, opts) => {
        const { askReportType, askUnits } = await import('../cli/prompts');
        const { askChat } = await import('../cli/prompts-admin');
        let units = selection(opts);
        requireMissing(rt, opts, units);
        const chat = await askChat(rt, opts.chat, { flag: '--chat', message: 'Chat whose routes to delete' });
        const report = await askReportType(rt, opts.report, { flag: '--report' });
        if (!units && !rt.interactive) throw noSelection();
        const ctx = await rt.ctx();
        const bulk = units !== undefined && (units.all || units.region !== undefined);

        if (opts.as !== undefined) {
          const { deleteRoutesAs } = await import('../handlers/routes');
          const ids = await apiIds(ctx, chat, report);
          let unitIds: (string | number)[];
          if (units?.all) unitIds = await routedUnitIds(ctx, ids);
          else if (units) unitIds = await apiUnitIds(ctx, units);
          else {
            const routed = await routedUnitIds(ctx, ids);
            if (routed.length === 0) return rt.out.say('nothing to delete: no routes of that report type into that chat');
            unitIds = await askUnits(rt, { flag: '--units', message: 'Routes to delete (space ticks, enter when done)', only: routed });
          }
          const input = rt.validate(deleteRoutesAs.input, { ...ids, unit_ids: unitIds, user_chat_id: opts.as }, API_FLAGS);
          if (bulk || opts.dryRun) {
            const plan = await deleteRoutesAs.run(ctx, { ...input, dry_run: true }).catch(async (err) => {
              throw await explainActing(ctx, err, input);
            });
            if (plan.deleted === 0) return rt.out.say('nothing to delete: none of those units is routed');
            const sentence = `delete ${plural(plan.deleted, 'route')} of report type ${input.report_type_id} into chat ${input.chat_id} as user ${input.user_chat_id}`;
            if (!(await proceedWithDeletion(rt, { yes: opts.yes || !bulk, dryRun: opts.dryRun }, `${capitalised(sentence)}?`, sentence, plan))) return;
          }
          const { deleted } = await deleteRoutesAs.run(ctx, input).catch(async (err) => {
            throw await explainActing(ctx, err, input);
          });
          const { dry_run: _, ...body } = input;
          return reportChange(rt, `deleted ${plural(deleted, 'route')} as user ${input.user_chat_id}`, { deleted, ...body });
        }

        const { removeRoutes } = await import('../handlers/routes');
        if (!units) {
          const { chatRef } = await import('../handlers/chats');
          const { reportTypeRef } = await import('../handlers/refs');
          const target = await chatRef(ctx.sql, chat);
          const type = await reportTypeRef(ctx.sql, report);
          const routed = await routedUnitIds(ctx, { chat_id: target.chat_id, report_type_id: type.id });
          if (routed.length === 0) return rt.out.say(`nothing to delete: no ${type.name} routes into chat ${target.chat_id}`);
          const picked = await askUnits(rt, { flag: '--units', message: 'Routes to delete (space ticks, enter when done)', only: routed });
          units = { units: picked.map(String), all: false };
        }
        const input = rt.validate(removeRoutes.input, { chat, report, ...units, all: Boolean(units.all) }, SELECTION_FLAGS);
        if (bulk || opts.dryRun) {
          const plan = await removeRoutes.run(ctx, { ...input, dry_run: true });
          if (plan.deleted === 0) {
            return reportChange(rt, `nothing to delete: no such routes (${routeTarget(plan)})`, { ...routeKeys(plan), units: plan.units, deleted: 0, not_routed: 0 });
          }
          const sentence = `delete ${plural(plan.deleted, 'route')} (${routeTarget(plan)})`;
          const json = { ...routeKeys(plan), units: plan.units, deleted: plan.deleted, not_routed: plan.not_routed };
          if (!(await proceedWithDeletion(rt, { yes: opts.yes || !bulk, dryRun: opts.dryRun }, `${capitalised(sentence)}?`, sentence, json))) return;
        }
        const change = await removeRoutes.run(ctx, { ...input, dry_run: false });
        const missing = change.not_routed ? `, ${change.not_routed} ${change.not_routed === 1 ? 'was' : 'were'} not routed` : '';
        reportChange(rt, `deleted ${plural(change.deleted, 'route')}${missing} (${routeTarget(change)})`, {
          ...routeKeys(change),
          units: change.units,
          deleted: change.deleted,
          not_routed: change.not_routed,
        });
      }),
    );

  pageOptions(
    routes
      .command('chats')
      .description('who receives this report about this unit: Telegram chat ids, as the service answers (the hot path)')
      .option('--unit <unit>', 'the unit (id or name)')
      .option('--report <type>', 'the report type (id or name)')
      .addHelpText('after', '\nChat titles: urdb routes list --unit U --report R'),
  ).action(
    action(async (rt, opts) => {
      const { listRouteChats } = await import('../handlers/routes');
      let unit: string | number | undefined = opts.unit;
      let report: string | number | undefined = opts.report;
      if (unit === undefined || report === undefined) {
        const { askUnit, askReportType } = await import('../cli/prompts');
        unit = await askUnit(rt, opts.unit);
        report = await askReportType(rt, opts.report);
      }
      const ctx = await rt.ctx();
      if (!ID.test(String(unit)) || !ID.test(String(report))) {
        const { unitRef, reportTypeRef } = await import('../handlers/refs');
        if (!ID.test(String(unit))) unit = (await unitRef(ctx.sql, String(unit))).id;
        if (!ID.test(String(report))) report = (await reportTypeRef(ctx.sql, String(report))).id;
      }
      const input = rt.validate(
        listRouteChats.cliInput,
        { unit_id: unit, report_type_id: report, ...pageInput(rt, opts) },
        { unit_id: '--unit', report_type_id: '--report' },
      );
      const page = await listRouteChats.run(ctx, input);
      await rt.out.list(page.items, [{ header: 'CHAT ID', value: (id) => id }]);
      await printPageHint(rt, page, input, 'chat ids', async (all) => listRouteChats.run(ctx, all));
    }),
  );

  pageOptions(
    routes
      .command('units')
      .description('the units whose reports of this type go to this chat (unit ids, as the service answers)')
      .option('--chat <chat>', 'the chat (chat id, @username or title)')
      .option('--report <type>', 'the report type (id or name)'),
  ).action(
    action(async (rt, opts) => {
      const { listRouteUnits } = await import('../handlers/routes');
      const { askReportType } = await import('../cli/prompts');
      const { askChat } = await import('../cli/prompts-admin');
      const chat = await askChat(rt, opts.chat, { flag: '--chat' });
      const report = await askReportType(rt, opts.report, { flag: '--report' });
      const ctx = await rt.ctx();
      const ids = await apiIds(ctx, chat, report);
      const input = rt.validate(
        listRouteUnits.cliInput,
        { ...ids, ...pageInput(rt, opts) },
        { chat_id: '--chat', report_type_id: '--report' },
      );
      const page = await listRouteUnits.run(ctx, input);
      await rt.out.list(page.items, [{ header: 'UNIT ID', value: (id) => id }]);
      await printPageHint(rt, page, input, 'unit ids', async (all) => listRouteUnits.run(ctx, all));
    }),
  );
}
