import { describe, expect, it } from 'vitest';
import { REPORT_TYPES } from '../src/db/seed-data';
import { seedAccountRoles, seedReportTypes } from '../src/handlers/init';
import { urdb } from './support/cli';
import { createDatabase, freshDatabase } from './support/db';

const db = await freshDatabase();

describe('urdb init', () => {
  it('seeds the 21 report types with their pinned ids and parents', async () => {
    const rows = await db.sql<{ id: number; name: string; verbose_name: string; parent: string | null; is_active: boolean }[]>`
      select t.id, t.name, t.verbose_name, p.name as parent, t.is_active from report_type t
      left join report_type p on p.id = t.parent_id order by t.id
    `;
    expect(rows.map((r) => ({ id: r.id, name: r.name, verbose_name: r.verbose_name, parent: r.parent }))).toEqual(REPORT_TYPES);
    expect(rows.every((r) => r.is_active)).toBe(true);
    expect(REPORT_TYPES.find((t) => t.name === 'CANCELED_ORDERS')?.id).toBe(7);
  });

  it('is idempotent and says what changed', async () => {
    const again = await urdb(['init'], { url: db.url });
    expect(again.code).toBe(0);
    expect(again.stderr).toContain('21 report types: 0 inserted, 0 updated');
    expect(again.stderr).toContain('2 account roles: 0 inserted, 0 updated');
    expect(await db.count('report_type')).toBe(21);
  });

  it('restores a changed verbose name and parent, and moves the sequence past the largest id', async () => {
    await db.sql`update report_type set verbose_name = 'x', parent_id = null where name = 'DAILY_REVENUE'`;
    const result = await seedReportTypes.run(db.ctx(), { inactive: false });
    expect(result).toMatchObject({ inserted: 0, updated: 1 });
    const [row] = await db.sql`insert into report_type (name, verbose_name) values ('NEW_ONE', 'n') returning id`;
    expect(row!.id).toBeGreaterThan(21);
  });

  it('seeds account roles 3 and 7', async () => {
    const rows = await db.sql`select id, name from account_role order by id`;
    expect(rows).toEqual([
      { id: 3, name: 'Shift Manager' },
      { id: 7, name: 'Office Manager' },
    ]);
    expect(await seedAccountRoles.run(db.ctx(), {})).toMatchObject({ inserted: 0, updated: 0 });
  });

  it('on an empty schema: "21 report types: 21 inserted", --inactive inserts them inactive', async () => {
    const empty = await createDatabase({ template: null });
    try {
      const first = await urdb(['init', '--inactive'], { url: empty.url });
      expect(first.code).toBe(0);
      expect(first.stderr).toContain('applied 0001_schema');
      expect(first.stderr).toContain('21 report types: 21 inserted');
      const list = await urdb(['report-types', 'list', '--all', '--json'], { url: empty.url });
      const types = JSON.parse(list.stdout) as { id: number; name: string; is_active: boolean }[];
      expect(types.map((t) => [t.id, t.name])).toEqual(REPORT_TYPES.map((t) => [t.id, t.name]));
      expect(types.every((t) => !t.is_active)).toBe(true);
      const sub = await urdb(['init', 'report-types'], { url: empty.url });
      expect(sub.stderr).toContain('21 report types: 0 inserted, 0 updated');
      const roles = await urdb(['init', 'account-roles', '--json'], { url: empty.url });
      expect(JSON.parse(roles.stdout)).toMatchObject({ total: 2, inserted: 0, updated: 0 });
    } finally {
      await empty.drop();
    }
  });

  it('gives a seeded type a fresh id, with a warning, when its pinned id belongs to another type', async () => {
    const other = await createDatabase({ template: null });
    try {
      expect((await urdb(['migrate'], { url: other.url })).code).toBe(0);
      const { createClient } = await import('../src/db/client');
      const sql = createClient({ url: other.url, schema: 'urdb', max: 1 });
      await sql`insert into report_type (id, name, verbose_name) values (7, 'MY_OWN', 'mine')`;
      await sql.end();
      const r = await urdb(['init', 'report-types'], { url: other.url });
      expect(r.code).toBe(0);
      expect(r.stderr).toMatch(/warning: report type CANCELED_ORDERS got id \d+: its pinned id 7 belongs to MY_OWN/);
      expect(r.stderr).toContain('21 report types: 21 inserted');
    } finally {
      await other.drop();
    }
  });
});
