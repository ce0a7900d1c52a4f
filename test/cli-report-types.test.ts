import { describe, expect, it } from 'vitest';
import { call } from '../src/core/operation';
import { setReportTypesActive, updateReportType } from '../src/handlers/report-types';
import { urdb } from './support/cli';
import { freshDatabase } from './support/db';
import { ptyUrdb } from './support/pty';

const db = await freshDatabase();
const run = (...args: string[]) => urdb(args, { url: db.url });
const types = async () =>
  (await db.sql`select id, name, verbose_name, is_active, parent_id, priority from report_type order by id`).map((t) => ({ ...t }));
const typeNamed = async (name: string) => (await types()).find((t) => t.name === name);

describe('urdb report-types list / show', () => {
  it('list: the API scope by default, --statistics, --inactive, --all; piped TSV or --json', async () => {
    const [main, stats, inactive, all] = await Promise.all([
      run('report-types', 'list'),
      run('report-types', 'list', '--statistics', '--json'),
      run('report-types', 'list', '--inactive'),
      run('report-types', 'list', '--all', '--json'),
    ]);
    expect(main.stdout.split('\n')[0]).toBe('1\tSTATISTICS\tОтчёты по статистике\t\t0\tyes');
    expect(main.stdout.trim().split('\n')).toHaveLength(10);
    expect(JSON.parse(stats.stdout)).toHaveLength(11);
    expect(JSON.parse(stats.stdout)[0]).toEqual({ id: 10, name: 'COOKING_TIME', verbose_name: 'Время приготовления (общее)', is_active: true, parent: 'STATISTICS', priority: 0 });
    expect(inactive).toMatchObject({ code: 0, stdout: '', stderr: '' });
    expect(JSON.parse(all.stdout)).toHaveLength(21);
  });

  it('show by id or name, active or not; an unknown type is exit 1', async () => {
    const [piped, json, unknown] = await Promise.all([
      run('report-types', 'show', '16'),
      run('report-types', 'show', 'STATISTICS', '--json'),
      run('report-types', 'show', 'NOPE'),
    ]);
    expect(piped.stdout).toBe(
      'id\t16\nname\tBEING_LATE_CERTIFICATES\nverbose_name\tСертификаты за опоздание\nis_active\ttrue\nparent\tSTATISTICS\n' +
        'priority\t0\nparent_id\t1\nchildren\t0\nroutes\t0\nroles\t0\n',
    );
    expect(JSON.parse(json.stdout)).toMatchObject({ id: 1, name: 'STATISTICS', parent: null, children: 11 });
    expect(unknown).toMatchObject({ code: 1, stderr: 'urdb: report type "NOPE" not found; list them with `urdb report-types list --all`\n' });
  });
});

describe('urdb report-types add / update', () => {
  it('add with flags: parent by name, priority, --inactive; prints the type with --json', async () => {
    const r = await run('report-types', 'add', '--name', 'MY_REPORT', '--verbose-name', 'Мой отчёт', '--parent', 'STATISTICS', '--priority', '5', '--inactive', '--json');
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('added report type 22 MY_REPORT ("Мой отчёт", inactive)\n');
    expect(JSON.parse(r.stdout)).toEqual({
      id: 22, name: 'MY_REPORT', verbose_name: 'Мой отчёт', is_active: false, parent: 'STATISTICS', priority: 5, parent_id: 1, children: 0, routes: 0, roles: 0,
    });
    const pinned = await run('report-types', 'add', '--name', 'PINNED', '--verbose-name', 'Pinned', '--id', '50');
    expect(pinned).toMatchObject({ code: 0, stderr: 'added report type 50 PINNED ("Pinned")\n' });
    const next = await run('report-types', 'add', '--name', 'NEXT', '--verbose-name', 'Next', '--json');
    expect(JSON.parse(next.stdout)).toMatchObject({ id: 51, is_active: true, parent: null, priority: 0 });
    expect((await run('report-types', 'list', '--inactive')).stdout).toBe('22\tMY_REPORT\tМой отчёт\tSTATISTICS\t5\tno\n');
  });

  it('add refuses missing, invalid, unknown and taken values and adds nothing', async () => {
    const before = await types();
    const cases: [string[], number, string][] = [
      [['--name', 'X'], 2, 'urdb: --verbose-name is required; pass --verbose-name, or run on a terminal to be asked\n'],
      [['--name', 'X', '--verbose-name', 'v'.repeat(65), '--priority', '-1'], 2, 'urdb: --verbose-name: Ensure this field has no more than 64 characters.; --priority: Ensure this value is greater than or equal to 0.\n'],
      [['--name', 'X', '--verbose-name', 'x', '--parent', 'NOPE'], 1, 'urdb: report type "NOPE" not found; list them with `urdb report-types list --all`\n'],
      [['--name', 'CANCELED_ORDERS', '--verbose-name', 'x'], 1, 'urdb: a report type named "CANCELED_ORDERS" already exists; see it with `urdb report-types show CANCELED_ORDERS`\n'],
      [['--name', 'X', '--verbose-name', 'x', '--id', '7'], 1, 'urdb: report type id 7 is taken; leave out --id to get the next free one\n'],
    ];
    const results = await Promise.all(cases.map(([args]) => run('report-types', 'add', ...args)));
    expect(results.map((r, k) => ({ n: k, code: r.code, stderr: r.stderr }))).toEqual(cases.map(([, code, stderr], k) => ({ n: k, code, stderr })));
    expect(await types()).toEqual(before);
  });

  it('update changes the fields given and says which; --no-parent makes it top-level', async () => {
    const r = await run('report-types', 'update', 'MY_REPORT', '--verbose-name', 'Мой', '--no-parent', '--priority', '7', '--json');
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('updated report type 22 MY_REPORT: verbose_name "Мой отчёт" → "Мой", parent "STATISTICS" → none, priority 5 → 7\n');
    expect(JSON.parse(r.stdout)).toMatchObject({ id: 22, parent: null, priority: 7 });
    const rename = await run('report-types', 'update', '22', '--name', 'MY_REPORT_2', '--parent', '7');
    expect(rename.stderr).toBe('updated report type 22 MY_REPORT_2: name "MY_REPORT" → "MY_REPORT_2", parent none → "CANCELED_ORDERS"\n');
    expect((await run('report-types', 'update', '22', '--priority', '7')).stderr).toBe('report type 22 MY_REPORT_2: nothing changed\n');
  });

  it('update refuses a cycle, a taken name, nothing to change and an unknown type; nothing changes', async () => {
    const before = await types();
    const [self, cycle, taken, nothing, unknown] = await Promise.all([
      run('report-types', 'update', 'CANCELED_ORDERS', '--parent', 'CANCELED_ORDERS'),
      run('report-types', 'update', 'CANCELED_ORDERS', '--parent', 'MY_REPORT_2'),
      run('report-types', 'update', 'MY_REPORT_2', '--name', 'STATISTICS'),
      run('report-types', 'update', 'MY_REPORT_2'),
      run('report-types', 'update', 'NOPE', '--priority', '1'),
    ]);
    expect(self).toMatchObject({ code: 2, stderr: 'urdb: --parent: CANCELED_ORDERS cannot be the parent: it is this type or one of its descendants.\n' });
    expect(cycle).toMatchObject({ code: 2, stderr: 'urdb: --parent: MY_REPORT_2 cannot be the parent: it is this type or one of its descendants.\n' });
    expect(taken).toMatchObject({ code: 1, stderr: 'urdb: a report type named "STATISTICS" already exists; see it with `urdb report-types show STATISTICS`\n' });
    expect(nothing).toMatchObject({
      code: 2,
      stderr: 'urdb: nothing to change; give at least one of --name, --verbose-name, --parent, --no-parent, --priority\n',
    });
    expect(unknown.code).toBe(1);
    expect(await types()).toEqual(before);
    // The same rule through the handler: a deeper cycle (A → B → A) is refused too.
    await call(updateReportType, db.ctx(), { report_type: 'PINNED', parent: 'NEXT' });
    await expect(call(updateReportType, db.ctx(), { report_type: 'NEXT', parent: 'PINNED' })).rejects.toThrow('Validation error');
  });
});

describe('urdb report-types activate / deactivate', () => {
  it('changes several at once by name or id, says which were already so; --json lists both', async () => {
    const off = await run('report-types', 'deactivate', 'CANCELED_ORDERS', '8', 'MY_REPORT_2');
    expect(off).toMatchObject({ code: 0, stderr: 'deactivated 2 report types (CANCELED_ORDERS and CHEATED_PHONE_NUMBERS); MY_REPORT_2 was already inactive\n' });
    expect((await typeNamed('CANCELED_ORDERS'))!.is_active).toBe(false);
    const on = await run('report-types', 'activate', 'CANCELED_ORDERS', 'MY_REPORT_2', '--json');
    expect(JSON.parse(on.stdout)).toEqual({ is_active: true, changed: ['CANCELED_ORDERS', 'MY_REPORT_2'], unchanged: [] });
  });

  it('an unknown name fails the whole call (exit 1, nothing changed); none at all needs a terminal', async () => {
    const before = await types();
    const [unknown, none] = await Promise.all([
      run('report-types', 'activate', 'CHEATED_PHONE_NUMBERS', 'NOPE', 'ALSO_NOPE'),
      run('report-types', 'deactivate'),
    ]);
    expect(unknown).toMatchObject({
      code: 1,
      stderr: 'urdb: report types "NOPE", "ALSO_NOPE" not found; nothing was changed; list them with `urdb report-types list --all`\n',
    });
    expect(none).toMatchObject({ code: 2, stderr: 'urdb: <types> is required; give it as an argument, or run on a terminal to be asked\n' });
    expect(await types()).toEqual(before);
    await expect(call(setReportTypesActive, db.ctx(), { report_types: [], is_active: true })).rejects.toThrow('Validation error');
  });
});

describe('urdb report-types on a terminal', () => {
  it('add asks for the names, a parent from the list (or none) and the priority', async () => {
    const t = ptyUrdb(['report-types', 'add'], { url: db.url });
    await t.expect('Name (machine code)');
    t.type('TERMINAL_REPORT');
    t.press('enter');
    await t.expect('Verbose name');
    t.type('С терминала');
    t.press('enter');
    await t.expectScreen(/Parent report type \(optional\)\n❯ \(none\)/);
    t.press('down', 'down');
    await t.expectScreen(/❯ STATISTICS  \(1, Отчёты по статистике\)/);
    t.press('enter');
    await t.expect('Priority');
    t.type('x');
    t.press('enter');
    await t.expect('A valid integer is required.');
    t.press('backspace');
    t.type('3');
    t.press('enter');
    expect(await t.exit()).toBe(0);
    expect(await typeNamed('TERMINAL_REPORT')).toMatchObject({ verbose_name: 'С терминала', parent_id: 1, priority: 3, is_active: true });
  });

  it('deactivate without names offers the active types in a checkbox list', async () => {
    const t = ptyUrdb(['report-types', 'deactivate'], { url: db.url });
    await t.expectScreen(/Report types to deactivate/);
    t.press('space', 'down', 'space', 'enter');
    expect(await t.exit()).toBe(0);
    expect(t.output()).toMatch(/deactivated 2 report types \(\w+ and \w+\)/);
    expect((await types()).filter((x) => !x.is_active)).toHaveLength(3);
  });

  it('Ctrl-C in the checkbox list exits 130 and changes nothing', async () => {
    const before = await types();
    const t = ptyUrdb(['report-types', 'activate'], { url: db.url });
    await t.expectScreen(/Report types to activate/);
    t.press('space', 'ctrl-c');
    expect(await t.exit()).toBe(130);
    expect(await types()).toEqual(before);
  });

  it('update without flags asks for each field with the current value as the default', async () => {
    const t = ptyUrdb(['report-types', 'update', 'STATISTICS'], { url: db.url });
    await t.expect('Name');
    t.press('enter');
    await t.expect('Verbose name');
    t.type('Статистика');
    t.press('enter');
    await t.expectScreen(/❯ \(none\)/);
    t.press('enter');
    await t.expect('Priority');
    t.press('enter');
    expect(await t.exit()).toBe(0);
    expect(t.output()).toContain('updated report type 1 STATISTICS: verbose_name "Отчёты по статистике" → "Статистика"');
  });
});
