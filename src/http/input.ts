/**
 * The handler's input from a request: the fields the endpoint declares, from the query string or the JSON body, plus
 * the path ids and the endpoint's fixed values, validated with the handler's own schema.
 */
import { NotFoundError, ValidationError, type FieldErrors } from '../core/errors';
import { validate } from '../core/fields';
import type { Endpoint } from './endpoint';
import { parseBody, parseQuery, type ApiRequest } from './request';
import { MESSAGES } from './response';
import type { Match } from './router';

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * The handler's input: the endpoint's fields from the query or the body, the path ids, the fixed values; then the
 * handler's schema. A path id beyond 2^53 names nothing: the rest is validated (400 first, as always), then the
 * endpoint's own 404.
 */
export function readInput(ep: Endpoint, match: Match<Endpoint>, req: ApiRequest, bodyLimit: number): unknown {
  const raw: Record<string, unknown> = {};
  let aliasUsed: [alias: string, target: string] | null = null;
  if (ep.source === 'body') {
    const body = parseBody(req.body, bodyLimit);
    if (!isPlainObject(body)) return validate(ep.schema!, body); // throws: "Expected a dictionary, but got list."
    for (const f of ep.fields) if (Object.hasOwn(body, f)) raw[f] = body[f];
  } else if (ep.source === 'query') {
    const query = parseQuery(req.query);
    for (const f of ep.fields) {
      const value = queryValue(ep, f, query.get(f));
      if (value !== undefined) raw[f] = value;
    }
    if (ep.aliases) {
      for (const [alias, target] of Object.entries(ep.aliases)) {
        const value = raw[target] === undefined ? queryValue(ep, target, query.get(alias)) : undefined;
        if (value !== undefined) {
          raw[target] = value;
          aliasUsed = [alias, target];
        }
      }
    }
  }
  let outOfRange = false;
  const params = match.resource.params;
  for (let i = 0; i < params.length; i++) {
    const value = match.values[i]!;
    if (typeof value === 'number' && Number.isNaN(value)) outOfRange = true;
    else raw[params[i]!.name] = value;
  }
  if (ep.fixed) Object.assign(raw, ep.fixed);
  if (!ep.schema) return raw;
  try {
    if (outOfRange) {
      validate(ep.schemaWithoutPath!, raw);
      throw new NotFoundError(ep.notFound ?? MESSAGES.notFound);
    }
    return validate(ep.schema, raw);
  } catch (err) {
    if (aliasUsed && err instanceof ValidationError) throw new ValidationError(renameKey(err.fields, aliasUsed[1], aliasUsed[0]));
    throw err;
  }
}

/** The last value of a key (as Django's QueryDict), every value of a list key; `?limit=` is absent for optional fields. */
function queryValue(ep: Endpoint, field: string, values: string[] | undefined): unknown {
  if (!values) return undefined;
  if (ep.lists.has(field)) return values;
  const value = values[values.length - 1]!;
  return value === '' && ep.optional.has(field) ? undefined : value;
}

/** The error names the key the caller sent (`skip`), in the same position. */
function renameKey(fields: FieldErrors, from: string, to: string): FieldErrors {
  const out: FieldErrors = {};
  for (const [k, v] of Object.entries(fields)) out[k === from ? to : k] = v;
  return out;
}
