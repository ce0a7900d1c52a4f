import type { Command } from 'commander';
import { progressBar } from '../cli/progress';
import { action } from '../cli/runtime';
import type { ImportDjangoResult } from '../handlers/import-django';

const EXAMPLES = `
Examples:
  # the Django tables in schema public of the database urdb uses (urdb's own live in schema urdb)
  urdb import-django --from "$DATABASE_URL" --dry-run
  PGPASSWORD=… urdb import-django --from postgres://django@old-db:5432/routes --yes

Every id is kept. Re-running is safe: rows already there count as neither inserted nor updated, and rows that
only urdb has are kept. Replacing rows that differ asks first on a terminal and needs --yes elsewhere.`;

const label = (section: string) => section.replace(/_/g, ' ');

function summary(result: ImportDjangoResult, seconds: string): string[] {
  const verb = result.dry_run ? 'dry run, nothing written: would import' : 'imported';
  const lines = [`${verb} from ${result.source.database} (schema ${result.source.schema}) in ${seconds} s:`];
  for (const [section, c] of Object.entries(result.tables)) {
    const n = (v: number, width: number) => String(v).padStart(width);
    lines.push(`  ${label(section).padEnd(18)} ${n(c.read, 8)} read ${n(c.inserted, 8)} inserted ${n(c.updated, 6)} updated`);
  }
  if (result.source.absent.length) lines.push(`  (not in the source: ${result.source.absent.join(', ')})`);
  const routes = result.check.tables.report_routes;
  lines.push(
    `check: ok, every source row is in urdb (report routes ${routes.matched} of ${routes.source}), ` +
      `${result.check.sampled_routes} sampled routes match by report type, unit and chat`,
  );
  return lines;
}

export function registerImportDjango(program: Command): void {
  program
    .command('import-django')
    .description("take over the old Django service's data: upsert its tables into urdb, keeping every id, in one transaction")
    .requiredOption('--from <url>', "PostgreSQL URL of the Django service's database (may be urdb's own)")
    .option('--source-schema <schema>', 'schema of the Django tables', 'public')
    .option('--dry-run', 'import, check and count everything, then roll back')
    .option('-y, --yes', 'replace existing rows without asking')
    .addHelpText('after', EXAMPLES)
    .action(
      action(async (rt, opts) => {
        const { importDjango, importDjangoInput } = await import('../handlers/import-django');
        const input = rt.validate(
          importDjangoInput,
          { from: opts.from, source_schema: opts.sourceSchema, dry_run: Boolean(opts.dryRun) },
          { from: '--from', source_schema: '--source-schema' },
        );
        const ctx = await rt.ctx();
        const bar = progressBar(!rt.out.opts.quiet);
        const started = Date.now();
        const result = await importDjango(ctx, input, {
          onProgress: (p) => bar.update(p.label, p.done, p.total),
          confirmReplace: opts.yes
            ? undefined
            : async (counts) => {
                bar.finish();
                const { confirm } = await import('../cli/prompts');
                const replaced = Object.entries(counts).filter(([, c]) => c.updated).map(([s, c]) => `${c.updated} ${label(s)}`);
                return confirm(rt, `Replace existing rows (${replaced.join(', ')}) with the source's?`);
              },
        });
        bar.finish();
        const seconds = ((Date.now() - started) / 1000).toFixed(1);
        for (const w of result.warnings) rt.out.warn(w);
        for (const line of summary(result, seconds)) rt.out.say(line);
        if (rt.out.opts.json) rt.out.json({ ...result, seconds: Number(seconds) });
      }),
    );
}
