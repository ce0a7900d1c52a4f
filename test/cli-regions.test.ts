import { beforeAll, describe, expect, it } from 'vitest';
import { importBundle } from '../src/handlers/bundle/import';
import { UUID } from './support/bundles';
import { urdb } from './support/cli';
import { freshDatabase } from './support/db';
import { ptyUrdb } from './support/pty';

const db = await freshDatabase();
const run = (...args: string[]) => urdb(args, { url: db.url });
const regions = async () => (await db.sql<{ id: number; name: string }[]>`select id, name from region order by id`).map((r) => ({ ...r }));

beforeAll(async () => {
  // Region 1 has two units, a route and a role grant: what `rm` must count and take along.
  await importBundle(db.ctx(), {
    format: 'urdb-bundle/1',
    regions: [{ id: 1, name: 'Москва 1' }, { id: 2, name: 'Казань' }],
    units: [
      { id: 101, name: 'Москва 1-1', uuid: UUID(101), region: 'Москва 1' },
      { id: 102, name: 'Москва 1-2', uuid: UUID(102), region: 'Москва 1' },
      { id: 201, name: 'Казань 1', uuid: UUID(201), region: 'Казань' },
    ],
    roles: [{ id: 1, name: 'north', access_code: 'north-code', units: [101, 201], report_types: ['CANCELED_ORDERS'] }],
    telegram_chats: [{ chat_id: -100, type: 'GROUP', title: 'ops' }],
    report_routes: [{ report_type: 'CANCELED_ORDERS', chat_id: -100, unit_ids: [101] }],
  });
});

describe('urdb regions (flags, piped)', () => {
  it('add says what it added on stderr, prints the object with --json, and list pipes TSV without a header', async () => {
    const added = await run('regions', 'add', '--name', 'Тверь');
    expect(added).toMatchObject({ code: 0, stdout: '' });
    expect(added.stderr).toBe('added region 3 "Тверь"\n');
    const json = await run('regions', 'add', '--name', '  Омск ', '--id', '40', '--json');
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual({ id: 40, name: 'Омск' });
    // An explicit id moves the sequence past it: the next generated id does not collide.
    expect((await run('regions', 'add', '--name', 'Сочи')).stderr).toBe('added region 41 "Сочи"\n');

    const list = await run('regions', 'list');
    expect(list).toMatchObject({ code: 0, stderr: '' });
    expect(list.stdout).toBe('1\tМосква 1\n2\tКазань\n3\tТверь\n40\tОмск\n41\tСочи\n');
    const listed = await run('regions', 'list', '--json', '--limit', '2', '--offset', '1');
    expect(JSON.parse(listed.stdout)).toEqual([{ id: 2, name: 'Казань' }, { id: 3, name: 'Тверь' }]);
    expect((await run('regions', 'list', '--all', '--json')).stdout).toBe(JSON.stringify(await regions()) + '\n');
  });

  it('add refuses a missing, blank, long or taken name with exit 2 / 1 and adds nothing', async () => {
    const before = await regions();
    const cases: [string[], number, string][] = [
      [[], 2, 'urdb: --name is required; pass --name, or run on a terminal to be asked\n'],
      [['--name', '  '], 2, 'urdb: --name: This field may not be blank.\n'],
      [['--name', 'x'.repeat(65)], 2, 'urdb: --name: Ensure this field has no more than 64 characters.\n'],
      [['--name', 'Казань'], 1, 'urdb: a region named "Казань" already exists; choose another name\n'],
      [['--name', 'Новый', '--id', '2'], 1, 'urdb: region id 2 is taken; leave out --id to get the next free one\n'],
      [['--name', 'Новый', '--id', 'two'], 2, 'urdb: --id: A valid integer is required.\n'],
    ];
    const results = await Promise.all(cases.map(([args]) => run('regions', 'add', ...args)));
    expect(results.map((r, k) => ({ args: cases[k]![0], code: r.code, stderr: r.stderr, stdout: r.stdout }))).toEqual(
      cases.map(([args, code, stderr]) => ({ args, code, stderr, stdout: '' })),
    );
    expect(await regions()).toEqual(before);
  });

  it('rename by id or name; a taken name, an unknown region or a missing argument changes nothing', async () => {
    const r = await run('regions', 'rename', 'Тверь', 'Тверь-1', '--json');
    expect(r).toMatchObject({ code: 0, stderr: 'renamed region 3 "Тверь" to "Тверь-1"\n' });
    expect(JSON.parse(r.stdout)).toEqual({ id: 3, name: 'Тверь-1' });
    expect((await run('regions', 'rename', '3', 'Тверь-1')).stderr).toBe('region 3 is already named "Тверь-1"\n');

    const before = await regions();
    const taken = await run('regions', 'rename', '3', 'Казань');
    expect(taken).toMatchObject({ code: 1, stderr: 'urdb: a region named "Казань" already exists; choose another name\n' });
    const unknown = await run('regions', 'rename', 'Нигде', 'X');
    expect(unknown).toMatchObject({ code: 1, stderr: 'urdb: region "Нигде" not found; list regions with `urdb regions list`\n' });
    const missing = await run('regions', 'rename', '3');
    expect(missing).toMatchObject({ code: 2, stderr: 'urdb: <new-name> is required; give it as an argument, or run on a terminal to be asked\n' });
    const bad = await run('regions', 'rename', '3', '');
    expect(bad).toMatchObject({ code: 2, stderr: 'urdb: <new-name>: This field may not be blank.\n' });
    expect(await regions()).toEqual(before);
  });

  it('rm names what goes with the region; without a terminal it needs --yes and changes nothing', async () => {
    const before = await regions();
    const refused = await run('regions', 'rm', 'Москва 1');
    expect(refused).toMatchObject({
      code: 2,
      stdout: '',
      stderr: 'urdb: Delete region 1 "Москва 1" and its 2 units, 1 route and 1 role grant: --yes required when not running interactively\n',
    });
    expect(await regions()).toEqual(before);
    expect(await db.count('unit')).toBe(3);

    const done = await run('regions', 'rm', 'Москва 1', '--yes', '--json');
    expect(done.code).toBe(0);
    expect(done.stderr).toBe('deleted region 1 "Москва 1" with its 2 units, 1 route and 1 role grant\n');
    expect(JSON.parse(done.stdout)).toEqual({ id: 1, name: 'Москва 1', units: 2, routes: 1, role_grants: 1 });
    expect(await db.count('unit')).toBe(1);
    expect(await db.count('report_route')).toBe(0);
    expect((await db.sql`select unit_id from role_unit`).map((g) => g.unit_id)).toEqual([201]);

    const empty = await run('regions', 'rm', '41', '-y');
    expect(empty).toMatchObject({ code: 0, stderr: 'deleted region 41 "Сочи"\n' });
    expect((await run('regions', 'rm', '41', '-y')).code).toBe(1);
    expect((await run('regions', 'rm')).stderr).toBe('urdb: <region> is required; give it as an argument, or run on a terminal to be asked\n');
  });

  it('paging flags are validated; an unreachable database is exit 3', async () => {
    const r = await run('regions', 'list', '--limit', '0');
    expect(r).toMatchObject({ code: 2, stderr: 'urdb: --limit: Ensure this value is greater than or equal to 1.\n' });
    const down = await urdb(['regions', 'list'], { url: 'postgres://postgres:secret@127.0.0.1:9/x', env: { URDB_CONNECT_TIMEOUT: '2' } });
    expect(down.code).toBe(3);
    expect(down.stderr).toMatch(/^urdb: cannot connect to PostgreSQL at 127\.0\.0\.1:9: connection refused;/);
    expect(down.stderr).not.toContain('secret');
  });
});

describe('urdb regions on a terminal', () => {
  it('list draws a table with upper-case headers, coloured unless NO_COLOR', async () => {
    const t = ptyUrdb(['regions', 'list'], { url: db.url });
    expect(await t.exit()).toBe(0);
    expect(t.screen()).toMatch(/^ID +NAME$/m);
    expect(t.screen()).toMatch(/^2 +Казань$/m);
    expect(t.raw()).toMatch(/\x1b\[1mID +NAME\x1b\[22m/);
    const plain = ptyUrdb(['regions', 'list'], { url: db.url, env: { NO_COLOR: '1' } });
    expect(await plain.exit()).toBe(0);
    expect(plain.raw()).toContain('ID');
    expect(plain.raw()).not.toMatch(/\x1b\[[0-9;]*m/);
  });

  it('add asks for a missing name, checks it as it is typed, and adds the region', async () => {
    const t = ptyUrdb(['regions', 'add'], { url: db.url });
    await t.expect('Region name');
    t.type('y'.repeat(65));
    t.press('enter');
    await t.expect('Ensure this field has no more than 64 characters.');
    t.press(...Array<'backspace'>(65).fill('backspace'));
    t.type('Пермь');
    t.press('enter');
    expect(await t.exit()).toBe(0);
    expect(t.output()).toMatch(/added region \d+ "Пермь"/);
    expect((await regions()).map((r) => r.name)).toContain('Пермь');
  });

  it('--no-input on a terminal never asks: a missing value is exit 2', async () => {
    const t = ptyUrdb(['regions', 'add', '--no-input'], { url: db.url });
    expect(await t.exit()).toBe(2);
    expect(t.output()).toContain('urdb: --name is required');
  });

  it('Ctrl-C at a prompt exits 130 and changes nothing', async () => {
    const before = await regions();
    const t = ptyUrdb(['regions', 'rename'], { url: db.url });
    await t.expect('Region to rename');
    t.press('down', 'enter');
    await t.expect('New name');
    t.type('Half typed');
    t.press('ctrl-c');
    expect(await t.exit()).toBe(130);
    expect(t.output()).toContain('urdb: interrupted; nothing was changed');
    expect(await regions()).toEqual(before);
  });

  it('rename picks the region from a list and asks for the new name', async () => {
    const t = ptyUrdb(['regions', 'rename'], { url: db.url });
    await t.expectScreen(/❯ Казань/);
    t.press('enter');
    await t.expect('New name');
    t.type('Казань-1');
    t.press('enter');
    expect(await t.exit()).toBe(0);
    expect(t.output()).toContain('renamed region 2 "Казань" to "Казань-1"');
  });

  it('rm picks the region, shows what goes with it and confirms: no keeps it, yes deletes it', async () => {
    const no = ptyUrdb(['regions', 'rm'], { url: db.url });
    await no.expectScreen(/❯ Казань-1/);
    no.press('enter');
    await no.expect('Delete region 2 "Казань-1" and its 1 unit and 1 role grant? (y/N)');
    no.press('enter');
    expect(await no.exit()).toBe(2);
    expect(no.output()).toContain('urdb: cancelled; nothing was changed');
    expect(await db.count('unit')).toBe(1);

    const yes = ptyUrdb(['regions', 'rm', 'Казань-1'], { url: db.url });
    await yes.expect('(y/N)');
    yes.type('y');
    yes.press('enter');
    expect(await yes.exit()).toBe(0);
    expect(yes.output()).toContain('deleted region 2 "Казань-1" with its 1 unit and 1 role grant');
    expect(await db.count('unit')).toBe(0);
  });
});
