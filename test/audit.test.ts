import { describe, expect, it } from 'vitest';
import { call, write } from '../src/core/operation';
import { listAudit, parseSince } from '../src/handlers/audit';
import { createChat, updateChat } from '../src/handlers/chats';
import { UUID } from './support/bundles';
import { urdb } from './support/cli';
import { freshDatabase } from './support/db';

const db = await freshDatabase();
const entries = (filters: Record<string, unknown> = {}) => call(listAudit, db.ctx(), { limit: 100, ...filters }).then((p) => p.items);

describe('the audit log', () => {
  it('records a CLI change with the OS user, in the same transaction', async () => {
    const r = await urdb(
      ['import', '-'],
      {
        url: db.url,
        input: JSON.stringify({
          format: 'urdb-bundle/1',
          regions: [{ id: 1, name: 'R' }],
          units: [{ id: 5, name: 'U5', uuid: UUID(5), region: 'R' }],
          roles: [{ id: 1, name: 'r', access_code: 'super secret code', units: [5], report_types: ['CANCELED_ORDERS'] }],
        }),
      },
    );
    expect(r.code).toBe(0);
    const units = await entries({ entity: 'unit' });
    expect(units).toHaveLength(1);
    expect(units[0]).toMatchObject({ entity: 'unit', action: 'insert', key: { id: 5 }, before: null, after: { id: 5, name: 'U5' } });
    expect(units[0]!.actor).toMatchObject({ via: 'cli', user: expect.any(String) });
  });

  it('never records an access code or its digest', async () => {
    const all = JSON.stringify(await db.sql`select * from audit_log`);
    expect(all).not.toContain('super secret code');
    const [role] = await db.sql`select access_code_sha256 from role where id = 1`;
    expect(all).not.toContain(role!.access_code_sha256);
    await db.sql`update role set access_code_sha256 = ${'b'.repeat(64)} where id = 1`;
    const [rotated] = await entries({ entity: 'role' });
    expect(rotated).toMatchObject({ action: 'update', after: { access_code_changed: true } });
    expect(JSON.stringify(rotated)).not.toContain('b'.repeat(64));
  });

  it('records API changes with the acting chat and address, and SQL changes with the database user', async () => {
    const api = db.ctx({ via: 'api', user: 'api', address: '10.0.0.7', userChatId: 42 });
    await call(createChat, api, { chat_id: 42, type: 'PRIVATE', title: 'Me' });
    await call(updateChat, api, { chat_id: 42, title: 'Me 2' });
    const [update, insert] = await entries({ entity: 'chat' });
    expect(insert!.actor).toEqual({ via: 'api', user: 'api', address: '10.0.0.7', userChatId: 42 });
    expect(update).toMatchObject({ action: 'update', before: { title: 'Me' }, after: { title: 'Me 2' } });
    await db.sql`delete from telegram_chat where chat_id = 42`;
    const [deleted] = await entries({ chat: 42 });
    expect(deleted).toMatchObject({ action: 'delete', actor: { via: 'sql' }, before: { chat_id: 42 } });
  });

  it('a failed write leaves no audit row', async () => {
    const before = await db.count('audit_log');
    await expect(
      write(db.ctx(), ['region'], async (tx) => {
        await tx`insert into region (name) values ('Doomed')`;
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(await db.count('audit_log')).toBe(before);
    expect(await db.count('region')).toBe(1);
  });

  it('is append-only', async () => {
    await expect(db.sql`update audit_log set entity = 'x'`).rejects.toThrow(/append-only/);
    await expect(db.sql`delete from audit_log`).rejects.toThrow(/append-only/);
    await expect(db.sql`truncate audit_log`).rejects.toThrow(/append-only/);
  });

  it('urdb log filters by entity, chat and time, piped and as JSON', async () => {
    const json = await urdb(['log', '--entity', 'unit', '--json'], { url: db.url });
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toHaveLength(1);
    const piped = await urdb(['log', '--since', '1h', '--chat', '42'], { url: db.url });
    expect(piped.stdout.trim().split('\n')).toHaveLength(3);
    expect(piped.stdout).toMatch(/\ttelegram_chat\tupdate\tchat 42 "Me 2"\ttitle: "Me" → "Me 2"$/m);
    const none = await urdb(['log', '--since', '2999-01-01'], { url: db.url });
    expect(none.code).toBe(0);
    expect(none.stdout).toBe('');
    const bad = await urdb(['log', '--since', 'yesterday-ish'], { url: db.url });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--since');
    const badEntity = await urdb(['log', '--entity', 'pizza'], { url: db.url });
    expect(badEntity.code).toBe(2);
    expect(badEntity.stderr).toContain('--entity');
  });

  it('urdb log names chats by Telegram chat id and title, and report types by name, also once the chat is gone', async () => {
    const GROUP = -1001234567890;
    const r = await urdb(['import', '-'], {
      url: db.url,
      input: JSON.stringify({
        format: 'urdb-bundle/1',
        units: [{ id: 103, name: 'U103', uuid: UUID(103), region: 'R' }],
        telegram_chats: [{ chat_id: GROUP, type: 'GROUP', title: 'Ops' }],
        report_routes: [{ report_type: 'CANCELED_ORDERS', chat_id: GROUP, unit_ids: [103] }],
      }),
    });
    expect(r.code).toBe(0);
    const [chat] = await db.sql`select id from telegram_chat where chat_id = ${GROUP}`;
    await db.sql`delete from telegram_chat where chat_id = ${GROUP}`;
    const log = await urdb(['log', '--chat', String(GROUP)], { url: db.url });
    expect(log.code).toBe(0);
    const keys = log.stdout.trimEnd().split('\n').map((l) => l.split('\t').slice(3, 6).join(' '));
    expect(keys).toEqual([
      `report_route delete unit 103, CANCELED_ORDERS, chat ${GROUP} "Ops"`,
      `telegram_chat delete chat ${GROUP} "Ops"`,
      `report_route insert unit 103, CANCELED_ORDERS, chat ${GROUP} "Ops"`,
      `telegram_chat insert chat ${GROUP} "Ops"`,
    ]);
    expect(log.stdout).not.toContain(`/${chat!.id}`);
    const json = JSON.parse((await urdb(['log', '--entity', 'route', '--json', '--limit', '1'], { url: db.url })).stdout);
    expect(json[0]).toMatchObject({ key: { unit_id: 103, report_type_id: 7, telegram_chat_id: chat!.id }, chat: { chat_id: GROUP, title: 'Ops' }, report_type: 'CANCELED_ORDERS' });
  });

  it('parses durations and dates for --since', () => {
    const now = Date.parse('2026-11-23T10:00:00Z');
    expect(parseSince('2h', now).toISOString()).toBe('2026-11-23T08:00:00.000Z');
    expect(parseSince('7d', now).toISOString()).toBe('2026-11-16T10:00:00.000Z');
    expect(parseSince('2026-11-01T00:00:00Z').toISOString()).toBe('2026-11-01T00:00:00.000Z');
  });
});
