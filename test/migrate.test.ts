import { afterAll, describe, expect, it } from 'vitest';
import { createClient } from '../src/db/client';
import { latestVersion } from '../src/db/migrate';
import { urdb } from './support/cli';
import { createDatabase } from './support/db';

const empty = await createDatabase({ template: null });
const sql = createClient({ url: empty.directUrl, schema: 'urdb', max: 1, onNotice: () => {} });
afterAll(async () => {
  await sql.end();
  await empty.drop();
});

describe('urdb migrate', () => {
  it('refuses other commands on a database without the schema, saying to run urdb init (migrate alone seeds nothing)', async () => {
    const r = await urdb(['units', 'list'], { url: empty.url });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/no urdb schema "urdb".*run `urdb init` against this database/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('lists pending migrations with --status and changes nothing', async () => {
    const r = await urdb(['migrate', '--status'], { url: empty.url });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^1\t0001_schema\tpending\t$/m);
    const [ns] = await sql`select to_regnamespace('urdb') as ns`;
    expect(ns!.ns).toBeNull();
  });

  it('two concurrent migrations both succeed and apply each migration once', async () => {
    const [a, b] = await Promise.all([urdb(['migrate'], { url: empty.url }), urdb(['migrate'], { url: empty.url })]);
    expect([a.code, b.code]).toEqual([0, 0]);
    const rows = await sql`select version, name, checksum from urdb.schema_migrations order by version`;
    expect(rows.map((r) => r.version)).toEqual(Array.from({ length: latestVersion() }, (_, i) => i + 1));
    expect(`${a.stderr}${b.stderr}`).toContain('applied 0001_schema');
  });

  it('re-running applies nothing', async () => {
    const r = await urdb(['migrate'], { url: empty.url });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`up to date (version ${latestVersion()})`);
    const status = await urdb(['migrate', '--status', '--json'], { url: empty.url });
    const rows = JSON.parse(status.stdout) as { status: string }[];
    expect(rows.every((x) => x.status === 'applied')).toBe(true);
  });

  it('the migrated schema holds the model in its own schema, not in public', async () => {
    const tables = await sql<{ table_name: string }[]>`
      select table_name from information_schema.tables where table_schema = 'urdb' order by table_name
    `;
    expect(tables.map((t) => t.table_name)).toEqual(
      expect.arrayContaining(['account_role', 'department', 'region', 'report_route', 'report_type', 'role', 'role_report_type', 'role_unit', 'schema_migrations', 'telegram_chat', 'unit']),
    );
    const [pub] = await sql`select count(*)::int as n from information_schema.tables where table_schema = 'public'`;
    expect(pub!.n).toBe(0);
  });

  it('an outdated schema fails with the versions and what to do', async () => {
    await sql`delete from urdb.schema_migrations where version = ${latestVersion()}`;
    try {
      const r = await urdb(['report-types', 'list'], { url: empty.url });
      if (latestVersion() > 1) {
        expect(r.code).toBe(1);
        expect(r.stderr).toContain('run `urdb migrate`');
      } else {
        expect(r.stderr).toContain('no urdb schema');
      }
    } finally {
      await sql`truncate urdb.schema_migrations`;
      await sql.unsafe(`drop schema urdb cascade`);
      expect((await urdb(['migrate'], { url: empty.url })).code).toBe(0);
    }
  });

  it('a schema newer than this urdb is used as it is (migrations only add within a release), with a note to upgrade', async () => {
    await sql`insert into urdb.schema_migrations (version, name, checksum) values (999, '0999_future', ${'0'.repeat(64)})`;
    try {
      const r = await urdb(['units', 'list'], { url: empty.url });
      expect(r.code).toBe(0);
      expect(r.stderr).toBe(
        `urdb: note: the urdb schema "urdb" is at version 999, newer than this urdb (${latestVersion()}): carrying on, as migrations within a release only add; upgrade urdb\n`,
      );
      const status = await urdb(['migrate', '--status'], { url: empty.url });
      expect(status.stdout).toContain('applied, unknown to this urdb');
    } finally {
      await sql`delete from urdb.schema_migrations where version = 999`;
    }
  });

  it('URDB_SCHEMA puts the tables in another schema of the same database', async () => {
    const r = await urdb(['init'], { url: empty.url, env: { URDB_SCHEMA: 'urdb_other' } });
    expect(r.code).toBe(0);
    const [n] = await sql`select count(*)::int as n from urdb_other.report_type`;
    expect(n!.n).toBe(21);
    const [m] = await sql`select count(*)::int as n from urdb.report_type`;
    expect(m!.n).toBe(0);
  });
});
