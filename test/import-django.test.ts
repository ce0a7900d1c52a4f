import { afterAll, describe, expect, it } from 'vitest';
import { exportBundle } from '../src/handlers/bundle/export';
import { sha256hex } from '../src/handlers/bundle/import';
import { createClient } from '../src/db/client';
import { urdb } from './support/cli';
import { createDatabase, freshDatabase, type TestDatabase } from './support/db';
import { CREATED, createDjango, djangoDdl, UUID } from './support/django';
import { ptyUrdb } from './support/pty';

const db = await freshDatabase();
await createDjango(db.sql, 'django', 2);
/** Targets of the separate-database case and of the broken source. */
const target = await freshDatabase();
const other = await freshDatabase();
const source = await createDatabase({ template: null });
const sourceSql = createClient({ url: source.url, schema: 'public', max: 2, onNotice: () => {} });
afterAll(async () => {
  await sourceSql.end({ timeout: 5 });
  await source.drop();
});

const snapshot = (target: TestDatabase = db) => exportBundle(target.ctx());
const importDjango = (args: string[], target: TestDatabase = db, from = db.url) =>
  urdb(['import-django', '--from', from, ...args], { url: target.url });
const json = (stdout: string) => JSON.parse(stdout) as Record<string, any>;

describe('urdb import-django: the later schema, from a schema of urdb\'s own database', () => {
  it('replacing rows needs --yes without a terminal: exit 2, nothing changed', async () => {
    const before = await snapshot();
    const r = await importDjango(['--source-schema', 'django']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("urdb: Replace existing rows (4 report types) with the source's: --yes required when not running interactively");
    expect(await snapshot()).toEqual(before);
  });

  it('imports every table with --yes and reports {read, inserted, updated} per table', async () => {
    const r = await importDjango(['--source-schema', 'django', '--yes', '--json']);
    expect(r.code).toBe(0);
    const out = json(r.stdout);
    expect(out.dry_run).toBe(false);
    expect(out.source).toEqual({
      database: db.url.replace(/:[^:@/]*@/, '@'),
      schema: 'django',
      tables: [
        'units_region',
        'units_department',
        'units_unit',
        'reports_reporttype',
        'user_roles_userrole',
        'user_roles_userrole_units',
        'user_roles_userrole_report_types',
        'telegram_telegramchat',
        'reports_reportroute',
        'accounts_accountrole',
      ],
      absent: [],
    });
    expect(out.tables).toEqual({
      regions: { read: 3, inserted: 3, updated: 0 },
      departments: { read: 2, inserted: 2, updated: 0 },
      units: { read: 4, inserted: 4, updated: 0 },
      report_types: { read: 6, inserted: 1, updated: 4 },
      roles: { read: 2, inserted: 2, updated: 0 },
      role_units: { read: 2, inserted: 2, updated: 0 },
      role_report_types: { read: 3, inserted: 3, updated: 0 },
      telegram_chats: { read: 4, inserted: 4, updated: 0 },
      report_routes: { read: 7, inserted: 7, updated: 0 },
      account_roles: { read: 3, inserted: 1, updated: 0 },
    });
    expect(out.check.tables.report_routes).toEqual({ source: 7, matched: 7, urdb: 7 });
    expect(out.check.sampled_routes).toBe(7);
    expect(out.warnings).toEqual([
      '1 unit has NULL account names: imported as ""',
      'units_unit: unit 301: no department in the source, imported without a department',
      'report type COOKING_TIME, DAILY_REVENUE: verbose name "[\'verbose_name\']" (a bug of the old seed command), ' +
        'imported as is; `urdb init report-types` restores the seeded verbose names',
      'report type 2 INGREDIENTS_STOP_SALES → CANCELED_ORDERS, 3 STREET_STOP_SALES → COOKING_TIME, ' +
        '4 SECTOR_STOP_SALES → DAILY_REVENUE, 5 PIZZERIA_STOP_SALES → WRITE_OFFS: urdb\'s id now means the source\'s type ' +
        '(routes and grants of that id follow it)',
      'report type CANCELED_ORDERS (7 → 2), WRITE_OFFS (9 → 5), COOKING_TIME (10 → 3), DAILY_REVENUE (17 → 4): ' +
        'urdb had them under another id; merged into the source\'s id',
      'urdb keeps rows the source does not have (not deleted): 12 report types (report types STOPS_AND_RESUMES, ' +
        'CHEATED_PHONE_NUMBERS, RESTAURANT_COOKING_TIME, KITCHEN_PERFORMANCE, DELIVERY_AWAITING_TIME, DELIVERY_SPEED, ' +
        'DELIVERY_PERFORMANCE, BEING_LATE_CERTIFICATES, AWAITING_ORDERS, BONUS_SYSTEM and 2 more)',
    ]);
    expect(r.stderr).toMatch(/^imported from .* \(schema django\) in [\d.]+ s:$/m);
    expect(r.stderr).toMatch(/^ {2}report routes +7 read +7 inserted +0 updated$/m);
    expect(r.stderr).toContain('check: ok, every source row is in urdb (report routes 7 of 7), 7 sampled routes match');
  });

  it('keeps every id and maps every field', async () => {
    expect(await db.sql`select id, name from region order by id`).toEqual([
      { id: 1, name: 'Москва 1' },
      { id: 2, name: 'Казань' },
      { id: 7, name: 'Тверь' },
    ]);
    expect(await db.sql`select id, name, uuid from department order by id`).toEqual([
      { id: 4, name: 'Москва', uuid: UUID(9004) },
      { id: 5, name: 'Казань', uuid: UUID(9005) },
    ]);
    expect(
      await db.sql`
        select id, name, uuid, office_manager_account_name as om, dodo_is_api_account_name as api,
               shift_manager_account_name as sm, region_id, department_id
        from unit order by id`,
    ).toEqual([
      { id: 101, name: 'Москва 1-1', uuid: UUID(101), om: 'om1', api: 'api1', sm: 'sm1', region_id: 1, department_id: 4 },
      { id: 102, name: 'Москва 1-2', uuid: UUID(102), om: '', api: '', sm: '', region_id: 1, department_id: 4 },
      { id: 201, name: 'Казань 1', uuid: UUID(201), om: '', api: 'api3', sm: '', region_id: 2, department_id: 5 },
      { id: 301, name: 'Тверь 1', uuid: UUID(301), om: 'om4', api: 'api4', sm: 'sm4', region_id: 7, department_id: null },
    ]);
    expect(await db.sql`select id, name, verbose_name, is_active, parent_id, priority from report_type where id in (1, 2, 3, 4, 5, 40) order by id`).toEqual([
      { id: 1, name: 'STATISTICS', verbose_name: 'Отчёты по статистике', is_active: true, parent_id: null, priority: 0 },
      { id: 2, name: 'CANCELED_ORDERS', verbose_name: 'Отмены заказов', is_active: true, parent_id: null, priority: 5 },
      { id: 3, name: 'COOKING_TIME', verbose_name: "['verbose_name']", is_active: false, parent_id: 1, priority: 0 },
      { id: 4, name: 'DAILY_REVENUE', verbose_name: "['verbose_name']", is_active: true, parent_id: 1, priority: 1 },
      { id: 5, name: 'WRITE_OFFS', verbose_name: 'Списания ингредиентов', is_active: false, parent_id: null, priority: 0 },
      { id: 40, name: 'CUSTOM_REPORT', verbose_name: 'Свой отчёт', is_active: true, parent_id: 1, priority: 3 },
    ]);
    // The seeded types the source has under other ids were merged into them; the others are kept.
    const seeded = await db.sql`select id from report_type where id not in (1, 2, 3, 4, 5, 40) order by id`;
    expect(seeded.map((t) => t.id)).toEqual([6, 8, 11, 12, 13, 14, 15, 16, 18, 19, 20, 21]);
    expect(await db.sql`select id, name, access_code_sha256 from role order by id`).toEqual([
      { id: 1, name: 'Managers', access_code_sha256: sha256hex('open sesame') },
      { id: 2, name: 'Nobody', access_code_sha256: sha256hex('nothing here') },
    ]);
    expect(await db.sql`select role_id, unit_id from role_unit order by 1, 2`).toEqual([
      { role_id: 1, unit_id: 101 },
      { role_id: 1, unit_id: 102 },
    ]);
    expect(await db.sql`select role_id, report_type_id from role_report_type order by 1, 2`).toEqual([
      { role_id: 1, report_type_id: 2 },
      { role_id: 1, report_type_id: 4 },
      { role_id: 2, report_type_id: 5 },
    ]);
    expect(await db.sql`select id, chat_id, type, title, username, role_id, created_at from telegram_chat order by id`).toEqual([
      { id: 1, chat_id: -1001234567890, type: 'GROUP', title: 'Ops room', username: null, role_id: 1, created_at: new Date(CREATED) },
      { id: 2, chat_id: 42, type: 'PRIVATE', title: 'Eldos', username: '', role_id: null, created_at: new Date(CREATED) },
      { id: 3, chat_id: 43, type: 'PRIVATE', title: 'Aigerim', username: 'aigerim', role_id: 2, created_at: new Date(CREATED) },
      { id: 5, chat_id: -100, type: 'GROUP', title: 'Old group', username: null, role_id: null, created_at: new Date(CREATED) },
    ]);
    const [micro] = await db.sql`select created_at::text as t from telegram_chat where id = 1`;
    expect(micro!.t).toBe('2023-04-05 09:15:00.123456+00');
    expect(await db.sql`select report_type_id, unit_id, telegram_chat_id from report_route order by 1, 2, 3`).toEqual([
      { report_type_id: 2, unit_id: 101, telegram_chat_id: 1 },
      { report_type_id: 2, unit_id: 102, telegram_chat_id: 1 },
      { report_type_id: 3, unit_id: 301, telegram_chat_id: 2 },
      { report_type_id: 4, unit_id: 101, telegram_chat_id: 1 },
      { report_type_id: 4, unit_id: 201, telegram_chat_id: 2 },
      { report_type_id: 5, unit_id: 101, telegram_chat_id: 3 },
      { report_type_id: 40, unit_id: 301, telegram_chat_id: 5 },
    ]);
    expect(await db.sql`select id, name from account_role order by id`).toEqual([
      { id: 3, name: 'Shift Manager' },
      { id: 7, name: 'Office Manager' },
      { id: 9, name: 'Auditor' },
    ]);
    // Plain access codes never reach urdb's database, not even its audit log.
    const [leak] = await db.sql`select count(*)::int as n from audit_log where after::text like '%open sesame%'`;
    expect(leak!.n).toBe(0);
  });

  it('moves the id sequences past the imported ids', async () => {
    await db.sql.begin(async (tx) => {
      const [type] = await tx`insert into report_type (name, verbose_name) values ('NEXT', 'next') returning id`;
      const [chat] = await tx`insert into telegram_chat (chat_id, type, title) values (999, 'PRIVATE', 'n') returning id`;
      expect([type!.id, chat!.id]).toEqual([41, 6]);
      throw new Error('rollback');
    }).catch((err) => expect((err as Error).message).toBe('rollback'));
  });

  it('re-running is safe: 0 inserted, 0 updated, no confirmation asked', async () => {
    const before = await snapshot();
    const r = await importDjango(['--source-schema', 'django', '--json']);
    expect(r.code).toBe(0);
    for (const c of Object.values(json(r.stdout).tables) as { inserted: number; updated: number }[]) {
      expect([c.inserted, c.updated]).toEqual([0, 0]);
    }
    expect(await snapshot()).toEqual(before);
  });

  it('takes the source\'s changes (renames swapping unique names, a chat moved to a supergroup), with --yes', async () => {
    await db.sql.unsafe(`
      update django.units_region set name = 'tmp' where id = 1;
      update django.units_region set name = 'Москва 1' where id = 2;
      update django.units_region set name = 'Казань' where id = 1;
      update django.telegram_telegramchat set chat_id = -1009999999999 where id = 5;
      update django.user_roles_userrole set access_code = 'new code' where id = 2;
      delete from django.user_roles_userrole_units where userrole_id = 1 and unit_id = 102;
    `);
    const refused = await importDjango(['--source-schema', 'django']);
    expect(refused.code).toBe(2);
    const r = await importDjango(['--source-schema', 'django', '--yes', '--json']);
    expect(r.code).toBe(0);
    expect(json(r.stdout).tables).toMatchObject({
      regions: { inserted: 0, updated: 2 },
      telegram_chats: { inserted: 0, updated: 1 },
      roles: { inserted: 0, updated: 2 },
      report_routes: { inserted: 0, updated: 0 },
    });
    expect(await db.sql`select id, name from region order by id`).toEqual([
      { id: 1, name: 'Казань' },
      { id: 2, name: 'Москва 1' },
      { id: 7, name: 'Тверь' },
    ]);
    const [chat] = await db.sql`select chat_id from telegram_chat where id = 5`;
    expect(chat!.chat_id).toBe(-1009999999999);
    const [role] = await db.sql`select access_code_sha256 from role where id = 2`;
    expect(role!.access_code_sha256).toBe(sha256hex('new code'));
    // 'new code' has 8 characters: kept (the users have it), flagged, and named.
    expect(json(r.stdout).warnings).toContain('weak access code (shorter than 10 characters or a common one) kept for role 2 "Nobody": rotate it with `urdb roles rotate-code`');
    expect(r.stderr).toContain('weak access code (shorter than 10 characters or a common one) kept for role 2 "Nobody"');
    expect(await db.sql`select id, weak_code from role order by id`).toEqual([{ id: 1, weak_code: false }, { id: 2, weak_code: true }]);
    expect(await db.sql`select unit_id from role_unit where role_id = 1`).toEqual([{ unit_id: 101 }]);
  });

  it('merges a chat urdb has under another id, and keeps routes only urdb has', async () => {
    await db.sql.unsafe(`
      insert into urdb.telegram_chat (id, chat_id, type, title) values (50, 777, 'PRIVATE', 'Added in urdb');
      insert into urdb.report_route (report_type_id, unit_id, telegram_chat_id) values (2, 201, 50);
      insert into urdb.report_route (report_type_id, unit_id, telegram_chat_id) values (6, 201, 2);
      insert into django.telegram_telegramchat (id, chat_id, username, title, type, role_id, created_at)
        values (6, 777, 'newbie', 'Newbie', 1, null, now());
      insert into django.reports_reportroute (report_type_id, unit_id, telegram_chat_id) values (5, 102, 6);
    `);
    const r = await importDjango(['--source-schema', 'django', '--yes', '--json']);
    expect(r.code).toBe(0);
    const out = json(r.stdout);
    expect(out.tables.telegram_chats).toEqual({ read: 5, inserted: 0, updated: 1 });
    expect(out.warnings).toContain("chat 777 (50 → 6): urdb had it under another id; merged into the source's id");
    expect(out.warnings.at(-1)).toMatch(/^urdb keeps rows the source does not have \(not deleted\): 12 report types, 2 report routes \(report types STOPS_AND_RESUMES, /);
    expect(await db.sql`select id, title from telegram_chat where chat_id = 777`).toEqual([{ id: 6, title: 'Newbie' }]);
    expect(await db.sql`select report_type_id, unit_id from report_route where telegram_chat_id = 6 order by 1, 2`).toEqual([
      { report_type_id: 2, unit_id: 201 },
      { report_type_id: 5, unit_id: 102 },
    ]);
    const [kept] = await db.sql`select count(*)::int as n from report_route where (report_type_id, unit_id, telegram_chat_id) = (6, 201, 2)`;
    expect(kept!.n).toBe(1);
  });

  it('a failing consistency check is an error and rolls everything back', async () => {
    await db.sql.unsafe(`
      insert into django.units_region (id, name) values (9, 'Новгород');
      insert into django.reports_reportroute (report_type_id, unit_id, telegram_chat_id) values (40, 102, 3);
      create function urdb.drop_route() returns trigger language plpgsql as $$ begin return null; end $$;
      create trigger drop_route before insert on urdb.report_route for each row when (new.unit_id = 102 and new.report_type_id = 40)
        execute function urdb.drop_route();
    `);
    try {
      const before = await snapshot();
      const r = await importDjango(['--source-schema', 'django', '--yes']);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('urdb: the consistency check failed; nothing was imported');
      expect(r.stderr).toContain('report routes: 1 of 9 source rows are not in urdb as they are in the source');
      expect(await snapshot()).toEqual(before);
      const [region] = await db.sql`select count(*)::int as n from region where id = 9`;
      expect(region!.n).toBe(0);
    } finally {
      await db.sql.unsafe(`drop trigger drop_route on urdb.report_route; drop function urdb.drop_route()`);
    }
    const r = await importDjango(['--source-schema', 'django', '--yes', '--json']);
    expect(r.code).toBe(0);
    expect(json(r.stdout).tables).toMatchObject({ regions: { inserted: 1 }, report_routes: { inserted: 1 } });
  });

  it('on a terminal: a progress bar, then a confirmation that can say no', async () => {
    await db.sql`update django.units_unit set name = 'Тверь 1 (центр)' where id = 301`;
    const before = await snapshot();
    const no = ptyUrdb(['import-django', '--from', db.url, '--source-schema', 'django'], { url: db.url });
    await no.expect("Replace existing rows (1 units) with the source's?");
    no.type('n');
    no.press('enter');
    expect(await no.exit()).toBe(2);
    expect(no.output()).toContain('import cancelled; nothing was changed');
    expect(no.output()).toMatch(/█+░*\s+\d+% (reading|writing|checking)/);
    expect(await snapshot()).toEqual(before);
    const yes = ptyUrdb(['import-django', '--from', db.url, '--source-schema', 'django'], { url: db.url });
    await yes.expect("with the source's?");
    yes.type('y');
    yes.press('enter');
    expect(await yes.exit()).toBe(0);
    const [unit] = await db.sql`select name from unit where id = 301`;
    expect(unit!.name).toBe('Тверь 1 (центр)');
  });
});

describe('urdb import-django: the seed README\'s schema, from a separate database', () => {
  const run = (args: string[]) => importDjango(args, target, source.url);

  it('--dry-run reports what it would do and writes nothing', async () => {
    await createDjango(sourceSql, 'public', 1);
    const before = await snapshot(target);
    const r = await run(['--dry-run', '--json']);
    expect(r.code).toBe(0);
    const out = json(r.stdout);
    expect(out.dry_run).toBe(true);
    expect(out.tables.report_routes).toEqual({ read: 7, inserted: 7, updated: 0 });
    expect(r.stderr).toContain('dry run, nothing written: would import');
    expect(await snapshot(target)).toEqual(before);
  });

  it('imports it: absent tables and columns keep urdb\'s values, access codes become digests', async () => {
    const r = await run(['--yes', '--json']);
    expect(r.code).toBe(0);
    const out = json(r.stdout);
    expect(out.source.absent).toEqual(['units_department', 'accounts_accountrole']);
    expect(out.tables.departments).toEqual({ read: 0, inserted: 0, updated: 0 });
    expect(out.tables.account_roles).toEqual({ read: 0, inserted: 0, updated: 0 });
    expect(out.warnings.slice(0, 2)).toEqual([
      "the source has no units_department, accounts_accountrole: urdb's are left as they are",
      'an older schema without units_unit.shift_manager_account_name, reports_reporttype.priority, ' +
        "telegram_telegramchat.created_at: urdb keeps its own values there",
    ]);
    expect(
      await target.sql`select id, office_manager_account_name as om, dodo_is_api_account_name as api, shift_manager_account_name as sm,
                              department_id from unit order by id`,
    ).toEqual([
      { id: 101, om: 'om1', api: 'api1', sm: '', department_id: null },
      { id: 102, om: '', api: '', sm: '', department_id: null },
      { id: 201, om: '', api: 'api3', sm: '', department_id: null },
      { id: 301, om: 'om4', api: 'api4', sm: '', department_id: null },
    ]);
    const roles = await target.sql`select id, access_code_sha256 from role order by id`;
    expect(roles).toEqual([
      { id: 1, access_code_sha256: sha256hex('open sesame') },
      { id: 2, access_code_sha256: sha256hex('nothing here') },
    ]);
    const [chats] = await target.sql`select count(*)::int as n from telegram_chat where created_at > now() - interval '1 minute'`;
    expect(chats!.n).toBe(4);
    expect(await target.count('account_role')).toBe(2);
  });

  it('re-importing reports 0 inserted and keeps what only urdb knows (shift manager, created_at)', async () => {
    await target.sql`update unit set shift_manager_account_name = 'sm set in urdb' where id = 101`;
    const before = await snapshot(target);
    const r = await run(['--json']);
    expect(r.code).toBe(0);
    for (const c of Object.values(json(r.stdout).tables) as { inserted: number; updated: number }[]) {
      expect([c.inserted, c.updated]).toEqual([0, 0]);
    }
    expect(await snapshot(target)).toEqual(before);
  });

  it('reads the generation that called the code "alias" and the display text "name"', async () => {
    await sourceSql.unsafe(`
      alter table reports_reporttype rename column name to alias;
      alter table reports_reporttype rename column verbose_name to name;
    `);
    try {
      const r = await run(['--json']);
      expect(r.code).toBe(0);
      const out = json(r.stdout);
      expect(out.tables.report_types).toEqual({ read: 6, inserted: 0, updated: 0 });
      expect(out.warnings).toContain('reports_reporttype names its code "alias" and its display text "name" (an older schema): read as name and verbose_name');
    } finally {
      await sourceSql.unsafe(`
        alter table reports_reporttype rename column name to verbose_name;
        alter table reports_reporttype rename column alias to name;
      `);
    }
  });

  it('takes 30,000 routes in batches of 25,000, all of them', async () => {
    await sourceSql.unsafe(`
      insert into units_unit (id, name, uuid, office_manager_account_name, dodo_is_api_account_name, region_id)
        select 5000 + i, 'Bulk ' || i, md5('bulk' || i)::uuid, '', '', 2 from generate_series(1, 300) i;
      insert into telegram_telegramchat (id, chat_id, username, title, type)
        select 100 + i, 5000000 + i, null, 'Bulk chat ' || i, 1 from generate_series(1, 100) i;
      insert into reports_reportroute (report_type_id, unit_id, telegram_chat_id)
        select 2, 5000 + u, 100 + c from generate_series(1, 300) u, generate_series(1, 100) c;
    `);
    const r = await run(['--json']);
    expect(r.code).toBe(0);
    const out = json(r.stdout);
    expect(out.tables.report_routes).toEqual({ read: 30007, inserted: 30000, updated: 0 });
    expect(out.check.tables.report_routes).toEqual({ source: 30007, matched: 30007, urdb: 30007 });
    expect(out.check.sampled_routes).toBe(1000);
  });
});

describe('urdb import-django: what it refuses', () => {
  it('a source that cannot be reached: exit 3, host and port, never the password', async () => {
    const r = await importDjango(['--source-schema', 'django'], db, 'postgres://django:s3cret@127.0.0.1:1/routes');
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('urdb: source: cannot connect to PostgreSQL at 127.0.0.1:1: connection refused');
    expect(r.stderr).not.toContain('s3cret');
  });

  it('a source database that does not exist: exit 3', async () => {
    const missing = db.url.replace(/\/[^/?]+(\?|$)/, '/urdb_no_such_database$1');
    const r = await importDjango([], db, missing);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/urdb: source: cannot connect to PostgreSQL at .*: database does not exist/);
  });

  it('a schema without the Django tables, or a --from that is not a URL: exit 2', async () => {
    const none = await importDjango(['--source-schema', 'nothing_here']);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('the source has no tables of the Django service in schema "nothing_here"');
    const notUrl = await importDjango([], db, 'old-db:5432');
    expect(notUrl.code).toBe(2);
    expect(notUrl.stderr).toContain('--from: Expected a PostgreSQL URL');
    const dotted = await importDjango(['--source-schema', 'a.b']);
    expect(dotted.code).toBe(2);
  });

  it('source rows urdb cannot take: every one listed, exit 2, nothing written', async () => {
    await db.sql.unsafe(`
      ${djangoDdl('broken', 2)}
      insert into broken.units_region (id, name) values (1, 'R');
      alter table broken.reports_reportroute drop constraint reports_reportroute_telegram_chat_id_fkey;
      alter table broken.units_unit drop constraint units_unit_department_id_fkey;
      insert into broken.units_unit (id, name, uuid, region_id, department_id) values (1, 'U', '${UUID(1)}', 1, 99);
      insert into broken.reports_reporttype (id, name, verbose_name, is_active, priority) values (1, 'T', 't', true, 0);
      insert into broken.telegram_telegramchat (id, chat_id, title, type, created_at) values (1, 5, 'c', 3, now());
      insert into broken.reports_reportroute (report_type_id, unit_id, telegram_chat_id) values (1, 1, 404);
    `);
    const before = await snapshot(other);
    const r = await importDjango(['--source-schema', 'broken', '--yes'], other);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('urdb: the source holds rows urdb cannot take; nothing was imported');
    expect(r.stderr).toContain('telegram_telegramchat: type must be 1 (PRIVATE) or 2 (GROUP): chat 5 has 3');
    expect(r.stderr).toContain('reports_reportroute: telegram_chat_id 404 refers to no row');
    expect(await snapshot(other)).toEqual(before);

    // Fixed, the unit whose department is missing is imported without one, with a warning.
    await db.sql.unsafe(`update broken.telegram_telegramchat set type = 2; update broken.reports_reportroute set telegram_chat_id = 1`);
    const fixed = await importDjango(['--source-schema', 'broken', '--yes', '--json'], other);
    expect(fixed.code).toBe(0);
    expect(json(fixed.stdout).warnings).toContain('units_unit: unit 1 (department_id 99): department missing in the source, imported without a department');
    const [unit] = await other.sql`select department_id from unit where id = 1`;
    expect(unit!.department_id).toBeNull();
  });

  it('a urdb unit holding a source unit\'s name under another id: exit 1, nothing written', async () => {
    await db.sql`insert into unit (id, name, uuid, region_id) values (9001, 'Двойник', ${UUID(9001)}, 1)`;
    await db.sql`insert into django.units_unit (id, name, uuid, region_id, department_id) values (9002, 'Двойник', ${UUID(9002)}, 1, 4)`;
    const before = await snapshot();
    const r = await importDjango(['--source-schema', 'django', '--yes']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("units: urdb unit 9001 has the name of the source's unit 9002 (Двойник)");
    expect(await snapshot()).toEqual(before);
  });
});
