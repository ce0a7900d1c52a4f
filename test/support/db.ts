/** A fresh database per test file, cloned from the run's migrated and seeded template. */
import crypto from 'node:crypto';
import { afterAll, inject } from 'vitest';
import type { Actor, Ctx } from '../../src/core/operation';
import { createClient, type Sql } from '../../src/db/client';
import { withDatabase } from './global-setup';

export interface TestDatabase {
  name: string;
  /** Through PgBouncer in a URDB_TEST_PGBOUNCER=1 run, else straight to the server. */
  url: string;
  /** Straight to the server, always (LISTEN, which a transaction-mode pool cannot carry). */
  directUrl: string;
  sql: Sql;
  ctx(actor?: Partial<Actor>): Ctx;
  /** Row count of a table (in urdb's schema). */
  count(table: string): Promise<number>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The URL tests use for a database: through the run's PgBouncer when there is one. */
export function testUrl(directUrl: string): string {
  const port = inject('testDb').pgbouncerPort;
  if (port === null) return directUrl;
  const u = new URL(directUrl.replace(/\?.*$/, ''));
  return `postgres://${u.username || 'postgres'}@127.0.0.1:${port}${u.pathname}`;
}

export async function createDatabase(
  opts: { template?: string | null } = {},
): Promise<{ name: string; url: string; directUrl: string; drop(): Promise<void> }> {
  const cfg = inject('testDb');
  const name = `${cfg.prefix}_${crypto.randomBytes(5).toString('hex')}`;
  const admin = createClient({ url: cfg.adminUrl, schema: 'urdb', max: 1 });
  try {
    const template = opts.template === undefined ? cfg.template : opts.template;
    for (let attempt = 0; ; attempt++) {
      try {
        await admin.unsafe(template ? `create database ${name} template ${template}` : `create database ${name}`);
        break;
      } catch (err) {
        // Two files cloning the template at the same moment: PostgreSQL refuses the second; try again.
        if ((err as { code?: string }).code !== '55006' || attempt > 50) throw err;
        await sleep(50 + Math.random() * 100);
      }
    }
  } finally {
    await admin.end();
  }
  const directUrl = withDatabase(cfg.adminUrl, name);
  return {
    name,
    url: testUrl(directUrl),
    directUrl,
    async drop() {
      const a = createClient({ url: cfg.adminUrl, schema: 'urdb', max: 1 });
      try {
        await a.unsafe(`drop database if exists ${name} with (force)`);
      } finally {
        await a.end();
      }
    },
  };
}

/** Call at the top of a test file: the database lives until the file ends. */
export async function freshDatabase(opts: { template?: string | null } = {}): Promise<TestDatabase> {
  const created = await createDatabase(opts);
  const pooled = created.url !== created.directUrl;
  const sql = createClient({ url: created.url, schema: 'urdb', max: 4, pooled, onNotice: () => {} });
  afterAll(async () => {
    await sql.end({ timeout: 5 });
    await created.drop();
  });
  return {
    name: created.name,
    url: created.url,
    directUrl: created.directUrl,
    sql,
    ctx: (actor = {}) => ({ sql, actor: { via: 'cli', user: 'test', ...actor } }),
    async count(table: string) {
      const [row] = await sql<{ n: number }[]>`select count(*)::int as n from ${sql(table)}`;
      return row!.n;
    },
  };
}
