/**
 * `--search` is case-insensitive in every alphabet (the data is Russian) on the embedded default (created with the
 * builtin C.UTF-8 locale), on a server, and on a database created with the C locale (as embedded clusters were
 * before): there ILIKE alone folds ASCII only.
 */
import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createClient, type Sql } from '../src/db/client';
import { migrate } from '../src/db/migrate';
import { importBundle } from '../src/handlers/bundle/import';
import { UUID } from './support/bundles';
import { urdb } from './support/cli';
import { freshDatabase } from './support/db';
import { withDatabase } from './support/global-setup';

const cfg = inject('testDb');
const db = await freshDatabase();
const cLocale = `${cfg.prefix}_c_${crypto.randomBytes(4).toString('hex')}`;
const cLocaleUrl = withDatabase(cfg.adminUrl, cLocale);

const BUNDLE = {
  format: 'urdb-bundle/1' as const,
  regions: [{ id: 1, name: 'Москва 1' }],
  roles: [{ id: 1, name: 'Москва управляющие', access_code: 'moscow-managers-code-1', units: [1, 2], report_types: [] }],
  units: [
    { id: 1, name: 'Москва 1-1', uuid: UUID(1), region: 'Москва 1' },
    { id: 2, name: 'МОСКВА 1-2', uuid: UUID(2), region: 'Москва 1' },
    { id: 3, name: 'Казань 1', uuid: UUID(3), region: 'Москва 1' },
  ],
};

async function admin<T>(fn: (sql: Sql) => Promise<T>): Promise<T> {
  const sql = createClient({ url: cfg.adminUrl, schema: 'urdb', max: 1 });
  try {
    return await fn(sql);
  } finally {
    await sql.end({ timeout: 5 });
  }
}

beforeAll(async () => {
  await importBundle(db.ctx(), BUNDLE);
  await admin((sql) => sql.unsafe(`create database ${cLocale} template template0 encoding 'UTF8' locale_provider libc lc_collate 'C' lc_ctype 'C'`));
  const sql = createClient({ url: cLocaleUrl, schema: 'urdb', max: 1, onNotice: () => {} });
  try {
    await migrate(sql, 'urdb');
    await importBundle({ sql, actor: { via: 'cli', user: 'test' } }, BUNDLE);
  } finally {
    await sql.end({ timeout: 5 });
  }
});

afterAll(() => admin((sql) => sql.unsafe(`drop database if exists ${cLocale} with (force)`)));

describe('--search folds Cyrillic case', () => {
  for (const [where, url] of [
    [cfg.mode === 'embedded' ? 'the embedded default' : 'a server', () => db.url],
    ['a database created with the C locale (an old embedded cluster)', () => cLocaleUrl],
  ] as const) {
    it(`units list and roles list, on ${where}`, async () => {
      const [lower, upper, roles] = await Promise.all([
        urdb(['units', 'list', '--search', 'москва'], { url: url() }),
        urdb(['units', 'list', '--search', 'МОСКВА 1-1'], { url: url() }),
        urdb(['roles', 'list', '--search', 'МОСКВА'], { url: url() }),
      ]);
      expect(lower.stdout.split('\n').filter(Boolean).map((l) => l.split('\t')[0])).toEqual(['1', '2']);
      expect(upper.stdout.split('\n').filter(Boolean).map((l) => l.split('\t')[0])).toEqual(['1']);
      expect(roles.stdout.split('\n').filter(Boolean).map((l) => l.split('\t')[1])).toEqual(['Москва управляющие']);
    });
  }

  it.runIf(cfg.mode === 'embedded')('the embedded cluster is created with the builtin C.UTF-8 locale', async () => {
    const [row] = await db.sql<{ provider: string; locale: string }[]>`
      select datlocprovider as provider, datlocale as locale from pg_database where datname = current_database()`;
    expect(row).toEqual({ provider: 'b', locale: 'C.UTF-8' });
  });
});
