/**
 * http-api.md §1.2: limit 1..100 (default 100), offset ≥ 0, `is_end_of_list_reached` true exactly when no row exists
 * at offset + limit, `skip` on /units/, and invalid values a 400 (never a 500, never an endless loop).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { importBundle } from '../src/handlers/bundle/import';
import { UUID } from './support/bundles';
import { freshDatabase } from './support/db';
import { client, invalid } from './support/http';

const db = await freshDatabase();
const http = client(db.sql);
const CHATS = 150;
const UNITS = 7;
const ACTOR = 900;

beforeAll(async () => {
  await importBundle(db.ctx(), {
    format: 'urdb-bundle/1',
    regions: [{ id: 1, name: 'R' }],
    units: Array.from({ length: UNITS }, (_, i) => ({ id: 10 + i, name: `U${i}`, uuid: UUID(10 + i), region: 'R' })),
    roles: [{ id: 1, name: 'all', access_code: 'c', units: [10, 11, 12], report_types: ['CANCELED_ORDERS'] }],
    telegram_chats: [
      { chat_id: ACTOR, type: 'PRIVATE', title: 'actor', role_id: 1 },
      ...Array.from({ length: CHATS - 1 }, (_, i) => ({ chat_id: -1000 - i, type: 'GROUP', title: `g${i}` })),
    ],
  });
  await db.sql`
    insert into report_route (unit_id, report_type_id, telegram_chat_id)
    select 10, 7, id from telegram_chat
  `;
});

const get = (url: string) => http.call('GET', url);

/** Every list endpoint, with the query its required filters need. */
const LISTS: [path: string, key: string][] = [
  ['/units/?', 'units'],
  ['/units/regions/?', 'regions'],
  ['/telegram-chats/?', 'telegram_chats'],
  ['/report-types/?', 'report_types'],
  ['/report-types/statistics/?', 'report_types'],
  ['/report-routes/units/?chat_id=900&report_type_id=7&', 'unit_ids'],
  ['/report-routes/telegram-chats/?unit_id=10&report_type_id=7&', 'chat_ids'],
  [`/roles/users/${ACTOR}/units/?`, 'units'],
  [`/roles/users/${ACTOR}/regions/?`, 'regions'],
  [`/roles/users/${ACTOR}/report-types/?`, 'report_types'],
];

describe('§1.2 paging', () => {
  it('the default limit is 100: callers that send no query read the first 100 rows', async () => {
    const res = await get('/telegram-chats/');
    expect(res.json.telegram_chats).toHaveLength(100);
    expect(res.json.is_end_of_list_reached).toBe(false);
    const hot = await get('/report-routes/telegram-chats/?unit_id=10&report_type_id=7');
    expect(hot.json.chat_ids).toHaveLength(100);
    expect(hot.json.is_end_of_list_reached).toBe(false);
  });

  it('is_end_of_list_reached is true exactly when no row exists at offset + limit', async () => {
    const page = async (limit: number, offset: number) => (await get(`/units/?limit=${limit}&offset=${offset}`)).json;
    expect(await page(3, 4)).toMatchObject({ is_end_of_list_reached: true }); // 4 + 3 = 7 = UNITS: no row at 7
    expect((await page(3, 4)).units).toHaveLength(3);
    expect(await page(3, 3)).toMatchObject({ is_end_of_list_reached: false }); // a row at 6
    expect(await page(7, 0)).toMatchObject({ is_end_of_list_reached: true });
    expect(await page(6, 0)).toMatchObject({ is_end_of_list_reached: false });
    expect(await page(100, 7)).toEqual({ units: [], is_end_of_list_reached: true });
    expect(await page(1, 2147483647)).toEqual({ units: [], is_end_of_list_reached: true });
    const chats = async (limit: number, offset: number) => (await get(`/report-routes/telegram-chats/?unit_id=10&report_type_id=7&limit=${limit}&offset=${offset}`)).json;
    expect((await chats(50, 100)).is_end_of_list_reached).toBe(true);
    expect((await chats(49, 100)).is_end_of_list_reached).toBe(false);
    expect((await chats(100, 50)).chat_ids).toHaveLength(100);
  });

  it('pages concatenate to the whole list, in id order, without gaps or repeats', async () => {
    const all: number[] = [];
    for (let offset = 0, end = false; !end; offset += 40) {
      const res = (await get(`/telegram-chats/?limit=40&offset=${offset}`)).json;
      all.push(...res.telegram_chats.map((c: { chat_id: number }) => c.chat_id));
      end = res.is_end_of_list_reached;
    }
    expect(all).toHaveLength(CHATS);
    expect(all[0]).toBe(ACTOR);
    expect(new Set(all).size).toBe(CHATS);
    const rows = await db.sql<{ chat_id: number }[]>`select chat_id from telegram_chat order by id`;
    expect(all).toEqual(rows.map((r) => r.chat_id));
  });

  it.each(LISTS)('%s rejects limit 0, 101, "x" and offset -1 with 400, in declared order', async (path) => {
    expect((await get(`${path}limit=0`)).json).toEqual(invalid({ limit: ['Ensure this value is greater than or equal to 1.'] }));
    expect((await get(`${path}limit=101`)).json).toEqual(invalid({ limit: ['Ensure this value is less than or equal to 100.'] }));
    expect((await get(`${path}limit=x&offset=-1`)).json).toEqual(
      invalid({ limit: ['A valid integer is required.'], offset: ['Ensure this value is greater than or equal to 0.'] }),
    );
  });

  it.each(LISTS)('%s answers limit=1 with one item, and its key', async (path, key) => {
    const res = await get(`${path}limit=1`);
    expect(res.status).toBe(200);
    expect(Object.keys(res.json)).toEqual([key, 'is_end_of_list_reached']);
    expect(res.json[key]).toHaveLength(1);
  });

  it('integers as DRF reads them: "5", " 5 ", "5.0" are 5; "5.5", "1e2", "0x5" are not integers', async () => {
    for (const ok of ['5', '%205%20', '5.0', '+5']) expect((await get(`/units/?limit=${ok}`)).json.units).toHaveLength(5);
    for (const bad of ['5.5', '1e2', '0x5', '5a', 'true', '[]']) {
      expect((await get(`/units/?limit=${bad}`)).json).toEqual(invalid({ limit: ['A valid integer is required.'] }));
    }
    expect((await get('/units/?offset=2147483648')).json).toEqual(invalid({ offset: ['Ensure this value is less than or equal to 2147483647.'] }));
  });

  it('an empty limit or offset is "not given" (DRF reads ?limit= as absent): the defaults apply', async () => {
    const res = await get('/telegram-chats/?limit=&offset=');
    expect(res.json.telegram_chats).toHaveLength(100);
  });

  it('a repeated key: the last value wins, as Django reads a query string', async () => {
    expect((await get('/units/?limit=1&limit=2')).json.units).toHaveLength(2);
  });

  it('GET /units/ accepts skip as an alias of offset', async () => {
    const byOffset = await get('/units/?limit=2&offset=3');
    const bySkip = await get('/units/?limit=2&skip=3');
    expect(bySkip.text).toBe(byOffset.text);
    expect(bySkip.json.units.map((u: { id: number }) => u.id)).toEqual([13, 14]);
    expect((await get('/api/units?skip=6')).json).toMatchObject({ units: [{ id: 16 }], is_end_of_list_reached: true });
  });

  it('skip: offset wins when both are given; an invalid skip is reported as skip; other lists ignore it', async () => {
    expect((await get('/units/?limit=1&offset=1&skip=5')).json.units[0].id).toBe(11);
    expect((await get('/units/?skip=-1')).json).toEqual(invalid({ skip: ['Ensure this value is greater than or equal to 0.'] }));
    expect((await get('/units/?limit=x&skip=y')).json).toEqual(
      invalid({ limit: ['A valid integer is required.'], skip: ['A valid integer is required.'] }),
    );
    expect((await get('/units/regions/?skip=x')).status).toBe(200);
  });
});
