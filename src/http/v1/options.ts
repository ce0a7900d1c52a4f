/**
 * OPTIONS of the admin API: the seed document's metadata (`name`, `description`, `renders`, `parses`, `actions`
 * with each field's `type`, `required`, `read_only`, `label`, `max_length`…), generated from the same zod schemas
 * that validate POST, PUT and PATCH.
 */
import type { z } from 'zod';
import { drf, fieldJsonSchema, isRequired } from '../describe';
import { fieldLabel, type V1Resource } from './resources';
import { PAGE_SIZE } from './collection';

type FieldMeta = Record<string, unknown>;

/** Each writable field, `url` first (read-only). */
export function fieldsMetadata(r: V1Resource): Record<string, FieldMeta> {
  const out: Record<string, FieldMeta> = { url: { type: 'field', required: false, read_only: true, label: 'url' } };
  for (const [name, field] of Object.entries(r.schema.shape)) {
    const d = drf(fieldJsonSchema(field as z.ZodType));
    const meta: FieldMeta = { type: d.type, required: isRequired(field as z.ZodType), read_only: false, label: fieldLabel(r, name) };
    if (r.writeOnly?.includes(name)) meta.write_only = true;
    out[name] = { ...meta, ...d, type: d.type };
  }
  return out;
}

const common = { renders: ['application/json'], parses: ['application/json'] };

export function describeCollection(r: V1Resource) {
  return {
    name: `${r.name} List`,
    description: r.description,
    ...common,
    search_fields: r.searchable,
    ordering_fields: r.orderable,
    filter_fields: r.filters,
    page_size: PAGE_SIZE,
    actions: { POST: fieldsMetadata(r) },
  };
}

export function describeInstance(r: V1Resource) {
  return {
    name: `${r.name} Instance`,
    description: `${r.description} DELETE answers 204 with X-Deleted-Dependants: the dependent rows it deleted or changed.`,
    ...common,
    actions: { PUT: fieldsMetadata(r) },
  };
}
