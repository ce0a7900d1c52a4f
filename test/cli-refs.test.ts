/**
 * References that are both an id and another row's name (issue 11 §7): refused as ambiguous, changing nothing, with
 * `id:` / `name:` (chats: `id:` / `title:`) to say which — for every noun the CLI resolves by name, single and in lists.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { urdb } from './support/cli';
import { freshDatabase } from './support/db';
import { state } from './support/state';

const db = await freshDatabase();
const cli = (...args: string[]) => urdb(args, { url: db.url });
const ONE = (what: string, text: string, id: number, name: string, other: string | number, label = 'name') =>
  `urdb: "${text}" is ambiguous: the ${what === 'chat' ? 'chat id' : 'id'} of ${what} ${id} "${name}" and the ${label} of ${what} ${other}; ` +
  `say which: id:${text} or ${label}:${text}\n`;

beforeAll(async () => {
  const sql = db.sql;
  await sql`insert into region (id, name) values (3, 'Тверь'), (5, '3')`;
  await sql`insert into department (id, name, uuid) values (1, 'Север', gen_random_uuid()), (2, '1', gen_random_uuid())`;
  await sql`
    insert into unit (id, name, uuid, region_id) values
      (3, 'Тверь 1', gen_random_uuid(), 3), (4, '3', gen_random_uuid(), 5), (10, 'Тверь 2', gen_random_uuid(), 3)
  `;
  await sql`insert into report_type (id, name, verbose_name) values (100, '7', 'seven')`;
  await sql`insert into role (id, name, access_code_sha256) values (1, 'north', repeat('a', 64)), (2, '1', repeat('b', 64))`;
  await sql`insert into telegram_chat (chat_id, type, title) values (5150, 'PRIVATE', 'Ana'), (-1, 'GROUP', '5150')`;
});

describe('a reference that is one row\'s id and another\'s name', () => {
  it('regions rename 3: refused (exit 2), nothing renamed; id:3 and name:3 pick', async () => {
    const before = await state(db);
    expect(await cli('regions', 'rename', '3', 'Three')).toMatchObject({ code: 2, stderr: ONE('region', '3', 3, 'Тверь', 5) });
    expect(await state(db)).toEqual(before);
    expect((await cli('regions', 'rename', 'name:3', 'Пять')).stderr).toBe('renamed region 5 "3" to "Пять"\n');
    expect((await cli('regions', 'rename', 'id:3', 'Тверь')).code).toBe(0);
    await cli('regions', 'rename', 'Пять', '3');
  });

  it('units show 3, report-types show 7, roles show 1, chats show 5150, departments rm 1', async () => {
    expect(await cli('units', 'show', '3')).toMatchObject({ code: 2, stderr: ONE('unit', '3', 3, 'Тверь 1', 4) });
    expect(await cli('report-types', 'show', '7')).toMatchObject({ code: 2, stderr: ONE('report type', '7', 7, 'CANCELED_ORDERS', 100) });
    expect(await cli('roles', 'show', '1')).toMatchObject({ code: 2, stderr: ONE('role', '1', 1, 'north', 2) });
    expect(await cli('chats', 'show', '5150')).toMatchObject({ code: 2, stderr: ONE('chat', '5150', 5150, 'Ana', -1, 'title') });
    expect(await cli('departments', 'rm', '1', '--yes')).toMatchObject({ code: 2, stderr: ONE('department', '1', 1, 'Север', 2) });
    expect(await db.count('department')).toBe(2);
  });

  it('the prefixes pick the row everywhere', async () => {
    expect(JSON.parse((await cli('units', 'show', 'name:3', '--json')).stdout).id).toBe(4);
    expect(JSON.parse((await cli('units', 'show', 'id:3', '--json')).stdout).id).toBe(3);
    expect(JSON.parse((await cli('report-types', 'show', 'name:7', '--json')).stdout).id).toBe(100);
    expect(JSON.parse((await cli('roles', 'show', 'id:1', '--json')).stdout).id).toBe(1);
    expect(JSON.parse((await cli('chats', 'show', 'title:5150', '--json')).stdout).chat_id).toBe(-1);
    expect(JSON.parse((await cli('chats', 'show', 'id:5150', '--json')).stdout).chat_id).toBe(5150);
    expect((await cli('departments', 'rm', 'name:1', '--yes')).code).toBe(0);
    expect(await db.count('department')).toBe(1);
  });

  it('lists (--units, --regions, --report-types): refused the same way, nothing granted', async () => {
    const before = await state(db);
    expect(await cli('roles', 'grant', 'north', '--units', '10,3')).toMatchObject({ code: 2, stderr: ONE('unit', '3', 3, 'Тверь 1', 4) });
    expect(await cli('roles', 'grant', 'north', '--regions', '3')).toMatchObject({ code: 2, stderr: ONE('region', '3', 3, 'Тверь', 5) });
    expect(await cli('roles', 'grant', 'north', '--report-types', '7')).toMatchObject({
      code: 2,
      stderr: ONE('report type', '7', 7, 'CANCELED_ORDERS', 100),
    });
    expect(await state(db)).toEqual(before);
    const ok = await cli('roles', 'grant', 'id:1', '--units', 'name:3,id:3', '--report-types', 'id:7', '--json');
    expect(ok.code, ok.stderr).toBe(0);
    const [granted] = await db.sql`select array_agg(unit_id order by unit_id)::text as units from role_unit where role_id = 1`;
    expect(granted!.units).toBe('{3,4}');
  });

  it('a digit-only reference that is only an id or only a name still works; a bad id: prefix is a usage error', async () => {
    expect(JSON.parse((await cli('units', 'show', '10', '--json')).stdout).name).toBe('Тверь 2');
    expect(await cli('units', 'show', 'id:x')).toMatchObject({ code: 2, stderr: 'urdb: "id:x": after id: comes a number; e.g. id:3\n' });
    expect(await cli('units', 'show', 'name:nope')).toMatchObject({ code: 1, stderr: 'urdb: unit "name:nope" not found; list units with `urdb units list`\n' });
  });
});
