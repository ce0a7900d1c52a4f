/**
 * http-api.md "Added by urdb": /openapi.json is a valid OpenAPI 3.1 document of every endpoint, and what it says
 * the answers look like is what the server answers; OPTIONS answers on every known path.
 */
import { Validator } from '@seriousme/openapi-schema-validator';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { importBundle } from '../src/handlers/bundle/import';
import { UUID } from './support/bundles';
import { freshDatabase } from './support/db';
import { client } from './support/http';

const db = await freshDatabase();
const http = client(db.sql);
const GROUP = -1001234567890;

beforeAll(async () => {
  await importBundle(db.ctx(), {
    format: 'urdb-bundle/1',
    regions: [{ id: 1, name: 'R' }],
    units: [{ id: 1, name: 'U1', uuid: UUID(1), region: 'R' }],
    roles: [{ id: 1, name: 'r', access_code: 'c', units: [1], report_types: ['CANCELED_ORDERS'] }],
    telegram_chats: [{ chat_id: GROUP, type: 'GROUP', title: 'Ops', role_id: 1 }],
    report_routes: [{ report_type: 'CANCELED_ORDERS', chat_id: GROUP, unit_ids: [1] }],
  });
});

type Doc = { openapi: string; paths: Record<string, Record<string, any>>; components: { schemas: Record<string, unknown> } };
let doc: Doc;

/** Concrete URLs for the document's paths, answering 200 with the fixture. */
const SAMPLES: Record<string, string> = {
  '/units/name/{unit_name}/': '/units/name/U1/',
  '/telegram-chats/{chat_id}/': `/telegram-chats/${GROUP}/`,
  '/report-types/names/{name}/': '/report-types/names/CANCELED_ORDERS/',
  '/report-routes/units/': `/report-routes/units/?chat_id=${GROUP}&report_type_id=7`,
  '/report-routes/telegram-chats/': '/report-routes/telegram-chats/?unit_id=1&report_type_id=7',
};
const sample = (path: string) => SAMPLES[path] ?? path.replace('{chat_id}', String(GROUP));

describe('GET /openapi.json', () => {
  beforeAll(async () => {
    const res = await http.call('GET', '/openapi.json');
    expect(res.status).toBe(200);
    doc = res.json;
  });

  it('is valid against the OpenAPI 3.1 schema', async () => {
    const validator = new Validator();
    const result = await validator.validate(structuredClone(doc) as never);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
  });

  it('documents every path of the route table with every method it serves', () => {
    const served = http.api.router.resources.map((r) => [r.path.replace(/:int\}/g, '}'), Object.keys(r.methods).map((m) => m.toLowerCase()).sort()]);
    const documented = Object.entries(doc.paths).map(([p, item]) => [p, Object.keys(item).sort()]);
    expect(documented).toEqual(served);
    expect(Object.keys(doc.paths)).toContain('/report-routes/telegram-chats/');
    expect(Object.keys(doc.paths)).toContain('/users/{chat_id}/access-code/');
  });

  it('describes the query fields from the handlers\' schemas (required, bounds, defaults)', () => {
    const params = doc.paths['/report-routes/telegram-chats/']!.get.parameters;
    expect(params.map((p: { name: string }) => p.name)).toEqual(['unit_id', 'report_type_id', 'limit', 'offset']);
    expect(params[0]).toMatchObject({ in: 'query', required: true, schema: { type: 'integer' } });
    expect(params[2]).toMatchObject({ required: false, schema: { type: 'integer', minimum: 1, maximum: 100, default: 100 } });
    const del = doc.paths['/report-routes/']!.delete.parameters.find((p: { name: string }) => p.name === 'unit_ids');
    expect(del).toMatchObject({ style: 'form', explode: true, schema: { type: 'array' } });
    const body = doc.paths['/report-routes/']!.post.requestBody.content['application/json'].schema;
    expect(body.required).toEqual(['report_type_id', 'chat_id', 'unit_ids']);
    expect(doc.paths['/telegram-chats/{chat_id}/']!.put.parameters[0]).toMatchObject({ name: 'chat_id', in: 'path', schema: { format: 'int64' } });
  });

  it("lists each endpoint's exact application messages", () => {
    const post = doc.paths['/report-routes/']!.post.responses;
    expect(post['403'].description).toContain('`Permission to report type denied`');
    expect(post['404'].description).toContain('`Report type by ID is not found`');
    expect(post['409'].description).toBe('`Unit route already exists`');
    expect(doc.paths['/healthz']!.get.security).toEqual([]);
  });

  it('what it says each 200 answer looks like is what the server answers (its JSON Schemas checked by ajv)', async () => {
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    ajv.addSchema(doc as object, 'openapi');
    let checked = 0;
    for (const [path, item] of Object.entries(doc.paths)) {
      const schema = item.get?.responses?.['200']?.content?.['application/json']?.schema;
      if (!schema || path === '/openapi.json') continue;
      const res = await http.call('GET', sample(path));
      expect({ path, status: res.status }).toEqual({ path, status: 200 });
      const validate = ajv.compile({ $ref: `openapi#/paths/${pointer(path)}/get/responses/200/content/application~1json/schema` });
      expect({ path, valid: validate(res.json), errors: validate.errors ?? null }).toEqual({ path, valid: true, errors: null });
      checked++;
    }
    expect(checked).toBe(Object.keys(doc.paths).length - 4); // less /report-routes/, the two role switch paths, openapi.json
    const invalid = ajv.compile({ $ref: 'openapi#/components/schemas/ValidationError' });
    expect(invalid((await http.call('POST', '/report-routes/', { body: { unit_ids: [1, 'x'] } })).json)).toBe(true);
    const error = ajv.compile({ $ref: 'openapi#/components/schemas/Error' });
    expect(error((await http.call('GET', '/telegram-chats/5/')).json)).toBe(true);
  });

  it('is the same document under /api/ and without a token only when none is configured', async () => {
    expect((await http.call('GET', '/api/openapi.json')).json).toEqual(doc);
    expect((await client(db.sql, { token: 't' }).call('GET', '/openapi.json')).status).toBe(401);
  });
});

describe('OPTIONS', () => {
  it('answers on every known path with Allow and a description of every method', async () => {
    for (const resource of http.api.router.resources) {
      const res = await http.call('OPTIONS', sample(resource.path.replace(/:int\}/g, '}')));
      expect({ path: resource.path, status: res.status }).toEqual({ path: resource.path, status: 200 });
      expect(res.headers.allow).toBe(resource.allow);
      expect(Object.keys(res.json.actions)).toEqual(Object.keys(resource.methods));
      expect(res.json).toMatchObject({ renders: ['application/json'], parses: ['application/json'] });
    }
  });
});

function pointer(path: string) {
  return path.replace(/~/g, '~0').replace(/\//g, '~1').replace(/\{/g, '%7B').replace(/\}/g, '%7D');
}
