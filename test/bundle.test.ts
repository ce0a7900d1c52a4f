import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { exportBundle, formatBundle } from '../src/handlers/bundle/export';
import { BundleError, importBundle, sha256hex } from '../src/handlers/bundle/import';
import { smallBundle, UUID } from './support/bundles';
import { urdb } from './support/cli';
import { createDatabase, freshDatabase } from './support/db';

const db = await freshDatabase();
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'urdb-bundle-'));
const file = (name: string, content: unknown) => {
  const p = path.join(dir, name);
  fs.writeFileSync(p, typeof content === 'string' ? content : JSON.stringify(content));
  return p;
};

async function snapshot() {
  return (await exportBundle(db.ctx()));
}

describe('urdb import / export', () => {
  it('imports a bundle and reports {inserted, updated} per section', async () => {
    const r = await urdb(['import', file('small.json', smallBundle()), '--json'], { url: db.url });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      dry_run: false,
      regions: { inserted: 3, updated: 0 },
      departments: { inserted: 1, updated: 0 },
      units: { inserted: 4, updated: 0 },
      report_types: { inserted: 1, updated: 0 },
      roles: { inserted: 2, updated: 0 },
      telegram_chats: { inserted: 2, updated: 0 },
      report_routes: { inserted: 3, updated: 0 },
      account_roles: { inserted: 1, updated: 0 },
      warnings: ['created 1 region named by units'],
    });
    expect(r.stderr).toMatch(/imported: regions 3 inserted/);
    const [role] = await db.sql`select access_code_sha256 from role where id = 1`;
    expect(role!.access_code_sha256).toBe(sha256hex('open sesame'));
    const text = JSON.stringify(await db.sql`select * from role`);
    expect(text).not.toContain('open sesame');
  });

  it('re-importing the same bundle changes nothing and needs no confirmation', async () => {
    const r = await urdb(['import', file('small.json', smallBundle())], { url: db.url });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('imported: nothing to change');
  });

  it('replacing rows needs --yes without a terminal, and changes nothing without it', async () => {
    const b = smallBundle();
    b.units[0]!.name = 'Москва 1-1 (renamed)';
    b.roles[0]!.units = [101];
    const before = await snapshot();
    const refused = await urdb(['import', file('changed.json', b)], { url: db.url });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('--yes required when not running interactively');
    expect(await snapshot()).toEqual(before);
    const done = await urdb(['import', file('changed.json', b), '--yes', '--json'], { url: db.url });
    expect(done.code).toBe(0);
    expect(JSON.parse(done.stdout)).toMatchObject({ units: { inserted: 0, updated: 1 }, roles: { inserted: 0, updated: 1 } });
    const grants = await db.sql`select unit_id from role_unit where role_id = 1 order by unit_id`;
    expect(grants.map((g) => g.unit_id)).toEqual([101]);
  });

  it('--dry-run reports the counts and writes nothing', async () => {
    const b = { format: 'urdb-bundle/1', regions: [{ id: 77, name: 'Dry' }], units: [{ id: 777, name: 'Dry 1', uuid: UUID(777), region: 'Dry' }] };
    const before = await snapshot();
    const r = await urdb(['import', file('dry.json', b), '--dry-run', '--json'], { url: db.url });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ dry_run: true, regions: { inserted: 1 }, units: { inserted: 1 } });
    expect(r.stderr).toContain('dry run, nothing written');
    expect(await snapshot()).toEqual(before);
  });

  it('reports every invalid item with its position, exits 2 and writes nothing', async () => {
    const bad = {
      format: 'urdb-bundle/1',
      regions: [{ id: 90, name: 'Fine' }],
      units: [
        { id: 900, name: 'ok', uuid: UUID(900), region: 'Fine' },
        { id: 901, name: 'bad uuid', uuid: 'nope', region: 'Fine' },
        { id: 'x', name: '', uuid: UUID(902), region: 'Fine', extra: 1 },
      ],
      telegram_chats: [{ chat_id: 5, type: 'CHANNEL', title: 't' }],
      report_routes: [{ report_type: 'CANCELED_ORDERS', chat_id: 5, unit_ids: [900, 'y'] }],
    };
    const before = await snapshot();
    const r = await urdb(['import', file('bad.json', bad)], { url: db.url });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('the bundle is invalid');
    for (const expected of [
      'units[1].uuid: Must be a valid UUID.',
      'units[2].id: A valid integer is required.',
      'units[2].name: This field may not be blank.',
      'units[2]: unknown field "extra"',
      'telegram_chats[0].type: "CHANNEL" is not a valid choice.',
      'report_routes[0].unit_ids[1]: A valid integer is required.',
    ]) {
      expect(r.stderr).toContain(expected);
    }
    expect(await snapshot()).toEqual(before);
  });

  it('reports references to missing rows and values taken by other rows', async () => {
    const bad = {
      format: 'urdb-bundle/1',
      units: [{ id: 950, name: 'Москва 1-2', uuid: UUID(950), region: 'Fine', department_id: 99 }],
      roles: [{ id: 9, name: 'r', access_code: 'open sesame', units: [12345], report_types: ['NO_SUCH_TYPE'] }],
      report_routes: [{ report_type: 'CANCELED_ORDERS', chat_id: 777, unit_ids: [950] }],
    };
    await expect(importBundle(db.ctx(), bad)).rejects.toSatisfy((err: unknown) => {
      const problems = (err as BundleError).problems;
      expect(problems).toEqual(
        expect.arrayContaining([
          'units[0].department_id: department 99 does not exist',
          'roles[0].units: unit 12345 does not exist',
          'roles[0].report_types[0]: report type "NO_SUCH_TYPE" does not exist',
          'report_routes[0].chat_id: chat 777 does not exist',
          'units[0].name: "Москва 1-2" already belongs to unit 102',
          'roles[0].access_code: this access code already belongs to role 1',
        ]),
      );
      return err instanceof BundleError;
    });
  });

  it('refuses a cycle of report type parents, also through stored types, and writes nothing', async () => {
    const types = await db.count('report_type');
    const cycle = {
      format: 'urdb-bundle/1',
      report_types: [
        { name: 'CYCLE_A', verbose_name: 'A', parent: 'CYCLE_B' },
        { name: 'CYCLE_B', verbose_name: 'B', parent: 'CYCLE_A' },
      ],
    };
    await expect(importBundle(db.ctx(), cycle)).rejects.toSatisfy((err: unknown) => {
      expect((err as BundleError).problems).toEqual([
        'report_types[0].parent: CYCLE_A would be its own ancestor (a cycle of parents)',
        'report_types[1].parent: CYCLE_B would be its own ancestor (a cycle of parents)',
      ]);
      return err instanceof BundleError;
    });
    // Through a stored type: CANCELED_ORDERS under a new type whose parent is CANCELED_ORDERS.
    const through = { format: 'urdb-bundle/1', report_types: [{ name: 'CYCLE_C', verbose_name: 'C', parent: 'CANCELED_ORDERS' }, { name: 'CANCELED_ORDERS', verbose_name: 'x', parent: 'CYCLE_C' }] };
    await expect(importBundle(db.ctx(), through)).rejects.toThrow(BundleError);
    expect(await db.count('report_type')).toBe(types);
    const [stored] = await db.sql`select parent_id, verbose_name from report_type where name = 'CANCELED_ORDERS'`;
    expect(stored!.parent_id).toBeNull();
  });

  it('reports duplicates inside the bundle', async () => {
    const bad = { format: 'urdb-bundle/1', regions: [{ id: 1, name: 'A' }, { id: 1, name: 'A' }] };
    await expect(importBundle(db.ctx(), bad)).rejects.toThrow(BundleError);
    const r = await urdb(['import', file('dup.json', bad)], { url: db.url });
    expect(r.stderr).toContain('regions[1].id: 1 is already used by regions[0]');
    expect(r.stderr).toContain('regions[1].name: "A" is already used by regions[0]');
  });

  it('refuses what is not a bundle: bad JSON, another format, a list', async () => {
    const notJson = await urdb(['import', file('x.json', '{"format": ')], { url: db.url });
    expect(notJson.code).toBe(2);
    expect(notJson.stderr).toBe(`urdb: ${path.join(dir, 'x.json')} is not valid JSON: it ends too early\n`);
    // V8's text would say "is not valid JSON" twice and quote the file's first bytes (a password file given by mistake)
    const secret = await urdb(['import', file('s.json', 'root:s3cret-hash:19000\n')], { url: db.url });
    expect(secret).toMatchObject({ code: 2, stderr: `urdb: ${path.join(dir, 's.json')} is not valid JSON: unexpected "r" at line 1, column 1\n` });
    const late = await urdb(['import', file('l.json', '{"format": "urdb-bundle/1",\n "regions": [1,}')], { url: db.url });
    expect(late.stderr).toBe(`urdb: ${path.join(dir, 'l.json')} is not valid JSON: unexpected "}" at line 2, column 16\n`);
    const other = await urdb(['import', file('y.json', { format: 'other/2' })], { url: db.url });
    expect(other.code).toBe(2);
    expect(other.stderr).toContain('format: Expected "urdb-bundle/1".');
    const list = await urdb(['import', file('z.json', [])], { url: db.url });
    expect(list.code).toBe(2);
    expect(list.stderr).toContain('Expected a dictionary, but got list');
    const missing = await urdb(['import', path.join(dir, 'missing.json')], { url: db.url });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('cannot read');
  });

  it('is all or nothing when the database fails half way', async () => {
    await db.sql.unsafe(`
      create function urdb.fail_route() returns trigger language plpgsql as $$
      begin raise exception 'injected failure'; end $$;
      create trigger fail_route before insert on urdb.report_route for each row when (new.unit_id = 960)
      execute function urdb.fail_route();
    `);
    try {
      const b = {
        format: 'urdb-bundle/1',
        regions: [{ id: 96, name: 'Half' }],
        units: [{ id: 960, name: 'Half 1', uuid: UUID(960), region: 'Half' }],
        report_routes: [{ report_type: 'CANCELED_ORDERS', chat_id: 42, unit_ids: [960] }],
      };
      const before = await snapshot();
      const r = await urdb(['import', file('half.json', b)], { url: db.url });
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('injected failure');
      expect(await snapshot()).toEqual(before);
    } finally {
      await db.sql.unsafe(`drop trigger fail_route on urdb.report_route; drop function urdb.fail_route()`);
    }
  });

  it('weak imported codes are kept but flagged: plain ones judged like chosen ones, digests against common codes and short PINs', async () => {
    const digest = (code: string) => sha256hex(code);
    const bundle = {
      format: 'urdb-bundle/1',
      roles: [
        { id: 51, name: 'pin', access_code: '1234' },
        { id: 52, name: 'pizza', access_code_sha256: digest('Pizza2024') },
        { id: 53, name: 'pin digest', access_code_sha256: digest('0042') },
        { id: 54, name: 'flagged', access_code_sha256: digest('some code exported as weak'), weak_code: true },
        { id: 55, name: 'strong', access_code: 'kq7-long-random-enough' },
        { id: 56, name: 'strong digest', access_code_sha256: digest('hx9-another-long-code') },
      ],
    };
    const r = await urdb(['import', file('weak.json', bundle), '--yes'], { url: db.url });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(
      'warning: weak access code (shorter than 10 characters or a common one) kept for role 51 "pin", role 52 "pizza", role 53 "pin digest", ' +
        'role 54 "flagged": rotate it with `urdb roles rotate-code`\n',
    );
    expect(await db.sql`select id, weak_code from role where id > 50 order by id`).toEqual(
      [51, 52, 53, 54, 55, 56].map((id) => ({ id, weak_code: id < 55 })),
    );
    const list = await urdb(['roles', 'list', '--search', 'pin'], { url: db.url });
    expect(list.stderr).toContain('warning: role 51 "pin": weak code: rotate it with `urdb roles rotate-code`');
    const exported = (await snapshot()).roles.filter((role) => role.id > 50);
    expect(exported.map((role) => role.weak_code)).toEqual([true, true, true, true, undefined, undefined]);
    // What a stolen export gives away: a short code falls to plain enumeration of its unsalted digest.
    const stolen = exported.find((role) => role.id === 53)!.access_code_sha256;
    const recovered = Array.from({ length: 10_000 }, (_, n) => String(n).padStart(4, '0')).find((c) => sha256hex(c) === stolen);
    expect(recovered).toBe('0042');
  });

  it('round trip: export → import into an empty database → export gives the same bytes', async () => {
    const out = path.join(dir, 'export.json');
    const e1 = await urdb(['export', '--out', out], { url: db.url });
    expect(e1.code).toBe(0);
    expect(e1.stderr).toMatch(/exported \d+ regions/);
    const text1 = fs.readFileSync(out, 'utf8');
    expect(JSON.parse(text1).roles[0]).not.toHaveProperty('access_code');
    const target = await createDatabase({ template: null });
    try {
      expect((await urdb(['migrate'], { url: target.url })).code).toBe(0);
      const imp = await urdb(['import', out], { url: target.url });
      expect(imp.code).toBe(0);
      const e2 = await urdb(['export'], { url: target.url });
      expect(e2.code).toBe(0);
      expect(e2.stdout).toBe(text1);
    } finally {
      await target.drop();
    }
  });

  it('formats one item per line', async () => {
    const text = [...formatBundle(await snapshot())].join('');
    expect(text.split('\n')[1]).toBe('  "format": "urdb-bundle/1",');
    expect(text).toMatch(/^ {4}\{"id":1,"name":"Москва 1"\},$/m);
  });
});
