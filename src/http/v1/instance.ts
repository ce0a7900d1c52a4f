/**
 * One object: GET; PUT replaces it (a changed key moves the stored row, so every link stays); PATCH changes the
 * given fields; both answer 200 with the object. DELETE removes it with what depends on it, as the CLI's rm does,
 * and says how many dependent rows went or changed in `X-Deleted-Dependants`. Unknown key: 404 `{"detail": …}`.
 */
import { ValidationError } from '../../core/errors';
import { fieldErrors } from '../../core/fields';
import { findInCollection } from '../../handlers/collections';
import { upsertSection } from '../../handlers/resource-writes';
import { parseBody } from '../request';
import { BODY_LIMIT, empty, json, type ApiResponse } from '../response';
import { stripUrl } from './collection';
import { shownFields, viewOf, type V1Resource } from './resources';
import { DETAIL, detail, urlOf, type V1Call } from './shared';

type Item = Record<string, any>;

/** The object as the API shows it: `url` first, then the fields in the schema's order. */
export function present(call: Pick<V1Call, 'origin' | 'resource'>, row: Item): Item {
  const out: Item = { url: urlOf(call, row) };
  for (const f of shownFields(call.resource)) out[f] = row[f] ?? null;
  return out;
}

export function toBundleItem(r: V1Resource, item: Item): Item {
  return r.toBundle ? r.toBundle(item) : item;
}

const keyMap = (r: V1Resource, item: Item) => new Map(r.key.fields.map((f) => [f, item[f]] as const));

async function find(call: V1Call, key: Item): Promise<Item | undefined> {
  return findInCollection(call.ctx.sql, viewOf(call.resource), keyMap(call.resource, key));
}

export async function instanceGet(call: V1Call, key: Item): Promise<ApiResponse> {
  const row = await find(call, key);
  return row ? json(200, present(call, row)) : detail(404, DETAIL.notFound);
}

/** PUT (the body is the whole object; a key it leaves out is the path's) and PATCH (the stored object plus the body). */
async function replace(call: V1Call, key: Item, merge: (stored: Item, body: Item) => Item): Promise<ApiResponse> {
  const r = call.resource;
  const stored = await find(call, key);
  if (!stored) return detail(404, DETAIL.notFound);
  const body = stripUrl(parseBody(call.req.body, BODY_LIMIT));
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    const parsed = r.schema.safeParse(body);
    throw new ValidationError(parsed.success ? {} : fieldErrors(parsed.error, body));
  }
  const parsed = r.schema.safeParse(merge(stored, body as Item));
  if (!parsed.success) throw new ValidationError(fieldErrors(parsed.error, body));
  const item = parsed.data as Item;
  const keyChanged = r.key.fields.some((f) => item[f] !== stored[f]);
  await upsertSection(call.ctx, {
    section: r.section,
    items: [toBundleItem(r, item)],
    before: keyChanged ? (tx) => r.changeKey(tx, stored, item) : undefined,
    prepare: r.prepare as never,
    fieldNames: r.bundleFieldNames,
  });
  const row = await find(call, item);
  return json(200, present(call, row ?? item));
}

export function instancePut(call: V1Call, key: Item): Promise<ApiResponse> {
  return replace(call, key, (_stored, body) => ({ ...key, ...body }));
}

export function instancePatch(call: V1Call, key: Item): Promise<ApiResponse> {
  return replace(call, key, (stored, body) => ({ ...stored, ...body }));
}

export async function instanceDelete(call: V1Call, key: Item): Promise<ApiResponse> {
  const dependants = await call.resource.remove(call.ctx, key);
  if (dependants === null) return detail(404, DETAIL.notFound);
  const res = empty(204);
  res.headers['x-deleted-dependants'] = String(dependants);
  return res;
}
