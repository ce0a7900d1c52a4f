import type { Command } from 'commander';
import { action, type Runtime } from '../cli/runtime';
import type { SeedResult } from '../handlers/init';

function seedLine(what: string, r: SeedResult) {
  return `${r.total} ${what}: ${r.inserted} inserted, ${r.updated} updated`;
}

async function seed(rt: Runtime, which: { reportTypes: boolean; accountRoles: boolean }, inactive: boolean) {
  const { seedReportTypes, seedAccountRoles } = await import('../handlers/init');
  const ctx = await rt.ctx();
  const result: Record<string, SeedResult> = {};
  if (which.reportTypes) {
    result.report_types = await seedReportTypes.run(ctx, rt.validate(seedReportTypes.input, { inactive }));
    for (const w of result.report_types.warnings) rt.out.warn(w);
    rt.out.say(seedLine('report types', result.report_types));
  }
  if (which.accountRoles) {
    result.account_roles = await seedAccountRoles.run(ctx, {});
    rt.out.say(seedLine('account roles', result.account_roles));
  }
  return result;
}

export function registerInit(program: Command): void {
  const init = program
    .command('init')
    .description('migrate the schema, then seed report types and account roles (idempotent; says what changed)')
    .option('--inactive', 'insert seeded report types as inactive')
    .action(
      action(async (rt, opts) => {
        const db = await rt.database({ schemaCheck: 'none', autoSeed: false });
        const { migrate } = await import('../db/migrate');
        const migrated = await migrate(db.sql, db.schema);
        rt.out.say(
          migrated.applied.length
            ? `schema ${db.schema}: applied ${migrated.applied.join(', ')} (version ${migrated.to})`
            : `schema ${db.schema}: up to date (version ${migrated.to})`,
        );
        const seeded = await seed(rt, { reportTypes: true, accountRoles: true }, Boolean(opts.inactive));
        if (rt.out.opts.json) rt.out.json({ migrations: migrated, ...seeded });
      }),
    );
  init
    .command('report-types')
    .description('seed the report types only (ids pinned)')
    .option('--inactive', 'insert seeded report types as inactive')
    .action(
      action(async (rt, opts) => {
        await rt.database({ autoSeed: false });
        const seeded = await seed(rt, { reportTypes: true, accountRoles: false }, Boolean(opts.inactive));
        if (rt.out.opts.json) rt.out.json(seeded.report_types);
      }),
    );
  init
    .command('account-roles')
    .description('seed the account roles only')
    .action(
      action(async (rt) => {
        await rt.database({ autoSeed: false });
        const seeded = await seed(rt, { reportTypes: false, accountRoles: true }, false);
        if (rt.out.opts.json) rt.out.json(seeded.account_roles);
      }),
    );
}
