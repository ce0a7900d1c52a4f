import type { Command } from 'commander';
import { progressBar } from '../cli/progress';
import { plural } from '../cli/text';
import { action } from '../cli/runtime';
import type { ImportCounts } from '../handlers/bundle/import';
import { readText, AtomicFile } from './common';
import { parseJsonText } from '../core/json-text';
import { flushStdout, writeStdout } from '../cli/stdout';

export async function readJsonFile(file: string): Promise<unknown> {
  return parseJsonText(await readText(file), file === '-' ? 'stdin' : file);
}

export function countsLine(counts: ImportCounts): string {
  const parts = Object.entries(counts)
    .filter(([, c]) => c.inserted || c.updated)
    .map(([s, c]) => `${s.replace(/_/g, ' ')} ${c.inserted} inserted, ${c.updated} updated`);
  return parts.length ? parts.join('; ') : 'nothing to change';
}

export function registerBundle(program: Command): void {
  program
    .command('import')
    .description('import a bundle (urdb-bundle/1 JSON): upsert by natural key, all or nothing')
    .argument('<file>', 'the bundle, or - for stdin')
    .option('--dry-run', 'validate and count what would change; write nothing')
    .option('-y, --yes', 'replace existing rows without asking')
    .action(
      action(async (rt, opts, [file]) => {
        const raw = await readJsonFile(file!);
        const { importBundle } = await import('../handlers/bundle/import');
        const bar = progressBar(!rt.out.opts.quiet);
        const ctx = await rt.ctx();
        const { confirm } = await import('../cli/prompts');
        const started = Date.now();
        const result = await importBundle(ctx, raw, {
          dryRun: Boolean(opts.dryRun),
          onProgress: (p) => bar.update(p.section.replace(/_/g, ' '), p.done, p.total),
          confirmReplace: opts.yes
            ? undefined
            : async (counts) => {
                bar.finish();
                const replaced = Object.entries(counts).filter(([, c]) => c.updated).map(([s, c]) => `${c.updated} ${s.replace(/_/g, ' ')}`);
                return confirm(rt, `The import replaces existing rows (${replaced.join(', ')}). Continue?`);
              },
        });
        bar.finish();
        for (const w of result.warnings) rt.out.warn(w);
        const seconds = ((Date.now() - started) / 1000).toFixed(1);
        rt.out.say(`${result.dry_run ? 'dry run, nothing written: would import' : 'imported'}: ${countsLine(result.counts)} (${seconds} s)`);
        if (rt.out.opts.json) rt.out.json({ dry_run: result.dry_run, ...result.counts, warnings: result.warnings });
      }),
    );

  program
    .command('export')
    .description('write the whole database as a bundle (access codes as digests)')
    .option('-o, --out <file>', 'write to this file instead of stdout')
    .action(
      action(async (rt, opts) => {
        const { exportBundle, formatBundle } = await import('../handlers/bundle/export');
        // A file that cannot be written fails now, before the export's work.
        const file = opts.out ? new AtomicFile(opts.out as string) : null;
        const bar = progressBar(!rt.out.opts.quiet);
        let n = 0;
        let bundle: Awaited<ReturnType<typeof exportBundle>>;
        try {
          bundle = await exportBundle(await rt.ctx(), (section) => bar.update(section, ++n, 8));
        } catch (err) {
          file?.abort(); // a database that cannot be reached leaves no temporary file behind
          throw err;
        }
        bar.finish();
        if (file) {
          file.write(formatBundle(bundle));
          file.commit();
        } else {
          for (const chunk of formatBundle(bundle)) if (!writeStdout(chunk)) break;
          // The data is out (or its failure known) before the success message.
          await flushStdout();
        }
        const routes = bundle.report_routes.reduce((s, r) => s + r.unit_ids.length, 0);
        rt.out.say(
          `exported ${plural(bundle.regions.length, 'region')}, ${plural(bundle.units.length, 'unit')}, ` +
            `${plural(bundle.report_types.length, 'report type')}, ${plural(bundle.roles.length, 'role')}, ` +
            `${plural(bundle.telegram_chats.length, 'chat')}, ${plural(routes, 'route')}${opts.out ? ` to ${opts.out}` : ''}`,
        );
      }),
    );
}
