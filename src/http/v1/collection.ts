/**
 * A collection's GET (page, page_size, search, ordering, filters → `{count, next, previous, results}` with
 * absolute links) and POST (one object or a list, validated whole, upserted in one transaction → 201
 * `{"updated": m, "inserted": n}`, `Location` for a single insert).
 */
import type { z } from 'zod';
import type { FieldErrors } from '../../core/errors';
import { fieldErrors, MSG } from '../../core/fields';
import { findInCollection, listCollection } from '../../handlers/collections';
import { ItemErrors, upsertSection } from '../../handlers/resource-writes';
import { parseBody } from '../request';
import { json, type ApiResponse } from '../response';
import { DETAIL, detail, urlOf, V1_BODY_LIMIT, V1_MAX_ITEMS, type V1Call } from './shared';
import { present, toBundleItem } from './instance';
import { viewOf, type V1Resource } from './resources';

export const PAGE_SIZE = { default: 100, max: 1000 } as const;

const one = (query: Map<string, string[]>, key: string) => query.get(key)?.[0];

/** DRF's page_size: a positive integer, capped at the maximum; anything else is the default. */
function pageSize(raw: string | undefined): number {
  if (raw === undefined || !/^[0-9]{1,9}$/.test(raw) || Number(raw) < 1) return PAGE_SIZE.default;
  return Math.min(Number(raw), PAGE_SIZE.max);
}

/** The filters and the ordering of a query, each checked with the field's own schema; field errors otherwise. */
function readQuery(r: V1Resource, query: Map<string, string[]>) {
  const errors: FieldErrors = {};
  const filters = new Map<string, unknown>();
  for (const field of r.filters) {
    const raw = one(query, field);
    if (raw === undefined) continue;
    if (raw === '' || raw === 'null') {
      filters.set(field, null);
      continue;
    }
    const parsed = (r.schema.shape[field] as z.ZodType).safeParse(raw);
    if (parsed.success) filters.set(field, parsed.data);
    else errors[field] = [...new Set(parsed.error.issues.map((i) => i.message))];
  }
  let ordering: { field: string; descending: boolean } | undefined;
  const order = one(query, 'ordering');
  if (order !== undefined && order !== '') {
    const field = order.replace(/^-/, '');
    if (r.orderable.includes(field)) ordering = { field, descending: order.startsWith('-') };
    else errors.ordering = [`Unknown field "${field}"; order by one of: ${r.orderable.join(', ')} (or -field).`];
  }
  // PostgreSQL cannot hold a NUL in text: refused like a NUL in a filter (it used to reach the query: a 500).
  const search = one(query, 'search')?.trim();
  if (search?.includes('\0')) errors.search = [MSG.nullCharacters];
  return { errors, filters, ordering, search };
}

/** The request's own query with `page` replaced (null: removed), as DRF builds next/previous. */
function pageLink(call: V1Call, page: number | null): string {
  const parts = (call.req.query ?? '').split('&').filter((p) => p !== '' && !/^page(=|$)/.test(p));
  if (page !== null) parts.unshift(`page=${page}`);
  return urlOf(call) + (parts.length ? `?${parts.join('&')}` : '');
}

export async function collectionGet(call: V1Call): Promise<ApiResponse> {
  const r = call.resource;
  const { errors, filters, ordering, search } = readQuery(r, call.query);
  if (Object.keys(errors).length) return json(400, errors);
  const rawPage = one(call.query, 'page');
  const page = rawPage === undefined || rawPage === '' ? 1 : /^[1-9][0-9]{0,8}$/.test(rawPage) ? Number(rawPage) : null;
  if (page === null) return detail(404, 'Invalid page.');
  const size = pageSize(one(call.query, 'page_size'));
  const found = await listCollection(call.ctx.sql, viewOf(r), {
    limit: size,
    offset: (page - 1) * size,
    search,
    ordering,
    filters,
  });
  if (page > 1 && found.rows.length === 0) return detail(404, 'Invalid page.');
  return json(200, {
    count: found.count,
    next: page * size < found.count ? pageLink(call, page + 1) : null,
    previous: page > 1 ? pageLink(call, page === 2 ? null : page - 1) : null,
    results: found.rows.map((row) => present(call, row)),
  });
}

export async function collectionPost(call: V1Call): Promise<ApiResponse> {
  const r = call.resource;
  const body = parseBody(call.req.body, V1_BODY_LIMIT);
  const list = Array.isArray(body);
  if (list && body.length > V1_MAX_ITEMS) return json(400, { non_field_errors: [DETAIL.tooManyItems(body.length)] });
  const raw = list ? body : [body];
  const errors: FieldErrors[] = [];
  const items = raw.map((item, i) => {
    const parsed = r.schema.safeParse(stripUrl(item));
    if (parsed.success) return parsed.data as Record<string, unknown>;
    errors[i] = fieldErrors(parsed.error, item);
    return {};
  });
  const positional = (positions: ReadonlyMap<number, FieldErrors>) =>
    json(400, list ? raw.map((_, i) => positions.get(i) ?? {}) : (positions.get(0) ?? {}));
  if (errors.length) return positional(new Map(errors.map((e, i) => [i, e] as const).filter(([, e]) => e !== undefined)));
  let count;
  try {
    count = await upsertSection(call.ctx, {
      section: r.section,
      items: items.map((item) => toBundleItem(r, item)),
      prepare: r.prepare as never,
      fieldNames: r.bundleFieldNames,
    });
  } catch (err) {
    if (err instanceof ItemErrors) return positional(err.positions);
    throw err;
  }
  const headers: Record<string, string> = {};
  if (!list && count.inserted === 1) {
    const key = Object.fromEntries(r.key.fields.map((f) => [f, items[0]![f]]));
    const row = await findInCollection(call.ctx.sql, viewOf(r), new Map(Object.entries(key)));
    if (row) headers.location = urlOf(call, row);
  }
  return json(201, { updated: count.updated, inserted: count.inserted }, headers);
}

/** `url` is read-only: a client may send back what it read. */
export function stripUrl(item: unknown): unknown {
  if (item === null || typeof item !== 'object' || Array.isArray(item) || !('url' in item)) return item;
  const { url: _url, ...rest } = item as Record<string, unknown>;
  return rest;
}
