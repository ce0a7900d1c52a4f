/**
 * Attacks that once worked: on the admin API (/api/v1/) a body that is not JSON accepted (the old paths refuse it
 * with 415) and a bulk POST of a huge list that held the event loop (every caller's requests) for minutes; on every
 * path, a client without the token making the server buffer a 1 MiB body per connection before its 401.
 */
import { describe, expect, it } from 'vitest';
import { createApi } from '../src/http/api';
import { startServer } from '../src/http/server';
import { freshDatabase } from './support/db';
import { client, rawExchange } from './support/http';

const db = await freshDatabase();
const http = client(db.sql, { tokens: [{ name: 'sync-job', secret: 'admin-secret', scopes: ['admin'] }] });
const post = (url: string, body: string, contentType?: string) =>
  http.call('POST', `/api/v1/${url}`, {
    body,
    headers: { host: 'urdb.test', authorization: 'Bearer admin-secret', ...(contentType ? { 'content-type': contentType } : {}) },
  });

describe('/api/v1/ bodies', () => {
  it('a body that is not application/json is 415 {"detail"}, as on the old paths, and nothing is written', async () => {
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
      const res = await post('regions/', JSON.stringify({ id: 7, name: 'plain' }), type);
      expect([res.status, res.json]).toEqual([415, { detail: `Unsupported media type "${type}" in request.` }]);
    }
    expect(await db.count('region')).toBe(0);
    const ok = await post('regions/', JSON.stringify({ id: 7, name: 'json' }), 'application/json; charset=UTF-8');
    expect(ok.status).toBe(201);
  });

  it('a list longer than 250,000 items is refused whole before any item is validated; nothing is written', async () => {
    const before = await db.count('region');
    const started = performance.now();
    const res = await post('regions/', `[${'0,'.repeat(250_000)}0]`, 'application/json');
    expect([res.status, res.json]).toEqual([
      400,
      { non_field_errors: ['Send at most 250000 items in one request (this list has 250001); split the list.'] },
    ]);
    // Not a timing check of speed: validating the items first takes seconds and answers 250,001 positional errors.
    expect(performance.now() - started).toBeLessThan(1500);
    expect(await db.count('region')).toBe(before);
  });
});

describe('/api/v1/ access codes', () => {
  it('two roles of one list with the same code: the error names the other item, never the code or its digest', async () => {
    const code = 'Same-strong-code-7391';
    const role = (id: number) => ({ id, name: `role ${id}`, access_code: code, units: [], report_types: [] });
    const res = await post('roles/', JSON.stringify([role(1), role(2)]), 'application/json');
    expect([res.status, res.json]).toEqual([400, [{}, { access_code: ['this access code is already used by roles[0]'] }]]);
    expect(res.text).not.toMatch(/[0-9a-f]{64}|Same-strong/);
    expect(await db.count('role')).toBe(0);
  });
});

describe('/api/v1/ queries', () => {
  it('a NUL in search is a 400 on the search field, as in a filter, never a 500', async () => {
    for (const path of ['units', 'telegram-chats', 'regions', 'roles', 'report-types']) {
      for (const search of ['%00', 'a%00b']) {
        const res = await http.call('GET', `/api/v1/${path}/?search=${search}`, {
          headers: { host: 'urdb.test', authorization: 'Bearer admin-secret' },
        });
        expect([path, res.status, res.json]).toEqual([path, 400, { search: ['Null characters are not allowed.'] }]);
      }
    }
    expect(http.events.filter((e) => e.kind === 'internal-error')).toEqual([]);
  });
});

describe('a request without the token', () => {
  it('is answered 401 from its head: its body is never read (old paths with a token, and /api/v1/)', async () => {
    const tokens = [
      { name: 'bot', secret: 'bot-secret' },
      { name: 'sync-job', secret: 'admin-secret', scopes: ['admin' as const] },
    ];
    const server = await startServer({ api: createApi({ sql: db.sql, tokens }), host: '127.0.0.1', port: 0 });
    const port = server.address.port;
    const head = (path: string, auth = '') =>
      `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/json\r\n${auth}Content-Length: 1000000\r\n\r\n{`;
    try {
      // Only the head and one byte are sent: a server that reads the body first would wait for the rest.
      for (const path of ['/report-routes/', '/telegram-chats/', '/api/v1/units/']) {
        const got = await rawExchange(port, head(path), 2000);
        expect(got).toMatch(/^HTTP\/1\.1 401 /);
        expect(got).toMatch(/connection: close/i);
        expect(got).toMatch(/"(message|detail)":"Authentication credentials were not provided\."/);
      }
      // With the token, the server waits for the body as before (nothing answered yet).
      expect(await rawExchange(port, head('/report-routes/', 'Authorization: Bearer bot-secret\r\n'), 300)).toBe('');
      expect(await rawExchange(port, head('/api/v1/units/', 'Authorization: Bearer admin-secret\r\n'), 300)).toBe('');
    } finally {
      await server.close(100);
    }
  });
});
