/**
 * A database user that lacks privileges (issue 11 §3) is told it is a permission problem and which grant is missing,
 * not that the schema does not exist (and not to run `urdb migrate`, which would fail too). A real login role.
 */
import crypto from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { urdb } from './support/cli';
import { freshDatabase } from './support/db';

const db = await freshDatabase();
const alice = `urdb_alice_${crypto.randomBytes(4).toString('hex')}`;
await db.sql.unsafe(`create role ${alice} login`);
afterAll(async () => {
  await db.sql.unsafe(`drop owned by ${alice}`);
  await db.sql.unsafe(`drop role ${alice}`);
});
/** The test database's URL with alice as the user (the test servers trust local connections). */
const asAlice = (() => {
  const url = new URL(db.url.replace(/^postgres:/, 'http:'));
  url.username = alice;
  return url.toString().replace(/^http:/, 'postgres:');
})();

describe('a database user without the privileges urdb needs', () => {
  it('no USAGE on the schema: says so and names the grant (exit 1), never "no urdb schema" or "migrate"', async () => {
    const r = await urdb(['units', 'list'], { url: asAlice });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `urdb: the database user "${alice}" may not use the schema "urdb" (no USAGE privilege), so it cannot see urdb's tables; ` +
        `as the schema's owner or a superuser: grant usage on schema urdb to ${alice} ` +
        `(and grant select, insert, update, delete on all tables in schema urdb to ${alice})\n`,
    );
  });

  it('USAGE but no SELECT: the table it may not read, and the grant', async () => {
    await db.sql.unsafe(`grant usage on schema urdb to ${alice}; grant select on urdb.schema_migrations to ${alice}`);
    const r = await urdb(['units', 'list'], { url: asAlice });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `urdb: the database refused: permission denied for table unit (the database user "${alice}" lacks a privilege); ` +
        `as the owner of schema urdb or a superuser, grant it, e.g. grant select, insert, update, delete on all tables in schema urdb to ${alice}\n`,
    );
  });

  it('with the grants the command works', async () => {
    await db.sql.unsafe(`grant select on all tables in schema urdb to ${alice}`);
    expect(await urdb(['units', 'list'], { url: asAlice })).toMatchObject({ code: 0, stderr: '' });
  });
});
