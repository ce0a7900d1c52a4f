import type { Command } from 'commander';
import { action } from '../cli/runtime';

export function registerMigrate(program: Command): void {
  program
    .command('migrate')
    .description('apply pending schema migrations from sql/migrations (advisory lock, one transaction each)')
    .option('--status', 'list migrations and whether each is applied; change nothing')
    .action(
      action(async (rt, opts) => {
        const db = await rt.database({ schemaCheck: 'none', autoSeed: false });
        const { appliedMigrations, loadMigrations, migrate } = await import('../db/migrate');
        if (!opts.status) {
          const result = await migrate(db.sql, db.schema);
          if (rt.out.opts.json) return rt.out.json(result);
          rt.out.say(
            result.applied.length
              ? `schema ${db.schema}: applied ${result.applied.join(', ')}; now at version ${result.to}`
              : `schema ${db.schema}: up to date (version ${result.to})`,
          );
          return;
        }
        const applied = new Map((await appliedMigrations(db.sql)).map((m) => [m.version, m]));
        const files = loadMigrations();
        const rows = files.map((m) => {
          const a = applied.get(m.version);
          applied.delete(m.version);
          return {
            version: m.version,
            name: m.name,
            status: !a ? 'pending' : a.checksum === m.checksum ? 'applied' : 'applied, file changed since',
            applied_at: a?.applied_at ?? null,
          };
        });
        for (const a of applied.values()) {
          rows.push({ version: a.version, name: a.name, status: 'applied, unknown to this urdb', applied_at: a.applied_at });
        }
        await rt.out.list(rows, [
          { header: 'VERSION', value: (r) => r.version },
          { header: 'NAME', value: (r) => r.name },
          { header: 'STATUS', value: (r) => r.status },
          { header: 'APPLIED AT', value: (r) => r.applied_at?.toISOString() ?? '' },
        ]);
      }),
    );
}
