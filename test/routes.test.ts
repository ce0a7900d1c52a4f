import { beforeAll, describe, expect, it } from 'vitest';
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from '../src/core/errors';
import { call } from '../src/core/operation';
import { importBundle } from '../src/handlers/bundle/import';
import { createRoutes, deleteRoutes, listRouteChats, listRouteUnits } from '../src/handlers/routes';
import { assignRoleByCode, listRoleRegions, listRoleReportTypes, listRoleUnits } from '../src/handlers/roles';
import { UUID } from './support/bundles';
import { freshDatabase } from './support/db';

const db = await freshDatabase();
const GROUP = -1001234567890;
const ADMIN = 1001;
const NOROLE = 1002;

beforeAll(async () => {
  await importBundle(db.ctx(), {
    format: 'urdb-bundle/1',
    regions: [{ id: 1, name: 'R1' }, { id: 2, name: 'R2' }],
    units: [1, 2, 3, 4].map((id) => ({ id, name: `U${id}`, uuid: UUID(id), region: id <= 2 ? 'R1' : 'R2' })),
    roles: [
      { id: 1, name: 'north', access_code: 'north-code', units: [1, 2], report_types: ['CANCELED_ORDERS'] },
      { id: 2, name: 'all', access_code: 'all-code', units: [1, 2, 3, 4], report_types: ['CANCELED_ORDERS', 'DAILY_REVENUE'] },
    ],
    telegram_chats: [
      { chat_id: ADMIN, type: 'PRIVATE', title: 'admin', role_id: 1 },
      { chat_id: NOROLE, type: 'PRIVATE', title: 'nobody' },
      { chat_id: GROUP, type: 'GROUP', title: 'ops' },
    ],
  });
});

const create = (body: unknown) => call(createRoutes, db.ctx(), body);
const routeCount = () => db.count('report_route');

describe('POST /report-routes/ rules, in order', () => {
  it('1. validates the body first', async () => {
    await expect(create({ report_type_id: 'x', chat_id: GROUP, unit_ids: [] })).rejects.toBeInstanceOf(ValidationError);
  });
  it('2. unknown acting user → 404', async () => {
    await expect(create({ report_type_id: 999, chat_id: 5, unit_ids: [1] })).rejects.toThrow(new NotFoundError('Chat by chat ID is not found'));
  });
  it('3. acting user without a role → 403', async () => {
    await expect(create({ report_type_id: 999, chat_id: GROUP, unit_ids: [1], user_chat_id: NOROLE })).rejects.toThrow(
      new ForbiddenError('User has no any role'),
    );
  });
  it('4. unknown report type → 404', async () => {
    await expect(create({ report_type_id: 999, chat_id: GROUP, unit_ids: [1], user_chat_id: ADMIN })).rejects.toThrow(
      new NotFoundError('Report type by ID is not found'),
    );
  });
  it('5. type not granted → 403', async () => {
    await expect(create({ report_type_id: 17, chat_id: GROUP, unit_ids: [1], user_chat_id: ADMIN })).rejects.toThrow(
      new ForbiddenError('Permission to report type denied'),
    );
  });
  it('6. units not granted (unknown ones included) → 403 naming them ascending', async () => {
    await expect(create({ report_type_id: 7, chat_id: 777, unit_ids: [999, 1, 3, 3], user_chat_id: ADMIN })).rejects.toThrow(
      new ForbiddenError('Permission to units {3, 999} denied'),
    );
  });
  it('7. unknown receiving chat → 404', async () => {
    await expect(create({ report_type_id: 7, chat_id: 777, unit_ids: [1], user_chat_id: ADMIN })).rejects.toThrow(
      new NotFoundError('Chat by chat ID is not found'),
    );
  });
  it('9. inserts all routes (duplicates in the request ignored)', async () => {
    await expect(create({ report_type_id: 7, chat_id: GROUP, unit_ids: [2, 1, 2], user_chat_id: ADMIN })).resolves.toEqual({ inserted: 2 });
    expect(await routeCount()).toBe(2);
  });
  it('8. any existing route → 409 and nothing inserted', async () => {
    await expect(create({ report_type_id: 7, chat_id: ADMIN, unit_ids: [1] })).resolves.toEqual({ inserted: 1 });
    await expect(create({ report_type_id: 7, chat_id: GROUP, unit_ids: [1], user_chat_id: ADMIN })).rejects.toThrow(
      new ConflictError('Unit route already exists'),
    );
    expect(await routeCount()).toBe(3);
  });
  it('parallel identical requests: one succeeds, the others conflict, no duplicates', async () => {
    await call(deleteRoutes, db.ctx(), { chat_id: ADMIN, report_type_id: 7, unit_ids: '1' });
    const results = await Promise.allSettled(
      Array.from({ length: 8 }, () => create({ report_type_id: 7, chat_id: ADMIN, unit_ids: [1, 2] })),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of results) if (r.status === 'rejected') expect(r.reason).toEqual(new ConflictError('Unit route already exists'));
    expect(await routeCount()).toBe(4);
  });
});

describe('lookups', () => {
  it('chats for a unit and type, ascending, negative for groups', async () => {
    const page = await call(listRouteChats, db.ctx(), { unit_id: '1', report_type_id: '7' });
    expect(page).toEqual({ items: [GROUP, ADMIN], is_end_of_list_reached: true });
    const first = await call(listRouteChats, db.ctx(), { unit_id: 1, report_type_id: 7, limit: 1 });
    expect(first).toEqual({ items: [GROUP], is_end_of_list_reached: false });
    const second = await call(listRouteChats, db.ctx(), { unit_id: 1, report_type_id: 7, limit: 1, offset: 1 });
    expect(second).toEqual({ items: [ADMIN], is_end_of_list_reached: true });
  });
  it('units for a chat and type; unknown chat → empty', async () => {
    expect(await call(listRouteUnits, db.ctx(), { chat_id: GROUP, report_type_id: 7 })).toEqual({ items: [1, 2], is_end_of_list_reached: true });
    expect(await call(listRouteUnits, db.ctx(), { chat_id: 55, report_type_id: 7 })).toEqual({ items: [], is_end_of_list_reached: true });
  });
});

describe('DELETE /report-routes/', () => {
  it('deletes the listed units only; none listed deletes nothing', async () => {
    expect(await call(deleteRoutes, db.ctx(), { chat_id: GROUP, report_type_id: 7 })).toEqual({ deleted: 0 });
    expect(await call(deleteRoutes, db.ctx(), { chat_id: GROUP, report_type_id: 7, unit_ids: ['2', '99'] })).toEqual({ deleted: 1 });
    expect(await call(listRouteUnits, db.ctx(), { chat_id: GROUP, report_type_id: 7 })).toMatchObject({ items: [1] });
    await expect(call(deleteRoutes, db.ctx(), { chat_id: 'x', report_type_id: 7 })).rejects.toBeInstanceOf(ValidationError);
  });
});

describe('roles', () => {
  it('GETs: 404 for an unknown chat, 403 without a role', async () => {
    await expect(call(listRoleUnits, db.ctx(), { chat_id: 4242 })).rejects.toThrow(new NotFoundError('Chat by chat ID is not found'));
    await expect(call(listRoleRegions, db.ctx(), { chat_id: NOROLE })).rejects.toThrow(new ForbiddenError('User has no any role'));
  });
  it("GETs: the role's units (filter by region), regions and report types", async () => {
    const units = await call(listRoleUnits, db.ctx(), { chat_id: ADMIN });
    expect(units.items.map((u) => u.id)).toEqual([1, 2]);
    expect(Object.keys(units.items[0]!)).toEqual(['id', 'name', 'uuid', 'region_id', 'office_manager_account_name', 'dodo_is_api_account_name']);
    expect((await call(listRoleUnits, db.ctx(), { chat_id: ADMIN, region_id: 2 })).items).toEqual([]);
    expect((await call(listRoleRegions, db.ctx(), { chat_id: ADMIN })).items).toEqual([{ id: 1, name: 'R1' }]);
    expect((await call(listRoleReportTypes, db.ctx(), { chat_id: ADMIN })).items.map((t) => t.name)).toEqual(['CANCELED_ORDERS']);
  });
  it('switch: 404 unknown chat, 404 unknown code, then the role and the purge of routes it does not grant', async () => {
    await expect(call(assignRoleByCode, db.ctx(), { chat_id: 4242, access_code: 'north-code' })).rejects.toThrow(
      new NotFoundError('Chat by chat ID is not found'),
    );
    await expect(call(assignRoleByCode, db.ctx(), { chat_id: GROUP, access_code: 'wrong' })).rejects.toThrow(new NotFoundError('Role is not found'));
    expect(await call(assignRoleByCode, db.ctx(), { chat_id: GROUP, access_code: 'all-code' })).toMatchObject({ role_id: 2, deleted_routes: 0 });
    await create({ report_type_id: 7, chat_id: GROUP, unit_ids: [3, 4] });
    expect(await call(assignRoleByCode, db.ctx(), { chat_id: GROUP, access_code: 'north-code' })).toMatchObject({ role_id: 1, deleted_routes: 2 });
    expect((await call(listRouteUnits, db.ctx(), { chat_id: GROUP, report_type_id: 7 })).items).toEqual([1]);
    expect(await call(assignRoleByCode, db.ctx(), { chat_id: GROUP, access_code: 'north-code' })).toMatchObject({ deleted_routes: 0 });
  });
});
