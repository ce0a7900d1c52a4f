/**
 * Attacks on the admin API (/api/v1/) that once worked: a body that is not JSON accepted (the old paths refuse it
 * with 415), and a bulk POST of a huge list that held the event loop (every caller's requests) for minutes.
 */
import { describe, expect, it } from 'vitest';
import { freshDatabase } from './support/db';
import { client } from './support/http';

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
