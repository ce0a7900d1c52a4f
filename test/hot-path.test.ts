/**
 * The hot path's shortcut (src/http/hot-path.ts) over a real port: a cached route lookup written canonically is
 * answered by the shortcut, byte for byte what the full path answers; every other spelling, a miss, HEAD and a
 * request without the token go the full path, so the validation messages and the 401 are the handler's own.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RouteLookupCache } from '../src/cache/route-lookup';
import { importBundle } from '../src/handlers/bundle/import';
import { createApi, type Api } from '../src/http/api';
import { startServer, type RunningServer } from '../src/http/server';
import { UUID } from './support/bundles';
import { freshDatabase } from './support/db';
import { client } from './support/http';

const db = await freshDatabase();
const GROUP = -1001234567890;
const TOKEN = 'hot-path-test-token';
const servers: RunningServer[] = [];
let shortcut = 0;

/** A server whose cache is on, counting the answers the shortcut gave. */
async function serve(token: string | null): Promise<string> {
  const routeCache = new RouteLookupCache();
  routeCache.enable();
  const api: Api = createApi({ sql: db.sql, routeCache, token });
  const quick = api.quick!;
  (api as { quick: Api['quick'] }).quick = (...args) => {
    const answer = quick(...args);
    if (answer) shortcut++;
    return answer;
  };
  const server = await startServer({ api, host: '127.0.0.1', port: 0 });
  servers.push(server);
  return `http://127.0.0.1:${server.address.port}`;
}

let base: string;
let guarded: string;
const full = () => client(db.sql); // no cache: always the handler

beforeAll(async () => {
  await importBundle(db.ctx(), {
    format: 'urdb-bundle/1',
    regions: [{ id: 1, name: 'R' }],
    units: [1, 2, 3].map((id) => ({ id, name: `U${id}`, uuid: UUID(id), region: 'R' })),
    roles: [{ id: 1, name: 'all', access_code: 'c', units: [1, 2, 3], report_types: ['CANCELED_ORDERS'] }],
    telegram_chats: [
      { chat_id: 10, type: 'PRIVATE', title: 'a', role_id: 1 },
      { chat_id: 11, type: 'PRIVATE', title: 'b', role_id: 1 },
      { chat_id: GROUP, type: 'GROUP', title: 'g', role_id: 1 },
    ],
    report_routes: [
      { report_type: 'CANCELED_ORDERS', chat_id: 10, unit_ids: [1, 2] },
      { report_type: 'CANCELED_ORDERS', chat_id: 11, unit_ids: [1] },
      { report_type: 'CANCELED_ORDERS', chat_id: GROUP, unit_ids: [1, 2, 3] },
    ],
  });
  base = await serve(null);
  guarded = await serve(TOKEN);
});

afterAll(async () => {
  for (const s of servers) await s.close(1000);
});

const CHATS = '/report-routes/telegram-chats/';
const UNITS = '/report-routes/units/';
// report type 7 is CANCELED_ORDERS (seeded ids are pinned)
const CANONICAL = [
  `${CHATS}?unit_id=1&report_type_id=7`,
  `${CHATS}?report_type_id=7&unit_id=1`,
  `/api${CHATS}?unit_id=1&report_type_id=7`,
  `/report-routes/telegram-chats?unit_id=2&report_type_id=7`,
  `${CHATS}?unit_id=1&report_type_id=7&limit=1`,
  `${CHATS}?unit_id=1&report_type_id=7&limit=1&offset=1`,
  `${CHATS}?unit_id=1&report_type_id=7&offset=2`,
  `${CHATS}?unit_id=-5&report_type_id=0`,
  `${CHATS}?unit_id=2147483647&report_type_id=-2147483647`,
  `${UNITS}?chat_id=${GROUP}&report_type_id=7`,
  `${UNITS}?chat_id=${GROUP}&report_type_id=7&limit=2&offset=1`,
  `/api${UNITS}?chat_id=10&report_type_id=7`,
  `${UNITS}?chat_id=9007199254740991&report_type_id=7`,
];
const OTHER_SPELLINGS = [
  `${CHATS}?unit_id=01&report_type_id=7`,
  `${CHATS}?unit_id=+1&report_type_id=7`,
  `${CHATS}?unit_id=1.0&report_type_id=7`,
  `${CHATS}?unit_id=%31&report_type_id=7`,
  `${CHATS}?unit_id=%201&report_type_id=7`,
  `${CHATS}?unit_id=&report_type_id=7`,
  `${CHATS}?unit_id=-0&report_type_id=7`,
  `${CHATS}?unit_id=1`,
  `${CHATS}?report_type_id=7`,
  `${CHATS}`,
  `${CHATS}?unit_id=1&report_type_id=7&limit=0`,
  `${CHATS}?unit_id=1&report_type_id=7&limit=101`,
  `${CHATS}?unit_id=1&report_type_id=7&limit=`,
  `${CHATS}?unit_id=1&report_type_id=7&offset=-1`,
  `${CHATS}?unit_id=1&report_type_id=7&skip=1`,
  `${CHATS}?unit_id=1&report_type_id=7&unit_id=2`,
  `${CHATS}?unit_id=1&report_type_id=7&other=1`,
  `${CHATS}?unit_id=1&report_type_id=7&`,
  `${CHATS}?unit_id=1&&report_type_id=7`,
  `${CHATS}?unit_id=2147483648&report_type_id=7`,
  `${CHATS}?unit_id=99999999999999999999&report_type_id=7`,
  `${UNITS}?chat_id=9007199254740992&report_type_id=7`,
  `${UNITS}?unit_id=1&report_type_id=7`,
  `//report-routes/telegram-chats/?unit_id=1&report_type_id=7`,
];

async function both(url: string, headers: Record<string, string> = {}, on = base) {
  const res = await fetch(on + url, { headers });
  const got = { status: res.status, type: res.headers.get('content-type'), length: res.headers.get('content-length'), body: await res.text() };
  const want = await full().call('GET', url, { headers });
  return { got, want: { status: want.status, type: want.headers['content-type'] ?? null, length: want.headers['content-length'] ?? null, body: want.text } };
}

describe('hot path shortcut', () => {
  it('answers cached canonical lookups itself, with the bytes the full path answers', async () => {
    for (const url of CANONICAL) {
      await fetch(base + url).then((r) => r.arrayBuffer()); // the full path fills the cache
      const before = shortcut;
      const { got, want } = await both(url);
      expect(got, url).toEqual(want);
      expect(got.status, url).toBe(200);
      expect(shortcut - before, `${url} answered by the shortcut`).toBe(1);
    }
  });

  it('leaves every other spelling, HEAD and unknown keys to the full path: the same validation messages', async () => {
    for (const url of CANONICAL) await fetch(base + url).then((r) => r.arrayBuffer());
    for (const url of OTHER_SPELLINGS) {
      const before = shortcut;
      for (let i = 0; i < 2; i++) {
        const { got, want } = await both(url);
        expect(got, url).toEqual(want);
      }
      expect(shortcut - before, `${url} not answered by the shortcut`).toBe(0);
    }
    const before = shortcut;
    const head = await fetch(base + CANONICAL[0], { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(shortcut).toBe(before);
  });

  it('with a token: no token or a wrong one is the full path (401); the right one is answered by the shortcut', async () => {
    const url = CANONICAL[0]!;
    const auth = { authorization: `Bearer ${TOKEN}` };
    await fetch(guarded + url, { headers: auth }).then((r) => r.arrayBuffer());
    const before = shortcut;
    expect((await fetch(guarded + url)).status).toBe(401);
    expect((await fetch(guarded + url, { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
    expect(shortcut).toBe(before);
    const res = await fetch(guarded + url, { headers: auth });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe((await full().call('GET', url)).text);
    expect(shortcut).toBe(before + 1);
  });
});
