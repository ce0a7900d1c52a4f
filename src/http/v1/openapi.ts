/**
 * The admin API's part of /openapi.json, from the resource table and its zod schemas (the same ones that validate).
 * It is in the document when the server has a scoped token (without one, every /api/v1/ request answers 401).
 */
import type { z } from 'zod';
import { fieldJsonSchema } from '../describe';
import { PAGE_SIZE } from './collection';
import { RESOURCES, shownFields, type V1Resource } from './resources';
import { DETAIL, V1_BODY_LIMIT, V1_PREFIX } from './shared';

type Json = Record<string, unknown>;

const detailSchema = { type: 'object', required: ['detail'], properties: { detail: { type: 'string' } } };
const answer = (description: string, schema: Json = detailSchema) => ({ description, content: { 'application/json': { schema } } });
const fieldErrors = { type: 'object', additionalProperties: { type: 'array', items: { type: 'string' } } };

function objectSchema(r: V1Resource): Json {
  const properties: Json = { url: { type: 'string', format: 'uri', readOnly: true } };
  for (const f of shownFields(r)) properties[f] = fieldJsonSchema(r.schema.shape[f] as z.ZodType);
  return { type: 'object', properties };
}

function operations(r: V1Resource): Record<string, Json> {
  const tag = `v1 ${r.path}`;
  const item = fieldJsonSchema(r.schema);
  const common = {
    '401': answer(`\`${DETAIL.unauthenticated}\``),
    '403': answer(`\`${DETAIL.forbidden}\` (a read token)`),
  };
  const query = (name: string, description: string, schema: Json = { type: 'string' }) => ({ name, in: 'query', required: false, description, schema });
  const key = { name: 'key', in: 'path', required: true, description: `The natural key: ${r.key.fields.join(',')}.`, schema: { type: 'string' } };
  const notFound = { '404': answer(`\`${DETAIL.notFound}\``) };
  const invalid = { '400': answer('Field errors: `{"field": [...]}` or `{"non_field_errors": [...]}`', fieldErrors) };
  const one = { '200': answer('The object', objectSchema(r)) };
  return {
    [`${V1_PREFIX}${r.path}/`]: {
      get: {
        operationId: `v1_list_${r.section}`,
        summary: `${r.name} list`,
        description: r.description,
        tags: [tag],
        parameters: [
          query('page', 'Page number, from 1.', { type: 'integer', minimum: 1, default: 1 }),
          query('page_size', `Objects per page (at most ${PAGE_SIZE.max}).`, { type: 'integer', minimum: 1, maximum: PAGE_SIZE.max, default: PAGE_SIZE.default }),
          query('search', `Case-insensitive text in: ${r.searchable.join(', ')}.`),
          query('ordering', `One of ${r.orderable.join(', ')}; \`-field\` for descending. Ties are ordered by the key.`),
          ...r.filters.map((f) => query(f, `Only objects whose ${f} equals this.`, fieldJsonSchema(r.schema.shape[f] as z.ZodType))),
        ],
        responses: {
          '200': answer('One page', {
            type: 'object',
            properties: { count: { type: 'integer' }, next: { type: ['string', 'null'] }, previous: { type: ['string', 'null'] }, results: { type: 'array', items: objectSchema(r) } },
          }),
          ...invalid,
          ...common,
        },
      },
      post: {
        operationId: `v1_upsert_${r.section}`,
        summary: `Upsert ${r.name} objects`,
        description: `One object or a list (at most ${V1_BODY_LIMIT / 1024 / 1024} MiB): validated whole, then upserted by key in one transaction; an existing object is replaced.`,
        tags: [tag],
        requestBody: { required: true, content: { 'application/json': { schema: { anyOf: [item, { type: 'array', items: item }] } } } },
        responses: {
          '201': answer('`{"updated": m, "inserted": n}`; `Location` for a single insert', {
            type: 'object',
            properties: { updated: { type: 'integer' }, inserted: { type: 'integer' } },
          }),
          '400': answer('Errors at the item\'s position (`[{}, {"uuid": [...]}]`) or, for one object, by field; nothing is written', {
            anyOf: [fieldErrors, { type: 'array', items: fieldErrors }],
          }),
          ...common,
        },
      },
    },
    [`${V1_PREFIX}${r.path}/{key}/`]: {
      get: { operationId: `v1_get_${r.section}`, summary: `One ${r.name}`, tags: [tag], parameters: [key], responses: { ...one, ...notFound, ...common } },
      put: {
        operationId: `v1_replace_${r.section}`,
        summary: `Replace a ${r.name}`,
        description: 'A changed key keeps every link.',
        tags: [tag],
        parameters: [key],
        requestBody: { required: true, content: { 'application/json': { schema: item } } },
        responses: { ...one, ...invalid, ...notFound, ...common },
      },
      patch: {
        operationId: `v1_change_${r.section}`,
        summary: `Change fields of a ${r.name}`,
        tags: [tag],
        parameters: [key],
        requestBody: { required: true, content: { 'application/json': { schema: { type: 'object' } } } },
        responses: { ...one, ...invalid, ...notFound, ...common },
      },
      delete: {
        operationId: `v1_delete_${r.section}`,
        summary: `Delete a ${r.name}`,
        description: 'Deletes what depends on it as the CLI\'s rm does; `X-Deleted-Dependants` says how many dependent rows went or changed.',
        tags: [tag],
        parameters: [key],
        responses: { '204': { description: 'Deleted' }, ...notFound, ...common },
      },
    },
  };
}

/** The v1 paths (their own server `/`: they are not served under /api/api/v1). */
export function v1OpenapiPaths(): Record<string, Json> {
  const paths: Record<string, Json> = {};
  for (const r of RESOURCES) {
    for (const [path, item] of Object.entries(operations(r))) paths[path] = { servers: [{ url: '/' }], ...item };
  }
  return paths;
}
