import { beforeAll, describe, expect, it } from 'vitest';
import { sha256hex } from '../src/core/access-code';
import { importBundle } from '../src/handlers/bundle/import';
import { UUID } from './support/bundles';
import { urdb } from './support/cli';
import { freshDatabase } from './support/db';
import { ptyUrdb } from './support/pty';
import { state } from './support/state';

const db = await freshDatabase();
const run = (args: string[], input?: string) => urdb(args, { url: db.url, input });
const GROUP = -1001234567890;
const CODE = /^[a-z2-9]{5}(-[a-z2-9]{5}){3}$/;

const role = async (name: string) => {
  const [row] = await db.sql<{ id: number; access_code_sha256: string }[]>`select id, access_code_sha256 from role where name = ${name}`;
  if (!row) return undefined;
  const units = await db.sql<{ unit_id: number }[]>`select unit_id from role_unit where role_id = ${row.id} order by 1`;
  const types = await db.sql<{ name: string }[]>`
    select t.name from role_report_type g join report_type t on t.id = g.report_type_id where g.role_id = ${row.id} order by t.id
  `;
  return { ...row, units: units.map((u) => u.unit_id), report_types: types.map((t) => t.name) };
};
const roleOf = async (chatId: number) =>
  (await db.sql<{ name: string | null }[]>`select r.name from telegram_chat c left join role r on r.id = c.role_id where c.chat_id = ${chatId}`)[0]?.name;
const routesOf = async (chatId: number) =>
  (
    await db.sql<{ r: string }[]>`
      select r.report_type_id || ':' || r.unit_id as r from report_route r join telegram_chat c on c.id = r.telegram_chat_id
      where c.chat_id = ${chatId} order by r.report_type_id, r.unit_id
    `
  ).map((x) => x.r);

beforeAll(async () => {
  await importBundle(db.ctx(), {
    format: 'urdb-bundle/1',
    regions: [
      { id: 1, name: 'Москва 1' },
      { id: 2, name: 'Казань' },
    ],
    units: [
      { id: 101, name: 'Москва 1-1', uuid: UUID(101), region: 'Москва 1' },
      { id: 102, name: 'Москва 1-2', uuid: UUID(102), region: 'Москва 1' },
      { id: 201, name: 'Казань 1', uuid: UUID(201), region: 'Казань' },
    ],
    roles: [{ id: 1, name: 'everything', access_code: 'everything-code', units: [101, 102, 201], report_types: ['CANCELED_ORDERS', 'DAILY_REVENUE'] }],
    telegram_chats: [
      { chat_id: GROUP, type: 'GROUP', title: 'Ops', role_id: 1 },
      { chat_id: 42, type: 'PRIVATE', title: 'Eldos', username: 'eldos' },
    ],
    report_routes: [
      { report_type: 'CANCELED_ORDERS', chat_id: GROUP, unit_ids: [101, 102, 201] },
      { report_type: 'DAILY_REVENUE', chat_id: GROUP, unit_ids: [101] },
    ],
  });
});

describe('urdb roles add', () => {
  it('generates a strong code, prints it once on stdout and stores only its digest', async () => {
    const r = await run(['roles', 'add', '--name', 'north', '--units', '101,Москва 1-2', '--report-types', 'CANCELED_ORDERS']);
    expect(r.code).toBe(0);
    const code = r.stdout.trim();
    expect(code).toMatch(CODE);
    expect(r.stdout).toBe(`${code}\n`);
    expect(r.stderr).toBe(
      'added role 2 "north" granting 2 units and 1 report type; the access code follows, shown only this once (urdb stores only its SHA-256 digest):\n',
    );
    expect(await role('north')).toEqual({ id: 2, access_code_sha256: sha256hex(code), units: [101, 102], report_types: ['CANCELED_ORDERS'] });
    expect(JSON.stringify(await db.sql`select * from role`)).not.toContain(code);
    const show = await run(['roles', 'show', 'north', '--json']);
    expect(show.stdout).not.toContain(code);
  });

  it('--json carries the code; --regions grants every unit of a region; --access-code - reads stdin and is not echoed', async () => {
    const json = await run(['roles', 'add', '--name', 'kazan', '--regions', 'Казань', '--json']);
    const created = JSON.parse(json.stdout);
    expect(created).toMatchObject({ name: 'kazan', units: 1, report_types: 0 });
    expect(created.access_code).toMatch(CODE);
    expect((await role('kazan'))?.units).toEqual([201]);
    const given = await run(['roles', 'add', '--name', 'given', '--access-code', '-'], 'a-long-chosen-code-1\n');
    expect([given.code, given.stdout]).toEqual([0, '']);
    expect(given.stderr).toContain('(it grants nothing yet: `urdb roles grant`); the access code is the one you gave');
    expect((await role('given'))?.access_code_sha256).toBe(sha256hex('a-long-chosen-code-1'));
  });

  it('a weak chosen code (under 10 characters, or common) is refused, saying how to get a strong one; --force-weak flags it', async () => {
    const before = await state(db);
    const short = await run(['roles', 'add', '--name', 'short', '--access-code', '1234']);
    expect([short.code, short.stdout]).toEqual([2, '']);
    expect(short.stderr).toBe(
      'urdb: access code refused: it has 4 characters; a chosen code needs at least 10; leave out --access-code and urdb generates a strong one ' +
        '(`urdb roles rotate-code <role>` for an existing role), or generate one with `openssl rand -base64 12`; --force-weak keeps a weak one anyway\n',
    );
    const common = await run(['roles', 'add', '--name', 'common', '--access-code', '-'], 'QwertyUIOP\n');
    expect(common.code).toBe(2);
    expect(common.stderr).toContain('urdb: access code refused: it is one of the common codes attackers try first');
    const rotate = await run(['roles', 'rotate-code', 'everything', '--access-code', 'pizza2024']);
    expect(rotate.code).toBe(2);
    expect(rotate.stderr).toContain('access code refused: it has 9 characters');
    expect(await state(db)).toEqual(before);

    const forced = await run(['roles', 'add', '--name', 'weakling', '--access-code', '1234', '--force-weak']);
    expect(forced.code).toBe(0);
    const list = await run(['roles', 'list']);
    expect(list.stderr).toMatch(/^warning: role \d+ "weakling": weak code: rotate it with `urdb roles rotate-code`$/m);
    expect(list.stderr).not.toContain('"north"');
    expect(JSON.parse((await run(['roles', 'list', '--json'])).stdout).find((r: { name: string }) => r.name === 'weakling')).toMatchObject({ weak_code: true });
    const show = await run(['roles', 'show', 'weakling']);
    expect(show.stdout).toContain('weak code: rotate it with `urdb roles rotate-code`');
    expect((await run(['roles', 'show', 'north'])).stdout).not.toContain('weak code');
    expect((await run(['roles', 'rotate-code', 'weakling'])).code).toBe(0);
    expect((await run(['roles', 'show', 'weakling'])).stdout).not.toContain('weak code');
    expect((await run(['roles', 'rm', 'weakling', '--yes'])).code).toBe(0);
  });

  it('bad input: exit code, one-line message, nothing changed', async () => {
    const before = await state(db);
    const results = await Promise.all([
      run(['roles', 'add']),
      run(['roles', 'add', '--name', 'north']),
      run(['roles', 'add', '--name', 'x', '--access-code', 'a-long-chosen-code-1']),
      run(['roles', 'add', '--name', 'x', '--units', '101,999']),
      run(['roles', 'add', '--name', 'x', '--report-types', 'NOPE']),
      run(['roles', 'add', '--name', 'x', '--regions', 'Тверь']),
      run(['roles', 'add', '--name', 'x', '--access-code', 'c'.repeat(65)]),
      run(['roles', 'add', '--name', 'x', '--access-code', '-'], ''),
    ]);
    expect(results.map((r) => [r.code, r.stdout, r.stderr])).toEqual([
      [2, '', 'urdb: --name is required; pass --name, or run on a terminal to be asked\n'],
      [1, '', 'urdb: a role named "north" already exists (id 2); choose another name\n'],
      [1, '', 'urdb: another role already has this access code; choose another code, or omit --access-code to generate one\n'],
      [1, '', 'urdb: unit 999 not found; list units with `urdb units list`\n'],
      [1, '', 'urdb: report type "NOPE" not found; list them with `urdb report-types list --all`\n'],
      [1, '', 'urdb: region "Тверь" not found; list regions with `urdb regions list`\n'],
      [2, '', 'urdb: --access-code: Ensure this field has no more than 64 characters.\n'],
      [2, '', 'urdb: --access-code -: stdin held no access code; pipe the code as the first line\n'],
    ]);
    expect(await state(db)).toEqual(before);
  });
});

describe('urdb roles list / show / update', () => {
  it('list: counts per role, TSV piped, --json', async () => {
    const [tsv, json, search] = await Promise.all([
      run(['roles', 'list']),
      run(['roles', 'list', '--json', '--limit', '1']),
      run(['roles', 'list', '--search', 'KAZ']),
    ]);
    expect(tsv.stdout.split('\n').slice(0, 2)).toEqual(['1\teverything\t3\t2\t1', '2\tnorth\t2\t1\t0']);
    expect(JSON.parse(json.stdout)).toEqual([{ id: 1, name: 'everything', unit_count: 3, report_type_count: 2, chat_count: 1, weak_code: false }]);
    expect(search.stdout).toMatch(/^\d+\tkazan\t1\t0\t0\n$/);
  });

  it('show: units by region, report types and chats; the whole structure with --json', async () => {
    const [tsv, json, missing] = await Promise.all([run(['roles', 'show', '1']), run(['roles', 'show', 'everything', '--json']), run(['roles', 'show', 'nope'])]);
    expect(tsv.stdout).toBe(
      [
        'id\t1',
        'name\teverything',
        'units\t3 (Москва 1: 101, 102; Казань: 201)',
        'report_types\t2 (CANCELED_ORDERS, DAILY_REVENUE)',
        `chats\t1 (${GROUP} Ops)`,
        '',
      ].join('\n'),
    );
    expect(JSON.parse(json.stdout)).toEqual({
      id: 1,
      name: 'everything',
      weak_code: false,
      units: [
        { id: 101, name: 'Москва 1-1', region: 'Москва 1' },
        { id: 102, name: 'Москва 1-2', region: 'Москва 1' },
        { id: 201, name: 'Казань 1', region: 'Казань' },
      ],
      report_types: [
        { id: 7, name: 'CANCELED_ORDERS', verbose_name: 'Отмены заказов' },
        { id: 17, name: 'DAILY_REVENUE', verbose_name: 'Выручка за сегодня' },
      ],
      chats: [{ chat_id: GROUP, type: 'GROUP', title: 'Ops' }],
    });
    expect([missing.code, missing.stderr]).toEqual([1, 'urdb: role "nope" not found; list roles with `urdb roles list`\n']);
  });

  it('update renames; a taken name is a conflict and changes nothing', async () => {
    const r = await run(['roles', 'update', 'kazan', '--name', 'Казань team']);
    expect([r.code, r.stderr]).toEqual([0, `renamed role ${(await role('Казань team'))!.id} "kazan" to "Казань team"\n`]);
    const before = await state(db);
    const taken = await run(['roles', 'update', 'Казань team', '--name', 'north']);
    expect([taken.code, taken.stderr]).toEqual([1, 'urdb: a role named "north" already exists (id 2); choose another name\n']);
    expect(await state(db)).toEqual(before);
  });
});

describe('urdb roles grant / revoke / rotate-code', () => {
  it('grant adds to what the role has and says what was already granted', async () => {
    const r = await run(['roles', 'grant', 'north', '--regions', 'Москва 1', '--units', '201', '--report-types', '7,DAILY_REVENUE']);
    expect([r.code, r.stderr]).toEqual([0, 'granted 1 unit and 1 report type to role 2 "north" (2 units and 1 report type already granted)\n']);
    expect(await role('north')).toMatchObject({ units: [101, 102, 201], report_types: ['CANCELED_ORDERS', 'DAILY_REVENUE'] });
    const nothing = await run(['roles', 'grant', 'north']);
    expect([nothing.code, nothing.stderr]).toEqual([2, 'urdb: nothing to grant; give --units, --regions or --report-types\n']);
  });

  it('revoke needs --yes without a terminal; it deletes the routes into the role\'s chats that the grants covered', async () => {
    const before = await state(db);
    const refused = await run(['roles', 'revoke', 'everything', '--units', '201', '--report-types', 'DAILY_REVENUE']);
    expect([refused.code, refused.stderr]).toEqual([
      2,
      'urdb: Revoke 1 unit and 1 report type from role 1 "everything" and delete 2 routes into its chat: --yes required when not running interactively\n',
    ]);
    expect(await state(db)).toEqual(before);
    const r = await run(['roles', 'revoke', 'everything', '--units', '201', '--report-types', 'DAILY_REVENUE', '--yes', '--json']);
    expect([r.code, r.stderr]).toEqual([0, 'revoked 1 unit and 1 report type from role 1 "everything"; deleted 2 routes into its chat\n']);
    expect(JSON.parse(r.stdout)).toMatchObject({ units: 1, report_types: 1, routes_deleted: 2, chats: 1, dry_run: false });
    expect(await role('everything')).toMatchObject({ units: [101, 102], report_types: ['CANCELED_ORDERS'] });
    expect(await routesOf(GROUP)).toEqual(['7:101', '7:102']);
  });

  it('revoke --keep-routes keeps the routes', async () => {
    const r = await run(['roles', 'revoke', 'everything', '--units', '102', '--keep-routes', '-y']);
    expect([r.code, r.stderr]).toEqual([0, 'revoked 1 unit from role 1 "everything"\n']);
    expect(await routesOf(GROUP)).toEqual(['7:101', '7:102']);
    await run(['roles', 'grant', 'everything', '--units', '102']);
  });

  it('rotate-code: a new code works, the old one no longer does', async () => {
    const r = await run(['roles', 'rotate-code', 'everything']);
    expect(r.code).toBe(0);
    const code = r.stdout.trim();
    expect(code).toMatch(CODE);
    expect(r.stderr).toContain('replaced the access code of role 1 "everything" (the old one no longer works); the access code follows');
    expect((await role('everything'))?.access_code_sha256).toBe(sha256hex(code));
    const old = await run(['roles', 'assign', '42', '--access-code', 'everything-code']);
    expect(old.code).toBe(1);
    expect(old.stderr).toMatch(/^urdb: Role is not found; no role has this code/);
    expect(await roleOf(42)).toBeNull();
    expect((await run(['roles', 'assign', '42', '--access-code', code])).code).toBe(0);
    expect(await roleOf(42)).toBe('everything');
  });
});

describe('urdb roles assign / unassign', () => {
  it('assign --access-code applies the API\'s rule: role set, routes for units the role does not grant deleted, said how many', async () => {
    const north = (await run(['roles', 'rotate-code', 'north'])).stdout.trim();
    await db.sql`
      insert into report_route (unit_id, report_type_id, telegram_chat_id)
      select u, 7, (select id from telegram_chat where chat_id = 42) from unnest('{101,201}'::int[]) as u
    `;
    await run(['roles', 'revoke', 'north', '--units', '201', '-y']);
    // Deleting routes needs --yes without a terminal (cli-deletions.test.ts has the refusals).
    const r = await run(['roles', 'assign', '@eldos', '--access-code', '-', '--yes'], `${north}\n`);
    expect([r.code, r.stderr]).toEqual([0, 'chat 42 "Eldos" now has role 2 "north"; deleted 1 route into it for units the role does not grant\n']);
    expect(await routesOf(42)).toEqual(['7:101']);
    const again = await run(['roles', 'assign', '42', '--access-code', north, '--json']);
    expect(again.stderr).toBe('chat 42 "Eldos" now has role 2 "north"\n');
    expect(JSON.parse(again.stdout)).toMatchObject({ role_id: 2, role: 'north', deleted_routes: 0, chat_id: 42 });
  });

  it('assign --role for the administrator, with the same purge', async () => {
    const kazan = (await role('Казань team'))!;
    const r = await run(['roles', 'assign', '42', '--role', 'Казань team', '--yes']);
    expect([r.code, r.stderr]).toEqual([0, `chat 42 "Eldos" now has role ${kazan.id} "Казань team"; deleted 1 route into it for units the role does not grant\n`]);
    expect(await routesOf(42)).toEqual([]);
  });

  it('assign: bad input changes nothing', async () => {
    const before = await state(db);
    const results = await Promise.all([
      run(['roles', 'assign', '42']),
      run(['roles', 'assign', '42', '--role', 'north', '--access-code', 'x']),
      run(['roles', 'assign', '4242', '--role', 'north']),
      run(['roles', 'assign', '42', '--role', 'nope']),
      run(['roles', 'assign', '--role', 'north']),
    ]);
    expect(results.map((r) => [r.code, r.stderr])).toEqual([
      [2, 'urdb: --access-code or --role is required; give the access code the person was given, or the role by name\n'],
      [2, 'urdb: give either --access-code or --role, not both\n'],
      [1, 'urdb: chat 4242 not found; list chats with `urdb chats list`\n'],
      [1, 'urdb: role "nope" not found; list roles with `urdb roles list`\n'],
      [2, 'urdb: <chat> is required; give it as an argument, or run on a terminal to be asked\n'],
    ]);
    expect(await state(db)).toEqual(before);
    // A code being presented is not judged for its strength: one line, the API's message and what to do.
    const wrong = await run(['roles', 'assign', '42', '--access-code', 'zq9']);
    expect([wrong.code, wrong.stderr]).toEqual([
      1,
      'urdb: Role is not found; no role has this code, or too many wrong codes were tried (for this chat, or by you) within 10 minutes; check the code, or give the role by name with --role\n',
    ]);
  });

  it('unassign needs --yes without a terminal; the routes stay; a chat without a role is a no-op', async () => {
    await db.sql`insert into report_route (unit_id, report_type_id, telegram_chat_id) select 201, 7, id from telegram_chat where chat_id = 42`;
    const before = await state(db);
    const refused = await run(['roles', 'unassign', '42']);
    expect([refused.code, refused.stderr]).toEqual([
      2,
      'urdb: Take role "Казань team" from chat 42 "Eldos" (its route stays): --yes required when not running interactively\n',
    ]);
    expect(await state(db)).toEqual(before);
    const r = await run(['roles', 'unassign', '42', '-y']);
    expect([r.code, r.stderr]).toEqual([0, 'took role "Казань team" from chat 42 "Eldos" (its route stays)\n']);
    expect(await roleOf(42)).toBeNull();
    expect(await routesOf(42)).toEqual(['7:201']);
    const none = await run(['roles', 'unassign', '42']);
    expect([none.code, none.stderr]).toEqual([0, 'chat 42 "Eldos" has no role; nothing changed\n']);
  });
});

describe('urdb roles rm', () => {
  it('needs --yes without a terminal; deleting leaves the chats without a role, their routes stay', async () => {
    const before = await state(db);
    const refused = await run(['roles', 'rm', 'everything']);
    expect([refused.code, refused.stderr]).toEqual([
      2,
      'urdb: Delete role 1 "everything"; 1 chat is left without a role (its routes stay): --yes required when not running interactively\n',
    ]);
    expect(await state(db)).toEqual(before);
    const r = await run(['roles', 'rm', '1', '--yes']);
    expect([r.code, r.stderr]).toEqual([0, 'deleted role 1 "everything"; 1 chat is left without a role (its routes stay)\n']);
    expect(await role('everything')).toBeUndefined();
    expect(await roleOf(GROUP)).toBeNull();
    expect(await routesOf(GROUP)).toEqual(['7:101', '7:102']);
  });
});

describe('urdb roles on a terminal', () => {
  it('add asks for the name, then ticks units (grouped by region) and report types; prints the code', async () => {
    const t = ptyUrdb(['roles', 'add'], { url: db.url });
    await t.expect('Role name');
    t.type('Picked');
    t.press('enter');
    await t.expectScreen(/── Казань ──[\s\S]*Казань 1 \(201\)[\s\S]*── Москва 1 ──/);
    t.press('space', 'enter');
    await t.expectScreen(/❯.*STATISTICS/);
    t.press('space', 'enter');
    expect(await t.exit()).toBe(0);
    const created = (await role('Picked'))!;
    expect(created.units).toEqual([201]);
    expect(created.report_types).toEqual(['STATISTICS']);
    const code = t.output().match(/[a-z2-9]{5}(?:-[a-z2-9]{5}){3}/)?.[0];
    expect(code && sha256hex(code)).toBe(created.access_code_sha256);
  });

  it('grant without flags ticks units and report types; ticking nothing changes nothing (exit 2)', async () => {
    const t = ptyUrdb(['roles', 'grant', 'Picked'], { url: db.url });
    await t.expectScreen(/❯.*Казань 1 \(201\)/);
    t.press('down', 'space', 'enter');
    await t.expectScreen(/❯.*STATISTICS/);
    t.press('enter');
    expect(await t.exit()).toBe(0);
    expect(t.output()).toContain('granted 1 unit to role');
    expect((await role('Picked'))?.units).toEqual([101, 201]);
    const before = await state(db);
    const none = ptyUrdb(['roles', 'grant', 'Picked'], { url: db.url });
    await none.expectScreen(/❯.*Казань 1/);
    none.press('enter');
    await none.expectScreen(/❯.*STATISTICS/);
    none.press('enter');
    expect(await none.exit()).toBe(2);
    expect(none.output()).toContain('nothing ticked; nothing was changed');
    expect(await state(db)).toEqual(before);
  });

  it('Ctrl-C at the name exits 130 and creates nothing', async () => {
    const before = await state(db);
    const t = ptyUrdb(['roles', 'add'], { url: db.url });
    await t.expect('Role name');
    t.type('Half');
    t.press('ctrl-c');
    expect(await t.exit()).toBe(130);
    expect(t.output()).toContain('interrupted; nothing was changed');
    expect(await state(db)).toEqual(before);
  });

  it('assign --access-code alone asks for the code masked; a role is picked when neither flag is given', async () => {
    const north = (await run(['roles', 'rotate-code', 'north'])).stdout.trim();
    const t = ptyUrdb(['roles', 'assign', '42', '--access-code'], { url: db.url });
    await t.expect('Access code');
    t.type(north);
    await t.expectScreen('*'.repeat(north.length));
    expect(t.screen()).not.toContain(north);
    t.press('enter');
    // The chat's routes for units north does not grant would go: asked first.
    await t.expect(/and delete \d+ routes? into it for units the role does not grant\?/);
    t.type('y');
    t.press('enter');
    expect(await t.exit()).toBe(0);
    expect(await roleOf(42)).toBe('north');
    const pick = ptyUrdb(['roles', 'assign', '42'], { url: db.url });
    await pick.expect('Role to give');
    expect(await pick.expectScreen('Picked')).toContain('north');
    pick.press('ctrl-c');
    expect(await pick.exit()).toBe(130);
    expect(await roleOf(42)).toBe('north');
  });
});
