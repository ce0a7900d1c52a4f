/**
 * GET /openapi.json: an OpenAPI 3.1 document of every endpoint, generated from the same route table and zod
 * schemas the server validates with (requests) and the strict answer schemas the tests hold it to (responses).
 */
import { z } from 'zod';
import pkg from '../../package.json';
import { fieldJsonSchema, isRequired } from './describe';
import type { Endpoint } from './endpoint';
import { MESSAGES } from './response';
import type { CompiledResource } from './router';
import { NAMED_SCHEMAS } from './schemas';
import { v1OpenapiPaths } from './v1/openapi';

type Json = Record<string, unknown>;

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

function components(): Record<string, Json> {
  const registry = z.registry<{ id: string }>();
  for (const [id, schema] of Object.entries(NAMED_SCHEMAS)) registry.add(schema, { id });
  const { schemas } = z.toJSONSchema(registry, {
    target: 'draft-2020-12',
    uri: (id) => `#/components/schemas/${id}`,
  }) as { schemas: Record<string, Json> };
  for (const s of Object.values(schemas)) {
    delete s.$schema;
    delete s.$id;
  }
  // Every reference must land on a named component (an unnamed shared schema would be a dangling `__shared` ref).
  if ('__shared' in schemas) throw new Error('an unnamed schema is shared between components: name it in NAMED_SCHEMAS');
  return schemas;
}

const schemaNames = new Map<z.ZodType, string>(Object.entries(NAMED_SCHEMAS).map(([name, s]) => [s, name]));

function jsonResponse(description: string, schema: Json) {
  return { description, content: { 'application/json': { schema } } };
}

function errorResponse(messages: readonly string[]) {
  return jsonResponse(messages.map((m) => `\`${m}\``).join(' · '), ref('Error'));
}

function operation(resource: CompiledResource<Endpoint>, method: string, ep: Endpoint): Json {
  const shape = ep.schema?.shape ?? {};
  const parameters: Json[] = resource.params.map((p) => ({
    name: p.name,
    in: 'path',
    required: true,
    schema: shape[p.name] ? { ...fieldJsonSchema(shape[p.name]!), ...(p.kind === 'int' ? { format: 'int64' } : {}) } : { type: 'string' },
  }));
  let requestBody: Json | undefined;
  if (ep.source === 'query') {
    for (const name of ep.fields) {
      const field = shape[name]!;
      const param: Json = { name, in: 'query', required: isRequired(field), schema: fieldJsonSchema(field) };
      if (ep.lists.has(name)) Object.assign(param, { style: 'form', explode: true, description: 'Repeat the key, or give one comma-separated value.' });
      parameters.push(param);
      for (const [alias, target] of Object.entries(ep.aliases ?? {})) {
        if (target === name) parameters.push({ ...param, name: alias, required: false, description: `Alias of \`${name}\`.` });
      }
    }
  } else if (ep.source === 'body') {
    const picked = ep.schema!.pick(Object.fromEntries(ep.fields.map((f) => [f, true as const])) as never);
    requestBody = { required: false, content: { 'application/json': { schema: fieldJsonSchema(picked) } } };
  }
  const responses: Json = {};
  if (ep.status === 200) {
    const name = ep.response ? schemaNames.get(ep.response) : undefined;
    responses['200'] = jsonResponse('OK', name ? ref(name) : ep.response ? fieldJsonSchema(ep.response) : { type: 'object' });
  } else {
    responses[String(ep.status)] = { description: ep.status === 201 ? 'Created (empty body)' : 'Done (empty body)' };
  }
  if (ep.fields.length > 0 || ep.source === 'body') {
    responses['400'] = jsonResponse(
      ep.source === 'body' ? 'Validation error, or `JSON parse error - <detail>`' : 'Validation error',
      ep.source === 'body' ? { anyOf: [ref('ValidationError'), ref('Error')] } : ref('ValidationError'),
    );
  }
  if (!ep.public) responses['401'] = errorResponse([MESSAGES.unauthenticated]);
  for (const status of [403, 404, 409] as const) {
    const messages = ep.errors?.[status];
    if (messages) responses[String(status)] = errorResponse(messages);
  }
  if (ep.source === 'body') responses['413'] = errorResponse([MESSAGES.tooLarge]);
  if (ep.database !== false) responses['503'] = errorResponse([MESSAGES.unavailable]);
  responses['500'] = errorResponse([MESSAGES.internal]);
  const canonical = resource.aliasOf ? ` Alias of \`${resource.aliasOf}\` (the old README's path).` : '';
  const op: Json = {
    operationId: operationId(method, resource.path),
    summary: ep.name,
    description: ep.summary + canonical,
    tags: [tagOf(resource.path)],
    parameters,
    responses,
  };
  if (requestBody) op.requestBody = requestBody;
  if (ep.public) op.security = [];
  return op;
}

function openapiPath(path: string): string {
  return path.replace(/\{(\w+):int\}/g, '{$1}');
}

function operationId(method: string, path: string): string {
  const words = openapiPath(path).replace(/[{}]/g, '').split(/[^A-Za-z0-9]+/).filter(Boolean);
  return [method.toLowerCase(), ...words].join('_');
}

function tagOf(path: string): string {
  const first = path.split('/')[1] ?? '';
  return ['healthz', 'readyz', 'openapi.json'].includes(first) ? 'operations' : first === 'users' ? 'roles' : first;
}

/** `withV1`: the admin API (/api/v1/) is part of the document (the server has a scoped token). */
export function openapiDocument(resources: readonly CompiledResource<Endpoint>[], withV1 = false): Json {
  const paths: Record<string, Json> = {};
  for (const resource of resources) {
    const item: Json = {};
    for (const [method, ep] of Object.entries(resource.methods)) item[method.toLowerCase()] = operation(resource, method, ep!);
    paths[openapiPath(resource.path)] = item;
  }
  if (withV1) Object.assign(paths, v1OpenapiPaths());
  return {
    openapi: '3.1.0',
    info: {
      title: 'urdb',
      version: pkg.version,
      description:
        'The unit routes database: units, Telegram chats, report types, roles and report routes of a pizzeria chain. ' +
        'Every path is also served under /api/ and without its trailing slash. Errors are `{"message", "extra"}`.',
    },
    servers: [{ url: '/' }, { url: '/api' }],
    security: [{}, { bearer: [] }],
    paths,
    components: {
      schemas: components(),
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'Only when the server was started with a token (URDB_API_TOKEN or --token).' },
      },
    },
  };
}
