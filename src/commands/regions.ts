import type { Command } from 'commander';
import { action } from '../cli/runtime';
import { REGION_FIELDS } from '../handlers/resource-fields';
import { fieldColumns } from './columns';
import { counted, quoted } from '../cli/text';
import { capitalised, deletionOptions, pageInput, pageOptions, printPageHint, proceedWithDeletion } from './common';

export function registerRegions(program: Command): void {
  const regions = program.command('regions').description('regions (groups of units)');

  pageOptions(regions.command('list').description('regions by id')).action(
    action(async (rt, opts) => {
      const { listRegions } = await import('../handlers/regions');
      const input = rt.validate(listRegions.cliInput, pageInput(rt, opts));
      const page = await listRegions.run(await rt.ctx(), input);
      await rt.out.list(page.items, fieldColumns(REGION_FIELDS, ['id', 'name']));
      await printPageHint(rt, page, input, 'regions', async (all) => listRegions.run(await rt.ctx(), all));
    }),
  );

  regions
    .command('add')
    .description('add a region')
    .option('--name <name>', 'the region name (unique, up to 64 characters)')
    .option('--id <id>', 'its id (default: the next free one)')
    .action(
      action(async (rt, opts) => {
        const { createRegion } = await import('../handlers/regions');
        const { askText } = await import('../cli/prompts');
        const name = await askText(rt, { value: opts.name, flag: '--name', message: 'Region name', schema: createRegion.input.shape.name });
        const region = await createRegion.run(await rt.ctx(), rt.validate(createRegion.input, { name, id: opts.id }));
        rt.out.say(`added region ${region.id} ${quoted(region.name)}`);
        if (rt.out.opts.json) rt.out.json(region);
      }),
    );

  regions
    .command('rename')
    .description('give a region a new name')
    .argument('[region]', 'the region (id or name)')
    .argument('[new-name]', 'its new name')
    .action(
      action(async (rt, _opts, [ref, newName]) => {
        const { renameRegion } = await import('../handlers/regions');
        const { askRegion, askText } = await import('../cli/prompts');
        const region = await askRegion(rt, ref, { flag: '<region>', message: 'Region to rename' });
        const name = await askText(rt, { value: newName, flag: '<new-name>', message: 'New name', schema: renameRegion.input.shape.name });
        const input = rt.validate(renameRegion.input, { region, name }, { region: '<region>', name: '<new-name>' });
        const renamed = await renameRegion.run(await rt.ctx(), input);
        rt.out.say(
          renamed.old_name === renamed.name
            ? `region ${renamed.id} is already named ${quoted(renamed.name)}`
            : `renamed region ${renamed.id} ${quoted(renamed.old_name)} to ${quoted(renamed.name)}`,
        );
        if (rt.out.opts.json) rt.out.json({ id: renamed.id, name: renamed.name });
      }),
    );

  const regionsRm = regions
    .command('rm')
    .description('delete a region with its units, their routes and role grants (asks first)')
    .argument('[region]', 'the region (id or name)');
  deletionOptions(regionsRm)
    .action(
      action(async (rt, opts, [ref]) => {
        const { deleteRegion, describeRegionDelete } = await import('../handlers/regions');
        const { askRegion } = await import('../cli/prompts');
        const region = await askRegion(rt, ref, { flag: '<region>', message: 'Region to delete' });
        const input = rt.validate(deleteRegion.input, { region }, { region: '<region>' });
        const ctx = await rt.ctx();
        const impact = await describeRegionDelete.run(ctx, input);
        const along = (i: typeof impact) => counted([[i.units, 'unit'], [i.routes, 'route'], [i.role_grants, 'role grant']]);
        const what = along(impact);
        const sentence = `delete region ${impact.id} ${quoted(impact.name)}${what ? ` and its ${what}` : ''}`;
        if (!(await proceedWithDeletion(rt, opts, `${capitalised(sentence)}?`, sentence, impact))) return;
        const deleted = await deleteRegion.run(ctx, { region: String(impact.id) });
        const gone = along(deleted);
        rt.out.say(`deleted region ${deleted.id} ${quoted(deleted.name)}${gone ? ` with its ${gone}` : ''}`);
        if (rt.out.opts.json) rt.out.json(deleted);
      }),
    );
}
