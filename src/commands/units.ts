import type { Command } from 'commander';
import path from 'node:path';
import { progressBar } from '../cli/progress';
import { action, type Runtime } from '../cli/runtime';
import { counted, plural, quoted } from '../cli/text';
import { UsageError } from '../core/errors';
import { UNIT_FIELDS } from '../handlers/resource-fields';
import { fieldColumns } from './columns';
import { capitalised, deletionOptions, pageInput, pageOptions, printPageHint, proceedWithDeletion, readText, requireFlags } from './common';

/** The flags that set a unit's fields, by field (flags are the API's field names without `_name`). */
const FIELD_FLAGS = {
  name: ['--name <name>', 'the unit name (unique, up to 64 characters)'],
  uuid: ['--uuid <uuid>', 'its Dodo IS uuid'],
  region: ['--region <region>', 'its region (id or name)'],
  department: ['--department <department>', 'its department (id or name)'],
  office_manager_account_name: ['--office-manager-account <name>', 'the office manager account name'],
  dodo_is_api_account_name: ['--dodo-is-api-account <name>', 'the Dodo IS API account name'],
  shift_manager_account_name: ['--shift-manager-account <name>', 'the shift manager account name'],
} as const;

/** Option keys (commander's camelCase) of the account flags, by field. */
const ACCOUNT_OPTS = {
  office_manager_account_name: 'officeManagerAccount',
  dodo_is_api_account_name: 'dodoIsApiAccount',
  shift_manager_account_name: 'shiftManagerAccount',
} as const;

const ACCOUNT_PROMPTS = {
  office_manager_account_name: 'Office manager account',
  dodo_is_api_account_name: 'Dodo IS API account',
  shift_manager_account_name: 'Shift manager account',
} as const;

function fieldOptions(cmd: Command): Command {
  for (const [flags, description] of Object.values(FIELD_FLAGS)) cmd.option(flags, description);
  return cmd;
}

export function registerUnits(program: Command): void {
  const units = program.command('units').description('units (pizzerias)');

  pageOptions(
    units
      .command('list')
      .description('units by id')
      .option('--region <region>', 'only units of this region (id or name)')
      .option('--search <text>', 'only units whose name contains this text'),
  ).action(
    action(async (rt, opts) => {
      const { listUnits } = await import('../handlers/units');
      const input = rt.validate(listUnits.cliInput, { region: opts.region, search: opts.search, ...pageInput(rt, opts) });
      const page = await listUnits.run(await rt.ctx(), input);
      await rt.out.list(
        page.items,
        fieldColumns(UNIT_FIELDS, ['id', 'name', 'region', 'uuid', 'office_manager_account_name', 'dodo_is_api_account_name']),
      );
      await printPageHint(rt, page, input, 'units', async (all) => listUnits.run(await rt.ctx(), all));
    }),
  );

  units
    .command('show')
    .description('one unit: its fields, department, and how many routes and roles it has')
    .argument('[unit]', 'the unit (id or exact name)')
    .action(
      action(async (rt, _opts, [ref]) => {
        const { getUnit } = await import('../handlers/units');
        const { askUnit } = await import('../cli/prompts');
        const unit = await askUnit(rt, ref, { flag: '<unit>' });
        rt.out.object({ ...(await getUnit.run(await rt.ctx(), rt.validate(getUnit.input, { unit }, { unit: '<unit>' }))) });
      }),
    );

  fieldOptions(units.command('add').description('add a unit (pizzeria)').option('--id <id>', 'its Dodo IS unit id')).action(
    action(async (rt, opts) => {
      const { createUnit, unitFields, UNIT_FLAGS } = await import('../handlers/units');
      const { unitValueTaken } = await import('../handlers/units');
      const P = await import('../cli/prompts');
      requireFlags(rt, [['--id', opts.id], ['--name', opts.name], ['--uuid', opts.uuid], ['--region', opts.region]]);
      // Asked for one missing required value, the prompts go on through the optional ones.
      const prompting = rt.interactive && [opts.id, opts.name, opts.uuid, opts.region].some((v) => v === undefined);
      // Each typed value is checked against the database as it is entered (a taken name is said at once).
      const taken = (field: 'id' | 'name' | 'uuid') => async (v: string) => unitValueTaken((await rt.ctx()).sql, field, v);
      const id = await P.askText(rt, { value: opts.id, flag: '--id', message: 'Unit id (Dodo IS)', schema: unitFields.id, check: taken('id') });
      const name = await P.askText(rt, { value: opts.name, flag: '--name', message: 'Name', schema: unitFields.name, check: taken('name') });
      const uuid = await P.askText(rt, { value: opts.uuid, flag: '--uuid', message: 'UUID (Dodo IS)', schema: unitFields.uuid, check: taken('uuid') });
      const region = await P.askRegion(rt, opts.region);
      const department = opts.department ?? (prompting ? await P.askOptionalDepartment(rt) : null);
      const accounts: Record<string, string | undefined> = {};
      for (const [field, key] of Object.entries(ACCOUNT_OPTS)) {
        accounts[field] = prompting
          ? await P.askText(rt, {
              value: opts[key],
              flag: FIELD_FLAGS[field as keyof typeof ACCOUNT_OPTS][0].split(' ')[0]!,
              message: ACCOUNT_PROMPTS[field as keyof typeof ACCOUNT_OPTS],
              schema: unitFields.office_manager_account_name,
              default: '',
              required: false,
            })
          : opts[key];
      }
      const input = rt.validate(createUnit.input, { id, name, uuid, region, department, ...accounts }, UNIT_FLAGS);
      const unit = await createUnit.run(await rt.ctx(), input);
      rt.out.say(`added unit ${unit.id} ${quoted(unit.name)} in region ${quoted(unit.region)}`);
      if (rt.out.opts.json) rt.out.json(unit);
    }),
  );

  fieldOptions(
    units
      .command('update')
      .description("change a unit's fields (on a terminal without flags: asks for each, showing the current values)")
      .argument('<unit>', 'the unit (id or exact name)'),
  )
    .option('--no-department', 'remove its department')
    .action(
      action(async (rt, opts, [ref]) => {
        const { updateUnit, UNIT_FLAGS, UNIT_UPDATE_FIELDS } = await import('../handlers/units');
        const given: Record<string, unknown> = {
          name: opts.name,
          uuid: opts.uuid,
          region: opts.region,
          department: opts.department === false ? null : opts.department,
          office_manager_account_name: opts.officeManagerAccount,
          dodo_is_api_account_name: opts.dodoIsApiAccount,
          shift_manager_account_name: opts.shiftManagerAccount,
        };
        const ctx = await rt.ctx();
        let input = rt.validate(updateUnit.input, { unit: ref, ...given }, { ...UNIT_FLAGS, unit: '<unit>' });
        if (UNIT_UPDATE_FIELDS.every((f) => given[f] === undefined)) {
          if (!rt.interactive) {
            throw new UsageError('nothing to change', `give at least one of ${Object.values(FIELD_FLAGS).map(([f]) => f.split(' ')[0]).join(', ')}, --no-department`);
          }
          input = rt.validate(updateUnit.input, { unit: ref, ...(await askUnitChanges(rt, ref!)) }, { ...UNIT_FLAGS, unit: '<unit>' });
        }
        const { unit, changes } = await updateUnit.run(ctx, input);
        const show = (v: unknown) => (v === null ? 'none' : quoted(String(v)));
        rt.out.say(
          changes.length
            ? `updated unit ${unit.id} ${quoted(unit.name)}: ${changes.map((c) => `${c.field} ${show(c.from)} → ${show(c.to)}`).join(', ')}`
            : `unit ${unit.id} ${quoted(unit.name)}: nothing changed`,
        );
        if (rt.out.opts.json) rt.out.json(unit);
      }),
    );

  deletionOptions(
    units
      .command('rm')
      .description('delete a unit with its routes and role grants (asks first)')
      .argument('<unit>', 'the unit (id or exact name)'),
  ).action(
      action(async (rt, opts, [ref]) => {
        const { deleteUnit, describeUnitDelete } = await import('../handlers/units');
        const ctx = await rt.ctx();
        const input = rt.validate(deleteUnit.input, { unit: ref }, { unit: '<unit>' });
        const along = (i: { routes: number; role_grants: number }) => counted([[i.routes, 'route'], [i.role_grants, 'role grant']]);
        const impact = await describeUnitDelete.run(ctx, input);
        const what = along(impact);
        const sentence = `delete unit ${impact.id} ${quoted(impact.name)}${what ? ` and its ${what}` : ''}`;
        if (!(await proceedWithDeletion(rt, opts, `${capitalised(sentence)}?`, sentence, impact))) return;
        const deleted = await deleteUnit.run(ctx, { unit: String(impact.id) });
        const gone = along(deleted);
        rt.out.say(`deleted unit ${deleted.id} ${quoted(deleted.name)}${gone ? ` with its ${gone}` : ''}`);
        if (rt.out.opts.json) rt.out.json(deleted);
      }),
    );

  units
    .command('import')
    .description('add or update units from a CSV file (header row of unit fields, region by name) or a JSON array; all or nothing')
    .argument('<file>', 'a .csv or .json file, or - for stdin')
    .option('--format <format>', 'csv or json (default: from the file name; stdin: from its first character)')
    .option('--dry-run', 'check the file and count what would change; write nothing')
    .option('--create-regions', 'create the regions the file names that do not exist (default: an error)')
    .option('-y, --yes', 'change existing units without asking')
    .addHelpText(
      'after',
      `
Columns (CSV) or keys (JSON): id, name, uuid, region, department_id, office_manager_account_name,
dodo_is_api_account_name, shift_manager_account_name. Units are matched by id: a new id adds a unit (id, name,
uuid and region needed), a known id updates it. A column the file does not have keeps the stored values, so
"id,office_manager_account_name" changes only that. CSV may be separated by commas, semicolons or tabs.
Every bad row is reported with its line number and nothing is written.`,
    )
    .action(
      action(async (rt, opts, [file]) => {
        const { importUnits, parseUnitsCsv, parseUnitsJson } = await import('../handlers/units-import');
        const { confirm } = await import('../cli/prompts');
        const bar = progressBar(!rt.out.opts.quiet);
        let result: Awaited<ReturnType<typeof importUnits>>;
        try {
          // Every step shows from its start, so a large file never looks stuck (and Ctrl-C stops any of them).
          bar.update(`reading ${file === '-' ? 'stdin' : file}`, 0, 0);
          const text = await readText(file!);
          const format = importFormat(file!, text, opts.format);
          bar.update(`parsing ${format.toUpperCase()}`, 0, 0);
          const rows = format === 'csv' ? parseUnitsCsv(text) : parseUnitsJson(text, file!);
          if (rows.length === 0) {
            bar.finish();
            rt.out.say(`${file} has no units; nothing to import`);
            if (rt.out.opts.json) rt.out.json({ dry_run: Boolean(opts.dryRun), inserted: 0, updated: 0, unchanged: 0, regions_created: 0, warnings: [] });
            return;
          }
          bar.update('opening the database', 0, 0);
          result = await importUnits(await rt.ctx(), rows, {
            dryRun: Boolean(opts.dryRun),
            createRegions: Boolean(opts.createRegions),
            signal: rt.abort.signal,
            onProgress: (p) => bar.update(p.label, p.done, p.total),
            confirmReplace: opts.yes
              ? undefined
              : async (counts) => {
                  bar.finish();
                  const adds = counts.inserted ? ` and add ${plural(counts.inserted, 'unit')}` : '';
                  return confirm(rt, `Update ${plural(counts.updated, 'existing unit')}${adds}?`);
                },
          });
        } finally {
          bar.finish();
        }
        for (const w of result.warnings) rt.out.warn(w);
        const counts = `${result.inserted} inserted, ${result.updated} updated, ${result.unchanged} unchanged`;
        rt.out.say(result.dry_run ? `dry run, nothing written: units would be ${counts}` : `imported units: ${counts}`);
        if (rt.out.opts.json) rt.out.json(result);
      }),
    );
}

function importFormat(file: string, text: string, given: unknown): 'csv' | 'json' {
  if (given !== undefined) {
    if (given === 'csv' || given === 'json') return given;
    throw new UsageError(`--format: "${String(given)}" is not a valid choice`, 'use --format csv or --format json');
  }
  const ext = path.extname(file).toLowerCase();
  if (ext === '.csv' || ext === '.tsv' || ext === '.txt') return 'csv';
  if (ext === '.json') return 'json';
  return /^\s*[[{]/.test(text.replace(/^\uFEFF/, '')) ? 'json' : 'csv';
}

/** `units update` on a terminal without flags: each field asked with its current value as the default. */
async function askUnitChanges(rt: Runtime, ref: string): Promise<Record<string, unknown>> {
  const { getUnit, unitFields } = await import('../handlers/units');
  const P = await import('../cli/prompts');
  const current = await getUnit.run(await rt.ctx(), rt.validate(getUnit.input, { unit: ref }, { unit: '<unit>' }));
  const text = (flag: string, message: string, value: string, schema: import('zod').ZodType, required = true) =>
    P.askText(rt, { value: undefined, flag, message, schema, default: value, required });
  const answers: Record<string, unknown> = {
    name: await text('--name', 'Name', current.name, unitFields.name),
    uuid: await text('--uuid', 'UUID', current.uuid, unitFields.uuid),
    region: await P.askRegion(rt, undefined, { default: current.region_id }),
    department: await P.askOptionalDepartment(rt, 'Department', current.department_id),
  };
  for (const field of Object.keys(ACCOUNT_OPTS) as (keyof typeof ACCOUNT_OPTS)[]) {
    answers[field] = (await text(FIELD_FLAGS[field][0].split(' ')[0]!, ACCOUNT_PROMPTS[field], current[field], unitFields[field], false)) ?? '';
  }
  return answers;
}
