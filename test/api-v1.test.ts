/**
 * The admin API (/api/v1/, issue 13): ONE table-driven contract run over every resource of the resource table —
 * bulk insert, list, page, search (Cyrillic, any case), ordering, filters, bulk update, positional errors with
 * nothing written, PATCH, PUT with a key change that keeps the links, DELETE with its dependants, OPTIONS, HEAD,
 * the `.json` suffix and `format=json` — plus scopes, the audit log and the old paths' rule.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { createApi } from '../src/http/api';
import { startServer } from '../src/http/server';
import { importBundle } from '../src/handlers/bundle/import';
import { parseTokensFile } from '../src/http/tokens';
import { fieldLabel, RESOURCES } from '../src/http/v1/resources';
import { UUID } from './support/bundles';
import { freshDatabase } from './support/db';
import { client, startServe } from './support/http';

const db = await freshDatabase();
const TOKENS = [
  { name: 'sync-job', secret: 'admin-secret', scopes: ['admin' as const] },
  { name: 'dashboard', secret: 'read-secret', scopes: ['read' as const] },
];
const http = client(db.sql, { tokens: TOKENS });
const HOST = 'urdb.test:8080';
const ORIGIN = `http://${HOST}`;
const CHAT = -1001000000001;
const CHAT2 = -1001000000002;

type Item = Record<string, any>;
const call = (method: string, url: string, body?: unknown, secret = 'admin-secret', headers: Record<string, string> = {}) =>
  http.call(method, `/api/v1/${url}`, { body, headers: { host: HOST, authorization: `Bearer ${secret}`, ...headers } });

beforeAll(async () => {
  await importBundle(db.ctx(), {
    format: 'urdb-bundle/1',
    regions: [{ id: 1, name: 'Москва' }],
    units: [1, 2, 3, 4, 5, 6].map((id) => ({ id, name: `Fixture ${id}`, uuid: UUID(id), region: 'Москва' })),
    telegram_chats: [
      { chat_id: CHAT, type: 'GROUP', title: 'Fixture group' },
      { chat_id: CHAT2, type: 'GROUP', title: 'Routes target' },
    ],
  });
});

/** How to make a dependant of an object (returned: how many rows depend on it). */
const route = (unit: number, type = 'CANCELED_ORDERS', chat = CHAT) =>
  importBundle(db.ctx(), { format: 'urdb-bundle/1', report_routes: [{ report_type: type, chat_id: chat, unit_ids: [unit] }] }).then(() => 1);

interface Case {
  path: string;
  /** Item i (1..3) of the bulk insert. */
  make(i: number): Item;
  key(item: Item): string;
  /** A bulk update: the item changed in a field that is not the key (null: nothing to change, a route). */
  change: ((item: Item) => Item) | null;
  /** Queries answered by exactly these keys of the three items, in order. */
  search: [query: string, keys: string[]];
  order: [query: string, keys: string[]];
  filter: [query: string, keys: string[]];
  /** Item 3 broken: its field and the message. */
  broken: [field: string, value: unknown, message: string];
  patch: Item;
  /** The new key of item 1 in the PUT (fields to set). */
  rekey: Item;
  /** Makes dependants of item 1 (by its new key), returns their count. */
  depend(item: Item): Promise<number>;
}

const k = (...v: unknown[]) => v.join(',');

const CASES: Case[] = [
  {
    path: 'units',
    make: (i) => ({ id: 1000 + i, name: `Пиццерия ${i}`, uuid: UUID(1000 + i), region: 'Тест' }),
    key: (u) => String(u.id),
    change: (u) => ({ ...u, office_manager_account_name: `om${u.id}` }),
    search: ['search=ПИЦЦЕРИЯ 2', ['1002']],
    order: ['region=Тест&ordering=-name', ['1003', '1002', '1001']],
    filter: ['region=Тест', ['1001', '1002', '1003']],
    broken: ['uuid', 'nope', 'Must be a valid UUID.'],
    patch: { dodo_is_api_account_name: 'api-x' },
    rekey: { id: 1101 },
    depend: (u) => route(u.id),
  },
  {
    path: 'regions',
    make: (i) => ({ id: 100 + i, name: `Регион ${i}` }),
    key: (r) => String(r.id),
    change: (r) => ({ ...r, name: `${r.name} (новый)` }),
    search: ['search=регион 3', ['103']],
    order: ['search=РЕГИОН&ordering=-name', ['103', '102', '101']],
    filter: ['name=Регион 2', ['102']],
    broken: ['name', '', 'This field may not be blank.'],
    patch: { name: 'Регион один' },
    rekey: { id: 201 },
    depend: (r) => db.sql`insert into unit (id, name, uuid, region_id) values (77, 'In region', ${UUID(77)}, ${r.id})`.then(() => 1),
  },
  {
    path: 'departments',
    make: (i) => ({ id: 100 + i, name: `Отдел ${i}`, uuid: UUID(2000 + i) }),
    key: (d) => String(d.id),
    change: (d) => ({ ...d, name: `${d.name}!` }),
    search: ['search=отдел 1', ['101']],
    order: ['search=Отдел&ordering=-name', ['103', '102', '101']],
    filter: [`uuid=${UUID(2002)}`, ['102']],
    broken: ['uuid', 'x', 'Must be a valid UUID.'],
    patch: { name: 'Отдел один' },
    rekey: { id: 201 },
    depend: (d) => db.sql`update unit set department_id = ${d.id} where id = 1`.then(() => 1),
  },
  {
    path: 'report-types',
    make: (i) => ({ name: `T_${i}`, verbose_name: `Отчёт ${i}`, is_active: false, priority: i }),
    key: (t) => t.name,
    change: (t) => ({ ...t, verbose_name: `${t.verbose_name}*` }),
    search: ['search=ОТЧЁТ 2', ['T_2']],
    order: ['is_active=false&search=t_&ordering=-priority', ['T_3', 'T_2', 'T_1']],
    filter: ['is_active=false&priority=1', ['T_1']],
    broken: ['priority', -1, 'Ensure this value is greater than or equal to 0.'],
    patch: { is_active: true },
    rekey: { name: 'T_ONE' },
    depend: (t) => route(1, t.name),
  },
  {
    path: 'telegram-chats',
    make: (i) => ({ chat_id: -5000 - i, type: 'GROUP', title: `Группа ${i}`, username: `grp${i}` }),
    key: (c) => String(c.chat_id),
    change: (c) => ({ ...c, title: `${c.title}+` }),
    search: ['search=ГРУППА 3', ['-5003']],
    order: ['search=группа&ordering=-title', ['-5003', '-5002', '-5001']],
    filter: ['username=grp2', ['-5002']],
    broken: ['type', 'CHANNEL', '"CHANNEL" is not a valid choice.'],
    patch: { title: 'Группа один' },
    rekey: { chat_id: -6001 },
    depend: (c) => route(2, 'CANCELED_ORDERS', c.chat_id),
  },
  {
    path: 'roles',
    make: (i) => ({ id: 100 + i, name: `Роль ${i}`, access_code: `long-enough-code-${i}`, units: [1], report_types: ['CANCELED_ORDERS'] }),
    key: (r) => String(r.id),
    change: (r) => ({ ...r, name: `${r.name}.` }),
    search: ['search=роль 2', ['102']],
    order: ['search=Роль&ordering=-name', ['103', '102', '101']],
    filter: ['name=Роль 1', ['101']],
    broken: ['access_code', 'short', 'Ensure this field has at least 10 characters.'],
    patch: { units: [1, 2] },
    rekey: { id: 201 },
    // Its grants (1 unit, 1 report type) and a chat holding it.
    depend: (r) => db.sql`update telegram_chat set role_id = ${r.id} where chat_id = ${CHAT}`.then(() => 3),
  },
  {
    path: 'report-routes',
    make: (i) => ({ report_type: 'DAILY_REVENUE', chat_id: CHAT2, unit_id: i }),
    key: (r) => k(r.report_type, r.chat_id, r.unit_id),
    change: null,
    search: [`chat_id=${CHAT2}&search=daily_REVENUE`, [1, 2, 3].map((u) => k('DAILY_REVENUE', CHAT2, u))],
    order: [`chat_id=${CHAT2}&ordering=-unit_id`, [3, 2, 1].map((u) => k('DAILY_REVENUE', CHAT2, u))],
    filter: [`chat_id=${CHAT2}&unit_id=2`, [k('DAILY_REVENUE', CHAT2, 2)]],
    broken: ['unit_id', 999999, 'unit 999999 does not exist'], // a reference checked against the database
    patch: { report_type: 'WRITE_OFFS' },
    rekey: { unit_id: 4 },
    depend: async () => 0,
  },
  {
    path: 'account-roles',
    make: (i) => ({ id: 100 + i, name: `Аккаунт ${i}` }),
    key: (a) => String(a.id),
    change: (a) => ({ ...a, name: `${a.name}#` }),
    search: ['search=АККАУНТ 1', ['101']],
    order: ['search=аккаунт&ordering=-name', ['103', '102', '101']],
    filter: ['name=Аккаунт 3', ['103']],
    broken: ['name', 'x'.repeat(65), 'Ensure this field has no more than 64 characters.'],
    patch: { name: 'Аккаунт один' },
    rekey: { id: 201 },
    depend: async () => 0,
  },
];

it('the table covers every resource of the API', () => {
  expect(CASES.map((c) => c.path)).toEqual(RESOURCES.map((r) => r.path));
});

describe.each(CASES)('/api/v1/$path/', (c) => {
  const items = [1, 2, 3].map(c.make);
  const keysOf = (res: { json: { results: Item[] } }) => res.json.results.map((o) => decodeURIComponent(o.url.split('/').at(-2)!));
  const urlOf = (item: Item) => `${ORIGIN}/api/v1/${c.path}/${encodeURIComponent(c.key(item))}/`;

  it('bulk insert: 201 {"updated": 0, "inserted": 3}; a single insert answers Location', async () => {
    const res = await call('POST', `${c.path}/`, items.slice(0, 2));
    expect([res.status, res.json]).toEqual([201, { updated: 0, inserted: 2 }]);
    const single = await call('POST', `${c.path}/`, items[2]);
    expect([single.status, single.json, single.headers.location]).toEqual([201, { updated: 0, inserted: 1 }, urlOf(items[2]!)]);
  });

  it('instance GET: the object with its absolute url; unknown key 404 {"detail": "Not found."}', async () => {
    const res = await call('GET', `${c.path}/${encodeURIComponent(c.key(items[0]!))}/`);
    expect(res.status).toBe(200);
    const { access_code: _code, ...shown } = items[0]!;
    expect(res.json).toMatchObject({ url: urlOf(items[0]!), ...shown });
    expect(Object.keys(res.json)[0]).toBe('url');
    expect(res.json).not.toHaveProperty('access_code');
    const missing = await call('GET', `${c.path}/${c.path === 'report-types' ? 'NOPE' : c.path === 'report-routes' ? k('X', 1, 1) : '999999'}/`);
    expect([missing.status, missing.json]).toEqual([404, { detail: 'Not found.' }]);
    expect(missing.headers.allow).toBe('GET, PUT, PATCH, DELETE, HEAD, OPTIONS');
  });

  it('search (case-insensitive, Cyrillic), ordering (stable), filters', async () => {
    for (const [query, keys] of [c.search, c.order, c.filter]) {
      const res = await call('GET', `${c.path}/?${query}`);
      expect({ query, status: res.status, keys: keysOf(res), count: res.json.count }).toEqual({ query, status: 200, keys, count: keys.length });
    }
    const bad = await call('GET', `${c.path}/?ordering=nope`);
    expect(bad.status).toBe(400);
    expect(bad.json.ordering[0]).toContain('Unknown field "nope"');
  });

  it('pages: count, absolute next/previous, page_size at most 1000', async () => {
    const [query] = c.order;
    const first = await call('GET', `${c.path}/?${query}&page_size=2`);
    expect(first.json).toMatchObject({ count: 3, previous: null, next: `${ORIGIN}/api/v1/${c.path}/?page=2&${query}&page_size=2` });
    expect(first.json.results).toHaveLength(2);
    const second = await call('GET', `${c.path}/?page=2&${query}&page_size=2`);
    expect(second.json).toMatchObject({ count: 3, next: null, previous: `${ORIGIN}/api/v1/${c.path}/?${query}&page_size=2` });
    expect(keysOf(second)).toEqual(c.order[1].slice(2));
    expect((await call('GET', `${c.path}/?${query}&page=3&page_size=2`)).json).toEqual({ detail: 'Invalid page.' });
    expect((await call('GET', `${c.path}/?${query}&page_size=5000`)).json.results).toHaveLength(3);
  });

  it('bulk update: 201 {"updated": m, "inserted": 0}', async () => {
    const changed = c.change ? items.map(c.change) : items;
    const res = await call('POST', `${c.path}/`, changed);
    expect([res.status, res.json]).toEqual([201, { updated: c.change ? 3 : 0, inserted: 0 }]);
    if (c.change) {
      const got = await call('GET', `${c.path}/${encodeURIComponent(c.key(changed[1]!))}/`);
      const { access_code: _code, ...shown } = changed[1]!;
      expect(got.json).toMatchObject(shown);
    }
  });

  it('positional errors: [{}, {}, {"field": [...]}] and nothing written; one object: {"field": [...]}', async () => {
    const before = await call('GET', `${c.path}/?page_size=1000`);
    const fresh = [4, 5, 6].map(c.make);
    const [field, value, message] = c.broken;
    const res = await call('POST', `${c.path}/`, [fresh[0], fresh[1], { ...fresh[2], [field]: value }]);
    expect([res.status, res.json]).toEqual([400, [{}, {}, { [field]: [message] }]]);
    const one = await call('POST', `${c.path}/`, { ...fresh[2], [field]: value });
    expect([one.status, one.json]).toEqual([400, { [field]: [message] }]);
    const notObject = await call('POST', `${c.path}/`, [fresh[0], 'x']);
    expect(notObject.json[1].non_field_errors).toEqual(['Invalid data. Expected a dictionary, but got str.']);
    expect((await call('GET', `${c.path}/?page_size=1000`)).json).toEqual(before.json);
  });

  it('PATCH changes the given fields and answers the object', async () => {
    const res = await call('PATCH', `${c.path}/${encodeURIComponent(c.key(items[1]!))}/`, c.patch);
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject(c.patch);
    const again = await call('GET', res.json.url.slice(`${ORIGIN}/api/v1/`.length));
    expect(again.json).toEqual(res.json);
  });

  it('PUT replaces; a changed key keeps every link; DELETE removes the dependants (X-Deleted-Dependants), 204', async () => {
    const old = items[0]!;
    const dependants = await c.depend(old);
    const renamed = { ...old, ...c.rekey };
    const res = await call('PUT', `${c.path}/${encodeURIComponent(c.key(old))}/`, { url: urlOf(old), ...renamed });
    expect(res.status).toBe(200);
    expect(res.json.url).toBe(urlOf(renamed));
    expect((await call('GET', `${c.path}/${encodeURIComponent(c.key(old))}/`)).status).toBe(404);
    const del = await call('DELETE', `${c.path}/${encodeURIComponent(c.key(renamed))}/`);
    expect([del.status, del.text, del.headers['x-deleted-dependants']]).toEqual([204, '', String(dependants)]);
    expect((await call('DELETE', `${c.path}/${encodeURIComponent(c.key(renamed))}/`)).status).toBe(404);
    expect((await call('GET', `${c.path}/${encodeURIComponent(c.key(renamed))}/`)).status).toBe(404);
  });

  it('OPTIONS: the seed document\'s metadata from the zod schemas; Allow on every answer', async () => {
    const res = await call('OPTIONS', `${c.path}/`);
    expect(res.headers.allow).toBe('GET, POST, HEAD, OPTIONS');
    expect(res.json).toMatchObject({ renders: ['application/json'], parses: ['application/json'] });
    const post = res.json.actions.POST;
    expect(post.url).toEqual({ type: 'field', required: false, read_only: true, label: 'url' });
    const resource = RESOURCES.find((r) => r.path === c.path)!;
    for (const field of Object.keys(items[0]!)) expect(post[field]).toMatchObject({ read_only: false, label: fieldLabel(resource, field) });
    const required = Object.keys(post).filter((f) => post[f].required);
    expect(required.length).toBeGreaterThan(0);
    const inst = await call('OPTIONS', `${c.path}/${encodeURIComponent(c.key(items[1]!))}/`);
    expect(Object.keys(inst.json.actions)).toEqual(['PUT']);
    expect(inst.json.name).toMatch(/ Instance$/);
  });

  it('HEAD answers GET\'s headers without a body; .json suffix and ?format=json; other formats 404/406', async () => {
    const get = await call('GET', `${c.path}/?${c.order[0]}`);
    const head = await call('HEAD', `${c.path}/?${c.order[0]}`);
    expect([head.status, head.text, head.headers['content-length']]).toEqual([200, '', get.headers['content-length']]);
    for (const url of [`${c.path}.json?${c.order[0]}`, `${c.path}/.json/?${c.order[0]}`, `${c.path}/?format=json&${c.order[0]}`]) {
      expect({ url, body: (await call('GET', url)).json }).toEqual({ url, body: get.json });
    }
    const one = `${c.path}/${encodeURIComponent(c.key(items[2]!))}`;
    expect((await call('GET', `${one}.json`)).status).toBe(200);
    expect((await call('GET', `${one}/.json`)).status).toBe(200);
    expect((await call('GET', `${c.path}/?format=xml`)).status).toBe(404);
    expect((await call('GET', `${c.path}.api`)).status).toBe(404);
    expect((await call('GET', `${c.path}/`, undefined, 'admin-secret', { accept: 'text/html' })).status).toBe(406);
  });

  it('scopes: no token 401, read token reads but may not write (403), admin writes', async () => {
    const anon = await http.call('GET', `/api/v1/${c.path}/`, { headers: { host: HOST } });
    expect([anon.status, anon.json]).toEqual([401, { detail: 'Authentication credentials were not provided.' }]);
    expect((await call('GET', `${c.path}/`, undefined, 'read-secret')).status).toBe(200);
    expect((await call('OPTIONS', `${c.path}/`, undefined, 'read-secret')).status).toBe(200);
    for (const [method, url] of [['POST', `${c.path}/`], ['DELETE', `${c.path}/${encodeURIComponent(c.key(items[2]!))}/`]] as const) {
      const res = await call(method, url, method === 'POST' ? items[2] : undefined, 'read-secret');
      expect([res.status, res.json]).toEqual([403, { detail: 'You do not have permission to perform this action.' }]);
    }
    expect((await call('GET', `${c.path}/${encodeURIComponent(c.key(items[2]!))}/`)).status).toBe(200);
  });
});

describe('access', () => {
  it('every write is audited with the token\'s name', async () => {
    await call('POST', 'regions/', { id: 900, name: 'Audited' });
    const [row] = await db.sql`select actor from audit_log where entity = 'region' and key->>'id' = '900'`;
    expect(row!.actor).toMatchObject({ via: 'api', token: 'sync-job' });
  });

  it('scoped tokens are for /api/v1/ only: the old paths stay open beside them; an unscoped token is not a v1 token', async () => {
    expect((await http.call('GET', '/units/')).status).toBe(200);
    expect((await http.call('GET', '/units/', { headers: { authorization: 'Bearer admin-secret' } })).status).toBe(200);
    const mixed = client(db.sql, { token: 'old-secret', tokens: TOKENS });
    expect((await mixed.call('GET', '/units/', { headers: { authorization: 'Bearer admin-secret' } })).status).toBe(401);
    expect((await mixed.call('GET', '/units/', { headers: { authorization: 'Bearer old-secret' } })).status).toBe(200);
    expect((await mixed.call('GET', '/api/v1/units/', { headers: { authorization: 'Bearer old-secret' } })).status).toBe(401);
    const open = client(db.sql);
    expect((await open.call('GET', '/api/v1/units/')).status).toBe(401);
  });

  it('a reload of the tokens (SIGHUP: api.setTokens) changes who may use v1 from the next request', async () => {
    const reloaded = client(db.sql, { tokens: TOKENS });
    const get = (secret: string) => reloaded.call('GET', '/api/v1/regions/', { headers: { authorization: `Bearer ${secret}` } });
    expect((await get('admin-secret')).status).toBe(200);
    reloaded.api.setTokens([{ name: 'board', secret: 'new-read-secret', scopes: ['read'] }]);
    expect([(await get('admin-secret')).status, (await get('new-read-secret')).status]).toEqual([401, 200]);
    expect((await reloaded.call('DELETE', '/api/v1/regions/1/', { headers: { authorization: 'Bearer new-read-secret' } })).status).toBe(403);
  });

  it('the tokens file takes a third column of scopes', () => {
    expect(parseTokensFile('bot s1\nsync s2 admin\nboard s3 read\nboth s4 read,admin\n', 'f')).toEqual([
      { name: 'bot', secret: 's1' },
      { name: 'sync', secret: 's2', scopes: ['admin'] },
      { name: 'board', secret: 's3', scopes: ['read'] },
      { name: 'both', secret: 's4', scopes: ['read', 'admin'] },
    ]);
    expect(() => parseTokensFile('x s1 read,amdin\n', 'f')).toThrow('f, line 1: unknown scope "amdin" (the scopes are read, admin)');
    // A single word that is not a scope stays part of a secret with spaces, as before scopes.
    expect(parseTokensFile('x s1 amdin\n', 'f')).toEqual([{ name: 'x', secret: 's1 amdin' }]);
  });

  it('/openapi.json covers v1 when the server has a scoped token', async () => {
    const doc = (await http.call('GET', '/openapi.json')).json;
    for (const r of RESOURCES) {
      expect(Object.keys(doc.paths[`/api/v1/${r.path}/`])).toEqual(['servers', 'get', 'post']);
      expect(Object.keys(doc.paths[`/api/v1/${r.path}/{key}/`])).toEqual(['servers', 'get', 'put', 'patch', 'delete']);
    }
    expect(Object.keys((await client(db.sql).call('GET', '/openapi.json')).json.paths).some((p) => p.startsWith('/api/v1/'))).toBe(false);
  });
});

describe('paths, methods and bodies', () => {
  it('the API root lists every collection; an unknown path is 404 {"detail"}, a wrong method 405 with Allow', async () => {
    const root = await call('GET', '');
    expect(root.json).toEqual(Object.fromEntries(RESOURCES.map((r) => [r.path, `${ORIGIN}/api/v1/${r.path}/`])));
    expect((await call('GET', 'nothing/')).json).toEqual({ detail: 'Not found.' });
    const wrong = await call('POST', 'units/1/', {});
    expect([wrong.status, wrong.json, wrong.headers.allow]).toEqual([405, { detail: 'Method "POST" not allowed.' }, 'GET, PUT, PATCH, DELETE, HEAD, OPTIONS']);
  });

  it('PUT: a list is not an object; a new key that another object holds is a field error, nothing changes', async () => {
    await call('POST', 'account-roles/', [{ id: 51, name: 'A' }, { id: 52, name: 'B' }]);
    const list = await call('PUT', 'account-roles/51/', [{ id: 51, name: 'A' }]);
    expect([list.status, list.json]).toEqual([400, { non_field_errors: ['Invalid data. Expected a dictionary, but got list.'] }]);
    const clash = await call('PUT', 'account-roles/51/', { id: 52, name: 'C' });
    expect([clash.status, clash.json]).toEqual([400, { id: ['An account role with this id already exists.'] }]);
    expect((await call('GET', 'account-roles/?search=&ordering=id&page_size=1000')).json.results.filter((r: Item) => r.id > 50 && r.id < 60)).toEqual([
      { url: `${ORIGIN}/api/v1/account-roles/51/`, id: 51, name: 'A' },
      { url: `${ORIGIN}/api/v1/account-roles/52/`, id: 52, name: 'B' },
    ]);
  });

  it('a role keeps its access code when a PUT omits it; the code is stored as its digest only', async () => {
    await call('POST', 'roles/', { id: 61, name: 'Keeps', access_code: 'a-long-secret-code', units: [], report_types: [] });
    const [before] = await db.sql`select access_code_sha256 from role where id = 61`;
    expect(before!.access_code_sha256).not.toContain('a-long-secret-code');
    expect((await call('PUT', 'roles/61/', { name: 'Kept', units: [1], report_types: [] })).status).toBe(200);
    const [after] = await db.sql`select access_code_sha256 from role where id = 61`;
    expect(after).toEqual(before);
    const fresh = await call('POST', 'roles/', { id: 62, name: 'New', units: [], report_types: [] });
    expect([fresh.status, fresh.json]).toEqual([400, { access_code: ['This field is required.'] }]);
  });

  it('a bulk POST that makes report types each other\'s parents is refused at their positions, nothing written', async () => {
    const before = await db.count('report_type');
    const res = await call('POST', 'report-types/', [
      { name: 'LOOP_1', verbose_name: 'l1', parent: 'LOOP_2' },
      { name: 'LOOP_2', verbose_name: 'l2', parent: 'LOOP_1' },
    ]);
    expect([res.status, res.json]).toEqual([
      400,
      [{ parent: ['LOOP_1 would be its own ancestor (a cycle of parents)'] }, { parent: ['LOOP_2 would be its own ancestor (a cycle of parents)'] }],
    ]);
    expect(await db.count('report_type')).toBe(before);
  });

  it('a common access code is refused like the CLI refuses it, long as it is, and nothing is written', async () => {
    const before = await db.count('role');
    const common = await call('POST', 'roles/', [{ id: 63, name: 'Common', access_code: 'Password123', units: [], report_types: [] }]);
    expect([common.status, common.json]).toEqual([
      400,
      [{ access_code: ['This access code is too common: choose a random one (openssl rand -base64 12).'] }],
    ]);
    expect(await db.count('role')).toBe(before);
  });
});

describe('over a real port', () => {
  it('a bulk POST with an admin token may exceed 1 MiB (up to 64 MiB); a read token, the old paths: 413', async () => {
    const server = await startServer({ api: createApi({ sql: db.sql, tokens: TOKENS }), host: '127.0.0.1', port: 0 });
    try {
      const base = `http://127.0.0.1:${server.address.port}`;
      const regions = Array.from({ length: 30_000 }, (_, i) => ({ id: 10_000 + i, name: `Большой регион номер ${i} ${'x'.repeat(20)}` }));
      const body = JSON.stringify(regions);
      expect(Buffer.byteLength(body)).toBeGreaterThan(2 * 1024 * 1024);
      const post = (url: string, secret: string) =>
        fetch(base + url, { method: 'POST', body, headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' } });
      const admin = await post('/api/v1/regions/', 'admin-secret');
      expect([admin.status, await admin.json()]).toEqual([201, { updated: 0, inserted: 30_000 }]);
      expect((await post('/api/v1/regions/', 'read-secret')).status).toBe(413);
      expect((await post('/report-routes/', 'admin-secret')).status).toBe(413);
      const limit = (method: string, url: string, secret: string) => http.api.bodyLimitFor(method, url, { authorization: `Bearer ${secret}` });
      expect(limit('POST', '/api/v1/units/', 'admin-secret')).toBe(64 * 1024 * 1024);
      expect([limit('PUT', '/api/v1/units/1/', 'admin-secret'), limit('POST', '/api/v1/units/', 'read-secret')]).toEqual([1024 * 1024, 1024 * 1024]);
    } finally {
      await server.close();
    }
  });

  it('urdb serve warns beyond loopback while the old paths are open, though scoped tokens protect /api/v1/', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'urdb-v1-'));
    try {
      const file = path.join(dir, 'tokens');
      fs.writeFileSync(file, 'sync s3cret-admin admin\n', { mode: 0o600 });
      const serve = await startServe(['--host', '0.0.0.0', '--tokens-file', file], { DATABASE_URL: db.url });
      await serve.stop();
      expect(serve.stderr()).toContain('urdb: warning: listening on 0.0.0.0 without a token');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
