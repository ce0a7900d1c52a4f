import { z } from 'zod';
import { id, text } from '../core/fields';
import { fetchLimit, listOperation, operation, toPage, write } from '../core/operation';
import type { Sql, Tx } from '../db/client';
import { mapConflicts } from './constraints';
import { regionRef } from './refs';

export interface Region {
  id: number;
  name: string;
}

export const listRegions = listOperation({
  name: 'regions.list',
  summary: 'Regions by id.',
  filters: {},
  async run({ sql }, { limit, offset }) {
    const rows = await sql<Region[]>`select id, name from region order by id limit ${fetchLimit(limit)} offset ${offset}`;
    return toPage(rows, limit);
  },
});

/** What deleting a region takes with it (ON DELETE CASCADE): its units, their routes and their role grants. */
export interface RegionImpact extends Region {
  units: number;
  routes: number;
  role_grants: number;
}

const regionInput = z.object({ region: text({ max: 64 }) });
const regionName = () => text({ max: 64 });
const nameTaken = (name: string) => ({
  region_name_key: [`a region named ${JSON.stringify(name)} already exists`, 'choose another name'] as [string, string],
});

export const createRegion = operation({
  name: 'regions.create',
  summary: 'Add a region (its id is generated unless given).',
  input: z.object({ name: regionName(), id: id().optional() }),
  async run(ctx, { name, id: given }): Promise<Region> {
    return mapConflicts({ ...nameTaken(name), region_pkey:
          given === undefined
            ? ['the next generated region id is already taken (the id sequence is behind)', 'pass --id with a free id']
            : [`region id ${given} is taken`, 'leave out --id to get the next free one'], }, () =>
      write(ctx, ['region'], async (tx) => {
        const [row] =
          given === undefined
            ? await tx<Region[]>`insert into region (name) values (${name}) returning id, name`
            : await tx<Region[]>`insert into region (id, name) values (${given}, ${name}) returning id, name`;
        if (given !== undefined) {
          await tx`select setval(pg_get_serial_sequence('region', 'id'), greatest(max(id), 1)) from region`;
        }
        return row!;
      }),
    );
  },
});

export const renameRegion = operation({
  name: 'regions.rename',
  summary: 'Give a region (id or name) a new name.',
  input: z.object({ region: text({ max: 64 }), name: regionName() }),
  async run(ctx, { region, name }): Promise<Region & { old_name: string }> {
    return mapConflicts(nameTaken(name), () =>
      write(ctx, ['region'], async (tx) => {
        const found = await regionRef(tx, region);
        await tx`update region set name = ${name} where id = ${found.id}`;
        return { id: found.id, name, old_name: found.name };
      }),
    );
  },
});

async function regionImpact(sql: Sql | Tx, region: Region): Promise<RegionImpact> {
  const [row] = await sql<{ units: number; routes: number; role_grants: number }[]>`
    select
      (select count(*)::int from unit u where u.region_id = ${region.id}) as units,
      (select count(*)::int from report_route x join unit u on u.id = x.unit_id where u.region_id = ${region.id}) as routes,
      (select count(*)::int from role_unit g join unit u on u.id = g.unit_id where u.region_id = ${region.id}) as role_grants
  `;
  return { ...region, ...row! };
}

export const describeRegionDelete = operation({
  name: 'regions.delete-impact',
  summary: 'What deleting a region would delete with it.',
  input: regionInput,
  async run({ sql }, { region }): Promise<RegionImpact> {
    return regionImpact(sql, await regionRef(sql, region));
  },
});

export const deleteRegion = operation({
  name: 'regions.delete',
  summary: 'Delete a region with its units, their routes and role grants.',
  input: regionInput,
  async run(ctx, { region }): Promise<RegionImpact> {
    return write(ctx, ['region', 'unit', 'report_route', 'role_unit'], async (tx) => {
      const found = await regionRef(tx, region);
      await tx`select id from region where id = ${found.id} for update`;
      const impact = await regionImpact(tx, found);
      await tx`delete from region where id = ${found.id}`;
      return impact;
    });
  },
});
