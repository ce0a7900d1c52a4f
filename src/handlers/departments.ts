import { z } from 'zod';
import { INT16, integer, text, uuid } from '../core/fields';
import { fetchLimit, listOperation, operation, toPage, write } from '../core/operation';
import { mapConflicts } from './constraints';
import { departmentRef } from './refs';

/** A department (optional for a unit). Its id is Dodo IS's, given, a smallint. */
export interface Department {
  id: number;
  name: string;
  uuid: string;
}

export const listDepartments = listOperation({
  name: 'departments.list',
  summary: 'Departments by id.',
  filters: {},
  async run({ sql }, { limit, offset }) {
    const rows = await sql<Department[]>`
      select id, name, uuid from department order by id limit ${fetchLimit(limit)} offset ${offset}
    `;
    return toPage(rows, limit);
  },
});

export const createDepartment = operation({
  name: 'departments.create',
  summary: 'Add a department with its Dodo IS id and uuid.',
  input: z.object({ id: integer({ min: 1, max: INT16.max }), name: text({ max: 64 }), uuid: uuid() }),
  async run(ctx, input): Promise<Department> {
    return mapConflicts(
      {
        department_pkey: [`department ${input.id} already exists`, 'see it with `urdb departments list`'],
        department_name_key: [`a department named ${JSON.stringify(input.name)} already exists`, 'choose another name'],
        department_uuid_key: [`another department already has the uuid ${input.uuid}`, 'see them with `urdb departments list`'],
      },
      () =>
        write(ctx, ['department'], async (tx) => {
          const [row] = await tx<Department[]>`
            insert into department (id, name, uuid) values (${input.id}, ${input.name}, ${input.uuid}) returning id, name, uuid
          `;
          return row!;
        }),
    );
  },
});

/** Deleting a department leaves its units without one (ON DELETE SET NULL). */
export interface DepartmentImpact extends Department {
  units: number;
}

const departmentInput = z.object({ department: text({ max: 64 }) });

export const describeDepartmentDelete = operation({
  name: 'departments.delete-impact',
  summary: 'The department and how many units would lose it.',
  input: departmentInput,
  async run({ sql }, { department }): Promise<DepartmentImpact> {
    const found = await departmentRef(sql, department);
    const [row] = await sql<DepartmentImpact[]>`
      select d.id, d.name, d.uuid, (select count(*)::int from unit u where u.department_id = d.id) as units
      from department d where d.id = ${found.id}
    `;
    return row!;
  },
});

export const deleteDepartment = operation({
  name: 'departments.delete',
  summary: 'Delete a department; its units are kept, without a department.',
  input: departmentInput,
  async run(ctx, { department }): Promise<DepartmentImpact> {
    return write(ctx, ['department', 'unit'], async (tx) => {
      const found = await departmentRef(tx, department);
      const [row] = await tx<DepartmentImpact[]>`
        select d.id, d.name, d.uuid, (select count(*)::int from unit u where u.department_id = d.id) as units
        from department d where d.id = ${found.id} for update
      `;
      await tx`delete from department where id = ${found.id}`;
      return row!;
    });
  },
});
