/**
 * SQL injection and escaping: a corpus of hostile strings (quotes, `'; drop table …`, dollar quoting, backslashes,
 * comments, format strings, JSON in strings, homoglyphs, bidi and zero-width characters, control characters, 64
 * multi-byte characters) in every text field and path or query parameter, through the API, the bundle import and
 * the CLI. Each is stored literally (after the trimming every text field does) and read back identical, or refused
 * with a 400 / exit 2; no error message anywhere contains SQL, a stack trace or a connection string.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { sha256hex } from '../src/core/access-code';
import { BundleError, importBundle } from '../src/handlers/bundle/import';
import { DEFAULT_SOURCE_LIMIT, setSourceGuessLimit } from '../src/handlers/code-guessing';
import { UUID } from './support/bundles';
import { urdb } from './support/cli';
import { checkConsistency, fingerprint } from './support/consistency';
import { INJECTIONS, leaks, UNSTORABLE } from './support/corpus';
import { createDatabase, freshDatabase } from './support/db';
import { client, JSON_TYPE } from './support/http';

const db = await freshDatabase();
const http = client(db.sql);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'urdb-injection-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Every text field trims (as the old service did); nothing else may change. */
const stored = (s: string) => s.trim();
const enc = encodeURIComponent;

/** An API answer: never a 5xx, JSON errors, nothing internal in them (the input itself may be quoted). */
function expectCleanAnswer(res: { status: number; headers: Record<string, string>; text: string }, input: string) {
  expect(res.status, `${input} → ${res.text}`).toBeLessThan(500);
  if (res.status >= 400) {
    expect(res.headers['content-type']).toBe(JSON_TYPE);
    expect(leaks(res.text, input), `${JSON.stringify(input)} → ${res.text}`).toBeNull();
  }
}

beforeAll(async () => {
  await importBundle(db.ctx(), {
    format: 'urdb-bundle/1',
    regions: [{ id: 1, name: 'Base' }],
    units: [{ id: 1, name: 'Base unit', uuid: UUID(1), region: 'Base' }],
    roles: [{ id: 1, name: 'Base role', access_code: 'base code', units: [1], report_types: ['CANCELED_ORDERS'] }],
    telegram_chats: [{ chat_id: 1, type: 'PRIVATE', title: 'Base', role_id: 1 }],
  });
});

describe('through the API', () => {
  it('chat titles and usernames: stored literally and read back identical, or refused with 400', async () => {
    for (const [i, s] of [...INJECTIONS, ...UNSTORABLE].entries()) {
      const chatId = 5000 + i;
      const created = await http.call('POST', '/telegram-chats/', { body: { chat_id: chatId, type: 'GROUP', title: s, username: s } });
      expectCleanAnswer(created, s);
      if (UNSTORABLE.includes(s)) {
        expect(created.status, JSON.stringify(s)).toBe(400);
        expect((await http.call('GET', `/telegram-chats/${chatId}/`)).status).toBe(404);
        continue;
      }
      expect(created.status, `${JSON.stringify(s)} → ${created.text}`).toBe(201);
      const read = await http.call('GET', `/telegram-chats/${chatId}/`);
      expect(read.json, JSON.stringify(s)).toEqual({ chat_id: chatId, username: stored(s), title: stored(s), type: 'Group' });
      // PUT: the other way round, and a JSON-escaped form of the same text.
      const updated = await http.call('PUT', `/telegram-chats/${chatId}/`, { body: `{"title": ${JSON.stringify(`${s}!`)}, "username": null}` });
      expect(updated.status).toBe(204);
      expect((await http.call('GET', `/telegram-chats/${chatId}/`)).json).toMatchObject({ title: stored(`${s}!`), username: null });
    }
    const listed = await db.sql<{ title: string }[]>`select title from telegram_chat where chat_id >= 5000 order by chat_id`;
    expect(listed.map((r) => r.title)).toEqual(INJECTIONS.map((s) => stored(`${s}!`)));
  });

  it('access codes: a role whose code is any of these strings is found by exactly that string', async () => {
    const codes = INJECTIONS.filter((s) => stored(s).length <= 64);
    // One wrong code per chat, all from this one address: above the per-source guessing limit, which is not tested here.
    setSourceGuessLimit(10 * codes.length);
    onTestFinished(() => setSourceGuessLimit(DEFAULT_SOURCE_LIMIT));
    await importBundle(db.ctx(), {
      format: 'urdb-bundle/1',
      roles: codes.map((code, i) => ({ id: 100 + i, name: `Role ${i}`, access_code: code, units: [1], report_types: [] })),
      telegram_chats: codes.map((_, i) => ({ chat_id: 6000 + i, type: 'PRIVATE', title: `Chat ${i}` })),
    });
    for (const [i, code] of codes.entries()) {
      const [role] = await db.sql<{ access_code_sha256: string }[]>`select access_code_sha256 from role where id = ${100 + i}`;
      expect(role!.access_code_sha256).toBe(sha256hex(stored(code)));
      const other = code.length < 64 ? `${code}x` : `y${code.slice(1)}`;
      const wrong = await http.call('PATCH', `/roles/users/${6000 + i}/`, { body: { access_code: other } });
      expectCleanAnswer(wrong, code);
      expect([400, 404]).toContain(wrong.status);
      const right = await http.call('PATCH', `/roles/users/${6000 + i}/`, { body: { access_code: code } });
      expect(right.status, `${JSON.stringify(code)} → ${right.text}`).toBe(204);
      const [chat] = await db.sql<{ role_id: number }[]>`select role_id from telegram_chat where chat_id = ${6000 + i}`;
      expect(chat!.role_id).toBe(100 + i);
    }
    for (const s of UNSTORABLE) {
      const res = await http.call('PATCH', '/roles/users/1/', { body: { access_code: s } });
      expectCleanAnswer(res, s);
      expect(res.status).toBe(400);
    }
    // The code is compared as given: no SQL, pattern or case folding makes another code match.
    for (const probe of ["' or '1'='1", '%', '_', '*', 'BASE CODE', 'base code ', 'base\u00a0code']) {
      const res = await http.call('PATCH', '/roles/users/6000/', { body: { access_code: probe } });
      expect(res.status === 404 || (probe.trim() === 'base code' && res.status === 204), `${probe} → ${res.status}`).toBe(true);
    }
  });

  it('names in paths (/units/name/{name}/, /report-types/names/{name}/) find exactly the row of that name', async () => {
    const names = INJECTIONS.filter((s) => stored(s).length <= 64);
    await importBundle(db.ctx(), {
      format: 'urdb-bundle/1',
      regions: names.map((name, i) => ({ id: 100 + i, name })),
      units: names.map((name, i) => ({ id: 100 + i, name, uuid: UUID(100 + i), region: name, office_manager_account_name: name })),
      report_types: names.map((name) => ({ name, verbose_name: name.slice(0, 64) })),
    });
    for (const [i, name] of names.entries()) {
      const unit = await http.call('GET', `/units/name/${enc(stored(name))}/`);
      expect(unit.status, `${JSON.stringify(name)} → ${unit.text}`).toBe(200);
      expect(unit.json).toMatchObject({ id: 100 + i, name: stored(name), region: stored(name), office_manager_account_name: stored(name) });
      const type = await http.call('GET', `/api/report-types/names/${enc(stored(name))}/`);
      expect(type.status, `${JSON.stringify(name)} → ${type.text}`).toBe(200);
      expect(type.json).toMatchObject({ name: stored(name), verbose_name: stored(name) });
    }
    // A homoglyph names its own row, never the look-alike.
    expect((await http.call('GET', '/report-types/names/CANCELED_ORDERS/')).json).toMatchObject({ id: 7, name: 'CANCELED_ORDERS' });
    // Names that are not there: 404 with the endpoint's message, whatever they hold.
    for (const s of [...UNSTORABLE, "' or '1'='1", '%', '_', 'base unit', '*']) {
      let encoded: string;
      try {
        encoded = enc(s);
      } catch {
        encoded = s.replace(/[\ud800-\udfff]/g, '%ED%A0%80'); // a lone surrogate, as a client would mis-encode it
      }
      for (const [url, message] of [
        [`/units/name/${encoded}/`, 'Unit by name is not found'],
        [`/report-types/names/${encoded}/`, 'Report type is not found'],
      ] as const) {
        const res = await http.call('GET', url);
        expectCleanAnswer(res, s);
        expect(res.status, `${url} → ${res.text}`).toBe(404);
        if (!/[\ud800-\udfff]/.test(s)) expect(res.json.message).toBe(message);
      }
    }
  });

  it('query values and keys: refused with 400 or read as what they are; nothing written', async () => {
    const before = await fingerprint(db.sql);
    for (const s of [...INJECTIONS, ...UNSTORABLE]) {
      let v: string;
      try {
        v = enc(s);
      } catch {
        v = s;
      }
      for (const url of [
        `/units/?limit=${v}`,
        `/units/?skip=${v}`,
        `/units/?${v}=1`,
        `/report-types/?parent_id=${v}`,
        `/report-routes/units/?chat_id=${v}&report_type_id=7`,
        `/report-routes/telegram-chats/?unit_id=1&report_type_id=${v}`,
        `/roles/users/1/units/?region_id=${v}`,
      ]) {
        const res = await http.call('GET', url);
        expectCleanAnswer(res, s);
        expect([200, 400], `${url} → ${res.text}`).toContain(res.status);
      }
      const del = await http.call('DELETE', `/report-routes/?chat_id=1&report_type_id=7&unit_ids=${v}&user_chat_id=${v}`);
      expectCleanAnswer(del, s);
      expect([204, 400]).toContain(del.status);
    }
    expect(await fingerprint(db.sql)).toEqual(before);
  });
});

describe('through the bundle import', () => {
  it('a bundle with an unstorable string anywhere is refused as a whole, naming the place; nothing written', async () => {
    const before = await fingerprint(db.sql);
    for (const s of UNSTORABLE) {
      for (const bundle of [
        { regions: [{ id: 900, name: s }] },
        { units: [{ id: 900, name: s, uuid: UUID(900), region: 'Base' }] },
        { report_types: [{ name: 'OK_NAME', verbose_name: s }] },
        { roles: [{ id: 900, name: 'ok', access_code: s }] },
        { telegram_chats: [{ chat_id: 900, type: 'GROUP', title: 'ok', username: s }] },
      ]) {
        const err = await importBundle(db.ctx(), { format: 'urdb-bundle/1', ...bundle }).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(BundleError);
        for (const p of (err as BundleError).problems) expect(leaks(p, s), p).toBeNull();
      }
    }
    expect(await fingerprint(db.sql)).toEqual(before);
  });
});

describe('through the CLI', () => {
  // A database of its own: the names and codes above are taken in this one.
  let cliDb: { url: string; drop(): Promise<void> };
  beforeAll(async () => {
    cliDb = await createDatabase();
    const r = await urdb(['import', '-'], {
      url: cliDb.url,
      input: JSON.stringify({ format: 'urdb-bundle/1', regions: [{ id: 1, name: 'Base' }] }),
    });
    expect(r.code).toBe(0);
  });
  afterAll(() => cliDb.drop());
  const storable = INJECTIONS.filter((s) => stored(s).length <= 64);
  /** Each string through two of the five commands that take text, so that every command sees every kind. */
  const COMMANDS: ((s: string, i: number) => string[])[] = [
    (s) => ['regions', 'add', `--name=${s}`],
    (s) => ['report-types', 'add', `--name=${s}`, `--verbose-name=${s}`],
    (s, i) => ['chats', 'add', `--chat-id=${7000 + i}`, `--title=${s}`, `--username=${s}`],
    // --force-weak: most of these strings are short, and the point here is that they are stored literally.
    (s) => ['roles', 'add', `--name=${s}`, `--access-code=${s}`, '--force-weak'],
    (s, i) => ['units', 'add', `--id=${7000 + i}`, `--name=${s}`, `--uuid=${UUID(7000 + i)}`, '--region=1'],
  ];
  const runs = [
    ...storable.flatMap((s, i) => [COMMANDS[i % 5]!(s, i), COMMANDS[(i + 2) % 5]!(s, i)].map((args) => ({ s, args }))),
    // Far too long for any field (an argument cannot hold NUL; the other unstorable strings are refused above).
    ...COMMANDS.map((command, k) => ({ s: 'x'.repeat(10_000), args: command('x'.repeat(10_000), 900 + k) })),
  ];

  it('stores every string literally (read back with urdb export) or refuses it with exit 2; messages one clean line', async () => {
    const results: { s: string; args: string[]; code: number | null; stderr: string }[] = [];
    let next = 0;
    const worker = async () => {
      while (next < runs.length) {
        const run = runs[next++]!;
        const r = await urdb(['--no-input', ...run.args], { url: cliDb.url });
        results.push({ ...run, code: r.code, stderr: r.stderr });
      }
    };
    await Promise.all([worker(), worker(), worker()]);
    for (const r of results) {
      const where = `${JSON.stringify(r.args)} → exit ${r.code}: ${r.stderr}`;
      expect(r.s.length > 64 ? [2] : [0, 2], where.slice(0, 500)).toContain(r.code);
      expect(leaks(r.stderr, r.s), where).toBeNull();
      if (r.code === 2) expect(r.stderr.trimEnd().split('\n'), where).toHaveLength(1);
    }
    const exported = await urdb(['export'], { url: cliDb.url });
    expect(exported.code).toBe(0);
    const bundle = JSON.parse(exported.stdout) as {
      regions: { name: string }[];
      report_types: { name: string; verbose_name: string }[];
      telegram_chats: { chat_id: number; title: string; username: string | null }[];
      roles: { name: string; access_code_sha256: string }[];
      units: { id: number; name: string }[];
    };
    const accepted = results.filter((r) => r.code === 0);
    expect(accepted.length).toBeGreaterThan(runs.length * 0.9);
    for (const r of accepted) {
      const s = stored(r.s);
      const where = JSON.stringify(r.args);
      switch (r.args[0]) {
        case 'regions':
          expect(bundle.regions.map((x) => x.name), where).toContain(s);
          break;
        case 'report-types':
          expect(bundle.report_types, where).toContainEqual(expect.objectContaining({ name: s, verbose_name: s }));
          break;
        case 'chats':
          expect(bundle.telegram_chats, where).toContainEqual(expect.objectContaining({ title: s, username: s }));
          break;
        case 'roles':
          expect(bundle.roles, where).toContainEqual(expect.objectContaining({ name: s, access_code_sha256: sha256hex(s) }));
          break;
        case 'units':
          expect(bundle.units.map((x) => x.name), where).toContain(s);
          break;
      }
    }
  }, 120_000);

  it('a value with a newline or an escape sequence cannot forge a line or drive the terminal: one escaped line', async () => {
    const hostile = 'x\nurdb: imported: everything\u001b[2J\u001b[31m';
    const flag = await urdb(['--no-input', 'chats', 'add', '--chat-id=8000', '--title=t', `--type=${hostile}`], { url: db.url });
    expect(flag.code).toBe(2);
    // (chats add upper-cases --type before it checks it)
    expect(flag.stderr).toBe(`urdb: --type: "X\\nURDB: IMPORTED: EVERYTHING\\u001b[2J\\u001b[31M" is not a valid choice.\n`);
    const file = path.join(dir, 'hostile.json');
    fs.writeFileSync(file, JSON.stringify({ format: 'urdb-bundle/1', telegram_chats: [{ chat_id: 8000, type: hostile, title: 't' }] }));
    const bundle = await urdb(['--no-input', 'import', file], { url: db.url });
    expect(bundle.code).toBe(2);
    const lines = bundle.stderr.trimEnd().split('\n');
    expect(lines).toEqual([
      'urdb: the bundle is invalid (1 problem); nothing was imported',
      '  telegram_chats[0].type: "x\\nurdb: imported: everything\\u001b[2J\\u001b[31m" is not a valid choice.',
    ]);
    expect(bundle.stderr).not.toContain('\u001b');
  });

  it('the database is intact and consistent: every table there, nothing dropped, invariants hold', async () => {
    expect(await checkConsistency(db.sql)).toEqual([]);
    const [tables] = await db.sql<{ n: number }[]>`
      select count(*)::int as n from information_schema.tables where table_schema = 'urdb'
    `;
    expect(tables!.n).toBeGreaterThanOrEqual(13);
    expect(await db.count('report_route')).toBeGreaterThanOrEqual(0);
    expect((await http.call('GET', '/units/name/Base%20unit/')).status).toBe(200);
  });
});
