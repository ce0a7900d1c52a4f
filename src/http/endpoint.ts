/**
 * One method of one path: which fields it reads from where, the handler it calls, and how the result is answered.
 * The schema is always the handler's own; an endpoint only narrows which of its fields the wire may set.
 */
import type { z } from 'zod';
import type { Ctx } from '../core/operation';

export type Source = 'query' | 'body' | 'none';

/** A handler's input schema: an object of fields. */
export type InputSchema = z.ZodObject<Record<string, z.ZodType>>;

export interface EndpointDef<I = any, R = any> {
  /** A title for OPTIONS and OpenAPI. */
  name: string;
  summary: string;
  /** The handler's input schema (validation of everything: query or body fields, path ids, fixed values). */
  schema?: InputSchema;
  source?: Source;
  /** The fields the wire may set, in declared order; path ids are added from the path. */
  fields?: readonly string[];
  /** Query keys whose every value is kept (`unit_ids=1&unit_ids=2`). */
  lists?: readonly string[];
  /** Another name the wire may use for a field (`skip` for `offset`). */
  aliases?: Readonly<Record<string, string>>;
  /** Input the endpoint sets itself (`scope`). */
  fixed?: Readonly<Record<string, unknown>>;
  /** The endpoint's own 404 text, answered when a path id is beyond 2^53 (no stored chat can have it). */
  notFound?: string;
  run(ctx: Ctx, input: I): Promise<R>;
  status: 200 | 201 | 204;
  /** The 200 body from the handler's result. */
  present?(result: R): unknown;
  /** Writes record an actor with the caller's address. */
  writes?: boolean;
  /** The acting user's chat id, for the actor. */
  actingChat?(input: I): number | undefined;
  /** false: answers without the database (a success says nothing about it). */
  database?: false;
  /** No token needed (health probes). */
  public?: boolean;
  /** OpenAPI: the 200 body and the application errors, by status. */
  response?: z.ZodType;
  errors?: Readonly<Partial<Record<403 | 404 | 409, readonly string[]>>>;
}

export interface Endpoint extends Omit<EndpointDef, 'lists'> {
  source: Source;
  fields: readonly string[];
  lists: ReadonlySet<string>;
  /** Fields whose empty query value means "absent" (DRF reads `?limit=` as not given). */
  optional: ReadonlySet<string>;
  /** The schema without the path ids: validates the rest when a path id is out of range. */
  schemaWithoutPath?: InputSchema;
}

export function compileEndpoint(def: EndpointDef, pathParams: readonly string[]): Endpoint {
  const fields = def.fields ?? [];
  const shape = def.schema?.shape ?? {};
  for (const f of [...fields, ...pathParams, ...Object.keys(def.fixed ?? {})]) {
    if (!(f in shape)) throw new Error(`endpoint ${def.name}: the handler's schema has no field ${f}`);
  }
  const optional = new Set(fields.filter((f) => shape[f]!.safeParse(undefined).success));
  const omit = Object.fromEntries(pathParams.map((p) => [p, true as const]));
  return {
    ...def,
    source: def.source ?? (fields.length ? 'query' : 'none'),
    fields,
    lists: new Set(def.lists ?? []),
    optional,
    schemaWithoutPath: def.schema && pathParams.length ? (def.schema.omit(omit as never) as unknown as InputSchema) : undefined,
  };
}
