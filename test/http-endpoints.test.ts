/**
 * http-api.md §2: every endpoint's answer, byte for byte where callers depend on it, through `handle()`.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { importBundle } from '../src/handlers/bundle/import';
import { UUID } from './support/bundles';
import { freshDatabase } from './support/db';
import { client, err, invalid } from './support/http';

const db = await freshDatabase();
const http = client(db.sql);
const GROUP = -1001234567890;
const NO_ROLE = 42;
const NORTH = 1001;
const ALL = 1002;

beforeAll(async () => {
  await importBundle(db.ctx(), {
    format: 'urdb-bundle/1',
    regions: [
      { id: 1, name: 'Москва 1' },
      { id: 2, name: 'Казань' },
    ],
    units: [
      { id: 1, name: 'Москва 1-1', uuid: UUID(1).toUpperCase(), region: 'Москва 1', office_manager_account_name: 'om1', dodo_is_api_account_name: 'api1' },
      { id: 2, name: 'a/b unit', uuid: UUID(2), region: 'Москва 1' },
      { id: 3, name: 'Казань 1', uuid: UUID(3), region: 'Казань' },
      { id: 4, name: 'Казань 2', uuid: UUID(4), region: 'Казань' },
    ],
    report_types: [{ name: 'OLD_REPORT', verbose_name: 'Старый', is_active: false }],
    roles: [
      { id: 1, name: 'north', access_code: 'north-code', units: [1, 2], report_types: ['CANCELED_ORDERS'] },
      { id: 2, name: 'all', access_code: 'all-code', units: [1, 2, 3, 4], report_types: ['CANCELED_ORDERS', 'DAILY_REVENUE', 'OLD_REPORT'] },
    ],
    telegram_chats: [
      { chat_id: GROUP, type: 'GROUP', title: 'Ops', role_id: 2 },
      { chat_id: NO_ROLE, type: 'PRIVATE', title: 'Eldos', username: 'eldos' },
      { chat_id: NORTH, type: 'PRIVATE', title: 'North manager', role_id: 1 },
      { chat_id: ALL, type: 'PRIVATE', title: 'Boss', role_id: 2 },
    ],
  });
});

const get = (url: string) => http.call('GET', url);
const post = (url: string, body: unknown) => http.call('POST', url, { body });
const routeCount = () => db.count('report_route');

describe('units', () => {
  it('GET /units/: six keys, region by name, uuid lowercase, account names "" rather than null', async () => {
    const res = await get('/units/?limit=2');
    expect(res.text).toBe(
      '{"units":[' +
        `{"id":1,"name":"Москва 1-1","uuid":"${UUID(1)}","office_manager_account_name":"om1","dodo_is_api_account_name":"api1","region":"Москва 1"},` +
        `{"id":2,"name":"a/b unit","uuid":"${UUID(2)}","office_manager_account_name":"","dodo_is_api_account_name":"","region":"Москва 1"}` +
        '],"is_end_of_list_reached":false}',
    );
  });

  it('GET /units/name/{unit_name}/: exact, case-sensitive, URL-decoded', async () => {
    expect((await get('/units/name/%D0%9C%D0%BE%D1%81%D0%BA%D0%B2%D0%B0%201-1/')).json).toMatchObject({ id: 1, region: 'Москва 1' });
    expect((await get('/api/units/name/a%2Fb%20unit')).json).toMatchObject({ id: 2 });
    for (const name of ['%D0%BC%D0%BE%D1%81%D0%BA%D0%B2%D0%B0%201-1', 'Unit', '%D0%9C%D0%BE%D1%81%D0%BA%D0%B2%D0%B0']) {
      const res = await get(`/units/name/${name}/`);
      expect(res.status).toBe(404);
      expect(res.text).toBe('{"message":"Unit by name is not found","extra":{}}');
    }
  });

  it('GET /units/regions/', async () => {
    expect((await get('/units/regions/')).text).toBe('{"regions":[{"id":1,"name":"Москва 1"},{"id":2,"name":"Казань"}],"is_end_of_list_reached":true}');
  });
});

describe('telegram chats', () => {
  it('GET /telegram-chats/: only title and chat_id, in registration order', async () => {
    const res = await get('/telegram-chats/?limit=3');
    expect(res.text).toBe(
      `{"telegram_chats":[{"title":"Ops","chat_id":${GROUP}},{"title":"Eldos","chat_id":42},{"title":"North manager","chat_id":${NORTH}}],"is_end_of_list_reached":false}`,
    );
  });

  it('POST /telegram-chats/: 201 empty; strings trimmed; username optional or null; the new chat has no role', async () => {
    expect(await post('/telegram-chats/', { chat_id: -100500, type: 'GROUP', title: '  Kitchen  ', username: null })).toMatchObject({ status: 201, text: '' });
    expect(await post('/telegram-chats/', { chat_id: 500, type: 'PRIVATE', title: 'Ann', username: ' ann ' })).toMatchObject({ status: 201 });
    expect((await get('/telegram-chats/-100500/')).json).toEqual({ chat_id: -100500, username: null, title: 'Kitchen', type: 'Group' });
    expect((await get('/telegram-chats/500/')).json).toEqual({ chat_id: 500, username: 'ann', title: 'Ann', type: 'Private' });
    expect((await get('/roles/users/500/units/')).json).toEqual(err('User has no any role'));
  });

  it('POST /telegram-chats/: `type` is case-sensitive; a known chat_id is 409 "Chat with provided chat ID already exists"', async () => {
    expect((await post('/telegram-chats/', { chat_id: 501, type: 'Private', title: 'x' })).json).toEqual(
      invalid({ type: ['"Private" is not a valid choice.'] }),
    );
    const res = await post('/telegram-chats/', { chat_id: GROUP, type: 'GROUP', title: 'again' });
    expect(res.status).toBe(409);
    expect(res.text).toBe('{"message":"Chat with provided chat ID already exists","extra":{}}');
    expect((await get(`/telegram-chats/${GROUP}/`)).json.title).toBe('Ops');
  });

  it('GET /telegram-chats/chat-types/', async () => {
    expect((await get('/telegram-chats/chat-types/')).text).toBe('["PRIVATE","GROUP"]');
  });

  it('GET /telegram-chats/{chat_id}/: chat_id, username, title, type as "Private"/"Group"; unknown → 404', async () => {
    expect((await get('/telegram-chats/42/')).text).toBe('{"chat_id":42,"username":"eldos","title":"Eldos","type":"Private"}');
    expect((await get(`/telegram-chats/${GROUP}`)).text).toBe(`{"chat_id":${GROUP},"username":null,"title":"Ops","type":"Group"}`);
    const res = await get('/telegram-chats/4242/');
    expect(res.status).toBe(404);
    expect(res.text).toBe('{"message":"Chat by chat ID is not found","extra":{}}');
  });

  it('PUT /telegram-chats/{chat_id}/: title required; a missing username key leaves it, null clears it; 204', async () => {
    expect(await http.call('PUT', '/telegram-chats/42/', { body: { title: ' Eldos K ' } })).toMatchObject({ status: 204, text: '' });
    expect((await get('/telegram-chats/42/')).json).toEqual({ chat_id: 42, username: 'eldos', title: 'Eldos K', type: 'Private' });
    expect((await http.call('PUT', '/telegram-chats/42/', { body: { title: 'Eldos', username: null } })).status).toBe(204);
    expect((await get('/telegram-chats/42/')).json.username).toBeNull();
    expect((await http.call('PUT', '/telegram-chats/42/', { body: { title: 'Eldos', username: 'eldos' } })).status).toBe(204);
    expect((await http.call('PUT', '/telegram-chats/42/', { body: { username: 'x' } })).json).toEqual(invalid({ title: ['This field is required.'] }));
  });

  it('PUT /telegram-chats/{chat_id}/ on an unknown chat is 404; the path id wins over a chat_id in the body', async () => {
    expect((await http.call('PUT', '/telegram-chats/4242/', { body: { title: 'x' } })).json).toEqual(err('Chat by chat ID is not found'));
    expect((await http.call('PUT', '/telegram-chats/4242/', { body: { title: 'x', chat_id: 42 } })).status).toBe(404);
  });
});

describe('report types', () => {
  const names = async (url: string) => (await get(url)).json.report_types.map((t: { name: string }) => t.name);

  it('GET /report-types/: the active types that are not statistics types, as {id, name, verbose_name}', async () => {
    const res = await get('/report-types/');
    expect(res.json.report_types[0]).toEqual({ id: 1, name: 'STATISTICS', verbose_name: 'Отчёты по статистике' });
    expect(await names('/report-types/')).toEqual([
      'STATISTICS',
      'INGREDIENTS_STOP_SALES',
      'STREET_STOP_SALES',
      'SECTOR_STOP_SALES',
      'PIZZERIA_STOP_SALES',
      'STOPS_AND_RESUMES',
      'CANCELED_ORDERS',
      'CHEATED_PHONE_NUMBERS',
      'WRITE_OFFS',
      'LATE_DELIVERY_VOUCHERS',
    ]);
    expect(res.json.is_end_of_list_reached).toBe(true);
  });

  it('GET /report-types/?parent_id=N: the active children of N', async () => {
    await db.sql`update report_type set is_active = false where name = 'BONUS_SYSTEM'`;
    try {
      const children = await names('/report-types/?parent_id=1');
      expect(children).toHaveLength(10);
      expect(children).not.toContain('BONUS_SYSTEM');
      expect(await names('/report-types/?parent_id=7')).toEqual([]);
      expect((await get('/report-types/?parent_id=x')).json).toEqual(invalid({ parent_id: ['A valid integer is required.'] }));
      expect(await names('/report-types/statistics/')).toEqual(children);
    } finally {
      await db.sql`update report_type set is_active = true where name = 'BONUS_SYSTEM'`;
    }
  });

  it('GET /report-types/statistics/: the active statistics types; parent_id is not read there', async () => {
    expect(await names('/report-types/statistics/?parent_id=7')).toEqual([
      'COOKING_TIME',
      'RESTAURANT_COOKING_TIME',
      'KITCHEN_PERFORMANCE',
      'DELIVERY_AWAITING_TIME',
      'DELIVERY_SPEED',
      'DELIVERY_PERFORMANCE',
      'BEING_LATE_CERTIFICATES',
      'DAILY_REVENUE',
      'AWAITING_ORDERS',
      'BONUS_SYSTEM',
      'PRODUCTIVITY_BALANCE',
    ]);
  });

  it('GET /report-types/names/{name}/: an active type; inactive or unknown → 404 "Report type is not found"', async () => {
    expect((await get('/report-types/names/CANCELED_ORDERS/')).text).toBe('{"id":7,"name":"CANCELED_ORDERS","verbose_name":"Отмены заказов"}');
    for (const name of ['OLD_REPORT', 'NOPE', 'canceled_orders']) {
      const res = await get(`/api/report-types/names/${name}`);
      expect(res.status).toBe(404);
      expect(res.text).toBe('{"message":"Report type is not found","extra":{}}');
    }
  });
});

describe('report routes: lookups', () => {
  beforeAll(async () => {
    await db.sql`
      insert into report_route (unit_id, report_type_id, telegram_chat_id)
      select 3, 17, id from telegram_chat where chat_id in (${GROUP}, ${ALL})
    `;
  });

  it('GET /report-routes/telegram-chats/: chat ids as JSON numbers, negative for groups, ascending', async () => {
    expect((await get('/report-routes/telegram-chats/?unit_id=3&report_type_id=17')).text).toBe(
      `{"chat_ids":[${GROUP},${ALL}],"is_end_of_list_reached":true}`,
    );
    expect((await get('/report-routes/telegram-chats/?unit_id=4&report_type_id=17')).text).toBe('{"chat_ids":[],"is_end_of_list_reached":true}');
  });

  it('GET /report-routes/telegram-chats/: unit_id and report_type_id are required', async () => {
    expect((await get('/report-routes/telegram-chats/')).json).toEqual(
      invalid({ unit_id: ['This field is required.'], report_type_id: ['This field is required.'] }),
    );
    expect((await get('/report-routes/telegram-chats/?unit_id=&report_type_id=7')).json).toEqual(invalid({ unit_id: ['A valid integer is required.'] }));
  });

  it('GET /report-routes/units/: unit ids; an int64 group chat id; unknown chat or type → an empty list, 200', async () => {
    expect((await get(`/report-routes/units/?chat_id=${GROUP}&report_type_id=17`)).text).toBe('{"unit_ids":[3],"is_end_of_list_reached":true}');
    expect((await get('/report-routes/units/?chat_id=99&report_type_id=17')).text).toBe('{"unit_ids":[],"is_end_of_list_reached":true}');
    expect((await get(`/report-routes/units/?chat_id=${GROUP}&report_type_id=999`)).status).toBe(200);
    expect((await get('/report-routes/units/?report_type_id=17')).json).toEqual(invalid({ chat_id: ['This field is required.'] }));
  });
});

describe('report routes: POST /report-routes/ checks, in order, first failure wins', () => {
  const create = (body: Record<string, unknown>) => post('/report-routes/', body);

  it('1. body validation → 400, before anything else', async () => {
    const res = await create({ report_type_id: 999, chat_id: 4242, unit_ids: [] });
    expect(res.json).toEqual(invalid({ unit_ids: ['This list may not be empty.'] }));
  });

  it('2. acting user unknown → 404 "Chat by chat ID is not found" (user_chat_id, else the chat itself)', async () => {
    expect((await create({ report_type_id: 999, chat_id: GROUP, unit_ids: [999], user_chat_id: 4242 })).text).toBe(
      '{"message":"Chat by chat ID is not found","extra":{}}',
    );
    expect((await create({ report_type_id: 999, chat_id: 4242, unit_ids: [999] })).status).toBe(404);
  });

  it('3. acting user without a role → 403 "User has no any role"', async () => {
    const res = await create({ report_type_id: 999, chat_id: 4242, unit_ids: [999], user_chat_id: NO_ROLE });
    expect(res.status).toBe(403);
    expect(res.text).toBe('{"message":"User has no any role","extra":{}}');
  });

  it('4. report type unknown → 404 "Report type by ID is not found"', async () => {
    expect((await create({ report_type_id: 999, chat_id: 4242, unit_ids: [999], user_chat_id: NORTH })).text).toBe(
      '{"message":"Report type by ID is not found","extra":{}}',
    );
  });

  it('5. type not granted by the role → 403 "Permission to report type denied"', async () => {
    expect((await create({ report_type_id: 17, chat_id: 4242, unit_ids: [999], user_chat_id: NORTH })).text).toBe(
      '{"message":"Permission to report type denied","extra":{}}',
    );
  });

  it('6. units not granted (unknown included) → 403 naming them ascending, comma+space, in braces', async () => {
    expect((await create({ report_type_id: 7, chat_id: 4242, unit_ids: [999, 1, 3, 3], user_chat_id: NORTH })).text).toBe(
      '{"message":"Permission to units {3, 999} denied","extra":{}}',
    );
  });

  it('7. receiving chat unknown → 404 "Chat by chat ID is not found"', async () => {
    expect((await create({ report_type_id: 7, chat_id: 4242, unit_ids: [1], user_chat_id: NORTH })).json).toEqual(err('Chat by chat ID is not found'));
  });

  it('9. all routes inserted in one transaction → 201 empty (duplicates in the request ignored)', async () => {
    const before = await routeCount();
    expect(await create({ report_type_id: 7, chat_id: GROUP, unit_ids: [2, 1, 2], user_chat_id: NORTH })).toMatchObject({ status: 201, text: '' });
    expect(await routeCount()).toBe(before + 2);
    expect((await get(`/report-routes/units/?chat_id=${GROUP}&report_type_id=7`)).json.unit_ids).toEqual([1, 2]);
  });

  it('8. any route already there → 409 "Unit route already exists", and nothing is inserted', async () => {
    const before = await routeCount();
    const res = await create({ report_type_id: 7, chat_id: GROUP, unit_ids: [3, 2, 4] });
    expect(res.status).toBe(409);
    expect(res.text).toBe('{"message":"Unit route already exists","extra":{}}');
    expect(await routeCount()).toBe(before);
    expect((await get(`/report-routes/units/?chat_id=${GROUP}&report_type_id=7`)).json.unit_ids).toEqual([1, 2]);
  });

  it('a failed request changes nothing, whatever the check that failed', async () => {
    const before = await db.sql`select * from report_route order by 1, 2, 3`;
    for (const body of [
      { report_type_id: 7, chat_id: GROUP, unit_ids: [3, 999] },
      { report_type_id: 7, chat_id: 4242, unit_ids: [3] },
      { report_type_id: 7, chat_id: GROUP, unit_ids: [3, 1] },
    ]) {
      expect((await create(body)).status).toBeGreaterThanOrEqual(400);
    }
    expect(await db.sql`select * from report_route order by 1, 2, 3`).toEqual(before);
  });
});

describe('report routes: DELETE /report-routes/', () => {
  const del = (query: string) => http.call('DELETE', `/report-routes/?${query}`);
  const units = async () => (await get(`/report-routes/units/?chat_id=${ALL}&report_type_id=7`)).json.unit_ids;

  beforeAll(async () => {
    expect((await post('/report-routes/', { report_type_id: 7, chat_id: ALL, unit_ids: [1, 2, 3, 4] })).status).toBe(201);
  });

  it('without unit_ids → 204 and nothing is deleted', async () => {
    expect(await del(`chat_id=${ALL}&report_type_id=7`)).toMatchObject({ status: 204, text: '' });
    expect(await units()).toEqual([1, 2, 3, 4]);
  });

  it('unit_ids is a repeated key; user_chat_id is accepted and ignored; units not routed are no error', async () => {
    expect((await del(`chat_id=${ALL}&report_type_id=7&unit_ids=1&unit_ids=3&unit_ids=77&user_chat_id=${NO_ROLE}`)).status).toBe(204);
    expect(await units()).toEqual([2, 4]);
  });

  it('unit_ids may also be one comma-separated value', async () => {
    expect((await del(`chat_id=${ALL}&report_type_id=7&unit_ids=2,4`)).status).toBe(204);
    expect(await units()).toEqual([]);
  });

  it('nothing matched → 204', async () => {
    expect((await del('chat_id=4242&report_type_id=7&unit_ids=1')).status).toBe(204);
  });

  it('missing or non-integer chat_id / report_type_id → 400; a bad unit id → 400 by position', async () => {
    expect((await del('unit_ids=1')).json).toEqual(invalid({ chat_id: ['This field is required.'], report_type_id: ['This field is required.'] }));
    expect((await del('chat_id=x&report_type_id=7.5&unit_ids=1')).json).toEqual(
      invalid({ chat_id: ['A valid integer is required.'], report_type_id: ['A valid integer is required.'] }),
    );
    expect((await del(`chat_id=${ALL}&report_type_id=7&unit_ids=1&unit_ids=x`)).json).toEqual(invalid({ unit_ids: { 1: ['A valid integer is required.'] } }));
  });
});

describe('roles', () => {
  it('the GETs: unknown chat → 404 "Chat by chat ID is not found"; chat without a role → 403 "User has no any role"', async () => {
    for (const what of ['units', 'regions', 'report-types']) {
      for (const prefix of ['/roles/users', '/users', '/api/users']) {
        const unknown = await get(`${prefix}/4242/${what}/`);
        expect(unknown.status).toBe(404);
        expect(unknown.text).toBe('{"message":"Chat by chat ID is not found","extra":{}}');
        const roleless = await get(`${prefix}/${NO_ROLE}/${what}`);
        expect(roleless.status).toBe(403);
        expect(roleless.text).toBe('{"message":"User has no any role","extra":{}}');
      }
    }
  });

  it("GET /roles/users/{chat_id}/units/: the role's units, six keys, region by id; region_id filters", async () => {
    const res = await get(`/roles/users/${NORTH}/units/`);
    expect(res.text).toBe(
      '{"units":[' +
        `{"id":1,"name":"Москва 1-1","uuid":"${UUID(1)}","region_id":1,"office_manager_account_name":"om1","dodo_is_api_account_name":"api1"},` +
        `{"id":2,"name":"a/b unit","uuid":"${UUID(2)}","region_id":1,"office_manager_account_name":"","dodo_is_api_account_name":""}` +
        '],"is_end_of_list_reached":true}',
    );
    expect((await get(`/roles/users/${GROUP}/units/?region_id=2`)).json.units.map((u: { id: number }) => u.id)).toEqual([3, 4]);
    expect((await get(`/roles/users/${NORTH}/units/?region_id=2`)).json.units).toEqual([]);
    expect((await get(`/users/${NORTH}/units/?region_id=x`)).json).toEqual(invalid({ region_id: ['A valid integer is required.'] }));
    expect((await get(`/users/${NORTH}/units/`)).text).toBe(res.text);
  });

  it('GET /roles/users/{chat_id}/regions/: the distinct regions of the role\'s units', async () => {
    expect((await get(`/roles/users/${NORTH}/regions/`)).text).toBe('{"regions":[{"id":1,"name":"Москва 1"}],"is_end_of_list_reached":true}');
    expect((await get(`/users/${GROUP}/regions/`)).json.regions).toEqual([
      { id: 1, name: 'Москва 1' },
      { id: 2, name: 'Казань' },
    ]);
  });

  it('GET /roles/users/{chat_id}/report-types/: every type the role grants, inactive ones included', async () => {
    expect((await get(`/roles/users/${NORTH}/report-types/`)).text).toBe(
      '{"report_types":[{"id":7,"name":"CANCELED_ORDERS","verbose_name":"Отмены заказов"}],"is_end_of_list_reached":true}',
    );
    expect((await get(`/users/${GROUP}/report-types/`)).json.report_types.map((t: { name: string }) => t.name)).toEqual([
      'CANCELED_ORDERS',
      'DAILY_REVENUE',
      'OLD_REPORT',
    ]);
  });

  it('PATCH /roles/users/{chat_id}/: 400, then unknown chat 404, then unknown code 404 "Role is not found"', async () => {
    const patch = (id: number, body: unknown) => http.call('PATCH', `/roles/users/${id}/`, { body });
    expect((await patch(4242, { access_code: '' })).json).toEqual(invalid({ access_code: ['This field may not be blank.'] }));
    expect((await patch(4242, { access_code: 'wrong' })).text).toBe('{"message":"Chat by chat ID is not found","extra":{}}');
    const res = await patch(NO_ROLE, { access_code: 'wrong' });
    expect(res.status).toBe(404);
    expect(res.text).toBe('{"message":"Role is not found","extra":{}}');
  });

  it("PATCH: a wrong access code is reported to the operator's log with the caller's address", async () => {
    http.events.length = 0;
    await http.call('PATCH', `/users/${NO_ROLE}/access-code/`, { body: { access_code: 'guess' } });
    expect(http.events).toEqual([{ kind: 'security', event: 'wrong access code', fields: { chat_id: NO_ROLE, source: 'address 127.0.0.1', address: '127.0.0.1' } }]);
  });

  it('PATCH: 204, the chat gets the role, and the routes into it for units the new role does not grant are deleted', async () => {
    await db.sql`delete from report_route where telegram_chat_id = (select id from telegram_chat where chat_id = ${GROUP})`;
    expect((await post('/report-routes/', { report_type_id: 7, chat_id: GROUP, unit_ids: [1, 2, 3, 4] })).status).toBe(201);
    expect((await post('/report-routes/', { report_type_id: 7, chat_id: NORTH, unit_ids: [1] })).status).toBe(201);
    const res = await http.call('PATCH', `/roles/users/${GROUP}/`, { body: { access_code: 'north-code' } });
    expect(res).toMatchObject({ status: 204, text: '' });
    expect((await get(`/report-routes/units/?chat_id=${GROUP}&report_type_id=7`)).json.unit_ids).toEqual([1, 2]);
    expect((await get(`/report-routes/units/?chat_id=${NORTH}&report_type_id=7`)).json.unit_ids).toEqual([1]);
    expect((await get(`/roles/users/${GROUP}/units/`)).json.units.map((u: { id: number }) => u.id)).toEqual([1, 2]);
  });

  it('PATCH: applying the same code again is allowed; the README path /users/{chat_id}/access-code/ does the same', async () => {
    expect((await http.call('PATCH', `/roles/users/${GROUP}`, { body: { access_code: 'north-code' } })).status).toBe(204);
    expect((await http.call('PATCH', `/users/${GROUP}/access-code/`, { body: { access_code: 'all-code' } })).status).toBe(204);
    expect((await get(`/users/${GROUP}/units/`)).json.units).toHaveLength(4);
    expect((await http.call('PATCH', `/api/users/4242/access-code`, { body: { access_code: 'all-code' } })).json).toEqual(err('Chat by chat ID is not found'));
  });

  it('API writes record the actor: via api, the address, the acting chat', async () => {
    await post('/report-routes/', { report_type_id: 17, chat_id: GROUP, unit_ids: [1], user_chat_id: ALL });
    const [row] = await db.sql<{ actor: Record<string, unknown> }[]>`
      select actor from audit_log where entity = 'report_route' and action = 'insert' order by id desc limit 1
    `;
    expect(row!.actor).toEqual({ via: 'api', user: 'api', address: '127.0.0.1', userChatId: ALL });
  });
});
