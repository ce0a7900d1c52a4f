/**
 * What OPTIONS answers: the accepted fields of each method, generated from the handlers' zod schemas, in the shape
 * of DRF's metadata (`type`, `required`, `min_value`, `max_length`, `choices`, `child`…) plus where each field goes.
 */
import { z } from 'zod';
import type { Endpoint } from './endpoint';
import type { CompiledResource } from './router';

type JsonSchema = Record<string, unknown>;

/** The JSON Schema (2020-12, as OpenAPI 3.1 uses) of what the wire may send for a field. */
export function fieldJsonSchema(field: z.ZodType): JsonSchema {
  const schema = z.toJSONSchema(field, { io: 'input', unrepresentable: 'any', target: 'draft-2020-12' }) as JsonSchema;
  delete schema.$schema;
  const fallback = defaultOf(field);
  if (fallback !== undefined && schema.default === undefined) schema.default = fallback;
  return schema;
}

/** A field is required when the schema refuses its absence. */
export function isRequired(field: z.ZodType): boolean {
  return !field.safeParse(undefined).success;
}

function defaultOf(field: z.ZodType): unknown {
  const r = field.safeParse(undefined);
  return r.success ? r.data : undefined;
}

export interface FieldDescription {
  type: string;
  required: boolean;
  in: 'query' | 'body' | 'path';
  [constraint: string]: unknown;
}

/** DRF's vocabulary for a JSON Schema. */
export function drf(schema: JsonSchema): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  let s = schema;
  const variants = s.anyOf as JsonSchema[] | undefined;
  if (variants) {
    const nonNull = variants.filter((v) => v.type !== 'null');
    if (nonNull.length < variants.length) out.allow_null = true;
    s = nonNull.length === 1 ? { ...nonNull[0], default: s.default } : { type: 'field' };
  }
  if (Array.isArray(s.enum)) {
    out.type = 'choice';
    out.choices = (s.enum as unknown[]).map((v) => ({ value: v, display_name: String(v) }));
  } else if (s.type === 'array') {
    out.type = 'list';
    out.allow_empty = !(typeof s.minItems === 'number' && s.minItems > 0);
    if (s.items) out.child = drf(s.items as JsonSchema);
  } else {
    out.type = typeof s.type === 'string' ? s.type : 'field';
  }
  if (s.minimum !== undefined) out.min_value = s.minimum;
  if (s.maximum !== undefined) out.max_value = s.maximum;
  if (s.minLength !== undefined) out.min_length = s.minLength;
  if (s.maxLength !== undefined) out.max_length = s.maxLength;
  if (s.default !== undefined) out.default = s.default;
  return out;
}

export function describeEndpoint(ep: Endpoint, params: CompiledResource<unknown>['params']): Record<string, FieldDescription> {
  const out: Record<string, FieldDescription> = {};
  const shape = ep.schema?.shape ?? {};
  for (const p of params) {
    const field = shape[p.name];
    const schema = field ? fieldJsonSchema(field) : { type: p.kind === 'int' ? 'integer' : 'string' };
    out[p.name] = entry(drf(schema), true, 'path');
  }
  const where = ep.source === 'body' ? 'body' : 'query';
  for (const name of ep.fields) {
    const field = shape[name]!;
    const d = entry(drf(fieldJsonSchema(field)), isRequired(field), where);
    if (ep.lists.has(name)) d.repeated = true;
    out[name] = d;
    for (const [alias, target] of Object.entries(ep.aliases ?? {})) {
      if (target === name) out[alias] = { ...d, alias_of: name };
    }
  }
  return out;
}

function entry(d: Record<string, unknown>, required: boolean, where: FieldDescription['in']): FieldDescription {
  return { type: d.type as string, required, in: where, ...d };
}

/** The OPTIONS body of a path. */
export function describeResource(resource: CompiledResource<Endpoint>) {
  const first = Object.values(resource.methods)[0]!;
  const actions: Record<string, unknown> = {};
  for (const [method, ep] of Object.entries(resource.methods)) actions[method] = describeEndpoint(ep!, resource.params);
  return {
    name: first.name,
    description: first.summary,
    renders: ['application/json'],
    parses: ['application/json'],
    actions,
  };
}
