/**
 * Plain SQL migrations from `sql/migrations/NNNN_name.sql`, applied in order, each in its own transaction under an
 * advisory lock, and recorded (with a checksum) in `schema_migrations` inside urdb's schema.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import { ForbiddenError, SchemaOutdatedError } from '../core/errors';
import { sqlPath } from '../core/paths';
import type { Sql } from './client';

export interface Migration {
  version: number;
  name: string;
  sql: string;
  checksum: string;
}

export interface AppliedMigration {
  version: number;
  name: string;
  checksum: string;
  applied_at: Date;
}

let cached: Migration[] | undefined;

export function loadMigrations(): Migration[] {
  if (cached) return cached;
  const dir = sqlPath('migrations');
  const files = fs.readdirSync(dir).filter((f) => /^\d{4}_[a-z0-9_]+\.sql$/.test(f)).sort();
  cached = files.map((file) => {
    const text = fs.readFileSync(`${dir}/${file}`, 'utf8');
    return {
      version: Number(file.slice(0, 4)),
      name: file.replace(/\.sql$/, ''),
      sql: text,
      checksum: crypto.createHash('sha256').update(text).digest('hex'),
    };
  });
  cached.forEach((m, i) => {
    if (m.version !== i + 1) throw new Error(`migration ${m.name} is out of sequence (expected version ${i + 1})`);
  });
  return cached;
}

/** The schema version this build of urdb expects. */
export function latestVersion(): number {
  return loadMigrations().length;
}

/**
 * The database's schema version, or 0 when urdb's schema or its migrations table does not exist. A schema that
 * exists but that this database user may not use looks the same to a query (the table is not found): that is told
 * apart and refused as the permission problem it is, naming the missing grant.
 */
export async function currentVersion(sql: Sql): Promise<number> {
  try {
    const [row] = await sql<{ version: number | null }[]>`select max(version)::int as version from schema_migrations`;
    return row?.version ?? 0;
  } catch (err) {
    if ((err as { code?: string }).code !== '42P01') throw err;
    await assertSchemaUsable(sql);
    return 0;
  }
}

/** Throws a ForbiddenError naming the grant when the schema on the search path exists but may not be used. */
async function assertSchemaUsable(sql: Sql): Promise<void> {
  const [row] = await sql<{ schema: string; usable: boolean | null; who: string }[]>`
    select n.nspname as schema, has_schema_privilege(n.oid, 'USAGE') as usable, current_user as who
    from pg_namespace n where n.nspname = current_setting('search_path')
  `;
  if (row && row.usable === false) {
    throw new ForbiddenError(
      `the database user "${row.who}" may not use the schema "${row.schema}" (no USAGE privilege), so it cannot see urdb's tables`,
      `as the schema's owner or a superuser: grant usage on schema ${quoteIdent(row.schema)} to ${quoteIdent(row.who)}` +
        ` (and grant select, insert, update, delete on all tables in schema ${quoteIdent(row.schema)} to ${quoteIdent(row.who)})`,
    );
  }
}

/** An identifier as SQL needs it in the hint (quoted when it is not a plain lower-case name). */
export function quoteIdent(name: string): string {
  return /^[a-z_][a-z0-9_]*$/.test(name) ? name : `"${name.replace(/"/g, '""')}"`;
}

export async function appliedMigrations(sql: Sql): Promise<AppliedMigration[]> {
  try {
    return await sql<AppliedMigration[]>`
      select version, name, checksum, applied_at from schema_migrations order by version
    `;
  } catch (err) {
    if ((err as { code?: string }).code === '42P01') return [];
    throw err;
  }
}

/**
 * Fails with "run `urdb migrate`" unless the database has at least this build's schema version. A newer schema is
 * served as it is: migrations are additive within a release (README.md, "Upgrades while serving"), so an instance
 * of the previous version keeps working while `urdb migrate` of the next one runs, and after it. Returns a note for
 * that case, null otherwise.
 */
export async function assertSchemaCurrent(sql: Sql, schema: string): Promise<string | null> {
  return checkVersion(await currentVersion(sql), schema);
}

export function checkVersion(version: number, schema: string): string | null {
  const latest = latestVersion();
  if (version === latest) return null;
  if (version === 0) {
    throw new SchemaOutdatedError(
      `the database has no urdb schema "${schema}" yet`,
      'run `urdb init` against this database (it creates the schema and seeds the report types and account roles)',
    );
  }
  if (version < latest) {
    throw new SchemaOutdatedError(`the urdb schema "${schema}" is at version ${version}, this urdb needs ${latest}`);
  }
  return `the urdb schema "${schema}" is at version ${version}, newer than this urdb (${latest}): carrying on, as migrations within a release only add; upgrade urdb`;
}

export interface MigrateResult {
  from: number;
  to: number;
  applied: string[];
}

export async function migrate(sql: Sql, schema: string): Promise<MigrateResult> {
  const migrations = loadMigrations();
  const from = await currentVersion(sql);
  const applied: string[] = [];
  for (const m of migrations) {
    if (m.version <= from) continue;
    const done = await sql.begin(async (tx) => {
      await tx`select pg_advisory_xact_lock(hashtextextended(${'urdb.migrate:' + schema}, 0))`;
      const [ns] = await tx<{ present: boolean }[]>`select to_regnamespace(${schema}) is not null as present`;
      if (!ns?.present) await tx`create schema ${tx(schema)}`;
      const [table] = await tx<{ present: boolean }[]>`
        select to_regclass(${schema + '.schema_migrations'}) is not null as present
      `;
      if (!table?.present) {
        await tx`
          create table ${tx(schema)}.schema_migrations (
            version integer primary key,
            name text not null,
            checksum char(64) not null,
            applied_at timestamptz not null default now()
          )
        `;
      }
      const [seen] = await tx`select 1 from schema_migrations where version = ${m.version}`;
      if (seen) return false;
      await tx.unsafe(m.sql);
      await tx`insert into schema_migrations (version, name, checksum) values (${m.version}, ${m.name}, ${m.checksum})`;
      return true;
    });
    if (done) applied.push(m.name);
  }
  return { from, to: await currentVersion(sql), applied };
}
