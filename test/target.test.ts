import { describe, expect, it } from 'vitest';
import { describeTarget, embeddedHome, redactUrl, resolveTarget, schemaName } from '../src/db/target';
import { urdb } from './support/cli';

describe('where the data is: --database-url > DATABASE_URL > libpq variables > embedded', () => {
  it('prefers the flag over everything', () => {
    const t = resolveTarget({ databaseUrl: 'postgres://a@flag/x' }, { DATABASE_URL: 'postgres://b@env/y', PGHOST: 'h' });
    expect(t).toEqual({ kind: 'url', url: 'postgres://a@flag/x', source: '--database-url' });
  });

  it('then DATABASE_URL, then PGHOST or PGDATABASE', () => {
    expect(resolveTarget({}, { DATABASE_URL: 'postgres://b@env/y', PGHOST: 'h' })).toMatchObject({ source: 'DATABASE_URL' });
    expect(resolveTarget({}, { PGHOST: 'h' })).toEqual({ kind: 'libpq', source: 'PG* variables' });
    expect(resolveTarget({}, { PGDATABASE: 'd' })).toEqual({ kind: 'libpq', source: 'PG* variables' });
  });

  it('falls back to the embedded database; PGUSER or PGPASSWORD alone do not mean a server', () => {
    expect(resolveTarget({}, { PGUSER: 'u', PGPASSWORD: 'p', URDB_HOME: '/data/u' })).toEqual({ kind: 'embedded', home: '/data/u' });
  });

  it('puts the embedded data in URDB_HOME, else XDG_DATA_HOME/urdb', () => {
    expect(embeddedHome({ URDB_HOME: '/x/y' })).toBe('/x/y');
    expect(embeddedHome({ XDG_DATA_HOME: '/xdg' })).toBe('/xdg/urdb');
    if (process.getuid?.() === 0) expect(embeddedHome({})).toBe('/var/lib/urdb');
  });

  it('never shows a password', () => {
    expect(redactUrl('postgres://app:s3cret@db.example:6432/urdb?sslmode=require')).toBe('postgres://app@db.example:6432/urdb?sslmode=require');
    expect(describeTarget({ kind: 'url', url: 'postgresql://u:p@h/d', source: 'DATABASE_URL' })).toBe('postgresql://u@h/d');
  });

  it('refuses a schema name that is not a plain identifier', () => {
    expect(schemaName({})).toBe('urdb');
    expect(schemaName({ URDB_SCHEMA: 'urdb_test' })).toBe('urdb_test');
    expect(() => schemaName({ URDB_SCHEMA: 'x; drop' })).toThrow(/plain lowercase identifier/);
  });

  it('db status names the database the precedence picked, without its password', async () => {
    const flag = await urdb(['db', 'status', '--database-url', 'postgres://u:pw@127.0.0.1:1/flagdb', '--json'], {
      url: 'postgres://u:pw@127.0.0.1:1/envdb',
    });
    expect(flag.code).toBe(3);
    expect(flag.stderr).toContain('127.0.0.1:1');
    expect(flag.stderr + flag.stdout).not.toContain('pw');
    const env = await urdb(['db', 'status'], { url: 'postgres://u:pw@127.0.0.1:2/envdb', env: { PGHOST: '127.0.0.1', PGPORT: '3' } });
    expect(env.code).toBe(3);
    expect(env.stderr).toContain('127.0.0.1:2');
    const libpq = await urdb(['db', 'status'], { env: { PGHOST: '127.0.0.1', PGPORT: '4', PGDATABASE: 'x' } });
    expect(libpq.code).toBe(3);
    expect(libpq.stderr).toContain('127.0.0.1:4');
  });
});
