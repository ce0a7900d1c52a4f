/**
 * One description of a resource's fields (src/handlers/resource-fields.ts) reaches both clients: every field the
 * admin API shows is in the CLI's `--json` object of the same resource, and every column of a CLI table that shows a
 * resource's field is headed by that field's OPTIONS label. A field added to the API and not to the CLI (or labelled
 * differently in one of them) fails here.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { importBundle } from '../src/handlers/bundle/import';
import { describeCollection } from '../src/http/v1/options';
import { RESOURCES, shownFields } from '../src/http/v1/resources';
import { UUID } from './support/bundles';
import { urdb } from './support/cli';
import { freshDatabase } from './support/db';
import { ptyUrdb } from './support/pty';

const db = await freshDatabase();

beforeAll(async () => {
  await importBundle(db.ctx(), {
    format: 'urdb-bundle/1',
    regions: [{ id: 1, name: 'Москва 1' }],
    departments: [{ id: 4, name: 'Москва', uuid: UUID(9004) }],
    units: [
      {
        id: 101, name: 'Москва 1-1', uuid: UUID(101), region: 'Москва 1', department_id: 4,
        office_manager_account_name: 'om1', dodo_is_api_account_name: 'api1', shift_manager_account_name: 'sm1',
      },
    ],
    report_types: [
      { name: 'STATISTICS', verbose_name: 'Статистика' },
      { name: 'DAILY', verbose_name: 'Дневная', parent: 'STATISTICS', priority: 3 },
    ],
    roles: [{ id: 5, name: 'Managers', access_code_sha256: 'a'.repeat(64), units: [101], report_types: ['DAILY'] }],
    telegram_chats: [{ chat_id: -1001, type: 'GROUP', title: 'Ops', username: 'ops', role_id: 5 }],
    report_routes: [{ report_type: 'DAILY', chat_id: -1001, unit_ids: [101] }],
  });
});

/** Per v1 resource: the CLI command whose `--json` is one of its objects, and the resource fields its `list` table shows. */
const NOUNS: { path: string; json: string[]; list: string[]; table: string[] }[] = [
  { path: 'units', json: ['units', 'show', '101'], list: ['units', 'list'], table: ['id', 'name', 'region', 'uuid', 'office_manager_account_name', 'dodo_is_api_account_name'] },
  { path: 'regions', json: ['regions', 'list'], list: ['regions', 'list'], table: ['id', 'name'] },
  { path: 'departments', json: ['departments', 'list'], list: ['departments', 'list'], table: ['id', 'name', 'uuid'] },
  { path: 'report-types', json: ['report-types', 'show', 'DAILY'], list: ['report-types', 'list', '--all'], table: ['id', 'name', 'verbose_name', 'parent', 'priority', 'is_active'] },
  { path: 'telegram-chats', json: ['chats', 'show', '-1001'], list: ['chats', 'list'], table: ['chat_id', 'type', 'title', 'username'] },
  { path: 'roles', json: ['roles', 'show', '5'], list: ['roles', 'list'], table: ['id', 'name'] },
  { path: 'report-routes', json: ['routes', 'list'], list: ['routes', 'list'], table: ['chat_id', 'report_type', 'unit_id'] },
];

it('covers every v1 resource the CLI has a noun for (account roles have none)', () => {
  expect(NOUNS.map((n) => n.path)).toEqual(RESOURCES.map((r) => r.path).filter((p) => p !== 'account-roles'));
});

describe.each(NOUNS)('$path', (noun) => {
  const resource = RESOURCES.find((r) => r.path === noun.path)!;
  const options = describeCollection(resource).actions.POST as Record<string, { label: string }>;

  it('the CLI --json object has every field the API shows', async () => {
    const res = await urdb([...noun.json, '--json'], { url: db.url });
    expect(res.code).toBe(0);
    const parsed = JSON.parse(res.stdout);
    const object = Array.isArray(parsed) ? parsed[0] : parsed;
    for (const field of shownFields(resource)) expect(object, field).toHaveProperty(field);
  });

  it("the list table's header names each shown field by its OPTIONS label", async () => {
    const t = ptyUrdb([...noun.list, '--no-pager'], { url: db.url, cols: 250, env: { NO_COLOR: '1' } });
    expect(await t.exit()).toBe(0);
    const header = t.screen().split('\n').find((l) => /\S/.test(l))!.trim().split(/ {2,}/);
    for (const field of noun.table) expect(header, field).toContain(options[field]!.label.toUpperCase());
  });
});
