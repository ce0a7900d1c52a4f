/**
 * `urdb import-django` (data.md §4): takes over the old Django service's data. Its tables are read from any
 * PostgreSQL in one read-only snapshot and staged in urdb's transaction, checked and adapted, written keeping every
 * id, and verified by a consistency check; one transaction, all or nothing.
 */
import { z } from 'zod';
import { UsageError } from '../core/errors';
import { text } from '../core/fields';
import { write, type Ctx } from '../core/operation';
import { createClient, endpointOf } from '../db/client';
import { redactUrl } from '../db/target';
import { adapt, DjangoImportError, findConflicts, findProblems } from './django/adapt';
import { applyDjango, type Counts } from './django/apply';
import { checkImport, type CheckResult } from './django/check';
import { detectLayout, SECTIONS, sourceCounts, sourceError, sourceReader, stageSource, TABLES } from './django/source';

export type { Count, Counts } from './django/apply';

export const importDjangoInput = z.object({
  from: z
    .string({ error: '--from is required' })
    .regex(/^postgres(ql)?:\/\//, { error: 'Expected a PostgreSQL URL (postgres://user@host:port/database).' }),
  source_schema: text({ max: 63 }).refine((s) => !s.includes('.'), { error: 'A schema name, without dots.' }).default('public'),
  dry_run: z.boolean().default(false),
});

export type ImportDjangoInput = z.output<typeof importDjangoInput>;

export interface ImportDjangoProgress {
  label: string;
  done: number;
  total: number;
}

export interface ImportDjangoOptions {
  /** Asked (inside the transaction, after the check) when existing rows would change; false rolls everything back. */
  confirmReplace?: (counts: Counts) => Promise<boolean>;
  onProgress?: (p: ImportDjangoProgress) => void;
}

export interface ImportDjangoResult {
  dry_run: boolean;
  source: { database: string; schema: string; tables: string[]; absent: string[] };
  tables: Counts;
  check: CheckResult;
  warnings: string[];
}

const URDB_TABLES = [
  'region',
  'department',
  'unit',
  'report_type',
  'role',
  'role_unit',
  'role_report_type',
  'telegram_chat',
  'report_route',
  'account_role',
] as const;

const label = (section: string) => section.replace(/_/g, ' ');

export async function importDjango(ctx: Ctx, input: ImportDjangoInput, opts: ImportDjangoOptions = {}): Promise<ImportDjangoResult> {
  const source = createClient({ url: input.from, schema: 'pg_catalog', max: 1, applicationName: 'urdb import-django', onNotice: () => {} });
  const endpoint = endpointOf(source);
  const read = sourceReader(endpoint);
  const progress = (label: string, done: number, total: number) => opts.onProgress?.({ label, done, total });
  let connected = false;
  try {
    const result = await source.begin('isolation level repeatable read read only', async (s) => {
      connected = true;
      const layout = await detectLayout(s, read, input.source_schema);
      const sourceRows = await sourceCounts(s, read, layout);
      const counts = Object.fromEntries(SECTIONS.map((x) => [x, { read: sourceRows[x], inserted: 0, updated: 0 }])) as Counts;
      const totalRows = SECTIONS.reduce((n, x) => n + sourceRows[x], 0);
      const warnings: string[] = [];

      const check = await write(
        ctx,
        URDB_TABLES,
        async (tx) => {
          // Serialises imports (bundle and Django); readers are not blocked.
          await tx`select pg_advisory_xact_lock(hashtextextended('urdb.import', 0))`;
          // Room for the hash joins over every route, for this transaction only.
          await tx`set local work_mem = '64MB'`;
          let rows = 0;
          const { received, routeBatches } = await stageSource(s, read, tx, layout, (section, n) =>
            progress(`reading ${label(section)}`, (rows += n), totalRows),
          );

          const problems = await findProblems(tx);
          if (problems.length) {
            throw new DjangoImportError('invalid', 'the source holds rows urdb cannot take; nothing was imported', problems);
          }
          const conflicts = await findConflicts(tx);
          if (conflicts.length) {
            throw new DjangoImportError('conflict', 'urdb has units or departments in the way of the source\'s; nothing was imported', conflicts);
          }
          warnings.push(...(await adapt(tx, layout)));

          rows = 0;
          await applyDjango(tx, layout, counts, routeBatches, warnings, (section, n) =>
            progress(`writing ${label(section)}`, (rows += n), totalRows),
          );
          progress('checking', totalRows, totalRows);
          const checked = await checkImport(s, read, tx, layout, sourceRows, received, warnings);

          const replaced = SECTIONS.reduce((n, x) => n + counts[x].updated, 0);
          if (!input.dry_run && replaced > 0 && opts.confirmReplace && !(await opts.confirmReplace(counts))) {
            throw new UsageError('import cancelled; nothing was changed');
          }
          return checked;
        },
        { dryRun: input.dry_run },
      );
      return {
        dry_run: input.dry_run,
        source: {
          database: redactUrl(input.from),
          schema: input.source_schema,
          tables: TABLES.filter((t) => layout.present.has(t.section)).map((t) => t.source),
          absent: TABLES.filter((t) => !layout.present.has(t.section)).map((t) => t.source),
        },
        tables: counts,
        check,
        warnings,
      };
    });
    return result as ImportDjangoResult;
  } catch (err) {
    // Before the snapshot began, any failure is the source's (unreachable, refused, no such database).
    throw connected ? err : sourceError(err, endpoint);
  } finally {
    await source.end({ timeout: 5 }).catch(() => undefined);
  }
}
