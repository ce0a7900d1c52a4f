import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { importBundle } from '../src/handlers/bundle/import';
import { UUID } from './support/bundles';
import { urdb } from './support/cli';
import { freshDatabase } from './support/db';
import { ptyUrdb } from './support/pty';
import { state } from './support/state';

const db = await freshDatabase();
const run = (...args: string[]) => urdb(args, { url: db.url });
const GROUP = -1001234567890;
const ADMIN = 1001;
const NOROLE = 1002;
const AS_ADMIN = `--as ${ADMIN} (chat "admin", role "north")`;

/** Routes as `chat_id:report_type_id:unit_id`, sorted. */
async function routes(): Promise<string[]> {
  const rows = await db.sql<{ r: string }[]>`
    select c.chat_id || ':' || r.report_type_id || ':' || r.unit_id as r
    from report_route r join telegram_chat c on c.id = r.telegram_chat_id order by c.chat_id, r.report_type_id, r.unit_id
  `;
  return rows.map((x) => x.r);
}

async function setRoutes(list: [chat: number, type: number, units: number[]][]) {
  await db.sql`delete from report_route`;
  for (const [chat, type, units] of list) {
    await db.sql`
      insert into report_route (unit_id, report_type_id, telegram_chat_id)
      select u, ${type}, (select id from telegram_chat where chat_id = ${chat}) from unnest(${`{${units.join(',')}}`}::int[]) as u
    `;
  }
}

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
      { id: 202, name: 'Казань 2', uuid: UUID(202), region: 'Казань' },
    ],
    report_types: [{ name: 'OLD_REPORT', verbose_name: 'Old', is_active: false }],
    roles: [{ id: 1, name: 'north', access_code: 'north-code', units: [101, 102], report_types: ['CANCELED_ORDERS'] }],
    telegram_chats: [
      { chat_id: ADMIN, type: 'PRIVATE', title: 'admin', username: 'boss', role_id: 1 },
      { chat_id: NOROLE, type: 'PRIVATE', title: 'nobody' },
      { chat_id: GROUP, type: 'GROUP', title: 'Ops' },
    ],
  });
});

describe('urdb routes add (administrator: additive, no role checks)', () => {
  beforeEach(() => setRoutes([]));

  it('adds the missing routes and says how many existed; names and ids both work', async () => {
    const first = await run('routes', 'add', '--chat', 'Ops', '--report', 'CANCELED_ORDERS', '--units', '101,Москва 1-2');
    expect(first.code).toBe(0);
    expect(first.stdout).toBe('');
    expect(first.stderr).toBe(`added 2 routes (CANCELED_ORDERS into chat ${GROUP} "Ops")\n`);
    const second = await run('routes', 'add', '--chat', String(GROUP), '--report', '7', '--region', 'Москва 1', '--json');
    expect(second.code).toBe(0);
    expect(second.stderr).toBe(`added 0 routes, 2 already existed (CANCELED_ORDERS into chat ${GROUP} "Ops")\n`);
    expect(JSON.parse(second.stdout)).toEqual({ chat_id: GROUP, chat_title: 'Ops', report_type_id: 7, report_type: 'CANCELED_ORDERS', units: 2, added: 0, existed: 2 });
    const all = await run('routes', 'add', '--chat', '@boss', '--report', '7', '--all');
    expect(all.stderr).toBe(`added 4 routes (CANCELED_ORDERS into chat ${ADMIN} "admin")\n`);
    expect(await routes()).toEqual([`${GROUP}:7:101`, `${GROUP}:7:102`, ...[101, 102, 201, 202].map((u) => `${ADMIN}:7:${u}`)]);
  });

  it('warns when the report type is inactive (the route is still added)', async () => {
    const r = await run('routes', 'add', '--chat', 'Ops', '--report', 'OLD_REPORT', '--units', '101');
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('warning: report type OLD_REPORT is inactive');
    expect(r.stderr).toContain('added 1 route (OLD_REPORT');
  });

  it('bad input: exit code, one-line message, nothing changed', async () => {
    await setRoutes([[GROUP, 7, [101]]]);
    const before = await state(db);
    const cases: [string[], number, string][] = [
      [['--chat', 'Ops', '--report', '7', '--units', '101,999,Нет'], 1, 'urdb: units 999, "Нет" not found; list units with `urdb units list`\n'],
      [['--chat', 'Ops', '--report', 'NOPE', '--all'], 1, 'urdb: report type "NOPE" not found; list them with `urdb report-types list --all`\n'],
      [['--chat', '555', '--report', '7', '--all'], 1, 'urdb: chat 555 not found; list chats with `urdb chats list`\n'],
      [['--chat', 'Ops', '--report', '7', '--region', 'Тверь'], 1, 'urdb: region "Тверь" not found; list regions with `urdb regions list`\n'],
      [['--chat', 'Ops', '--report', '7', '--units', '101', '--all'], 2, 'urdb: give only one of --units, --region and --all\n'],
      [['--chat', 'Ops', '--report', '7'], 2, 'urdb: which units? give --units, --region or --all; or run on a terminal to tick them in a list\n'],
      [['--report', '7', '--all'], 2, 'urdb: --chat is required; pass --chat, or run on a terminal to be asked\n'],
      [['--chat', 'Ops', '--report', '7', '--units', ''], 2, 'urdb: --units is empty; give ids or names separated by commas\n'],
    ];
    const results = await Promise.all(cases.map(([args]) => run('routes', 'add', ...args)));
    expect(results.map((r, i) => ({ args: cases[i]![0], code: r.code, stderr: r.stderr, stdout: r.stdout }))).toEqual(
      cases.map(([args, code, stderr]) => ({ args, code, stderr, stdout: '' })),
    );
    expect(await state(db)).toEqual(before);
  });
});

describe('urdb routes add --as (the API\'s role checks, order and messages)', () => {
  beforeEach(() => setRoutes([]));

  it('each check in the API\'s order, first failure wins; nothing inserted', async () => {
    const cases: [string[], number, string][] = [
      [['--chat', String(GROUP), '--report', '7', '--units', 'x1'], 1, 'urdb: unit "x1" not found; list units with `urdb units list`\n'],
      [['--chat', String(GROUP), '--report', '7', '--units', '101', '--as', 'me'], 2, 'urdb: --as: A valid integer is required.\n'],
      [['--chat', String(GROUP), '--report', '999', '--units', '101', '--as', '4242'], 1, 'urdb: --as 4242: no chat has the Telegram chat id 4242 (Chat by chat ID is not found); register it with `urdb chats add --chat-id 4242`, or pick one from `urdb chats list`\n'],
      [['--chat', String(GROUP), '--report', '999', '--units', '101', '--as', String(NOROLE)], 1, `urdb: --as ${NOROLE} (chat "nobody") has no role, so it may route nothing (User has no any role); give it one: \`urdb roles assign ${NOROLE} --role <role>\` (roles: \`urdb roles list\`)\n`],
      [['--chat', String(GROUP), '--report', '999', '--units', '101', '--as', String(ADMIN)], 1, 'urdb: --report 999: no report type has that id (Report type by ID is not found); list them with `urdb report-types list`\n'],
      [['--chat', String(GROUP), '--report', 'DAILY_REVENUE', '--units', '101', '--as', String(ADMIN)], 1, `urdb: ${AS_ADMIN}: its role does not grant report type DAILY_REVENUE (Permission to report type denied); grant it: \`urdb roles grant "north" --report-types DAILY_REVENUE\`, or leave out --as\n`],
      [['--chat', '777', '--report', '7', '--units', '999,101,201', '--as', String(ADMIN)], 1, `urdb: ${AS_ADMIN}: its role does not grant units 201, 999 (Permission to units {201, 999} denied); grant them: \`urdb roles grant "north" --units 201,999\`, or leave them out\n`],
      [['--chat', '777', '--report', '7', '--units', '101', '--as', String(ADMIN)], 1, 'urdb: --chat 777: no chat has the Telegram chat id 777 (Chat by chat ID is not found); register it with `urdb chats add --chat-id 777`, or pick one from `urdb chats list`\n'],
      [['--chat', String(GROUP), '--report', '7', '--region', 'Казань', '--as', String(ADMIN)], 1, `urdb: ${AS_ADMIN}: its role does not grant units 201, 202 (Permission to units {201, 202} denied); grant them: \`urdb roles grant "north" --units 201,202\`, or leave them out\n`],
    ];
    const results = await Promise.all(cases.map(([args]) => run('routes', 'add', ...args)));
    expect(results.map((r, i) => ({ args: cases[i]![0], code: r.code, stderr: r.stderr }))).toEqual(
      cases.map(([args, code, stderr]) => ({ args, code, stderr })),
    );
    expect(await routes()).toEqual([]);
  });

  it('inserts all or nothing: an existing route fails the whole request with 409\'s message', async () => {
    const ok = await run('routes', 'add', '--chat', 'Ops', '--report', 'CANCELED_ORDERS', '--units', '101', '--as', String(ADMIN));
    expect(ok.code).toBe(0);
    expect(ok.stderr).toBe(`added 1 route as user ${ADMIN}\n`);
    const conflict = await run('routes', 'add', '--chat', 'Ops', '--report', '7', '--region', 'Москва 1', '--as', String(ADMIN));
    expect(conflict.code).toBe(1);
    expect(conflict.stderr).toBe(
      `urdb: with --as the request is all or nothing, and some of these units already route CANCELED_ORDERS into chat ${GROUP} (Unit route already exists); ` +
        `see them with \`urdb routes list --chat ${GROUP} --report 7\` and leave them out, or leave out --as (existing routes are then counted)\n`,
    );
    expect(await routes()).toEqual([`${GROUP}:7:101`]);
  });
});

describe('urdb routes rm', () => {
  beforeEach(() => setRoutes([[GROUP, 7, [101, 102, 201]], [ADMIN, 7, [101]]]));

  it('--units deletes those routes without asking and says which were not routed', async () => {
    const r = await run('routes', 'rm', '--chat', 'Ops', '--report', '7', '--units', '101,202', '--json');
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(`deleted 1 route, 1 was not routed (CANCELED_ORDERS into chat ${GROUP} "Ops")\n`);
    expect(JSON.parse(r.stdout)).toEqual({ chat_id: GROUP, chat_title: 'Ops', report_type_id: 7, report_type: 'CANCELED_ORDERS', units: 2, deleted: 1, not_routed: 1 });
    expect(await routes()).toEqual([`${GROUP}:7:102`, `${GROUP}:7:201`, `${ADMIN}:7:101`]);
  });

  it('--all and --region need --yes without a terminal (exit 2, nothing changed), then delete', async () => {
    const before = await state(db);
    const refused = await run('routes', 'rm', '--chat', 'Ops', '--report', '7', '--all');
    expect(refused.code).toBe(2);
    expect(refused.stderr).toBe(`urdb: Delete 3 routes (CANCELED_ORDERS into chat ${GROUP} "Ops"): --yes required when not running interactively\n`);
    const region = await run('routes', 'rm', '--chat', 'Ops', '--report', '7', '--region', 'Казань');
    expect(region.code).toBe(2);
    expect(await state(db)).toEqual(before);
    const done = await run('routes', 'rm', '--chat', 'Ops', '--report', '7', '--region', 'Казань', '--yes');
    expect(done.stderr).toBe(`deleted 1 route (CANCELED_ORDERS into chat ${GROUP} "Ops")\n`);
    const all = await run('routes', 'rm', '--chat', 'Ops', '--report', '7', '--all', '-y');
    expect(all.stderr).toBe(`deleted 2 routes (CANCELED_ORDERS into chat ${GROUP} "Ops")\n`);
    expect(await routes()).toEqual([`${ADMIN}:7:101`]);
    const none = await run('routes', 'rm', '--chat', 'Ops', '--report', '7', '--all');
    expect(none.code).toBe(0);
    expect(none.stderr).toContain('nothing to delete');
  });

  it('--as applies the role checks of POST (a user removes only what it could have added)', async () => {
    const before = await state(db);
    const denied = await run('routes', 'rm', '--chat', 'Ops', '--report', '7', '--units', '101,201', '--as', String(ADMIN));
    const unit201 = `urdb: ${AS_ADMIN}: its role does not grant unit 201 (Permission to units {201} denied); grant it: \`urdb roles grant "north" --units 201\`, or leave it out\n`;
    expect([denied.code, denied.stderr]).toEqual([1, unit201]);
    const norole = await run('routes', 'rm', '--chat', 'Ops', '--report', '7', '--units', '101', '--as', String(NOROLE));
    expect([norole.code, norole.stderr.split(' (')[0]]).toEqual([1, `urdb: --as ${NOROLE}`]);
    expect(norole.stderr).toContain('has no role, so it may route nothing (User has no any role)');
    const type = await run('routes', 'rm', '--chat', 'Ops', '--report', '17', '--units', '101', '--as', String(ADMIN));
    expect(type.code).toBe(1);
    expect(type.stderr).toMatch(/^urdb: --as 1001 \(chat "admin", role "north"\): its role does not grant report type \w+ \(Permission to report type denied\); grant it: `urdb roles grant "north" --report-types \w+`/);
    const all = await run('routes', 'rm', '--chat', 'Ops', '--report', '7', '--all', '--as', String(ADMIN), '--yes');
    expect([all.code, all.stderr]).toEqual([1, unit201]);
    expect(await state(db)).toEqual(before);
    const ok = await run('routes', 'rm', '--chat', 'Ops', '--report', '7', '--units', '101,102', '--as', String(ADMIN));
    expect([ok.code, ok.stderr]).toEqual([0, `deleted 2 routes as user ${ADMIN}\n`]);
    expect(await routes()).toEqual([`${GROUP}:7:201`, `${ADMIN}:7:101`]);
  });
});

describe('urdb routes list / chats / units', () => {
  beforeAll(() => setRoutes([[GROUP, 7, [101, 201]], [ADMIN, 7, [101]], [ADMIN, 17, [102]]]));

  it('list joins names; piped is TSV without a header, --json has the field names', async () => {
    const tsv = await run('routes', 'list');
    expect(tsv.code).toBe(0);
    expect(tsv.stdout).toBe(
      [
        `${ADMIN}\tadmin\tCANCELED_ORDERS\t101\tМосква 1-1\tМосква 1`,
        `${ADMIN}\tadmin\tDAILY_REVENUE\t102\tМосква 1-2\tМосква 1`,
        `${GROUP}\tOps\tCANCELED_ORDERS\t101\tМосква 1-1\tМосква 1`,
        `${GROUP}\tOps\tCANCELED_ORDERS\t201\tКазань 1\tКазань`,
        '',
      ].join('\n'),
    );
    const json = await run('routes', 'list', '--region', 'Казань', '--json');
    expect(JSON.parse(json.stdout)).toEqual([
      { chat_id: GROUP, chat_title: 'Ops', report_type_id: 7, report_type: 'CANCELED_ORDERS', unit_id: 201, unit_name: 'Казань 1', region: 'Казань' },
    ]);
    const filtered = await run('routes', 'list', '--unit', 'Москва 1-1', '--report', '7', '--chat', 'Ops');
    expect(filtered.stdout).toBe(`${GROUP}\tOps\tCANCELED_ORDERS\t101\tМосква 1-1\tМосква 1\n`);
    const page = await run('routes', 'list', '--limit', '1', '--offset', '1', '--json');
    expect(JSON.parse(page.stdout)).toMatchObject([{ chat_id: ADMIN, unit_id: 102 }]);
  });

  it('list: bad filters are errors, an empty result is ok', async () => {
    expect(await run('routes', 'list', '--chat', 'nobody')).toMatchObject({ code: 0, stdout: '' });
    expect(await run('routes', 'list', '--unit', 'Нет')).toMatchObject({ code: 1, stderr: 'urdb: unit "Нет" not found; list units with `urdb units list`\n' });
    expect(await run('routes', 'list', '--limit', '0')).toMatchObject({ code: 2, stderr: 'urdb: --limit: Ensure this value is greater than or equal to 1.\n' });
  });

  it('chats: who receives a report about a unit (ids or names), as the API answers', async () => {
    const r = await run('routes', 'chats', '--unit', '101', '--report', '7');
    expect([r.code, r.stdout]).toEqual([0, `${GROUP}\n${ADMIN}\n`]);
    const named = await run('routes', 'chats', '--unit', 'Москва 1-1', '--report', 'CANCELED_ORDERS', '--json');
    expect(JSON.parse(named.stdout)).toEqual([GROUP, ADMIN]);
    expect(await run('routes', 'chats', '--unit', '999', '--report', '7')).toMatchObject({ code: 0, stdout: '' });
    expect(await run('routes', 'chats', '--unit', '101')).toMatchObject({ code: 2, stderr: 'urdb: --report is required; pass --report, or run on a terminal to be asked\n' });
    expect(await run('routes', 'chats', '--unit', '101', '--report', '7', '--limit', '1')).toMatchObject({ stdout: `${GROUP}\n` });
  });

  it('units: the units routed to a chat for a report type', async () => {
    expect(await run('routes', 'units', '--chat', 'Ops', '--report', '7')).toMatchObject({ code: 0, stdout: '101\n201\n' });
    expect(JSON.parse((await run('routes', 'units', '--chat', String(ADMIN), '--report', 'DAILY_REVENUE', '--json')).stdout)).toEqual([102]);
    expect(await run('routes', 'units', '--chat', '-5', '--report', '7')).toMatchObject({ code: 0, stdout: '' });
  });
});

describe('urdb routes on a terminal', () => {
  beforeEach(() => setRoutes([[GROUP, 7, [101]]]));

  it('add without --units offers the units not yet routed, grouped by region; ticked ones are added', async () => {
    const t = ptyUrdb(['routes', 'add', '--chat', 'Ops', '--report', '7'], { url: db.url });
    const screen = await t.expectScreen('Казань 2');
    expect(screen).toMatch(/── Казань ──[\s\S]*Казань 1 \(201\)[\s\S]*Казань 2 \(202\)[\s\S]*── Москва 1 ──[\s\S]*Москва 1-2 \(102\)/);
    expect(screen).not.toContain('(101)');
    t.press('space', 'down', 'space', 'enter');
    expect(await t.exit()).toBe(0);
    expect(t.output()).toContain('added 2 routes');
    expect(await routes()).toEqual([`${GROUP}:7:101`, `${GROUP}:7:201`, `${GROUP}:7:202`]);
  });

  it('Ctrl-C in the checkbox list exits 130 and changes nothing', async () => {
    const before = await state(db);
    const t = ptyUrdb(['routes', 'add', '--chat', 'Ops', '--report', '7'], { url: db.url });
    await t.expectScreen('Казань 2');
    t.press('space', 'ctrl-c');
    expect(await t.exit()).toBe(130);
    expect(t.output()).toContain('interrupted; nothing was changed');
    expect(await state(db)).toEqual(before);
  });

  it('rm without --units offers the routed units; the ticked ones are deleted without a further question', async () => {
    await setRoutes([[GROUP, 7, [101, 201]]]);
    const t = ptyUrdb(['routes', 'rm', '--chat', 'Ops', '--report', 'CANCELED_ORDERS'], { url: db.url });
    const screen = await t.expectScreen('Москва 1-1 (101)');
    expect(screen).toContain('Казань 1 (201)');
    expect(screen).not.toContain('(102)');
    t.press('space', 'enter');
    expect(await t.exit()).toBe(0);
    expect(t.output()).toContain('deleted 1 route');
    expect(await routes()).toEqual([`${GROUP}:7:101`]);
  });

  it('add --as without --units offers the units the acting user\'s role grants that are not routed yet', async () => {
    const t = ptyUrdb(['routes', 'add', '--chat', 'Ops', '--report', '7', '--as', String(ADMIN)], { url: db.url });
    const screen = await t.expectScreen('Москва 1-2 (102)');
    expect(screen).not.toMatch(/\((101|201|202)\)/);
    t.press('space', 'enter');
    expect(await t.exit()).toBe(0);
    expect(t.output()).toContain(`added 1 route as user ${ADMIN}`);
    expect(await routes()).toEqual([`${GROUP}:7:101`, `${GROUP}:7:102`]);
  });

  it('rm --all confirms on a terminal: no keeps the routes (exit 2), yes deletes them', async () => {
    const no = ptyUrdb(['routes', 'rm', '--chat', 'Ops', '--report', '7', '--all'], { url: db.url });
    await no.expect(`Delete 1 route (CANCELED_ORDERS into chat ${GROUP} "Ops")?`);
    no.type('n');
    no.press('enter');
    expect(await no.exit()).toBe(2);
    expect(await routes()).toEqual([`${GROUP}:7:101`]);
    const yes = ptyUrdb(['routes', 'rm', '--chat', 'Ops', '--report', '7', '--all'], { url: db.url });
    await yes.expect('Delete 1 route');
    yes.type('y');
    yes.press('enter');
    expect(await yes.exit()).toBe(0);
    expect(await routes()).toEqual([]);
  });
});

describe('conventions', () => {
  it('--debug adds the stack to an error; an unreachable database is exit 3 with a one-line message', async () => {
    const plain = await run('routes', 'add', '--chat', '555', '--report', '7', '--all');
    expect(plain.stderr.split('\n')).toHaveLength(2);
    const debug = await run('routes', 'add', '--chat', '555', '--report', '7', '--all', '--debug');
    expect(debug.code).toBe(1);
    expect(debug.stderr).toMatch(/^urdb: chat 555 not found; list chats with `urdb chats list`\nUrdbError: chat 555 not found\n\s+at chatRef /);
    const down = await urdb(['routes', 'chats', '--unit', '1', '--report', '7'], { url: 'postgres://postgres:secret@127.0.0.1:1/x' });
    expect(down.code).toBe(3);
    expect(down.stderr).toMatch(/^urdb: cannot connect to PostgreSQL at 127\.0\.0\.1:1: connection refused; .*\n$/);
    expect(down.stderr).not.toContain('secret');
  });
});

describe('a newcomer, from nothing to "who receives this report", all from the CLI', () => {
  it('region → two units → role with a generated code → chat → assign with the code → routes → routes chats', async () => {
    const step = async (...args: string[]) => {
      const r = await run(...args);
      expect({ args, code: r.code, stderr: r.stderr }).toMatchObject({ args, code: 0 });
      return r;
    };
    await step('regions', 'add', '--name', 'Тверь');
    await step('units', 'add', '--id', '301', '--name', 'Тверь 1', '--uuid', UUID(301), '--region', 'Тверь');
    await step('units', 'add', '--id', '302', '--name', 'Тверь 2', '--uuid', UUID(302), '--region', 'Тверь');
    const role = await step('roles', 'add', '--name', 'Тверь managers', '--regions', 'Тверь', '--report-types', 'CANCELED_ORDERS');
    const code = role.stdout.trim();
    expect(code).toMatch(/^[a-z2-9]{5}(-[a-z2-9]{5}){3}$/);
    await step('chats', 'add', '--chat-id', '-1007770001', '--title', 'Тверь ops');
    const assigned = await step('roles', 'assign', '-1007770001', '--access-code', code);
    expect(assigned.stderr).toBe('chat -1007770001 "Тверь ops" now has role 2 "Тверь managers"\n');
    const routed = await step('routes', 'add', '--chat', 'Тверь ops', '--report', 'CANCELED_ORDERS', '--region', 'Тверь', '--as', '-1007770001');
    expect(routed.stderr).toBe('added 2 routes as user -1007770001\n');
    const who = await step('routes', 'chats', '--unit', 'Тверь 2', '--report', 'CANCELED_ORDERS');
    expect(who.stdout).toBe('-1007770001\n');
  });
});
