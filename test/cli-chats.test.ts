import { beforeAll, describe, expect, it } from 'vitest';
import { importBundle } from '../src/handlers/bundle/import';
import { UUID } from './support/bundles';
import { urdb } from './support/cli';
import { freshDatabase } from './support/db';
import { ptyUrdb } from './support/pty';
import { state } from './support/state';

const db = await freshDatabase();
const run = (...args: string[]) => urdb(args, { url: db.url });
const GROUP = -1001234567890;

const chat = async (chatId: number) =>
  (await db.sql`select id, chat_id, type, title, username, role_id from telegram_chat where chat_id = ${chatId}`)[0];

beforeAll(async () => {
  await importBundle(db.ctx(), {
    format: 'urdb-bundle/1',
    regions: [{ id: 1, name: 'R' }],
    units: [101, 102, 103].map((id) => ({ id, name: `U${id}`, uuid: UUID(id), region: 'R' })),
    roles: [{ id: 1, name: 'Managers', access_code: 'managers-code', units: [101, 102, 103], report_types: ['CANCELED_ORDERS'] }],
    telegram_chats: [
      { chat_id: GROUP, type: 'GROUP', title: 'Ops', username: null, role_id: 1 },
      { chat_id: 42, type: 'PRIVATE', title: 'Eldos', username: 'eldos', role_id: null },
      { chat_id: 43, type: 'PRIVATE', title: 'Twin', username: null, role_id: null },
      { chat_id: 44, type: 'PRIVATE', title: 'Twin', username: null, role_id: null },
    ],
    report_routes: [
      { report_type: 'CANCELED_ORDERS', chat_id: GROUP, unit_ids: [101, 102] },
      { report_type: 'DAILY_REVENUE', chat_id: GROUP, unit_ids: [103] },
      { report_type: 'CANCELED_ORDERS', chat_id: 42, unit_ids: [101] },
    ],
  });
});

describe('urdb chats list / show', () => {
  it('list: TSV without a header when piped, --json with the API field names, --role filters, pages', async () => {
    const [tsv, json, byRole, page] = await Promise.all([
      run('chats', 'list'),
      run('chats', 'list', '--json'),
      run('chats', 'list', '--role', 'Managers'),
      run('chats', 'list', '--limit', '2', '--offset', '1', '--json'),
    ]);
    expect(tsv.code).toBe(0);
    const lines = tsv.stdout.trimEnd().split('\n').map((l) => l.split('\t').slice(0, 5));
    expect(lines).toEqual([
      [String(GROUP), 'GROUP', 'Ops', '', 'Managers'],
      ['42', 'PRIVATE', 'Eldos', 'eldos', ''],
      ['43', 'PRIVATE', 'Twin', '', ''],
      ['44', 'PRIVATE', 'Twin', '', ''],
    ]);
    expect(tsv.stdout.split('\n')[0]!.split('\t')[5]).toMatch(/^\d{4}-\d\d-\d\dT/);
    const rows = JSON.parse(json.stdout) as Record<string, unknown>[];
    expect(Object.keys(rows[0]!)).toEqual(['chat_id', 'type', 'title', 'username', 'role_id', 'role', 'created_at']);
    expect(rows[0]).toMatchObject({ chat_id: GROUP, type: 'GROUP', title: 'Ops', username: null, role_id: 1, role: 'Managers' });
    expect(byRole.stdout.trimEnd().split('\n')).toHaveLength(1);
    expect((JSON.parse(page.stdout) as { chat_id: number }[]).map((c) => c.chat_id)).toEqual([42, 43]);
    const unknown = await run('chats', 'list', '--role', 'Nobody');
    expect([unknown.code, unknown.stderr]).toEqual([1, 'urdb: role "Nobody" not found; list roles with `urdb roles list`\n']);
  });

  it('show: by chat id, @username or title; KEY<TAB>VALUE piped, an object with --json', async () => {
    const [byId, byUsername, byTitle] = await Promise.all([
      run('chats', 'show', String(GROUP)),
      run('chats', 'show', '@ELDOS', '--json'),
      run('chats', 'show', 'Ops', '--json'),
    ]);
    expect(byId.code).toBe(0);
    expect(byId.stdout).toMatch(
      new RegExp(`^chat_id\\t${GROUP}\\ntype\\tGROUP\\ntitle\\tOps\\nusername\\t\\nrole_id\\t1\\nrole\\tManagers\\ncreated_at\\t\\S+\\nroutes\\t3\\n$`),
    );
    expect(JSON.parse(byUsername.stdout)).toMatchObject({ chat_id: 42, username: 'eldos', routes: 1, role: null });
    expect(JSON.parse(byTitle.stdout)).toMatchObject({ chat_id: GROUP, routes: 3 });
  });

  it('show: unknown chat exit 1, an ambiguous title exit 2, no argument without a terminal exit 2', async () => {
    const [unknown, twin, missing] = await Promise.all([run('chats', 'show', '-5'), run('chats', 'show', 'Twin'), run('chats', 'show')]);
    expect([unknown.code, unknown.stderr]).toEqual([1, 'urdb: chat -5 not found; list chats with `urdb chats list`\n']);
    expect([twin.code, twin.stderr]).toEqual([2, 'urdb: more than one chat is titled "Twin"; refer to the chat by its chat id\n']);
    expect([missing.code, missing.stderr]).toEqual([2, 'urdb: <chat> is required; give it as an argument, or run on a terminal to be asked\n']);
  });
});

describe('urdb chats add / update', () => {
  it('add registers a chat without a role; the type follows the sign of the chat id unless given', async () => {
    const group = await run('chats', 'add', '--chat-id', '-100500', '--title', ' Kitchen ');
    expect([group.code, group.stdout, group.stderr]).toEqual([0, '', 'registered GROUP chat -100500 "Kitchen"\n']);
    const person = await run('chats', 'add', '--chat-id', '500', '--title', 'Anna', '--username', '@anna', '--type', 'private', '--json');
    expect(person.code).toBe(0);
    expect(JSON.parse(person.stdout)).toMatchObject({ chat_id: 500, type: 'PRIVATE', title: 'Anna', username: 'anna', role_id: null });
    expect(await chat(-100500)).toMatchObject({ type: 'GROUP', title: 'Kitchen', username: null, role_id: null });
  });

  it('add: bad input is exit 2 naming the flag, a taken chat id exit 1; nothing changed', async () => {
    const before = await state(db);
    const results = await Promise.all([
      run('chats', 'add', '--chat-id', 'abc', '--title', 'x'),
      run('chats', 'add', '--chat-id', '7', '--title', 'x', '--type', 'channel'),
      run('chats', 'add', '--chat-id', '7'),
      run('chats', 'add', '--chat-id', '7', '--title', 'x'.repeat(256)),
      run('chats', 'add', '--chat-id', '42', '--title', 'again'),
    ]);
    expect(results.map((r) => [r.code, r.stderr])).toEqual([
      [2, 'urdb: --chat-id: A valid integer is required.\n'],
      [2, 'urdb: --type: "CHANNEL" is not a valid choice.\n'],
      [2, 'urdb: --title is required; pass --title, or run on a terminal to be asked\n'],
      [2, 'urdb: --title: Ensure this field has no more than 255 characters.\n'],
      [1, 'urdb: chat 42 is already registered; see it with `urdb chats show 42`\n'],
    ]);
    expect(await state(db)).toEqual(before);
  });

  it('update changes what is given and says what changed; --no-username clears it', async () => {
    const r = await run('chats', 'update', '42', '--title', 'Eldos K', '--no-username');
    expect([r.code, r.stderr]).toEqual([0, 'updated chat 42 "Eldos": title "Eldos" → "Eldos K", username @eldos → none\n']);
    expect(await chat(42)).toMatchObject({ title: 'Eldos K', username: null, type: 'PRIVATE' });
    const same = await run('chats', 'update', '42', '--title', 'Eldos K', '--json');
    expect(same.stderr).toBe('chat 42 "Eldos K" already is so; nothing changed\n');
    expect(JSON.parse(same.stdout)).toMatchObject({ chat_id: 42, title: 'Eldos K' });
  });

  it('update: nothing to change exit 2, unknown chat exit 1, bad type exit 2; nothing changed', async () => {
    const before = await state(db);
    const results = await Promise.all([
      run('chats', 'update', '42'),
      run('chats', 'update', '4242', '--title', 'x'),
      run('chats', 'update', '42', '--type', 'bot'),
    ]);
    expect(results.map((r) => [r.code, r.stderr])).toEqual([
      [2, 'urdb: nothing to change; give --title, --username, --no-username or --type\n'],
      [1, 'urdb: chat 4242 not found; list chats with `urdb chats list`\n'],
      [2, 'urdb: --type: "BOT" is not a valid choice.\n'],
    ]);
    expect(await state(db)).toEqual(before);
  });
});

describe('urdb chats move (a group upgraded to a supergroup)', () => {
  it('keeps the internal id, so routes and role stay; lookups answer for the new id', async () => {
    const old = await chat(GROUP);
    const r = await run('chats', 'move', String(GROUP), '-1009876543210');
    expect([r.code, r.stderr]).toEqual([0, `moved chat "Ops" from ${GROUP} to -1009876543210; its 3 routes and its role "Managers" stay with it\n`]);
    expect(await chat(-1009876543210)).toEqual({ ...old, chat_id: -1009876543210 });
    expect(await chat(GROUP)).toBeUndefined();
    const units = await run('routes', 'units', '--chat', '-1009876543210', '--report', 'CANCELED_ORDERS');
    expect(units.stdout).toBe('101\n102\n');
  });

  it('refuses a chat id that is registered already (exit 1, says what to do), the same id (exit 2), an unknown chat (exit 1)', async () => {
    const before = await state(db);
    const results = await Promise.all([
      run('chats', 'move', '42', '-1009876543210'),
      run('chats', 'move', '42', '42'),
      run('chats', 'move', '999', '1000'),
      run('chats', 'move', '42', 'x'),
    ]);
    expect(results.map((r) => [r.code, r.stderr])).toEqual([
      [1, 'urdb: chat id -1009876543210 is already registered ("Ops", 3 routes); if it is the same group, remove it first with `urdb chats rm -1009876543210`, then move again\n'],
      [2, 'urdb: chat "Eldos K" already has chat id 42\n'],
      [1, 'urdb: chat 999 not found; list chats with `urdb chats list`\n'],
      [2, 'urdb: <new-chat-id>: A valid integer is required.\n'],
    ]);
    expect(await state(db)).toEqual(before);
  });
});

describe('urdb chats rm', () => {
  it('without a terminal needs --yes (exit 2, nothing changed); with it deletes the chat and its routes', async () => {
    const before = await state(db);
    const ambiguous = await run('chats', 'rm', 'Twin', '--json');
    expect([ambiguous.code, ambiguous.stdout]).toEqual([2, '']);
    const noYes = await run('chats', 'rm', '42');
    expect([noYes.code, noYes.stderr]).toEqual([2, 'urdb: Delete chat 42 "Eldos K" and its 1 route: --yes required when not running interactively\n']);
    expect(await state(db)).toEqual(before);
    const r = await run('chats', 'rm', '42', '--yes', '--json');
    expect([r.code, r.stderr]).toEqual([0, 'deleted chat 42 "Eldos K" and its 1 route\n']);
    expect(JSON.parse(r.stdout)).toEqual({ chat_id: 42, title: 'Eldos K', routes: 1, dry_run: false });
    expect(await chat(42)).toBeUndefined();
    expect(await db.count('report_route')).toBe(3);
  });
});

describe('urdb chats on a terminal', () => {
  it('list is a table with upper-case headers; colour unless NO_COLOR', async () => {
    const colour = ptyUrdb(['chats', 'list', '--role', 'Managers'], { url: db.url, cols: 160 });
    expect(await colour.exit()).toBe(0);
    expect(colour.screen()).toMatch(/^CHAT ID +TYPE +TITLE +USERNAME +ROLE +CREATED AT$/m);
    expect(colour.screen()).toMatch(/^-1009876543210 +GROUP +Ops +Managers +\d{4}-/m);
    expect(colour.raw()).toContain('\x1b[1m');
    const plain = ptyUrdb(['chats', 'list', '--role', 'Managers'], { url: db.url, cols: 160, env: { NO_COLOR: '1' } });
    expect(await plain.exit()).toBe(0);
    expect(plain.screen()).toContain('CHAT ID');
    expect(plain.raw()).not.toMatch(/\x1b\[[0-9;]*m/);
  });

  it('add asks for the chat id, the title and the username', async () => {
    const t = ptyUrdb(['chats', 'add'], { url: db.url });
    await t.expect('Telegram chat id');
    t.type('-1005550001');
    t.press('enter');
    await t.expect('Title');
    t.type('Night shift');
    t.press('enter');
    await t.expect('Username');
    t.type('night');
    t.press('enter');
    expect(await t.exit()).toBe(0);
    expect(t.output()).toContain('registered GROUP chat -1005550001 "Night shift"');
    expect(await chat(-1005550001)).toMatchObject({ type: 'GROUP', title: 'Night shift', username: 'night' });
  });

  it('rm without an argument offers the chats; Ctrl-C at the confirmation exits 130 and deletes nothing', async () => {
    const before = await state(db);
    const t = ptyUrdb(['chats', 'rm'], { url: db.url });
    await t.expect('Chat to delete');
    t.type('night');
    await t.expectScreen(/❯ Night shift/);
    t.press('enter');
    await t.expect('Delete chat -1005550001 "Night shift"?');
    t.press('ctrl-c');
    expect(await t.exit()).toBe(130);
    expect(await state(db)).toEqual(before);
  });

  it('rm asks and deletes on yes', async () => {
    const t = ptyUrdb(['chats', 'rm', '-1005550001'], { url: db.url });
    await t.expect('Delete chat -1005550001 "Night shift"?');
    t.type('y');
    t.press('enter');
    expect(await t.exit()).toBe(0);
    expect(await chat(-1005550001)).toBeUndefined();
  });
});
