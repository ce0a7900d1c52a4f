import { z } from 'zod';
import { boolean } from '../core/fields';
import { operation, write } from '../core/operation';
import type { Tx } from '../db/client';
import { ACCOUNT_ROLES, REPORT_TYPES } from '../db/seed-data';

export interface SeedResult {
  total: number;
  inserted: number;
  updated: number;
  warnings: string[];
}

/**
 * Inserts the seeded report types with their pinned ids, updates the verbose name and parent of rows that already
 * have the name, never duplicates, and moves the id sequence past the largest id (data.md §2).
 */
export const seedReportTypes = operation({
  name: 'init.report-types',
  summary: 'Seed the report types with their pinned ids (idempotent).',
  input: z.object({ inactive: boolean().default(false) }),
  async run(ctx, { inactive }): Promise<SeedResult> {
    return write(ctx, ['report_type'], async (tx) => {
      await tx`lock table report_type in share row exclusive mode`;
      // Rows that cannot have their pinned id take generated ones; those must never collide with a pinned id.
      const pinnedMax = Math.max(...REPORT_TYPES.map((t) => t.id));
      await tx`
        select setval(pg_get_serial_sequence('report_type', 'id'), greatest(coalesce(max(id), 0), ${pinnedMax}::int))
        from report_type
      `;
      const result: SeedResult = { total: REPORT_TYPES.length, inserted: 0, updated: 0, warnings: [] };
      for (const seed of REPORT_TYPES) {
        const [parent] = seed.parent
          ? await tx<{ id: number }[]>`select id from report_type where name = ${seed.parent}`
          : [];
        const parentId = parent?.id ?? null;
        const [existing] = await tx<{ id: number }[]>`select id from report_type where name = ${seed.name}`;
        if (existing) {
          const changed = await tx`
            update report_type set verbose_name = ${seed.verbose_name}, parent_id = ${parentId}
            where id = ${existing.id}
              and (verbose_name, parent_id) is distinct from (${seed.verbose_name}::varchar, ${parentId}::int)
          `;
          result.updated += changed.count;
          if (existing.id !== seed.id) {
            result.warnings.push(`report type ${seed.name} has id ${existing.id}, not the pinned id ${seed.id}`);
          }
          continue;
        }
        const [taken] = await tx<{ name: string }[]>`select name from report_type where id = ${seed.id}`;
        if (taken) {
          const [row] = await tx<{ id: number }[]>`
            insert into report_type (name, verbose_name, is_active, parent_id)
            values (${seed.name}, ${seed.verbose_name}, ${!inactive}, ${parentId})
            returning id
          `;
          result.warnings.push(
            `report type ${seed.name} got id ${row!.id}: its pinned id ${seed.id} belongs to ${taken.name}`,
          );
        } else {
          await tx`
            insert into report_type (id, name, verbose_name, is_active, parent_id)
            values (${seed.id}, ${seed.name}, ${seed.verbose_name}, ${!inactive}, ${parentId})
          `;
        }
        result.inserted++;
      }
      await syncSequence(tx, 'report_type');
      return result;
    });
  },
});

export const seedAccountRoles = operation({
  name: 'init.account-roles',
  summary: 'Seed the account roles of the Dodo IS API (idempotent).',
  input: z.object({}),
  async run(ctx): Promise<SeedResult> {
    return write(ctx, ['account_role'], async (tx) => {
      const result: SeedResult = { total: ACCOUNT_ROLES.length, inserted: 0, updated: 0, warnings: [] };
      for (const seed of ACCOUNT_ROLES) {
        const rows = await tx<{ inserted: boolean }[]>`
          insert into account_role (id, name) values (${seed.id}, ${seed.name})
          on conflict (id) do update set name = excluded.name where account_role.name is distinct from excluded.name
          returning (xmax = 0) as inserted
        `;
        for (const r of rows) r.inserted ? result.inserted++ : result.updated++;
      }
      return result;
    });
  },
});

/** Moves an identity sequence past the largest id, after rows were inserted with explicit ids. */
export async function syncSequence(tx: Tx, table: string): Promise<void> {
  await tx`
    select setval(pg_get_serial_sequence(${table}, 'id'), greatest((select max(id) from ${tx(table)}), 1),
                  (select max(id) from ${tx(table)}) is not null)
  `;
}
