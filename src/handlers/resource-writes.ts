/**
 * The admin API's writes that no CLI handler covers: a set-based upsert of one bundle section (bulk POST, PUT and
 * PATCH all end here, so the rules of `urdb import` apply: every reference checked, nothing written on any error),
 * a natural-key change that keeps every link, and the deletes the CLI has no `rm` for (report types, account roles,
 * one route). The deletes that the CLI has go through its own handlers (units, regions, departments, chats, roles).
 */
import { ValidationError, type FieldErrors } from '../core/errors';
import { write, type Ctx } from '../core/operation';
import type { Tx } from '../db/client';
import { applyBundle, BUNDLE_TABLES, BundleError, checkAgainstDatabase, parseBundle, type SectionCount } from './bundle/import';
import { BUNDLE_FORMAT, type BundleSection } from './bundle/schema';

/** Errors of a list of items, by position (0-based): the API answers them as `[{}, {}, {"uuid": [...]}]`. */
export class ItemErrors extends ValidationError {
  constructor(readonly positions: ReadonlyMap<number, FieldErrors>) {
    super(Object.fromEntries(positions));
  }
}

const PROBLEM = /^\w+\[(\d+)\]\.(\w+)[^:]*: (.*)$/s;

/** `units[2].uuid: text` (the bundle's problems) → position 2, field uuid; fields renamed by `fieldNames`. */
export function problemsByPosition(problems: readonly string[], fieldNames: Readonly<Record<string, string>> = {}): ItemErrors {
  const positions = new Map<number, FieldErrors>();
  for (const p of problems) {
    const m = PROBLEM.exec(p);
    const [pos, field, message] = m ? [Number(m[1]), fieldNames[m[2]!] ?? m[2]!, m[3]!] : [0, 'non_field_errors', p];
    const errors = positions.get(pos) ?? {};
    const list = (errors[field] ??= []) as string[];
    if (!list.includes(message)) list.push(message);
    positions.set(pos, errors);
  }
  return new ItemErrors(positions);
}

export interface SectionUpsert {
  section: BundleSection;
  /** Items in the bundle's shape (validated by its item schema). */
  items: unknown[];
  /** Runs first in the same transaction (a key change); may throw a ValidationError. */
  before?: (tx: Tx) => Promise<void>;
  /** Completes the items inside the transaction (a role's stored digest); may throw a ValidationError. */
  prepare?: (tx: Tx, items: unknown[]) => Promise<unknown[]>;
  /** The item's field for a bundle field named in a problem (a route's `unit_ids` is the API's `unit_id`). */
  fieldNames?: Readonly<Record<string, string>>;
}

/** Upserts the items in one transaction: `{inserted, updated}` (updated: rows whose stored values changed). */
export async function upsertSection(ctx: Ctx, u: SectionUpsert): Promise<SectionCount> {
  return write(ctx, BUNDLE_TABLES, async (tx) => {
    await u.before?.(tx);
    const items = u.prepare ? await u.prepare(tx, u.items) : u.items;
    let bundle;
    try {
      bundle = parseBundle({ format: BUNDLE_FORMAT, [u.section]: items });
    } catch (err) {
      throw err instanceof BundleError ? problemsByPosition(err.problems, u.fieldNames) : err;
    }
    const problems = await checkAgainstDatabase(tx, bundle);
    if (problems.length) throw problemsByPosition(problems, u.fieldNames);
    try {
      return (await applyBundle(tx, bundle)).counts[u.section];
    } catch (err) {
      throw err instanceof BundleError ? problemsByPosition(err.problems, u.fieldNames) : err;
    }
  });
}

type KeyedTable = 'region' | 'department' | 'unit' | 'role' | 'account_role' | 'report_type' | 'telegram_chat';

/**
 * Changes a row's natural key in place, so every reference to it follows (ids: ON UPDATE CASCADE, migration 0005;
 * a report type's name and a chat's chat_id are not what others point at). A key already taken is a field error.
 */
export async function changeKey(tx: Tx, table: KeyedTable, column: string, from: unknown, to: unknown, taken: string): Promise<void> {
  if (from === to) return;
  const [clash] = await tx`select 1 from ${tx(table)} where ${tx(column)} = ${to as string}`;
  if (clash) throw new ValidationError({ [column]: [taken] });
  await tx`update ${tx(table)} set ${tx(column)} = ${to as string} where ${tx(column)} = ${from as string}`;
}

/** What a report type took with it: its routes and role grants (CASCADE); its children lose their parent. */
export interface ReportTypeRemoval {
  name: string;
  routes: number;
  role_grants: number;
  children: number;
}

export async function deleteReportType(ctx: Ctx, name: string): Promise<ReportTypeRemoval | null> {
  return write(ctx, ['report_type', 'report_route', 'role_report_type'], async (tx) => {
    const [row] = await tx<ReportTypeRemoval[]>`
      select t.name,
             (select count(*)::int from report_route x where x.report_type_id = t.id) as routes,
             (select count(*)::int from role_report_type g where g.report_type_id = t.id) as role_grants,
             (select count(*)::int from report_type c where c.parent_id = t.id) as children
      from report_type t where t.name = ${name} for update
    `;
    if (row) await tx`delete from report_type where name = ${name}`;
    return row ?? null;
  });
}

export async function deleteAccountRole(ctx: Ctx, id: number): Promise<boolean> {
  return write(ctx, ['account_role'], async (tx) => (await tx`delete from account_role where id = ${id}`).count > 0);
}

export interface RouteKey {
  report_type: string;
  chat_id: number;
  unit_id: number;
}

export async function deleteRoute(ctx: Ctx, key: RouteKey): Promise<boolean> {
  return write(ctx, ['report_route'], async (tx) => (await deleteRouteIn(tx, key)) > 0);
}

export async function deleteRouteIn(tx: Tx, key: RouteKey): Promise<number> {
  const deleted = await tx`
    delete from report_route r using report_type t, telegram_chat c
    where r.report_type_id = t.id and r.telegram_chat_id = c.id
      and t.name = ${key.report_type} and c.chat_id = ${key.chat_id} and r.unit_id = ${key.unit_id}
  `;
  return deleted.count;
}
