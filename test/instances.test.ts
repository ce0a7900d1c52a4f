/**
 * Many `urdb serve` processes on one database (issue 12 §2): three instances, one of them with --workers 2, each
 * with its own route cache. A route written through an instance, the CLI or raw SQL reaches every instance within
 * the notification delay (test/bench/instances.mjs measures it over 1,000 writes), and an instance whose listener
 * connection is killed answers from the database — never from its stale cache — until it listens again.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importBundle } from '../src/handlers/bundle/import';
import { UUID } from './support/bundles';
import { urdb } from './support/cli';
import { freshDatabase } from './support/db';
import { startServe, type ServeProcess } from './support/http';

const db = await freshDatabase();
const TYPE = 7; // CANCELED_ORDERS
const CHAT = -100;
let instances: ServeProcess[] = [];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const chatsOf = async (s: ServeProcess, unit: number) => {
  const res = await fetch(`${s.url}/report-routes/telegram-chats/?unit_id=${unit}&report_type_id=${TYPE}`);
  return ((await res.json()) as { chat_ids: number[] }).chat_ids;
};

/**
 * Every instance answers `want` 10 times in a row within 5 s. The --workers 2 instance is two processes, each with
 * its own cache and listener, so one of them may answer right a few milliseconds before the other: convergence is
 * what is checked (a cache left stale would never give 10 right answers in a row); test/bench/instances.mjs measures
 * the delay.
 */
async function everyInstanceSees(unit: number, want: number[]) {
  for (const s of instances) {
    const deadline = Date.now() + 5000;
    let inARow = 0;
    let got: number[] = [];
    while (inARow < 10 && Date.now() < deadline) {
      got = await chatsOf(s, unit);
      if (JSON.stringify(got) === JSON.stringify(want)) inARow++;
      else {
        inARow = 0;
        await sleep(10);
      }
    }
    expect(inARow, `instance ${s.url}: ${JSON.stringify(got)}, not ${JSON.stringify(want)} 10 times in a row within 5 s`).toBe(10);
  }
}

beforeAll(async () => {
  await importBundle(db.ctx(), {
    format: 'urdb-bundle/1',
    regions: [{ id: 1, name: 'R' }],
    units: [1, 2, 3, 4].map((id) => ({ id, name: `U${id}`, uuid: UUID(id), region: 'R' })),
    roles: [{ id: 1, name: 'all', access_code: 'c', units: [1, 2, 3, 4], report_types: ['CANCELED_ORDERS'] }],
    telegram_chats: [{ chat_id: CHAT, type: 'GROUP', title: 'ops', role_id: 1 }],
  });
  // The listener always gets a direct URL: in the PgBouncer run, db.url is the pool.
  const env = { DATABASE_URL: db.url, URDB_LISTEN_URL: db.directUrl };
  instances = await Promise.all([startServe([], env), startServe([], env), startServe(['--workers', '2'], env)]);
  for (const s of instances) expect(s.stderr()).toContain('lookup cache enabled');
});

afterAll(async () => {
  await Promise.all(instances.map((s) => s.stop()));
});

describe('three urdb serve instances on one database', () => {
  it('a route written through one instance, the CLI, or raw SQL reaches every instance', async () => {
    for (const unit of [1, 2, 3]) await everyInstanceSees(unit, []); // every cache holds the empty answers now
    const created = await fetch(`${instances[0]!.url}/report-routes/`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ report_type_id: TYPE, chat_id: CHAT, unit_ids: [1] }),
    });
    expect(created.status).toBe(201);
    expect(await chatsOf(instances[0]!, 1)).toEqual([CHAT]); // the writer: at once
    await everyInstanceSees(1, [CHAT]);

    const cli = await urdb(['routes', 'add', '--chat', String(CHAT), '--report', 'CANCELED_ORDERS', '--units', '2'], { url: db.url });
    expect(cli.code).toBe(0);
    await everyInstanceSees(2, [CHAT]);

    await db.sql`insert into report_route (unit_id, report_type_id, telegram_chat_id) select 3, ${TYPE}, id from telegram_chat where chat_id = ${CHAT}`;
    await everyInstanceSees(3, [CHAT]);
    await db.sql`delete from report_route where unit_id in (1, 2)`;
    await everyInstanceSees(1, []);
    await everyInstanceSees(2, []);
  });

  it("an instance whose listener is killed answers from the database, not its cache, and listens again", async () => {
    const victim = instances[1]!;
    await everyInstanceSees(4, []); // cached empty everywhere
    const [killed] = await db.sql<{ n: number }[]>`
      select count(pg_terminate_backend(pid))::int as n from pg_stat_activity where application_name = ${`urdb listener ${victim.child.pid}`}
    `;
    expect(killed!.n).toBe(1);
    for (let i = 0; i < 200; i++) {
      const [left] = await db.sql<{ n: number }[]>`select count(*)::int as n from pg_stat_activity where application_name = ${`urdb listener ${victim.child.pid}`}`;
      if (left!.n === 0) break;
      await sleep(10);
    }
    // Nobody can tell the victim about this write while its listener is gone.
    await db.sql`insert into report_route (unit_id, report_type_id, telegram_chat_id) select 4, ${TYPE}, id from telegram_chat where chat_id = ${CHAT}`;
    await everyInstanceSees(4, [CHAT]);
    expect(victim.stderr()).toContain('lookup cache disabled: the change notification connection closed; reconnecting');
    // It listens again by itself, and notifications reach it again.
    for (let i = 0; i < 100 && victim.stderr().split('lookup cache enabled').length < 3; i++) await sleep(50);
    expect(victim.stderr().split('lookup cache enabled').length).toBe(3);
    await db.sql`delete from report_route where unit_id = 4`;
    await everyInstanceSees(4, []);
  });
});
