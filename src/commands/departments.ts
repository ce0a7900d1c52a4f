import type { Command } from 'commander';
import { action } from '../cli/runtime';
import { DEPARTMENT_FIELDS } from '../handlers/resource-fields';
import { fieldColumns } from './columns';
import { plural, quoted } from '../cli/text';
import { pageInput, pageOptions, printPageHint, requireFlags } from './common';

export function registerDepartments(program: Command): void {
  const departments = program.command('departments').description('departments (an optional grouping of units, from Dodo IS)');

  pageOptions(departments.command('list').description('departments by id')).action(
    action(async (rt, opts) => {
      const { listDepartments } = await import('../handlers/departments');
      const input = rt.validate(listDepartments.cliInput, pageInput(rt, opts));
      const page = await listDepartments.run(await rt.ctx(), input);
      await rt.out.list(page.items, fieldColumns(DEPARTMENT_FIELDS, ['id', 'name', 'uuid']));
      await printPageHint(rt, page, input, 'departments', async (all) => listDepartments.run(await rt.ctx(), all));
    }),
  );

  departments
    .command('add')
    .description('add a department')
    .option('--id <id>', 'its Dodo IS department id (1..32767)')
    .option('--name <name>', 'the department name (unique, up to 64 characters)')
    .option('--uuid <uuid>', 'its Dodo IS uuid')
    .action(
      action(async (rt, opts) => {
        const { createDepartment } = await import('../handlers/departments');
        const { askText } = await import('../cli/prompts');
        const shape = createDepartment.input.shape;
        requireFlags(rt, [['--id', opts.id], ['--name', opts.name], ['--uuid', opts.uuid]]);
        const id = await askText(rt, { value: opts.id, flag: '--id', message: 'Department id (Dodo IS)', schema: shape.id });
        const name = await askText(rt, { value: opts.name, flag: '--name', message: 'Name', schema: shape.name });
        const uuid = await askText(rt, { value: opts.uuid, flag: '--uuid', message: 'UUID (Dodo IS)', schema: shape.uuid });
        const department = await createDepartment.run(await rt.ctx(), rt.validate(createDepartment.input, { id, name, uuid }));
        rt.out.say(`added department ${department.id} ${quoted(department.name)}`);
        if (rt.out.opts.json) rt.out.json(department);
      }),
    );

  departments
    .command('rm')
    .description('delete a department; its units stay, without a department (asks first)')
    .argument('[department]', 'the department (id or name)')
    .option('-y, --yes', 'delete without asking')
    .action(
      action(async (rt, opts, [ref]) => {
        const { deleteDepartment, describeDepartmentDelete } = await import('../handlers/departments');
        const { askDepartment, confirmChange } = await import('../cli/prompts');
        const department = await askDepartment(rt, ref, { flag: '<department>', message: 'Department to delete' });
        const input = rt.validate(deleteDepartment.input, { department }, { department: '<department>' });
        const ctx = await rt.ctx();
        const impact = await describeDepartmentDelete.run(ctx, input);
        const keep = (n: number) => (n ? ` (${plural(n, 'unit')} will have no department)` : '');
        await confirmChange(rt, `Delete department ${impact.id} ${quoted(impact.name)}${keep(impact.units)}?`, opts.yes);
        const deleted = await deleteDepartment.run(ctx, { department: String(impact.id) });
        rt.out.say(
          `deleted department ${deleted.id} ${quoted(deleted.name)}${deleted.units ? `; ${plural(deleted.units, 'unit')} now without a department` : ''}`,
        );
        if (rt.out.opts.json) rt.out.json(deleted);
      }),
    );
}
