import { beforeAll, describe, expect, it } from 'vitest';
import { importBundle } from '../src/handlers/bundle/import';
import { UUID } from './support/bundles';
import { urdb } from './support/cli';
import { freshDatabase } from './support/db';
import { ptyUrdb } from './support/pty';

const db = await freshDatabase();
const run = (...args: string[]) => urdb(args, { url: db.url });
const departments = async () => (await db.sql`select id, name, uuid from department order by id`).map((r) => ({ ...r }));

beforeAll(async () => {
  await importBundle(db.ctx(), {
    format: 'urdb-bundle/1',
    regions: [{ id: 1, name: 'Москва 1' }],
    departments: [{ id: 4, name: 'Москва', uuid: UUID(9004) }],
    units: [
      { id: 101, name: 'Москва 1-1', uuid: UUID(101), region: 'Москва 1', department_id: 4 },
      { id: 102, name: 'Москва 1-2', uuid: UUID(102), region: 'Москва 1', department_id: 4 },
    ],
  });
});

describe('urdb departments (flags, piped)', () => {
  it('add takes the Dodo IS id and uuid, says what it added, and list pipes TSV or prints JSON', async () => {
    const added = await run('departments', 'add', '--id', '7', '--name', 'Казань', '--uuid', UUID(9007).toUpperCase().replace(/-/g, ''), '--json');
    expect(added.code).toBe(0);
    expect(added.stderr).toBe('added department 7 "Казань"\n');
    expect(JSON.parse(added.stdout)).toEqual({ id: 7, name: 'Казань', uuid: UUID(9007) });
    const list = await run('departments', 'list');
    expect(list).toMatchObject({ code: 0, stderr: '', stdout: `4\tМосква\t${UUID(9004)}\n7\tКазань\t${UUID(9007)}\n` });
    const json = await run('departments', 'list', '--json', '--limit', '1');
    expect(JSON.parse(json.stdout)).toEqual([{ id: 4, name: 'Москва', uuid: UUID(9004) }]);
  });

  it('add refuses missing, invalid and taken values with the flag named, and adds nothing', async () => {
    const before = await departments();
    const cases: [string[], number, string][] = [
      [['--name', 'X', '--uuid', UUID(1)], 2, 'urdb: --id is required; pass --id, or run on a terminal to be asked\n'],
      [['--id', '8', '--name', 'X'], 2, 'urdb: --uuid is required; pass --uuid, or run on a terminal to be asked\n'],
      [['--id', '40000', '--name', 'X', '--uuid', 'nope'], 2, 'urdb: --id: Ensure this value is less than or equal to 32767.; --uuid: Must be a valid UUID.\n'],
      [['--id', '4', '--name', 'X', '--uuid', UUID(1)], 1, 'urdb: department 4 already exists; see it with `urdb departments list`\n'],
      [['--id', '8', '--name', 'Москва', '--uuid', UUID(1)], 1, 'urdb: a department named "Москва" already exists; choose another name\n'],
      [['--id', '8', '--name', 'X', '--uuid', UUID(9004)], 1, `urdb: another department already has the uuid ${UUID(9004)}; see them with \`urdb departments list\`\n`],
    ];
    const results = await Promise.all(cases.map(([args]) => run('departments', 'add', ...args)));
    expect(results.map((r, k) => ({ args: cases[k]![0], code: r.code, stderr: r.stderr }))).toEqual(
      cases.map(([args, code, stderr]) => ({ args, code, stderr })),
    );
    expect(await departments()).toEqual(before);
  });

  it('rm says which units lose their department, needs --yes without a terminal, and keeps the units', async () => {
    const refused = await run('departments', 'rm', 'Москва');
    expect(refused).toMatchObject({
      code: 2,
      stderr: 'urdb: Delete department 4 "Москва" (2 units will have no department): --yes required when not running interactively\n',
    });
    expect(await db.count('department')).toBe(2);
    const done = await run('departments', 'rm', '4', '--yes', '--json');
    expect(done.code).toBe(0);
    expect(done.stderr).toBe('deleted department 4 "Москва"; 2 units now without a department\n');
    expect(JSON.parse(done.stdout)).toEqual({ id: 4, name: 'Москва', uuid: UUID(9004), units: 2 });
    expect((await db.sql`select id, department_id from unit order by id`).map((u) => ({ ...u }))).toEqual([
      { id: 101, department_id: null },
      { id: 102, department_id: null },
    ]);
    const unknown = await run('departments', 'rm', '4', '--yes');
    expect(unknown).toMatchObject({ code: 1, stderr: 'urdb: department "4" not found; list departments with `urdb departments list`\n' });
  });
});

describe('urdb departments on a terminal', () => {
  it('add asks for each missing value, checking it as it is typed', async () => {
    const t = ptyUrdb(['departments', 'add', '--name', 'Тверь'], { url: db.url });
    await t.expect('Department id');
    t.type('99999');
    t.press('enter');
    await t.expect('Ensure this value is less than or equal to 32767.');
    t.press('backspace', 'backspace', 'backspace', 'backspace', 'backspace');
    t.type('9');
    t.press('enter');
    await t.expect('UUID');
    t.type(UUID(9009));
    t.press('enter');
    expect(await t.exit()).toBe(0);
    expect(t.output()).toContain('added department 9 "Тверь"');
    expect(await departments()).toContainEqual({ id: 9, name: 'Тверь', uuid: UUID(9009) });
  });

  it('rm picks from a list and confirms; Ctrl-C at the question deletes nothing', async () => {
    const t = ptyUrdb(['departments', 'rm'], { url: db.url });
    await t.expectScreen(/❯ Казань  \(7\)\n  Тверь  \(9\)/);
    t.press('down', 'enter');
    await t.expect('Delete department 9 "Тверь"? (y/N)');
    t.press('ctrl-c');
    expect(await t.exit()).toBe(130);
    expect(await db.count('department')).toBe(2);

    const yes = ptyUrdb(['departments', 'rm', 'Тверь'], { url: db.url });
    await yes.expect('(y/N)');
    yes.type('y');
    yes.press('enter');
    expect(await yes.exit()).toBe(0);
    expect(await db.count('department')).toBe(1);
  });
});
