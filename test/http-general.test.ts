/**
 * http-api.md §1 and §1.1: the rules every endpoint follows, through `handle()` without a socket.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { Sql } from '../src/db/client';
import { importBundle } from '../src/handlers/bundle/import';
import { apiTokens, parseTokensFile } from '../src/http/tokens';
import { UUID } from './support/bundles';
import { freshDatabase } from './support/db';
import { client, err, invalid, JSON_TYPE } from './support/http';

const db = await freshDatabase();
const http = client(db.sql);
const GROUP = -1001234567890;

beforeAll(async () => {
  await importBundle(db.ctx(), {
    format: 'urdb-bundle/1',
    regions: [
      { id: 2, name: 'Казань' },
      { id: 1, name: 'Москва 1' },
    ],
    units: [301, 101, 201].map((id) => ({ id, name: `Unit ${id}`, uuid: UUID(id), region: id === 201 ? 'Казань' : 'Москва 1' })),
    roles: [{ id: 1, name: 'Managers', access_code: 'open sesame', units: [101], report_types: ['CANCELED_ORDERS'] }],
    telegram_chats: [
      { chat_id: GROUP, type: 'GROUP', title: 'Ops', role_id: 1 },
      { chat_id: 42, type: 'PRIVATE', title: 'Eldos', username: 'eldos' },
    ],
  });
});

/** One GET path of every endpoint that has one, answering 200 with this fixture. */
const GET_PATHS = [
  'units/',
  'units/name/Unit%20101/',
  'units/regions/',
  'telegram-chats/',
  'telegram-chats/chat-types/',
  `telegram-chats/${GROUP}/`,
  'report-types/',
  'report-types/statistics/',
  'report-types/names/CANCELED_ORDERS/',
  `report-routes/units/?chat_id=${GROUP}&report_type_id=7`,
  'report-routes/telegram-chats/?unit_id=101&report_type_id=7',
  `roles/users/${GROUP}/units/`,
  `roles/users/${GROUP}/regions/`,
  `roles/users/${GROUP}/report-types/`,
];

function withoutSlash(path: string) {
  const [p, q] = path.split('?');
  return p!.replace(/\/$/, '') + (q ? `?${q}` : '');
}

describe('§1 mounting and trailing slash', () => {
  it.each(GET_PATHS)('GET /%s answers the same at the root and under /api/, with and without the trailing slash', async (path) => {
    const canonical = await http.call('GET', `/${path}`);
    expect(canonical.status).toBe(200);
    for (const variant of [`/api/${path}`, `/${withoutSlash(path)}`, `/api/${withoutSlash(path)}`]) {
      const other = await http.call('GET', variant);
      expect({ variant, status: other.status, text: other.text }).toEqual({ variant, status: 200, text: canonical.text });
    }
  });

  it('a POST without the trailing slash is served, not redirected (a redirected POST loses its body)', async () => {
    const res = await http.call('POST', '/api/telegram-chats', { body: { chat_id: 7001, type: 'PRIVATE', title: 'no slash' } });
    expect(res.status).toBe(201);
    expect((await http.call('GET', '/telegram-chats/7001')).json).toMatchObject({ title: 'no slash' });
  });

  it('paths are case-sensitive and /api alone is no endpoint', async () => {
    expect((await http.call('GET', '/Units/')).json).toEqual(err('Not found.'));
    expect((await http.call('GET', '/api')).status).toBe(404);
    expect((await http.call('GET', '/api/api/units/')).status).toBe(404);
    expect((await http.call('GET', '//units/')).status).toBe(404);
  });
});

describe('§1 path ids', () => {
  it('are signed 64-bit integers: a negative Telegram group id names its chat', async () => {
    expect((await http.call('GET', `/telegram-chats/${GROUP}/`)).json).toEqual({ chat_id: GROUP, username: null, title: 'Ops', type: 'Group' });
  });

  it.each(['abc', '1.0', '+42', '0x2a', '4 2', '42abc', '%34%32x'])('a segment that is not an integer (%s) is a 404 "Not found."', async (seg) => {
    const res = await http.call('GET', `/telegram-chats/${seg}/`);
    expect(res.status).toBe(404);
    expect(res.text).toBe('{"message":"Not found.","extra":{}}');
    expect((await http.call('PATCH', `/roles/users/${seg}/`, { body: { access_code: 'x' } })).json).toEqual(err('Not found.'));
  });

  it("an integer beyond 2^53 cannot name a stored chat: the endpoint's own 404, after body validation", async () => {
    const huge = '-9223372036854775808';
    expect((await http.call('GET', `/telegram-chats/${huge}/`)).json).toEqual(err('Chat by chat ID is not found'));
    expect((await http.call('GET', `/roles/users/${huge}/units/`)).json).toEqual(err('Chat by chat ID is not found'));
    expect((await http.call('GET', `/users/9007199254740992/regions/`)).json).toEqual(err('Chat by chat ID is not found'));
    expect((await http.call('PUT', `/telegram-chats/${huge}/`, { body: { title: 'x' } })).json).toEqual(err('Chat by chat ID is not found'));
    const bad = await http.call('PUT', `/telegram-chats/${huge}/`, { body: { title: '' } });
    expect(bad.json).toEqual(invalid({ title: ['This field may not be blank.'] }));
    expect((await http.call('PATCH', `/roles/users/${huge}/`, { body: {} })).json).toEqual(invalid({ access_code: ['This field is required.'] }));
    expect((await http.call('GET', `/roles/users/${huge}/units/?limit=0`)).status).toBe(400);
  });

  it('the largest exactly representable ids are ordinary ids', async () => {
    for (const id of ['9007199254740991', '-9007199254740991']) {
      expect((await http.call('GET', `/telegram-chats/${id}/`)).json).toEqual(err('Chat by chat ID is not found'));
    }
  });
});

describe('§1 JSON everywhere', () => {
  it('every answer with a body is application/json; charset=utf-8 with its byte length, errors included', async () => {
    const answers = [
      await http.call('GET', '/units/'),
      await http.call('GET', '/units/regions/?limit=x'),
      await http.call('GET', '/nowhere'),
      await http.call('DELETE', '/units/'),
      await http.call('OPTIONS', '/units/'),
      await http.call('GET', '/units/name/%D0%9D%D0%B5%D1%82/'),
    ];
    expect(answers.map((a) => a.status)).toEqual([200, 400, 404, 405, 200, 404]);
    for (const a of answers) {
      expect(a.headers['content-type']).toBe(JSON_TYPE);
      expect(a.headers['content-length']).toBe(String(Buffer.byteLength(a.text)));
    }
  });

  it('201 and 204 answers have an empty body and no content type', async () => {
    const created = await http.call('POST', '/telegram-chats/', { body: { chat_id: 7002, type: 'GROUP', title: 'x' } });
    expect(created).toMatchObject({ status: 201, text: '' });
    expect(created.headers['content-type']).toBeUndefined();
    const updated = await http.call('PUT', '/telegram-chats/7002/', { body: { title: 'y' } });
    expect(updated).toMatchObject({ status: 204, text: '' });
    expect(updated.headers['content-type']).toBeUndefined();
  });

  it('non-ASCII text is sent as UTF-8, not escaped', async () => {
    const res = await http.call('GET', '/units/regions/');
    expect(res.text).toContain('"Казань"');
  });

  it('a body that does not parse is 400 "JSON parse error - <detail>"', async () => {
    const res = await http.call('POST', '/telegram-chats/', { body: '{"chat_id": 1,' });
    expect(res.status).toBe(400);
    expect(res.json.extra).toEqual({});
    expect(res.json.message).toMatch(/^JSON parse error - \S/);
    expect(res.headers['content-type']).toBe(JSON_TYPE);
    const latin1 = await http.call('POST', '/telegram-chats/', { body: Buffer.from([0x7b, 0x22, 0xe9, 0x22, 0x7d]) });
    expect(latin1.json).toEqual(err('JSON parse error - the body is not valid UTF-8'));
  });

  it('an empty body counts as {}', async () => {
    const res = await http.call('POST', '/telegram-chats/', { body: '' });
    expect(res.json).toEqual(
      invalid({ chat_id: ['This field is required.'], type: ['This field is required.'], title: ['This field is required.'] }),
    );
    expect((await http.call('PATCH', '/roles/users/42/')).json).toEqual(invalid({ access_code: ['This field is required.'] }));
  });

  it('a body over 1 MiB is 413', async () => {
    const big = JSON.stringify({ chat_id: 1, type: 'GROUP', title: 'x'.repeat(1024 * 1024) });
    const res = await http.call('POST', '/telegram-chats/', { body: big });
    expect(res.status).toBe(413);
    expect(res.json).toEqual(err('Request body exceeds 1 MiB'));
    const justUnder = JSON.stringify({ title: 'x'.repeat(1024 * 1024 - 20) });
    expect(Buffer.byteLength(justUnder)).toBeLessThanOrEqual(1024 * 1024);
    expect((await http.call('PUT', '/telegram-chats/42/', { body: justUnder })).json).toEqual(
      invalid({ title: ['Ensure this field has no more than 255 characters.'] }),
    );
  });
});

describe('§1 no ORDER-less lists', () => {
  it('units and regions by id ascending, whatever the insertion order', async () => {
    expect((await http.call('GET', '/units/')).json.units.map((u: { id: number }) => u.id)).toEqual([101, 201, 301]);
    expect((await http.call('GET', '/units/regions/')).json.regions).toEqual([
      { id: 1, name: 'Москва 1' },
      { id: 2, name: 'Казань' },
    ]);
  });

  it('report types by priority descending, then id', async () => {
    await db.sql`update report_type set priority = 5 where name = 'WRITE_OFFS'`;
    await db.sql`update report_type set priority = 1 where name in ('CANCELED_ORDERS', 'STREET_STOP_SALES')`;
    try {
      const names = (await http.call('GET', '/report-types/?limit=4')).json.report_types.map((t: { name: string }) => t.name);
      expect(names).toEqual(['WRITE_OFFS', 'STREET_STOP_SALES', 'CANCELED_ORDERS', 'STATISTICS']);
    } finally {
      await db.sql`update report_type set priority = 0`;
    }
  });
});

describe('§1 auth (opt-in bearer token)', () => {
  const secured = client(db.sql, { token: 's3cret token' });
  const NOT_PROVIDED = '{"message":"Authentication credentials were not provided.","extra":{}}';

  it('without a token configured, callers send no credentials', async () => {
    expect((await http.call('GET', '/units/')).status).toBe(200);
  });

  it.each([
    ['no header', {}],
    ['a wrong token', { authorization: 'Bearer nope' }],
    ['another scheme', { authorization: 'Token s3cret token' }],
    ['an empty bearer', { authorization: 'Bearer ' }],
  ])('with a token configured, a request with %s is 401 "Authentication credentials were not provided."', async (_, headers) => {
    for (const [method, path] of [['GET', '/units/'], ['POST', '/report-routes/'], ['OPTIONS', '/units/'], ['GET', '/openapi.json'], ['GET', '/nowhere']]) {
      const res = await secured.call(method!, path!, { headers });
      expect(res.status).toBe(401);
      expect(res.text).toBe(NOT_PROVIDED);
      expect(res.headers['www-authenticate']).toBe('Bearer');
    }
  });

  it('the right token passes (scheme case-insensitive)', async () => {
    expect((await secured.call('GET', '/units/', { headers: { authorization: 'Bearer s3cret token' } })).status).toBe(200);
    expect((await secured.call('GET', '/units/', { headers: { authorization: 'bearer s3cret token' } })).status).toBe(200);
  });

  it('the health probes need no token', async () => {
    expect((await secured.call('GET', '/healthz')).json).toEqual({ status: 'ok' });
    expect((await secured.call('GET', '/readyz')).json).toEqual({ status: 'ok' });
    expect((await secured.call('HEAD', '/api/healthz/')).status).toBe(200);
  });
});

describe('§1 auth: one named token per caller', () => {
  const tokens = [
    { name: 'bot', secret: 'bot-secret-0123456789' },
    { name: 'router', secret: 'router-secret-0123456789' },
  ];
  const named = client(db.sql, { tokens, token: 'the default one' });

  it('each token passes, any other is 401; --token is the token named "default"', async () => {
    for (const secret of ['bot-secret-0123456789', 'router-secret-0123456789', 'the default one']) {
      expect((await named.call('GET', '/units/', { headers: { authorization: `Bearer ${secret}` } })).status).toBe(200);
    }
    for (const secret of ['bot-secret-012345678', 'bot-secret-0123456789x', 'bot', 'router-secret-0123456789 bot-secret-0123456789']) {
      expect((await named.call('GET', '/units/', { headers: { authorization: `Bearer ${secret}` } })).status).toBe(401);
    }
  });

  it("the audit log records the name of the token a change came with, never its secret", async () => {
    const before = Number((await db.sql`select coalesce(max(id), 0) as id from audit_log`)[0]!.id);
    const res = await named.call('POST', '/telegram-chats/', {
      headers: { authorization: 'Bearer router-secret-0123456789' },
      body: { chat_id: 777001, type: 'PRIVATE', title: 'Token test' },
    });
    expect(res.status).toBe(201);
    const rows = await db.sql<{ actor: Record<string, unknown> }[]>`select actor from audit_log where id > ${before}`;
    expect(rows.length).toBeGreaterThan(0);
    for (const r of rows) {
      expect(r.actor).toMatchObject({ via: 'api', user: 'api', token: 'router', address: '127.0.0.1' });
      expect(JSON.stringify(r.actor)).not.toContain('secret');
    }
    await db.sql`delete from telegram_chat where chat_id = 777001`;
  });
});

describe('tokens file', () => {
  it('reads "name secret" lines (the secret is the rest of the line), skipping blanks and comments', () => {
    expect(parseTokensFile('# callers\nbot   s3cret with spaces  \r\n\nrouter\tr0uter\n', 'tokens')).toEqual([
      { name: 'bot', secret: 's3cret with spaces' },
      { name: 'router', secret: 'r0uter' },
    ]);
  });

  it.each([
    ['bot\n', 'tokens, line 1: expected "name secret"'],
    ['bot a\nbot b\n', 'tokens, line 2: the name "bot" is used twice'],
    ['bot a\nrouter a\n', 'tokens, line 2: this secret is also the secret of another token'],
    ['b/t a\n', 'tokens, line 1: the name "b/t" is not a plain name (letters, digits, _ . -; up to 64)'],
    ['# nothing\n\n', 'tokens holds no token ("name secret" lines)'],
  ])('refuses %j: %s', (text, message) => {
    expect(() => parseTokensFile(text, 'tokens')).toThrow(message);
  });

  it('--token is the token named "default"; a named token may not repeat its name or secret', () => {
    expect(apiTokens('s', [{ name: 'bot', secret: 'b' }])).toEqual([{ name: 'default', secret: 's' }, { name: 'bot', secret: 'b' }]);
    expect(apiTokens(null)).toEqual([]);
    const repeated = 'the token "bot" repeats the name or the secret of another token (--token, URDB_API_TOKEN)';
    expect(() => apiTokens('s', [{ name: 'bot', secret: 's' }])).toThrow(repeated);
    expect(() => apiTokens(null, [{ name: 'bot', secret: 'a' }, { name: 'bot', secret: 'b' }])).toThrow(repeated);
  });
});

describe('§1 methods', () => {
  it('HEAD is accepted wherever GET is: same status and headers, no body', async () => {
    for (const path of ['/units/', '/telegram-chats/42/', '/telegram-chats/5/', '/units/?limit=0']) {
      const get = await http.call('GET', path);
      const head = await http.call('HEAD', path);
      expect(head.status).toBe(get.status);
      expect(head.headers).toEqual(get.headers);
      expect(head.text).toBe('');
    }
  });

  it('HEAD where there is no GET is a 405', async () => {
    const res = await http.call('HEAD', '/report-routes/');
    expect(res.status).toBe(405);
    expect(res.headers.allow).toBe('POST, DELETE, OPTIONS');
  });

  it('OPTIONS answers 200 with Allow and the fields each method accepts, from the handlers\' schemas', async () => {
    const res = await http.call('OPTIONS', '/telegram-chats/');
    expect(res.status).toBe(200);
    expect(res.headers.allow).toBe('GET, POST, HEAD, OPTIONS');
    expect(res.json.actions.GET).toEqual({
      limit: { type: 'integer', required: false, in: 'query', min_value: 1, max_value: 100, default: 100 },
      offset: { type: 'integer', required: false, in: 'query', min_value: 0, max_value: 2147483647, default: 0 },
    });
    expect(res.json.actions.POST).toEqual({
      chat_id: { type: 'integer', required: true, in: 'body', min_value: -9007199254740991, max_value: 9007199254740991 },
      type: {
        type: 'choice',
        required: true,
        in: 'body',
        choices: [
          { value: 'PRIVATE', display_name: 'PRIVATE' },
          { value: 'GROUP', display_name: 'GROUP' },
        ],
      },
      title: { type: 'string', required: true, in: 'body', min_length: 1, max_length: 255 },
      username: { type: 'string', required: false, in: 'body', allow_null: true, max_length: 255 },
    });
  });

  it('OPTIONS describes path ids, repeated keys and aliases', async () => {
    const chat = await http.call('OPTIONS', `/api/telegram-chats/${GROUP}`);
    expect(chat.headers.allow).toBe('GET, PUT, HEAD, OPTIONS');
    expect(chat.json.actions.PUT.chat_id).toMatchObject({ type: 'integer', required: true, in: 'path' });
    expect(Object.keys(chat.json.actions.PUT)).toEqual(['chat_id', 'title', 'username']);
    const del = await http.call('OPTIONS', '/report-routes/');
    expect(del.json.actions.DELETE.unit_ids).toMatchObject({ type: 'list', required: false, in: 'query', repeated: true });
    expect(del.json.actions.POST.unit_ids).toMatchObject({ type: 'list', required: true, allow_empty: false, child: { type: 'integer' } });
    const units = await http.call('OPTIONS', '/units');
    expect(units.json.actions.GET.skip).toMatchObject({ type: 'integer', alias_of: 'offset' });
  });

  it('a known path with another method is 405 with Allow and the exact message', async () => {
    const res = await http.call('PATCH', '/units/');
    expect(res.status).toBe(405);
    expect(res.text).toBe('{"message":"Method \\"PATCH\\" not allowed.","extra":{}}');
    expect(res.headers.allow).toBe('GET, HEAD, OPTIONS');
    expect((await http.call('DELETE', `/roles/users/${GROUP}/`)).headers.allow).toBe('PATCH, OPTIONS');
    expect((await http.call('GET', `/users/${GROUP}/access-code/`)).json).toEqual(err('Method "GET" not allowed.'));
  });
});

describe('§1 unknown paths and failures', () => {
  it('an unknown path is 404 {"message":"Not found.","extra":{}}, whatever the method', async () => {
    for (const method of ['GET', 'POST', 'OPTIONS', 'DELETE']) {
      const res = await http.call(method, '/units/everything/');
      expect(res.status).toBe(404);
      expect(res.text).toBe('{"message":"Not found.","extra":{}}');
    }
  });

  it('an unexpected failure is 500 "Internal server error": no stack, no SQL; it is reported to the operator', async () => {
    const failing = (() => {
      throw new Error('relation "unit" does not exist at select u.id from unit');
    }) as unknown as Sql;
    const broken = client(failing);
    const res = await broken.call('GET', '/units/');
    expect(res.status).toBe(500);
    expect(res.text).toBe('{"message":"Internal server error","extra":{}}');
    expect(broken.events).toMatchObject([{ kind: 'internal-error', method: 'GET', path: '/units/' }]);
  });

  it('an unreachable database is 503 "Database unavailable" on data routes and /readyz, and the server recovers when it returns', async () => {
    let down = true;
    const flaky = ((...args: unknown[]) => {
      // What node's net module throws for a refused connection (errno, syscall and address included).
      if (down) {
        throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), {
          code: 'ECONNREFUSED', errno: -111, syscall: 'connect', address: '127.0.0.1', port: 5432,
        });
      }
      return (db.sql as unknown as (...a: unknown[]) => unknown)(...args);
    }) as unknown as Sql;
    const api = client(flaky);
    for (const path of ['/units/', '/readyz', '/report-routes/telegram-chats/?unit_id=101&report_type_id=7']) {
      const res = await api.call('GET', path);
      expect(res.status).toBe(503);
      expect(res.text).toBe('{"message":"Database unavailable","extra":{}}');
    }
    expect((await api.call('GET', '/healthz')).status).toBe(200);
    down = false;
    expect((await api.call('GET', '/units/')).status).toBe(200);
    expect((await api.call('GET', '/readyz')).status).toBe(200);
    expect(api.events.map((e) => e.kind)).toEqual(['database-down', 'database-up']);
  });
});

describe('§1.1 error envelope', () => {
  it('validation errors: one key per offending field, in declared order, each a list of texts', async () => {
    const res = await http.call('POST', '/report-routes/', { body: { user_chat_id: 'me', unit_ids: 5, chat_id: null } });
    expect(res.status).toBe(400);
    expect(Object.keys(res.json.extra.fields)).toEqual(['report_type_id', 'chat_id', 'unit_ids', 'user_chat_id']);
    expect(res.json).toEqual(
      invalid({
        report_type_id: ['This field is required.'],
        chat_id: ['This field may not be null.'],
        unit_ids: ['Expected a list of items but got type "int".'],
        user_chat_id: ['A valid integer is required.'],
      }),
    );
  });

  it.each([
    ['[1, 2]', 'list'],
    ['"text"', 'str'],
    ['5', 'int'],
    ['true', 'bool'],
    ['null', 'NoneType'],
  ])('a body that is not a JSON object (%s): non_field_errors "Invalid data. Expected a dictionary, but got %s."', async (body, type) => {
    const res = await http.call('POST', '/telegram-chats/', { body });
    expect(res.json).toEqual(invalid({ non_field_errors: [`Invalid data. Expected a dictionary, but got ${type}.`] }));
    expect((await http.call('PUT', '/telegram-chats/42/', { body })).json).toEqual(res.json);
  });

  it('errors inside a list field are positional', async () => {
    const res = await http.call('POST', '/report-routes/', { body: { report_type_id: 7, chat_id: 42, unit_ids: [1, 'x', 2, 3.5] } });
    expect(res.json).toEqual(invalid({ unit_ids: { 1: ['A valid integer is required.'], 3: ['A valid integer is required.'] } }));
  });

  it('uses the original framework\'s texts', async () => {
    const cases: [string, string, unknown, Record<string, unknown>][] = [
      ['POST', '/telegram-chats/', { chat_id: 1, type: 'GROUP', title: '   ' }, { title: ['This field may not be blank.'] }],
      ['POST', '/telegram-chats/', { chat_id: 1, type: 'group', title: 't' }, { type: ['"group" is not a valid choice.'] }],
      ['POST', '/telegram-chats/', { chat_id: 1, type: true, title: 't' }, { type: ['"True" is not a valid choice.'] }],
      ['POST', '/telegram-chats/', { chat_id: 1, type: 'GROUP', title: 'x'.repeat(256) }, { title: ['Ensure this field has no more than 255 characters.'] }],
      ['POST', '/telegram-chats/', { chat_id: 2 ** 63, type: 'GROUP', title: 't' }, { chat_id: ['Ensure this value is less than or equal to 9007199254740991.'] }],
      ['POST', '/telegram-chats/', { chat_id: -(2 ** 60), type: 'GROUP', title: 't' }, { chat_id: ['Ensure this value is greater than or equal to -9007199254740991.'] }],
      ['POST', '/report-routes/', { report_type_id: 7, chat_id: 42, unit_ids: [] }, { unit_ids: ['This list may not be empty.'] }],
      ['PATCH', '/roles/users/42/', { access_code: 'x'.repeat(65) }, { access_code: ['Ensure this field has no more than 64 characters.'] }],
      ['GET', '/units/?limit=101', undefined, { limit: ['Ensure this value is less than or equal to 100.'] }],
      ['GET', '/units/?offset=-1', undefined, { offset: ['Ensure this value is greater than or equal to 0.'] }],
    ];
    for (const [method, path, body, fields] of cases) {
      expect(await http.call(method, path, { body })).toMatchObject({ status: 400, json: invalid(fields) });
    }
  });
});
