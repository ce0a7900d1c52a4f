import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listenForChanges, type ChangeListener } from '../src/cache/notifications';
import { RouteLookupCache } from '../src/cache/route-lookup';
import { call, type Ctx } from '../src/core/operation';
import { importBundle } from '../src/handlers/bundle/import';
import { createRoutes, deleteRoutes, listRouteChats, listRouteUnits } from '../src/handlers/routes';
import { UUID } from './support/bundles';
import { urdb } from './support/cli';
import { freshDatabase } from './support/db';

const db = await freshDatabase();
const cache = new RouteLookupCache(1 << 20);
let listener: ChangeListener;
let ctx: Ctx;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function eventually<T>(fn: () => Promise<T>, ok: (v: T) => boolean, ms = 1000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (ok(v) || Date.now() > deadline) return v;
    await sleep(10);
  }
}

const chats = () => call(listRouteChats, ctx, { unit_id: 1, report_type_id: 7 }).then((p) => p.items);

beforeAll(async () => {
  await importBundle(db.ctx(), {
    format: 'urdb-bundle/1',
    regions: [{ id: 1, name: 'R' }],
    units: [1, 2].map((id) => ({ id, name: `U${id}`, uuid: UUID(id), region: 'R' })),
    roles: [{ id: 1, name: 'all', access_code: 'c', units: [1, 2], report_types: ['CANCELED_ORDERS'] }],
    telegram_chats: [
      { chat_id: 10, type: 'PRIVATE', title: 'a', role_id: 1 },
      { chat_id: -20, type: 'GROUP', title: 'b', role_id: 1 },
    ],
    report_routes: [{ report_type: 'CANCELED_ORDERS', chat_id: 10, unit_ids: [1] }],
  });
  listener = listenForChanges({ url: db.directUrl, schema: 'urdb' }, 'urdb', cache);
  await listener.ready;
  ctx = { ...db.ctx(), routeCache: cache, afterCommit: (tables) => tables.includes('report_route') && cache.clear() };
});

afterAll(async () => {
  await listener.stop();
});

describe('the route lookup cache', () => {
  it('answers repeated lookups from memory', async () => {
    expect(cache.isEnabled).toBe(true);
    expect(await chats()).toEqual([10]);
    const hits = cache.hits;
    expect(await chats()).toEqual([10]);
    expect(cache.hits).toBe(hits + 1);
    expect((await call(listRouteChats, ctx, { unit_id: 1, report_type_id: 7, limit: 1, offset: 1 })).is_end_of_list_reached).toBe(true);
  });

  it('a write through urdb in this process is visible to the very next lookup', async () => {
    await call(createRoutes, ctx, { report_type_id: 7, chat_id: -20, unit_ids: [1], user_chat_id: 10 });
    expect(await chats()).toEqual([-20, 10]);
    await call(deleteRoutes, ctx, { chat_id: -20, report_type_id: 7, unit_ids: [1] });
    expect(await chats()).toEqual([10]);
  });

  it('a raw SQL write from another client is visible within 1 s', async () => {
    expect(await chats()).toEqual([10]);
    await db.sql`insert into report_route (unit_id, report_type_id, telegram_chat_id) select 1, 7, id from telegram_chat where chat_id = -20`;
    const seen = await eventually(chats, (v) => v.length === 2);
    expect(seen).toEqual([-20, 10]);
    await db.sql`delete from report_route where unit_id = 1 and report_type_id = 7 and telegram_chat_id = (select id from telegram_chat where chat_id = -20)`;
    expect(await eventually(chats, (v) => v.length === 1)).toEqual([10]);
  });

  it('a write by another urdb process (the CLI) is visible within 1 s, chat id changes included', async () => {
    const units = () => call(listRouteUnits, ctx, { chat_id: 10, report_type_id: 7 }).then((p) => p.items);
    expect(await units()).toEqual([1]);
    await db.sql`update telegram_chat set chat_id = 11 where chat_id = 10`;
    expect(await eventually(units, (v) => v.length === 0)).toEqual([]);
    expect(await eventually(chats, (v) => v[0] === 11)).toEqual([11]);
    await db.sql`update telegram_chat set chat_id = 10 where chat_id = 11`;
    const r = await urdb(['import', '-', '--yes'], {
      url: db.url,
      input: JSON.stringify({ format: 'urdb-bundle/1', report_routes: [{ report_type: 'CANCELED_ORDERS', chat_id: 10, unit_ids: [2] }] }),
    });
    expect(r.code).toBe(0);
    expect(await eventually(units, (v) => v.length === 2)).toEqual([1, 2]);
  });

  it('a lost notification connection degrades to querying, never to stale answers, and recovers', async () => {
    expect(await chats()).toEqual([10]);
    await db.sql`select pg_terminate_backend(pid) from pg_stat_activity where application_name like 'urdb listener%' and datname = current_database()`;
    await eventually(async () => cache.isEnabled, (enabled) => !enabled);
    expect(cache.isEnabled).toBe(false);
    // Nobody would tell the cache about this write: it must not matter.
    await db.sql`insert into report_route (unit_id, report_type_id, telegram_chat_id) select 1, 7, id from telegram_chat where chat_id = -20`;
    expect(await chats()).toEqual([-20, 10]);
    const misses = cache.misses;
    await chats();
    expect(cache.misses).toBe(misses + 1);
    // It reconnects by itself and caches again, from empty.
    await eventually(async () => cache.isEnabled, (enabled) => enabled, 5000);
    expect(cache.isEnabled).toBe(true);
    expect(await chats()).toEqual([-20, 10]);
    await db.sql`delete from report_route where unit_id = 1 and telegram_chat_id = (select id from telegram_chat where chat_id = -20)`;
    expect(await eventually(chats, (v) => v.length === 1)).toEqual([10]);
  });

  it('does not store a fill that raced with a clear', async () => {
    const c = new RouteLookupCache(1 << 20);
    c.enable();
    let release!: () => void;
    const slow = c.chats(1, 1, () => new Promise<number[]>((r) => (release = () => r([1]))));
    c.clear();
    release();
    expect(await slow).toEqual([1]);
    expect(c.size).toBe(0);
  });
});
