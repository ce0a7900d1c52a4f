import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { importBundle } from '../src/handlers/bundle/import';
import { importUnits, parseUnitsCsv, parseUnitsJson, UnitImportError } from '../src/handlers/units-import';
import { UUID } from './support/bundles';
import { urdb } from './support/cli';
import { freshDatabase } from './support/db';
import { ptyUrdb } from './support/pty';

const db = await freshDatabase();
const run = (...args: string[]) => urdb(args, { url: db.url });
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'urdb-units-'));
const file = (name: string, content: string) => {
  const p = path.join(dir, name);
  fs.writeFileSync(p, content);
  return p;
};
const units = async () =>
  (
    await db.sql`
      select u.id, u.name, u.uuid, r.name as region, u.department_id, u.office_manager_account_name,
             u.dodo_is_api_account_name, u.shift_manager_account_name
      from unit u join region r on r.id = u.region_id order by u.id
    `
  ).map((u) => ({ ...u }));

beforeAll(async () => {
  await importBundle(db.ctx(), {
    format: 'urdb-bundle/1',
    regions: [{ id: 1, name: 'Москва 1' }, { id: 2, name: 'Казань' }],
    departments: [{ id: 4, name: 'Москва', uuid: UUID(9004) }],
    units: [
      { id: 101, name: 'Москва 1-1', uuid: UUID(101), region: 'Москва 1', department_id: 4, office_manager_account_name: 'om1', dodo_is_api_account_name: 'api1' },
      { id: 102, name: 'Москва 1-2', uuid: UUID(102), region: 'Москва 1' },
      { id: 201, name: 'Казань 1', uuid: UUID(201), region: 'Казань' },
    ],
    roles: [{ id: 1, name: 'north', access_code: 'north-code', units: [101], report_types: ['CANCELED_ORDERS'] }],
    telegram_chats: [{ chat_id: -100, type: 'GROUP', title: 'ops' }],
    report_routes: [
      { report_type: 'CANCELED_ORDERS', chat_id: -100, unit_ids: [101, 102] },
      { report_type: 'DAILY_REVENUE', chat_id: -100, unit_ids: [101] },
    ],
  });
});

describe('urdb units list / show', () => {
  it('list filters by region and name; piped TSV without a header, --json with the API fields', async () => {
    const [byRegion, bySearch, json] = await Promise.all([
      run('units', 'list', '--region', 'Москва 1'),
      run('units', 'list', '--search', '1-2'),
      run('units', 'list', '--region', '2', '--json'),
    ]);
    expect(byRegion).toMatchObject({ code: 0, stderr: '' });
    expect(byRegion.stdout).toBe(`101\tМосква 1-1\tМосква 1\t${UUID(101)}\tom1\tapi1\n102\tМосква 1-2\tМосква 1\t${UUID(102)}\t\t\n`);
    expect(bySearch.stdout).toBe(`102\tМосква 1-2\tМосква 1\t${UUID(102)}\t\t\n`);
    expect(JSON.parse(json.stdout)).toEqual([
      { id: 201, name: 'Казань 1', uuid: UUID(201), office_manager_account_name: '', dodo_is_api_account_name: '', region: 'Казань' },
    ]);
    const none = await run('units', 'list', '--region', 'Нигде');
    expect(none).toMatchObject({ code: 1, stderr: 'urdb: region "Нигде" not found; list regions with `urdb regions list`\n' });
  });

  it('show by id or name: field lines piped, an object with --json, counts of routes and roles', async () => {
    const [piped, json, missing] = await Promise.all([run('units', 'show', '101'), run('units', 'show', 'Москва 1-1', '--json'), run('units', 'show', '999')]);
    expect(piped.stdout).toBe(
      [
        'id\t101',
        'name\tМосква 1-1',
        `uuid\t${UUID(101)}`,
        'office_manager_account_name\tom1',
        'dodo_is_api_account_name\tapi1',
        'region\tМосква 1',
        'region_id\t1',
        'department_id\t4',
        'department\tМосква',
        'shift_manager_account_name\t',
        'routes\t2',
        'roles\t1',
        '',
      ].join('\n'),
    );
    expect(JSON.parse(json.stdout)).toMatchObject({ id: 101, region: 'Москва 1', department: 'Москва', routes: 2, roles: 1 });
    expect(missing).toMatchObject({ code: 1, stdout: '', stderr: 'urdb: unit "999" not found; list units with `urdb units list`\n' });
  });
});

describe('urdb units add / update / rm', () => {
  it('add with flags: region and department by name or id, account names; prints the unit with --json', async () => {
    const r = await run(
      'units', 'add', '--id', '301', '--name', 'Тверь 1', '--uuid', UUID(301), '--region', '2', '--department', 'Москва',
      '--office-manager-account', 'om301', '--dodo-is-api-account', 'api301', '--json',
    );
    expect(r.stderr).toBe('added unit 301 "Тверь 1" in region "Казань"\n');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      id: 301, name: 'Тверь 1', uuid: UUID(301), office_manager_account_name: 'om301', dodo_is_api_account_name: 'api301',
      region: 'Казань', region_id: 2, department_id: 4, department: 'Москва', shift_manager_account_name: '', routes: 0, roles: 0,
    });
    const minimal = await run('units', 'add', '--id', '302', '--name', 'Тверь 2', '--uuid', UUID(302), '--region', 'Казань');
    expect(minimal).toMatchObject({ code: 0, stdout: '' });
    expect((await units()).find((u) => u.id === 302)).toMatchObject({ department_id: null, office_manager_account_name: '' });
  });

  it('add refuses missing, invalid, unknown and taken values, naming the flag, and adds nothing', async () => {
    const before = await units();
    const base = (over: Record<string, string | null>) => {
      const flags: Record<string, string | null> = { '--id': '400', '--name': 'Новый', '--uuid': UUID(400), '--region': 'Казань', ...over };
      return Object.entries(flags).flatMap(([f, v]) => (v === null ? [] : [f, v]));
    };
    const cases: [string[], number, string][] = [
      [base({ '--region': null }), 2, 'urdb: --region is required; pass --region, or run on a terminal to be asked\n'],
      [base({ '--uuid': 'x', '--id': '0' }), 2, 'urdb: --id: Ensure this value is greater than or equal to 1.; --uuid: Must be a valid UUID.\n'],
      [base({ '--office-manager-account': 'o'.repeat(256) }), 2, 'urdb: --office-manager-account: Ensure this field has no more than 255 characters.\n'],
      [base({ '--region': 'Нигде' }), 1, 'urdb: region "Нигде" not found; list regions with `urdb regions list`\n'],
      [base({ '--department': '77' }), 1, 'urdb: department "77" not found; list departments with `urdb departments list`\n'],
      [base({ '--id': '101' }), 1, 'urdb: unit 101 already exists; change it with `urdb units update 101`\n'],
      [base({ '--name': 'Казань 1' }), 1, 'urdb: another unit is already named "Казань 1"; see it with `urdb units show "Казань 1"`\n'],
      [base({ '--uuid': UUID(201) }), 1, `urdb: another unit already has the uuid ${UUID(201)}; a uuid belongs to one unit; check the value\n`],
    ];
    const results = await Promise.all(cases.map(([args]) => run('units', 'add', ...args)));
    expect(results.map((r, k) => ({ n: k, code: r.code, stderr: r.stderr, stdout: r.stdout }))).toEqual(
      cases.map(([, code, stderr], k) => ({ n: k, code, stderr, stdout: '' })),
    );
    expect(await units()).toEqual(before);
  });

  it('update changes only the fields given and says which; --no-department removes it', async () => {
    const r = await run('units', 'update', 'Тверь 1', '--name', 'Тверь-1', '--region', 'Москва 1', '--no-department', '--shift-manager-account', 'sm', '--json');
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(
      'updated unit 301 "Тверь-1": name "Тверь 1" → "Тверь-1", region "Казань" → "Москва 1", department "Москва" → none, ' +
        'shift_manager_account_name "" → "sm"\n',
    );
    expect(JSON.parse(r.stdout)).toMatchObject({ id: 301, name: 'Тверь-1', region: 'Москва 1', department_id: null, office_manager_account_name: 'om301' });
    const same = await run('units', 'update', '301', '--name', 'Тверь-1');
    expect(same).toMatchObject({ code: 0, stderr: 'unit 301 "Тверь-1": nothing changed\n' });
  });

  it('update without a change, of an unknown unit or to a taken name fails and changes nothing', async () => {
    const before = await units();
    const [nothing, unknown, taken, blank] = await Promise.all([
      run('units', 'update', '301'),
      run('units', 'update', '999', '--name', 'X'),
      run('units', 'update', '301', '--name', 'Казань 1'),
      run('units', 'update', '301', '--name', ' '),
    ]);
    expect(nothing.code).toBe(2);
    expect(nothing.stderr).toMatch(/^urdb: nothing to change; give at least one of --name, --uuid, --region, --department, .*--no-department\n$/);
    expect(unknown).toMatchObject({ code: 1, stderr: 'urdb: unit "999" not found; list units with `urdb units list`\n' });
    expect(taken).toMatchObject({ code: 1, stderr: 'urdb: another unit is already named "Казань 1"; see it with `urdb units show "Казань 1"`\n' });
    expect(blank).toMatchObject({ code: 2, stderr: 'urdb: --name: This field may not be blank.\n' });
    expect(await units()).toEqual(before);
  });

  it('rm names the routes and role grants that go with the unit and needs --yes without a terminal', async () => {
    const refused = await run('units', 'rm', '101');
    expect(refused).toMatchObject({
      code: 2,
      stderr: 'urdb: Delete unit 101 "Москва 1-1" and its 2 routes and 1 role grant: --yes required when not running interactively\n',
    });
    expect(await db.count('report_route')).toBe(3);
    const done = await run('units', 'rm', 'Москва 1-1', '--yes', '--json');
    expect(done.stderr).toBe('deleted unit 101 "Москва 1-1" with its 2 routes and 1 role grant\n');
    expect(JSON.parse(done.stdout)).toEqual({ id: 101, name: 'Москва 1-1', routes: 2, role_grants: 1 });
    expect(await db.count('report_route')).toBe(1);
    expect(await db.count('role_unit')).toBe(0);
    expect((await run('units', 'rm', '101', '-y')).code).toBe(1);
  });
});

describe('urdb units import', () => {
  it('CSV (semicolons, quotes, a BOM): upserts by id, says what changed; --dry-run writes nothing', async () => {
    const csv = file(
      'units.csv',
      '\uFEFFid;name;uuid;region;department_id;office_manager_account_name\r\n' +
        `501;"Самара ""1""";${UUID(501)};Казань;4;om501\r\n` +
        `502;Самара 2;${UUID(502)};Москва 1;;\r\n`,
    );
    const before = await units();
    const dry = await run('units', 'import', csv, '--dry-run', '--json');
    expect(dry.code).toBe(0);
    expect(JSON.parse(dry.stdout)).toEqual({ dry_run: true, inserted: 2, updated: 0, unchanged: 0, regions_created: 0, warnings: [] });
    expect(dry.stderr).toBe('dry run, nothing written: units would be 2 inserted, 0 updated, 0 unchanged\n');
    expect(await units()).toEqual(before);

    const done = await run('units', 'import', csv);
    expect(done).toMatchObject({ code: 0, stdout: '', stderr: 'imported units: 2 inserted, 0 updated, 0 unchanged\n' });
    expect((await units()).filter((u) => u.id > 500)).toEqual([
      { id: 501, name: 'Самара "1"', uuid: UUID(501), region: 'Казань', department_id: 4, office_manager_account_name: 'om501', dodo_is_api_account_name: '', shift_manager_account_name: '' },
      { id: 502, name: 'Самара 2', uuid: UUID(502), region: 'Москва 1', department_id: null, office_manager_account_name: '', dodo_is_api_account_name: '', shift_manager_account_name: '' },
    ]);
    const again = await run('units', 'import', csv);
    expect(again).toMatchObject({ code: 0, stderr: 'imported units: 0 inserted, 0 updated, 2 unchanged\n' });
  });

  it('changing existing units needs --yes without a terminal; columns the file lacks keep their values', async () => {
    const csv = file('accounts.csv', 'id,dodo_is_api_account_name\n501,api501\n502,api502\n');
    const before = await units();
    const refused = await run('units', 'import', csv);
    expect(refused).toMatchObject({ code: 2, stderr: 'urdb: Update 2 existing units: --yes required when not running interactively\n' });
    expect(await units()).toEqual(before);
    const done = await run('units', 'import', csv, '--yes', '--json');
    expect(JSON.parse(done.stdout)).toMatchObject({ inserted: 0, updated: 2, unchanged: 0 });
    expect((await units()).find((u) => u.id === 501)).toMatchObject({ name: 'Самара "1"', department_id: 4, office_manager_account_name: 'om501', dodo_is_api_account_name: 'api501' });
  });

  it('reports every bad row with its line number, exits 2 and writes nothing', async () => {
    const csv = file(
      'bad.csv',
      'id,name,uuid,region\n' +
        `601,Ok,${UUID(601)},Казань\n` +
        '602,Bad uuid,nope,Казань\n' +
        `603,"Two\nlines",${UUID(603)},Нигде\n` +
        `604,Казань 1,${UUID(604)},Казань\n` +
        `601,Again,${UUID(605)},Казань\n` +
        `x,,${UUID(606)},Казань\n` +
        '607,New without region\n',
    );
    const before = await units();
    const r = await run('units', 'import', csv);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      [
        `urdb: the file has 1 problem; nothing was imported`,
        '  line 9: 2 fields, the header has 4',
        '',
      ].join('\n'),
    );
    fs.writeFileSync(csv, fs.readFileSync(csv, 'utf8').replace('607,New without region\n', '607,New,,\n'));
    const all = await run('units', 'import', csv, '--json');
    expect(all.code).toBe(2);
    expect(all.stdout).toBe('');
    expect(all.stderr).toBe(
      [
        'urdb: the file has 8 problems; nothing was imported',
        '  line 3: uuid: Must be a valid UUID.',
        '  line 4: region: region "Нигде" does not exist (add it with `urdb regions add`, or import with --create-regions)',
        '  line 6: name: "Казань 1" already belongs to unit 201',
        '  line 7: id: 601 is already used by line 2',
        '  line 8: id: A valid integer is required.',
        '  line 8: name: This field may not be blank.',
        '  line 9: uuid: Must be a valid UUID.',
        '  line 9: region: This field may not be blank.',
        '',
      ].join('\n'),
    );
    expect(await units()).toEqual(before);
  });

  it('JSON arrays and stdin; --create-regions creates the regions a file names', async () => {
    const json = JSON.stringify([{ id: 701, name: 'Уфа 1', uuid: UUID(701), region: 'Уфа' }], null, 2);
    const refused = await urdb(['units', 'import', '-'], { url: db.url, input: json });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('line 2 (item 1): region: region "Уфа" does not exist');
    const dry = await urdb(['units', 'import', '-', '--create-regions', '--dry-run'], { url: db.url, input: json });
    expect(dry.code).toBe(0);
    expect(dry.stderr).toContain('warning: would create 1 region named by units\n');
    expect((await db.sql`select count(*)::int as n from region where name = 'Уфа'`)[0]!.n).toBe(0);
    const done = await urdb(['units', 'import', '-', '--create-regions'], { url: db.url, input: json });
    expect(done).toMatchObject({ code: 0, stderr: 'warning: created 1 region named by units\nimported units: 1 inserted, 0 updated, 0 unchanged\n' });

    // What `units list --json` prints imports back unchanged.
    const listed = await run('units', 'list', '--all', '--json');
    const back = await urdb(['units', 'import', '-', '--format', 'json'], { url: db.url, input: listed.stdout });
    expect(back).toMatchObject({ code: 0, stderr: `imported units: 0 inserted, 0 updated, ${JSON.parse(listed.stdout).length} unchanged\n` });

    const bad = file('bad.json', '[\n  {"id": 702, "name": "A", "uuid": "' + UUID(702) + '", "region": "Уфа"},\n  {"id": 703,\n   "extra": 1}, 5\n]');
    const r = await run('units', 'import', bad);
    expect(r.stderr).toBe(
      [
        'urdb: the file has 5 problems; nothing was imported',
        '  line 3 (item 2): name: This field is required.',
        '  line 3 (item 2): uuid: This field is required.',
        '  line 3 (item 2): region: This field is required.',
        '  line 3 (item 2): unknown field "extra"',
        '  line 4 (item 3): Expected an object.',
        '',
      ].join('\n'),
    );
    const [notJson, notArray, noFile, empty] = await Promise.all([
      run('units', 'import', file('x.json', '[{"id": ')),
      run('units', 'import', file('o.json', '{"units": []}')),
      run('units', 'import', path.join(dir, 'missing.csv')),
      run('units', 'import', file('empty.csv', 'id,name\n')),
    ]);
    expect(notJson.code).toBe(2);
    expect(notJson.stderr).toBe(`urdb: ${path.join(dir, 'x.json')} is not valid JSON: it ends too early; a JSON import is an array of unit objects\n`);
    expect(notArray).toMatchObject({ code: 2, stderr: `urdb: ${path.join(dir, 'o.json')} holds a JSON object, not an array of units\n` });
    expect(noFile).toMatchObject({ code: 2, stderr: `urdb: cannot read ${path.join(dir, 'missing.csv')}: no such file\n` });
    expect(empty).toMatchObject({ code: 0, stderr: `${path.join(dir, 'empty.csv')} has no units; nothing to import\n` });
  });

  it('CSV parsing: quoted delimiters and line breaks, tabs, CRLF, unknown columns, a missing id column', () => {
    expect(parseUnitsCsv('id\tname\n1\t"a\tb"\n\n2\t"multi\r\nline"\n3\t""""\n')).toEqual([
      { line: 2, data: { id: '1', name: 'a\tb' } },
      { line: 4, data: { id: '2', name: 'multi\r\nline' } },
      { line: 6, data: { id: '3', name: '"' } },
    ]);
    expect(parseUnitsCsv('id,name\n')).toEqual([]);
    expect(parseUnitsCsv('')).toEqual([]);
    const problems = (text: string) => {
      try {
        parseUnitsCsv(text);
        return [];
      } catch (err) {
        return (err as UnitImportError).problems;
      }
    };
    expect(problems('ID, Name ,colour,name\n')).toEqual([
      'line 1: unknown column "colour"; the columns are id, name, uuid, region, department_id, office_manager_account_name, dodo_is_api_account_name, shift_manager_account_name',
      'line 1: column "name" appears twice',
    ]);
    expect(problems('name\nx\n')).toEqual(['line 1: the header has no "id" column (units are matched by id)']);
    expect(problems('id,name\n1,"open\n2,x\n')).toEqual(['line 2: a quoted field is not closed']);
    expect(parseUnitsJson('[{"a": "[{,"},\n\n {"b": [1, {"c": 2}]}, 3\n, "x"]', 'f.json').map((r) => [r.line, r.item])).toEqual([
      [1, 1],
      [3, 2],
      [3, 3],
      [4, 4],
    ]);
  });

  it('a handler call imports the same way (no terminal involved)', async () => {
    const result = await importUnits(db.ctx(), [{ line: 2, data: { id: '502', name: 'Самара 2' } }]);
    expect(result).toEqual({ dry_run: false, inserted: 0, updated: 0, unchanged: 1, regions_created: 0, warnings: [] });
    await expect(importUnits(db.ctx(), [{ line: 2, data: { id: '503', name: 'Новый' } }])).rejects.toThrow(UnitImportError);
  });
});

describe('urdb units on a terminal', () => {
  it('add asks for what is missing: a region and department from lists, account names (optional)', async () => {
    const t = ptyUrdb(['units', 'add', '--id', '801'], { url: db.url });
    await t.expect('Name');
    t.type('Пенза 1');
    t.press('enter');
    await t.expect('UUID');
    t.type(UUID(801));
    t.press('enter');
    await t.expectScreen(/Region\n❯ Казань/);
    t.press('down');
    await t.expectScreen(/❯ Москва 1/);
    t.press('enter');
    await t.expectScreen(/Department \(optional\)\n❯ \(none\)/);
    t.press('down', 'enter');
    await t.expect('Office manager account (optional)');
    t.type('om801');
    t.press('enter');
    await t.expect('Dodo IS API account');
    t.press('enter');
    await t.expect('Shift manager account');
    t.press('enter');
    expect(await t.exit()).toBe(0);
    expect(t.output()).toContain('added unit 801 "Пенза 1" in region "Москва 1"');
    expect((await units()).find((u) => u.id === 801)).toEqual({
      id: 801, name: 'Пенза 1', uuid: UUID(801), region: 'Москва 1', department_id: 4,
      office_manager_account_name: 'om801', dodo_is_api_account_name: '', shift_manager_account_name: '',
    });
  });

  it('Ctrl-C half way through add exits 130 and adds nothing', async () => {
    const before = await db.count('unit');
    const t = ptyUrdb(['units', 'add'], { url: db.url });
    await t.expect('Unit id');
    t.type('802');
    t.press('enter');
    await t.expect('Name');
    t.press('ctrl-c');
    expect(await t.exit()).toBe(130);
    expect(t.output()).toContain('urdb: interrupted; nothing was changed');
    expect(await db.count('unit')).toBe(before);
  });

  it('update without flags asks for each field with the current value as the default', async () => {
    const t = ptyUrdb(['units', 'update', '801'], { url: db.url });
    await t.expect('Name');
    t.type('Пенза-1');
    t.press('enter');
    await t.expect('UUID');
    t.press('enter');
    await t.expectScreen(/❯ Москва 1/);
    t.press('enter');
    await t.expectScreen(/❯ Москва  \(4\)/);
    t.press('up', 'enter');
    for (const q of ['Office manager account', 'Dodo IS API account', 'Shift manager account']) {
      await t.expect(q);
      t.press('enter');
    }
    expect(await t.exit()).toBe(0);
    expect(t.output()).toContain('updated unit 801 "Пенза-1": name "Пенза 1" → "Пенза-1", department "Москва" → none');
  });

  it('show searches units as you type; rm confirms on the terminal', async () => {
    const show = ptyUrdb(['units', 'show'], { url: db.url });
    await show.expect('Unit');
    show.type('Пенза');
    await show.expectScreen(/❯ Пенза-1  \(801, Москва 1\)/);
    show.press('enter');
    expect(await show.exit()).toBe(0);
    expect(show.screen()).toMatch(/^name +Пенза-1$/m);

    const rm = ptyUrdb(['units', 'rm', '801'], { url: db.url });
    await rm.expect('Delete unit 801 "Пенза-1"? (y/N)');
    rm.type('y');
    rm.press('enter');
    expect(await rm.exit()).toBe(0);
    expect(await db.sql`select 1 from unit where id = 801`).toHaveLength(0);
  });

  it('import asks before changing existing units: no keeps them, yes writes', async () => {
    const csv = file('rename.csv', 'id,name\n502,Самара-2\n');
    const no = ptyUrdb(['units', 'import', csv], { url: db.url });
    await no.expect('Update 1 existing unit? (y/N)');
    no.press('enter');
    expect(await no.exit()).toBe(2);
    expect(no.output()).toContain('import cancelled; nothing was changed');
    expect((await units()).find((u) => u.id === 502)!.name).toBe('Самара 2');

    const yes = ptyUrdb(['units', 'import', csv], { url: db.url });
    await yes.expect('(y/N)');
    yes.type('y');
    yes.press('enter');
    expect(await yes.exit()).toBe(0);
    expect(yes.output()).toContain('imported units: 0 inserted, 1 updated, 0 unchanged');
    expect((await units()).find((u) => u.id === 502)!.name).toBe('Самара-2');
  });
});
