/**
 * One template database per run, migrated and seeded, on the local server (URDB_TEST_DATABASE_URL) or on an embedded
 * server started in a temporary URDB_HOME. Every test file clones it (CREATE DATABASE … TEMPLATE), so no two files
 * ever see each other's rows.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { createClient } from '../../src/db/client';
import { acquire, stopEmbedded } from '../../src/db/embedded';
import { migrate } from '../../src/db/migrate';
import { seedAccountRoles, seedReportTypes } from '../../src/handlers/init';
import { pgbouncerMissing, startPgBouncer, type PgBouncer } from './pgbouncer';

export interface TestDbConfig {
  mode: 'server' | 'embedded';
  /** URL of a maintenance database on that server (CREATE/DROP DATABASE). */
  adminUrl: string;
  template: string;
  /** Prefix of the databases test files create (dropped at the end of the run if a file left one). */
  prefix: string;
  /** Embedded mode: the home whose server the run uses. */
  home: string | null;
  /** URDB_TEST_PGBOUNCER=1: the port of a transaction-mode PgBouncer every test database is reached through. */
  pgbouncerPort: number | null;
}

declare module 'vitest' {
  export interface ProvidedContext {
    testDb: TestDbConfig;
  }
}

export function socketUrl(socketDir: string, database: string) {
  return `postgres://postgres@localhost/${database}?host=${encodeURIComponent(socketDir)}`;
}

export function withDatabase(url: string, database: string) {
  return url.replace(/^(postgres(?:ql)?:\/\/[^/]*)\/[^?]*/, `$1/${database}`);
}

export default async function setup(project: TestProject) {
  const template = `urdb_tpl_${process.pid}_${Date.now().toString(36)}`;
  let adminUrl: string;
  let home: string | null = null;
  let release: (() => Promise<void>) | null = null;
  if (process.env.URDB_TEST_DATABASE_URL) {
    adminUrl = process.env.URDB_TEST_DATABASE_URL;
  } else {
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'urdb-test-home-'));
    fs.chmodSync(home, 0o755);
    process.env.URDB_EMBEDDED_NOSYNC = '1';
    const lease = await acquire(home, { persistent: true });
    release = lease.release;
    adminUrl = socketUrl(lease.socketDir, 'postgres');
  }
  const admin = createClient({ url: adminUrl, schema: 'urdb', max: 1 });
  await admin.unsafe(`create database ${template}`);
  await admin.end();
  const tpl = createClient({ url: withDatabase(adminUrl, template), schema: 'urdb', max: 1 });
  await migrate(tpl, 'urdb');
  const ctx = { sql: tpl, actor: { via: 'system' as const, user: 'test' } };
  await seedReportTypes.run(ctx, { inactive: false });
  await seedAccountRoles.run(ctx, {});
  await tpl.end();
  let bouncer: PgBouncer | null = null;
  if (process.env.URDB_TEST_PGBOUNCER === '1') {
    const missing = pgbouncerMissing();
    if (missing) throw new Error(`URDB_TEST_PGBOUNCER=1, but ${missing}`);
    bouncer = await startPgBouncer(adminUrl);
    process.stderr.write(`tests reach PostgreSQL through PgBouncer (transaction mode) on port ${bouncer.port}\n`);
  }
  project.provide('testDb', {
    mode: home ? 'embedded' : 'server',
    adminUrl,
    template,
    prefix: `urdb_t_${process.pid}`,
    home,
    pgbouncerPort: bouncer?.port ?? null,
  });

  return async () => {
    await bouncer?.stop();
    const admin = createClient({ url: adminUrl, schema: 'urdb', max: 1 });
    await admin.unsafe(`drop database if exists ${template}`).catch(() => undefined);
    // Databases a crashed test file left behind.
    const left = await admin<{ datname: string }[]>`select datname from pg_database where datname like ${`urdb_t_${process.pid}_%`}`;
    for (const { datname } of left) await admin.unsafe(`drop database if exists ${datname} with (force)`).catch(() => undefined);
    await admin.end();
    if (home) {
      await release?.();
      await stopEmbedded(home, { force: true });
      fs.rmSync(home, { recursive: true, force: true });
    }
  };
}
