import type { Command } from 'commander';
import { action, type Runtime } from '../cli/runtime';
import { andList, plural, quoted } from '../cli/text';
import { UsageError } from '../core/errors';
import { REPORT_TYPE_FIELDS } from '../handlers/resource-fields';
import { fieldColumns } from './columns';
import { pageInput, pageOptions, printPageHint, requireFlags } from './common';

const FLAGS = { verbose_name: '--verbose-name', report_type: '<type>' };

export function registerReportTypes(program: Command): void {
  const types = program.command('report-types').description('report types (what a report is about: canceled orders, stop sales…)');
  pageOptions(
    types
      .command('list')
      .addHelpText('after', '\n--all lists every type, active or not, statistics or not, unpaged.')
      .description('active report types that are not statistics types (default), or --statistics, --inactive, --all')
      .option('--statistics', 'the active statistics types (children of STATISTICS)')
      .option('--inactive', 'the inactive types')
      .option('--parent <id>', 'the active children of this type'),
  ).action(
    action(async (rt, opts) => {
      const { listReportTypes } = await import('../handlers/report-types');
      const scope = opts.all ? 'all' : opts.statistics ? 'statistics' : opts.inactive ? 'inactive' : 'default';
      const input = rt.validate(
        listReportTypes.cliInput,
        { scope, parent_id: opts.parent, ...pageInput(rt, opts) },
        { parent_id: '--parent' },
      );
      const page = await listReportTypes.run(await rt.ctx(), input);
      await rt.out.list(page.items, fieldColumns(REPORT_TYPE_FIELDS, ['id', 'name', 'verbose_name', 'parent', 'priority', 'is_active']));
      await printPageHint(rt, page, input, 'report types', async (all) => listReportTypes.run(await rt.ctx(), all));
    }),
  );

  types
    .command('show')
    .description('one report type, active or not: its fields and how many children, routes and roles it has')
    .argument('[type]', 'the report type (id or name)')
    .action(
      action(async (rt, _opts, [ref]) => {
        const { getReportType } = await import('../handlers/report-types');
        const { askReportType } = await import('../cli/prompts');
        const report_type = await askReportType(rt, ref, { flag: '<type>' });
        rt.out.object({ ...(await getReportType.run(await rt.ctx(), rt.validate(getReportType.input, { report_type }, FLAGS))) });
      }),
    );

  types
    .command('add')
    .description('add a report type')
    .option('--name <name>', 'its machine name, e.g. CANCELED_ORDERS (unique, up to 64 characters)')
    .option('--verbose-name <text>', 'its display name (up to 64 characters)')
    .option('--parent <type>', 'its parent type (id or name), e.g. STATISTICS')
    .option('--priority <n>', 'lists show higher priorities first (0..32767, default 0)')
    .option('--inactive', 'add it inactive (hidden from the API until activated)')
    .option('--id <id>', 'its id (default: the next free one)')
    .action(
      action(async (rt, opts) => {
        const { createReportType, reportTypeFields } = await import('../handlers/report-types');
        const P = await import('../cli/prompts');
        requireFlags(rt, [['--name', opts.name], ['--verbose-name', opts.verboseName]]);
        const prompting = rt.interactive && [opts.name, opts.verboseName].some((v) => v === undefined);
        const name = await P.askText(rt, { value: opts.name, flag: '--name', message: 'Name (machine code)', schema: reportTypeFields.name });
        const verbose_name = await P.askText(rt, {
          value: opts.verboseName,
          flag: '--verbose-name',
          message: 'Verbose name (for people)',
          schema: reportTypeFields.verbose_name,
        });
        const parent = opts.parent ?? (prompting ? await P.askOptionalReportType(rt) : null);
        const priority = prompting
          ? await P.askText(rt, { value: opts.priority, flag: '--priority', message: 'Priority', schema: reportTypeFields.priority, default: '0' })
          : opts.priority;
        const input = rt.validate(
          createReportType.input,
          { id: opts.id, name, verbose_name, parent, priority, is_active: !opts.inactive },
          FLAGS,
        );
        const type = await createReportType.run(await rt.ctx(), input);
        rt.out.say(`added report type ${type.id} ${type.name} (${quoted(type.verbose_name)}${type.is_active ? '' : ', inactive'})`);
        if (rt.out.opts.json) rt.out.json(type);
      }),
    );

  types
    .command('update')
    .description("change a report type's name, verbose name, parent or priority (on a terminal without flags: asks)")
    .argument('[type]', 'the report type (id or name)')
    .option('--name <name>', 'its new machine name')
    .option('--verbose-name <text>', 'its new display name')
    .option('--parent <type>', 'its new parent type (id or name)')
    .option('--no-parent', 'make it a top-level type')
    .option('--priority <n>', 'its new priority (0..32767)')
    .action(
      action(async (rt, opts, [ref]) => {
        const { updateReportType, REPORT_TYPE_UPDATE_FIELDS } = await import('../handlers/report-types');
        const { askReportType } = await import('../cli/prompts');
        const given: Record<string, unknown> = {
          name: opts.name,
          verbose_name: opts.verboseName,
          parent: opts.parent === false ? null : opts.parent,
          priority: opts.priority,
        };
        const nothingGiven = REPORT_TYPE_UPDATE_FIELDS.every((f) => given[f] === undefined);
        if (nothingGiven && !rt.interactive) {
          throw new UsageError('nothing to change', 'give at least one of --name, --verbose-name, --parent, --no-parent, --priority');
        }
        const report_type = await askReportType(rt, ref, { flag: '<type>', message: 'Report type to change' });
        const answers = nothingGiven ? await askReportTypeChanges(rt, report_type) : given;
        const input = rt.validate(updateReportType.input, { report_type, ...answers }, FLAGS);
        const { report_type: type, changes } = await updateReportType.run(await rt.ctx(), input);
        const show = (v: unknown) => (v === null ? 'none' : typeof v === 'number' ? String(v) : quoted(String(v)));
        rt.out.say(
          changes.length
            ? `updated report type ${type.id} ${type.name}: ${changes.map((c) => `${c.field} ${show(c.from)} → ${show(c.to)}`).join(', ')}`
            : `report type ${type.id} ${type.name}: nothing changed`,
        );
        if (rt.out.opts.json) rt.out.json(type);
      }),
    );

  for (const active of [true, false]) {
    const verb = active ? 'activate' : 'deactivate';
    types
      .command(verb)
      .description(active ? 'make report types active (served by the API)' : 'make report types inactive (hidden from the API; routes are kept)')
      .argument('[types...]', 'report types (ids or names)')
      .action(
        action(async (rt, _opts, refs) => {
          const { setReportTypesActive } = await import('../handlers/report-types');
          const report_types = refs.length ? refs : await pickTypes(rt, active);
          const input = rt.validate(setReportTypesActive.input, { report_types, is_active: active }, { report_types: '<types>' });
          const result = await setReportTypesActive.run(await rt.ctx(), input);
          const parts = [
            result.changed.length ? `${verb}d ${plural(result.changed.length, 'report type')} (${andList(result.changed)})` : null,
            result.unchanged.length
              ? `${andList(result.unchanged)} ${result.unchanged.length === 1 ? 'was' : 'were'} already ${active ? 'active' : 'inactive'}`
              : null,
          ].filter(Boolean);
          rt.out.say(parts.join('; '));
          if (rt.out.opts.json) rt.out.json({ is_active: active, ...result });
        }),
      );
  }
}

/** `activate`/`deactivate` on a terminal without names: the types that can change, ticked in a list. */
async function pickTypes(rt: Runtime, active: boolean): Promise<string[]> {
  const { askMany } = await import('../cli/prompts');
  const { listReportTypes } = await import('../handlers/report-types');
  return askMany(rt, {
    flag: '<types>',
    message: active ? 'Report types to activate' : 'Report types to deactivate',
    none: active ? 'every report type is active already' : 'no report type is active',
    choices: async () => {
      const page = await listReportTypes.run(await rt.ctx(), { scope: 'all', limit: null, offset: 0 });
      return page.items
        .filter((t) => t.is_active !== active)
        .map((t) => ({ name: `${t.name}  (${t.id}, ${t.verbose_name})`, value: t.name }));
    },
  });
}

/** `report-types update` on a terminal without flags: each field asked with its current value as the default. */
async function askReportTypeChanges(rt: Runtime, ref: string): Promise<Record<string, unknown>> {
  const { getReportType, reportTypeFields } = await import('../handlers/report-types');
  const P = await import('../cli/prompts');
  const current = await getReportType.run(await rt.ctx(), rt.validate(getReportType.input, { report_type: ref }, FLAGS));
  return {
    name: await P.askText(rt, { value: undefined, flag: '--name', message: 'Name', schema: reportTypeFields.name, default: current.name }),
    verbose_name: await P.askText(rt, {
      value: undefined,
      flag: '--verbose-name',
      message: 'Verbose name',
      schema: reportTypeFields.verbose_name,
      default: current.verbose_name,
    }),
    parent: await P.askOptionalReportType(rt, 'Parent report type', current.parent_id),
    priority: await P.askText(rt, {
      value: undefined,
      flag: '--priority',
      message: 'Priority',
      schema: reportTypeFields.priority,
      default: String(current.priority),
    }),
  };
}
