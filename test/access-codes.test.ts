/**
 * Guessing protection of the role switch by access code: per chat and per source, not resettable, bounded journal,
 * one log event per lockout; and weak codes refused when chosen.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { NotFoundError } from '../src/core/errors';
import { onLockout, type LockoutScope } from '../src/core/lockouts';
import { call, type Actor } from '../src/core/operation';
import { importBundle } from '../src/handlers/bundle/import';
import { createChat } from '../src/handlers/chats';
import { DEFAULT_SOURCE_LIMIT, setSourceGuessLimit, sourceGuessLimit } from '../src/handlers/code-guessing';
import { assignRoleByCode, CODE_ATTEMPTS } from '../src/handlers/roles';
import { sha256hex } from '../src/core/access-code';
import { createClient } from '../src/db/client';
import { loadMigrations, migrate } from '../src/db/migrate';
import { createDatabase, freshDatabase } from './support/db';
import { startServe } from './support/http';

const db = await freshDatabase();
const BOT: Partial<Actor> = { via: 'api', user: 'api', address: '10.0.0.5' };
const events: { event: string; fields: Record<string, unknown> }[] = [];
const lockouts: LockoutScope[] = [];
onLockout((scope) => lockouts.push(scope));
const ctx = (actor: Partial<Actor> = BOT) => ({ ...db.ctx({ via: 'api', user: 'api', ...actor }), log: (event: string, fields: Record<string, unknown>) => events.push({ event, fields }) });
const assign = (chat_id: number, access_code: string, actor?: Partial<Actor>) => call(assignRoleByCode, ctx(actor), { chat_id, access_code });
const roleOf = async (chat_id: number) => (await db.sql`select role_id from telegram_chat where chat_id = ${chat_id}`)[0]!.role_id;
const roleNotFound = new NotFoundError('Role is not found');
let nextChat = 1000;
async function freshChats(n: number): Promise<number[]> {
  const ids = Array.from({ length: n }, () => nextChat++);
  for (const chat_id of ids) await call(createChat, db.ctx(), { chat_id, type: 'PRIVATE', title: `c${chat_id}` });
  return ids;
}
const attemptRows = () => db.count('access_code_attempt');
const auditRows = () => db.sql`select count(*)::int as n from audit_log where entity = 'access_code_attempt'`.then((r) => r[0]!.n as number);

beforeAll(async () => {
  await importBundle(db.ctx(), {
    format: 'urdb-bundle/1',
    roles: [{ id: 1, name: 'r', access_code: 'right-code-0123', units: [], report_types: [] }],
    telegram_chats: [1, 2, 3].map((chat_id) => ({ chat_id, type: 'PRIVATE', title: `c${chat_id}` })),
  });
});

afterEach(() => {
  setSourceGuessLimit(DEFAULT_SOURCE_LIMIT);
  events.length = 0;
  lockouts.length = 0;
});

describe('guessing protection per chat', () => {
  it(`after ${CODE_ATTEMPTS.max} wrong codes within ${CODE_ATTEMPTS.windowMinutes} minutes even the right code answers 404 Role is not found`, async () => {
    for (let i = 0; i < CODE_ATTEMPTS.max; i++) await expect(assign(1, `wrong-${i}`)).rejects.toThrow(roleNotFound);
    await expect(assign(1, 'right-code-0123')).rejects.toThrow(roleNotFound);
    expect(await roleOf(1)).toBeNull();
    // Other chats are not affected.
    await expect(assign(2, 'right-code-0123')).resolves.toMatchObject({ role_id: 1 });
  });

  it('the lock ends when the wrong codes age out of the window', async () => {
    await db.sql`update access_code_attempt set at = at - make_interval(mins => ${CODE_ATTEMPTS.windowMinutes + 1}) where chat_id = 1`;
    await expect(assign(1, 'right-code-0123')).resolves.toMatchObject({ role_id: 1 });
    expect(await roleOf(1)).toBe(1);
  });

  it('the reset attack: a right code after every 4 wrong ones erases nothing, so the chat is locked at the 5th wrong code', async () => {
    const [chat] = await freshChats(1);
    for (let i = 0; i < CODE_ATTEMPTS.max - 1; i++) await expect(assign(chat!, `nope-${i}`)).rejects.toThrow(roleNotFound);
    await expect(assign(chat!, 'right-code-0123')).resolves.toMatchObject({ role_id: 1 });
    await expect(assign(chat!, 'nope-again')).rejects.toThrow(roleNotFound);
    // 5 wrong codes within the window: locked, the right code included.
    await expect(assign(chat!, 'right-code-0123')).rejects.toThrow(roleNotFound);
    for (let i = 0; i < 20; i++) await expect(assign(chat!, `more-${i}`)).rejects.toThrow(roleNotFound);
    expect((await db.sql`select count(*)::int as n from access_code_attempt where chat_id = ${chat!}`)[0]!.n).toBe(CODE_ATTEMPTS.max);
  });

  it('parallel guesses cannot get past the limit', async () => {
    const results = await Promise.allSettled(Array.from({ length: 12 }, (_, i) => assign(3, `guess-${i}`)));
    expect(results.every((r) => r.status === 'rejected')).toBe(true);
    const [counts] = await db.sql`select count(*)::int as wrong from access_code_attempt where chat_id = 3`;
    expect(counts).toEqual({ wrong: CODE_ATTEMPTS.max });
  });

  it('wrong codes are in the audit log, without the codes tried; refused attempts are not', async () => {
    const rows = await db.sql`select actor, after from audit_log where entity = 'access_code_attempt' and after ->> 'chat_id' = '3'`;
    expect(rows).toHaveLength(CODE_ATTEMPTS.max);
    expect(rows[0]!.actor).toMatchObject({ via: 'api' });
    expect(rows[0]!.after).toMatchObject({ source: 'address 10.0.0.5' });
    expect(JSON.stringify(rows)).not.toContain('guess-');
  });
});

describe('guessing protection per source, across chats', () => {
  it(`the spread attack: a fresh chat every ${CODE_ATTEMPTS.max - 1} guesses still stops at ${DEFAULT_SOURCE_LIMIT} wrong codes per source (the default)`, async () => {
    expect(sourceGuessLimit()).toBe(50);
    const attacker: Partial<Actor> = { address: '10.6.6.6' };
    const chats = await freshChats(Math.ceil(DEFAULT_SOURCE_LIMIT / (CODE_ATTEMPTS.max - 1)) + 1);
    let wrong = 0;
    for (const chat of chats.slice(0, -1)) {
      for (let i = 0; i < CODE_ATTEMPTS.max - 1 && wrong < DEFAULT_SOURCE_LIMIT; i++, wrong++) {
        await expect(assign(chat, `spread-${wrong}`, attacker)).rejects.toThrow(roleNotFound);
      }
    }
    // A fresh chat, the right code: refused, because this source has used up its wrong codes.
    const last = chats.at(-1)!;
    await expect(assign(last, 'right-code-0123', attacker)).rejects.toThrow(roleNotFound);
    expect(await roleOf(last)).toBeNull();
    // The answers keep the API's order: an unknown chat is still said to be unknown.
    await expect(assign(999_999, 'right-code-0123', attacker)).rejects.toThrow(new NotFoundError('Chat by chat ID is not found'));
    // Another source is not affected; the same source under a token name is another source.
    await expect(assign(last, 'right-code-0123', { address: '10.7.7.7' })).resolves.toMatchObject({ role_id: 1 });
    await expect(assign(last, 'right-code-0123', { address: '10.6.6.6', token: 'bot' })).resolves.toMatchObject({ role_id: 1 });
    // One lockout event for the source, not one per refused attempt.
    expect(events.filter((e) => e.event.startsWith('access code lockout'))).toEqual([
      { event: expect.stringContaining('50 wrong codes from this source within 10 minutes'), fields: { scope: 'source', chat_id: expect.any(Number), source: 'address 10.6.6.6' } },
    ]);
    expect(lockouts).toEqual(['source']);
  });

  it('the token name, not the address, is the source when a token is used; the limit is configurable', async () => {
    setSourceGuessLimit(3);
    const chats = await freshChats(4);
    for (const [i, chat] of chats.slice(0, 3).entries()) {
      await expect(assign(chat, `tok-${i}`, { token: 'router', address: `10.1.0.${i}` })).rejects.toThrow(roleNotFound);
    }
    await expect(assign(chats[3]!, 'right-code-0123', { token: 'router', address: '10.1.0.9' })).rejects.toThrow(roleNotFound);
    await expect(assign(chats[3]!, 'right-code-0123', { token: 'bot' })).resolves.toMatchObject({ role_id: 1 });
  });

  it('parallel guesses over many chats from one source cannot get past its limit', async () => {
    setSourceGuessLimit(10);
    const chats = await freshChats(30);
    const results = await Promise.allSettled(chats.map((chat, i) => assign(chat, `par-${i}`, { address: '10.2.2.2' })));
    expect(results.every((r) => r.status === 'rejected')).toBe(true);
    expect((await db.sql`select count(*)::int as n from access_code_attempt where source = 'address 10.2.2.2'`)[0]!.n).toBe(10);
  });
});

describe('the journal stays bounded', () => {
  it('refused attempts during a lockout write no attempt row and no audit row; lockouts are logged once', async () => {
    const [chat] = await freshChats(1);
    for (let i = 0; i < CODE_ATTEMPTS.max; i++) await expect(assign(chat!, `g-${i}`, { address: '10.3.3.3' })).rejects.toThrow(roleNotFound);
    const [rows, audit] = [await attemptRows(), await auditRows()];
    for (let i = 0; i < 300; i++) await expect(assign(chat!, `flood-${i}`, { address: '10.3.3.3' })).rejects.toThrow(roleNotFound);
    expect(await attemptRows()).toBe(rows);
    expect(await auditRows()).toBe(audit);
    expect(events.filter((e) => e.event.startsWith('access code lockout'))).toHaveLength(1);
    expect(events.filter((e) => e.event.startsWith('access code lockout'))[0]!.fields).toMatchObject({ scope: 'chat', chat_id: chat });
    expect(events.filter((e) => e.event === 'wrong access code')).toHaveLength(CODE_ATTEMPTS.max);
    expect(lockouts).toEqual(['chat']);
  });

  it('wrong codes that aged out of the window are deleted with the next wrong code', async () => {
    await db.sql`update access_code_attempt set at = at - make_interval(mins => ${CODE_ATTEMPTS.windowMinutes + 1})`;
    const [chat] = await freshChats(1);
    await expect(assign(chat!, 'late', { address: '10.4.4.4' })).rejects.toThrow(roleNotFound);
    expect(await attemptRows()).toBe(1);
  });
});

describe('urdb serve --code-guesses-per-source / URDB_CODE_GUESSES_PER_SOURCE', () => {
  it('limits one source over HTTP: 404 Role is not found byte for byte, one log line per lockout', async () => {
    const serve = await startServe([], { DATABASE_URL: db.url, URDB_CODE_GUESSES_PER_SOURCE: '2' });
    try {
      const chats = await freshChats(4);
      const patch = (chat: number, code: string) =>
        fetch(`${serve.url}/roles/users/${chat}/`, { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ access_code: code }) });
      for (const [i, chat] of chats.slice(0, 2).entries()) expect((await patch(chat, `http-${i}`)).status).toBe(404);
      for (const chat of chats.slice(2)) {
        const res = await patch(chat, 'right-code-0123');
        expect([res.status, await res.text()]).toEqual([404, '{"message":"Role is not found","extra":{}}']);
      }
    } finally {
      await serve.stop('SIGTERM');
    }
    expect(serve.stderr().match(/access code lockout/g)).toHaveLength(1);
    expect(serve.stderr()).toContain('2 wrong codes from this source');
  });

  it('refuses a limit that is not a positive integer', async () => {
    const { urdb } = await import('./support/cli');
    const r = await urdb(['serve', '--code-guesses-per-source', '0'], { url: db.url });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--code-guesses-per-source');
  });
});

describe('migration 5 on a database with roles', () => {
  it('flags the roles whose digest is that of a code of up to 4 digits, and no other', async () => {
    const created = await createDatabase({ template: null });
    const sql = createClient({ url: created.url, schema: 'urdb', max: 1, onNotice: () => {} });
    try {
      // The database as urdb left it at schema version 4.
      await sql`create schema urdb`;
      await sql`create table urdb.schema_migrations (version integer primary key, name text not null, checksum char(64) not null, applied_at timestamptz not null default now())`;
      for (const m of loadMigrations().filter((m) => m.version <= 4)) {
        await sql.begin(async (tx) => {
          await tx.unsafe(m.sql);
          await tx`insert into urdb.schema_migrations (version, name, checksum) values (${m.version}, ${m.name}, ${m.checksum})`;
        });
      }
      const roles = { pin: '0042', short: '7', long: 'a long enough code', nine: '123456789' };
      for (const [name, code] of Object.entries(roles)) await sql`insert into role (name, access_code_sha256) values (${name}, ${sha256hex(code)})`;
      await migrate(sql, 'urdb');
      expect(await sql`select name, weak_code from role order by id`).toEqual([
        { name: 'pin', weak_code: true },
        { name: 'short', weak_code: true },
        { name: 'long', weak_code: false },
        // Known only by its digest, and longer than 4 digits: not flagged (SECURITY.md says so).
        { name: 'nine', weak_code: false },
      ]);
    } finally {
      await sql.end({ timeout: 5 });
      await created.drop();
    }
  });
});
