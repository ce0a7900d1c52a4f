/**
 * The route table, compiled once: paths without parameters are one Map lookup (the hot path is one of them), the
 * few with parameters are matched segment by segment. Every path is served at the root and under /api/, with and
 * without its trailing slash (http-api.md §1: no redirects, callers never follow them).
 */
import { parsePathInteger } from './request';

export const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;
export type Method = (typeof METHODS)[number];

export interface Resource<E> {
  /** Canonical path, `{name}` for a text parameter, `{name:int}` for a signed integer id. */
  path: string;
  methods: Partial<Record<Method, E>>;
  /** The canonical path this one is another name for (documentation only). */
  aliasOf?: string;
}

export interface PathParam {
  name: string;
  kind: 'int' | 'text';
}

export interface CompiledResource<E> extends Resource<E> {
  params: PathParam[];
  /** The `Allow` header: the methods, HEAD where GET is, OPTIONS. */
  allow: string;
}

export interface Match<E> {
  resource: CompiledResource<E>;
  /** Parameter values in path order: numbers (NaN beyond 2^53) for int, decoded strings for text. */
  values: (number | string)[];
}

interface Pattern<E> {
  resource: CompiledResource<E>;
  /** A literal segment, or the index of a parameter. */
  segments: (string | number)[];
}

export interface Router<E> {
  resources: CompiledResource<E>[];
  match(path: string): Match<E> | null;
}

const NO_VALUES: (number | string)[] = [];

export function compileRouter<E>(resources: Resource<E>[]): Router<E> {
  const compiled: CompiledResource<E>[] = [];
  const exact = new Map<string, Match<E>>();
  const bySegmentCount = new Map<number, Pattern<E>[]>();
  for (const r of resources) {
    const segments = splitPath(r.path);
    const params: PathParam[] = [];
    const pattern: (string | number)[] = segments.map((s) => {
      const m = /^\{(\w+)(:int)?\}$/.exec(s);
      if (!m) return s;
      params.push({ name: m[1]!, kind: m[2] ? 'int' : 'text' });
      return params.length - 1;
    });
    const methods = METHODS.filter((m) => r.methods[m]);
    const allow = [...methods, ...(r.methods.GET ? ['HEAD'] : []), 'OPTIONS'].join(', ');
    const resource: CompiledResource<E> = { ...r, params, allow };
    compiled.push(resource);
    if (params.length === 0) {
      const key = '/' + segments.join('/');
      if (exact.has(key)) throw new Error(`duplicate route ${r.path}`);
      exact.set(key, { resource, values: NO_VALUES });
    } else {
      const list = bySegmentCount.get(pattern.length) ?? [];
      list.push({ resource, segments: pattern });
      bySegmentCount.set(pattern.length, list);
    }
  }
  return {
    resources: compiled,
    match(path) {
      const key = normalize(path);
      const found = exact.get(key);
      if (found) return found;
      const segments = key.split('/').slice(1);
      const candidates = bySegmentCount.get(segments.length);
      if (!candidates) return null;
      for (const candidate of candidates) {
        const values = matchPattern(candidate, segments);
        if (values) return { resource: candidate.resource, values };
      }
      return null;
    },
  };
}

function matchPattern<E>(pattern: Pattern<E>, segments: string[]): (number | string)[] | null {
  const values: (number | string)[] = [];
  for (let i = 0; i < segments.length; i++) {
    const want = pattern.segments[i]!;
    const got = segments[i]!;
    if (typeof want === 'string') {
      if (want !== got) return null;
      continue;
    }
    const param = pattern.resource.params[want]!;
    if (param.kind === 'int') {
      const n = parsePathInteger(got);
      if (n === null) return null;
      values.push(n);
    } else {
      if (got === '') return null;
      try {
        values.push(decodeURIComponent(got));
      } catch {
        return null;
      }
    }
  }
  return values;
}

/** `/api/units/` → `/units`; `/units/` → `/units`. */
function normalize(path: string): string {
  let p = path;
  if (p.startsWith('/api/')) p = p.slice(4);
  else if (p === '/api') p = '/';
  if (p.length > 1 && p.charCodeAt(p.length - 1) === 47 /* / */) p = p.slice(0, -1);
  return p;
}

function splitPath(path: string): string[] {
  return path.split('/').filter((s) => s !== '');
}
