/**
 * Nothing deleted silently (issue 11 §6): every command that deletes routes, as its purpose or as a side effect,
 * says how many, asks on a terminal, needs --yes elsewhere, and has --dry-run (says what it would do, changes nothing).
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { importBundle } from '../src/handlers/bundle/import';
import { UUID } from './support/bundles';
import { urdb } from './support/cli';
import { freshDatabase } from './support/db';
import { ptyUrdb } from './support/pty';
import { state } from './support/state';

const db = await freshDatabase();
const run = (...args: string[]) => urdb(args, { url: db.url });
const OPS = -100;
const routes = async () => (await db.sql<{ unit_id: number }[]>`select unit_id from report_route order by unit_id`).map((r) => r.unit_id);

beforeEach(async () => {
  await db.sql`truncate region, unit, role, telegram_chat, report_route, role_unit, role_report_type cascade`;
  // Chat "ops" holds role "wide" (units 101, 102, 201) with three routes; role "narrow" grants only 101.
  await importBundle(db.ctx(), {
    format: 'urdb-bundle/1',
    regions: [{ id: 1, name: 'Москва 1' }, { id: 2, name: 'Казань' }],
    units: [
      { id: 101, name: 'Москва 1-1', uuid: UUID(101), region: 'Москва 1' },
      { id: 102, name: 'Москва 1-2', uuid: UUID(102), region: 'Москва 1' },
      { id: 201, name: 'Казань 1', uuid: UUID(201), region: 'Казань' },
    ],
    roles: [
      { id: 1, name: 'wide', access_code: 'wide-code-0001', units: [101, 102, 201], report_types: ['CANCELED_ORDERS'] },
      { id: 2, name: 'narrow', access_code: 'narrow-code-01', units: [101], report_types: ['CANCELED_ORDERS'] },
    ],
    telegram_chats: [{ chat_id: OPS, type: 'GROUP', title: 'ops', role_id: 1 }],
    report_routes: [{ report_type: 'CANCELED_ORDERS', chat_id: OPS, unit_ids: [101, 102, 201] }],
  });
});

const SWITCH = 'give chat -100 "ops" role 2 "narrow" and delete 2 routes into it for units the role does not grant';

describe('roles assign: a role switch that deletes routes', () => {
  it('needs --yes without a terminal (exit 2, nothing changed), by name and by access code', async () => {
    const before = await state(db);
    for (const how of [['--role', 'narrow'], ['--access-code', 'narrow-code-01']]) {
      const r = await run('roles', 'assign', 'ops', ...how);
      expect(r).toMatchObject({ code: 2, stderr: `urdb: G${SWITCH.slice(1)}: --yes required when not running interactively\n` });
    }
    expect(await state(db)).toEqual(before);
  });

  it('--dry-run says what it would delete and changes nothing; --yes switches and deletes', async () => {
    const before = await state(db);
    const dry = await run('roles', 'assign', 'ops', '--role', 'narrow', '--dry-run');
    expect(dry).toMatchObject({ code: 0, stderr: `dry run, nothing changed: would ${SWITCH}\n` });
    expect(await state(db)).toEqual(before);
    const done = await run('roles', 'assign', 'ops', '--access-code', 'narrow-code-01', '--yes');
    expect(done.code, done.stderr).toBe(0);
    expect(done.stderr).toContain('deleted 2 routes into it for units the role does not grant');
    expect(await routes()).toEqual([101]);
  });

  it('a switch that deletes nothing needs no --yes', async () => {
    await db.sql`update telegram_chat set role_id = 2`;
    await db.sql`delete from report_route where unit_id <> 101`;
    const r = await run('roles', 'assign', 'ops', '--role', 'wide');
    expect(r.code, r.stderr).toBe(0);
  });

  it('on a terminal it asks, with the count; No changes nothing', async () => {
    const t = ptyUrdb(['roles', 'assign', 'ops', '--role', 'narrow'], { url: db.url });
    await t.expect('delete 2 routes into it');
    t.type('n');
    t.press('enter');
    expect(await t.exit()).toBe(2);
    expect(await routes()).toEqual([101, 102, 201]);
  });
});

describe('--dry-run on every command that deletes routes: says what, changes nothing', () => {
  const cases: [string[], string][] = [
    [['regions', 'rm', 'Москва 1'], 'delete region 1 "Москва 1" and its 2 units, 2 routes and 3 role grants'],
    [['units', 'rm', '201'], 'delete unit 201 "Казань 1" and its 1 route and 1 role grant'],
    [['chats', 'rm', 'ops'], 'delete chat -100 "ops" and its 3 routes'],
    [['roles', 'revoke', 'wide', '--units', '102'], 'revoke 1 unit from role 1 "wide" and delete 1 route into its chat'],
    [['roles', 'rm', 'wide'], 'delete role 1 "wide"; 1 chat is left without a role (its routes stay)'],
    [['routes', 'rm', '--chat', 'ops', '--report', '7', '--all'], 'delete 3 routes (CANCELED_ORDERS into chat -100 "ops")'],
    [['routes', 'rm', '--chat', 'ops', '--report', '7', '--units', '101'], 'delete 1 route (CANCELED_ORDERS into chat -100 "ops")'],
  ];
  it.each(cases)('%j', async (args, would) => {
    const before = await state(db);
    const r = await run(...args, '--dry-run');
    expect(r).toMatchObject({ code: 0, stdout: '', stderr: `dry run, nothing changed: would ${would}\n` });
    expect(await state(db)).toEqual(before);
  });

  it('with --json the plan is printed, marked dry_run', async () => {
    const r = await run('chats', 'rm', 'ops', '--dry-run', '--json');
    expect(JSON.parse(r.stdout)).toMatchObject({ chat_id: OPS, routes: 3, dry_run: true });
  });
});
