/**
 * urdb behind a real PgBouncer in transaction mode (issue 12 §1): found without being told, the schema reached
 * without a startup parameter, and a route cache that is off — and says so once — unless its listener has a direct
 * connection. (The HTTP contract, import, migrate and cache tests also run whole through PgBouncer in CI: .ci/run.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { urdb } from './support/cli';
import { freshDatabase } from './support/db';
import { startServe } from './support/http';
import { pgbouncerMissing, startPgBouncer, type PgBouncer } from './support/pgbouncer';

const missing = pgbouncerMissing();
if (missing) console.log(`skipping the PgBouncer tests: ${missing}`);

const db = await freshDatabase();
let bouncer: PgBouncer;
let ignoring: PgBouncer;
let pooledUrl: string;
const UNIT = 1;
const TYPE = 7;
const lookup = async (base: string) => {
  const res = await fetch(`${base}/report-routes/telegram-chats/?unit_id=${UNIT}&report_type_id=${TYPE}`);
  return ((await res.json()) as { chat_ids: number[] }).chat_ids;
};
const addRoute = (chatId: number) =>
  db.sql`insert into report_route (unit_id, report_type_id, telegram_chat_id) select ${UNIT}, ${TYPE}, id from telegram_chat where chat_id = ${chatId}`;

describe.skipIf(missing)('behind PgBouncer (transaction mode)', () => {
  beforeAll(async () => {
    bouncer = await startPgBouncer(db.directUrl);
    ignoring = await startPgBouncer(db.directUrl, { extra: 'ignore_startup_parameters = search_path\n' });
    pooledUrl = bouncer.url(db.directUrl);
    await db.sql`insert into region (id, name) values (1, 'R')`;
    await db.sql`insert into unit (id, name, uuid, region_id) values (${UNIT}, 'U1', gen_random_uuid(), 1)`;
    await db.sql`insert into telegram_chat (chat_id, type, title) values (-1, 'GROUP', 'a'), (-2, 'GROUP', 'b'), (-3, 'GROUP', 'c')`;
  });
  afterAll(async () => {
    await bouncer?.stop();
    await ignoring?.stop();
  });

  it('the CLI finds the pool by itself, whether PgBouncer refuses the search_path startup parameter or drops it', async () => {
    for (const url of [pooledUrl, ignoring.url(db.directUrl)]) {
      const r = await urdb(['units', 'list', '--json'], { url });
      expect(r.stderr).toBe('');
      expect(JSON.parse(r.stdout)).toMatchObject([{ id: UNIT, name: 'U1' }]);
    }
    // Told (URDB_POOLED=1), it does not even try the startup parameter.
    const told = await urdb(['report-types', 'show', 'CANCELED_ORDERS', '--json'], { url: pooledUrl, env: { URDB_POOLED: '1' } });
    expect(told.code).toBe(0);
    expect(JSON.parse(told.stdout)).toMatchObject({ id: TYPE });
  });

  it('serve with a pooled URL and no listen URL: cache off, said once (also with --workers 2), and never stale', async () => {
    for (const args of [[], ['--workers', '2']]) {
      const serve = await startServe(args, { DATABASE_URL: pooledUrl });
      try {
        expect(await lookup(serve.url)).toEqual([]);
        await addRoute(-1);
        expect(await lookup(serve.url)).toEqual([-1]);
        await db.sql`delete from report_route`;
        expect(await lookup(serve.url)).toEqual([]);
      } finally {
        await serve.stop();
      }
      const said = serve.stderr().match(/route cache off: the database URL goes through a transaction-mode pool \(PgBouncer\)[^\n]*/g);
      expect(said).toEqual([
        'route cache off: the database URL goes through a transaction-mode pool (PgBouncer), where LISTEN receives ' +
          'nothing, so every lookup asks the database; give the listener a direct connection to the primary with ' +
          '--listen-database-url or URDB_LISTEN_URL to turn the cache on',
      ]);
    }
  });

  it('a listen URL that is a pool too (refusing or dropping search_path) keeps the cache off, naming the fix', async () => {
    const message =
      /lookup cache off: the listener's connection \(127\.0\.0\.1:\d+\) goes through a pooler such as PgBouncer, where LISTEN receives nothing; give it a direct connection to the primary: --listen-database-url or URDB_LISTEN_URL\n/;
    for (const listen of [pooledUrl, ignoring.url(db.directUrl)]) {
      const serve = await startServe(['--listen-database-url', listen], { DATABASE_URL: pooledUrl });
      try {
        await lookup(serve.url);
        await addRoute(-2);
        expect(await lookup(serve.url)).toEqual([-2]);
        await db.sql`delete from report_route`;
        expect(await lookup(serve.url)).toEqual([]);
        for (let i = 0; i < 50 && !message.test(serve.stderr()); i++) await new Promise((r) => setTimeout(r, 100));
      } finally {
        await serve.stop();
      }
      expect(serve.stderr().match(new RegExp(message, 'g'))).toHaveLength(1);
      expect(serve.stderr()).not.toContain('lookup cache enabled');
    }
  });

  it('with a direct listen URL (URDB_LISTEN_URL) the cache is on and a raw SQL write through the pool reaches it', async () => {
    const serve = await startServe([], { DATABASE_URL: pooledUrl, URDB_LISTEN_URL: db.directUrl });
    try {
      expect(serve.stderr()).toContain('lookup cache enabled (listening for changes)');
      expect(await lookup(serve.url)).toEqual([]);
      expect(await lookup(serve.url)).toEqual([]); // now from the cache
      await addRoute(-3);
      let seen: number[] = [];
      for (let i = 0; i < 100 && seen.length === 0; i++) {
        seen = await lookup(serve.url);
        if (seen.length === 0) await new Promise((r) => setTimeout(r, 10));
      }
      expect(seen).toEqual([-3]);
    } finally {
      await serve.stop();
      await db.sql`delete from report_route`;
    }
  });
});
