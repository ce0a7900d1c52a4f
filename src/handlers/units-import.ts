/**
 * `urdb units import`: units from a CSV file (a header row of unit fields, region by name) or a JSON array, upserted
 * by id through the bundle import (same validation, same set-based upsert, same all-or-nothing transaction), with
 * every problem reported by the line of the file it comes from.
 *
 * A field the file does not have (a missing column, a missing key) keeps its stored value, so a file of `id` and
 * one other column updates that column only; a new unit needs at least id, name, uuid and region.
 */
import { UsageError, ValidationError } from '../core/errors';
import { id as idField } from '../core/fields';
import { parseJsonText } from '../core/json-text';
import type { Ctx } from '../core/operation';
import { BundleError, importBundle, parseBundle, type ImportCounts } from './bundle/import';
import { BUNDLE_FORMAT, bundleUnit, positionOf } from './bundle/schema';
import { intArray } from '../db/client';

type BundleUnit = import('zod').output<typeof bundleUnit>;

/** One unit of the file: its fields as written and the line it starts on. */
export interface SourceRow {
  line: number;
  /** JSON: the element's position in the array (1-based), since several may share a line. */
  item?: number;
  data: Record<string, unknown>;
}

export const UNIT_COLUMNS = [
  'id',
  'name',
  'uuid',
  'region',
  'department_id',
  'office_manager_account_name',
  'dodo_is_api_account_name',
  'shift_manager_account_name',
] as const;

/** A file that cannot be imported: every problem with its line. Exit 2, nothing written. */
export class UnitImportError extends ValidationError {
  readonly problems: string[];
  constructor(problems: string[]) {
    const n = problems.length;
    super({ units: problems }, `the file has ${n} problem${n === 1 ? '' : 's'}; nothing was imported`);
    this.problems = problems;
  }
}

/** RFC 4180 CSV (quotes, doubled quotes, CRLF, line breaks inside quotes); `,`, `;` or tab, as the header uses. */
export function parseUnitsCsv(text: string): SourceRow[] {
  const src = text.replace(/^\uFEFF/, '');
  const records: { line: number; fields: string[] }[] = [];
  const firstLine = src.slice(0, src.search(/\r?\n|$/));
  const delimiter = [',', ';', '\t'].map((d) => [d, firstLine.split(d).length] as const).sort((a, b) => b[1] - a[1])[0]![0];
  let line = 1;
  let i = 0;
  while (i < src.length) {
    const start = line;
    const fields: string[] = [];
    let field = '';
    let quoted = false;
    for (;;) {
      if (i >= src.length) {
        if (quoted) throw new UnitImportError([`line ${start}: a quoted field is not closed`]);
        fields.push(field);
        break;
      }
      const ch = src[i]!;
      if (quoted) {
        if (ch === '"' && src[i + 1] === '"') {
          field += '"';
          i += 2;
        } else if (ch === '"') {
          quoted = false;
          i++;
        } else {
          if (ch === '\n') line++;
          field += ch;
          i++;
        }
      } else if (ch === '"' && field === '') {
        quoted = true;
        i++;
      } else if (ch === delimiter) {
        fields.push(field);
        field = '';
        i++;
      } else if (ch === '\n' || (ch === '\r' && src[i + 1] === '\n')) {
        fields.push(field);
        i += ch === '\r' ? 2 : 1;
        line++;
        break;
      } else {
        field += ch;
        i++;
      }
    }
    if (fields.length === 1 && fields[0]!.trim() === '') continue;
    records.push({ line: start, fields });
  }
  const header = records.shift();
  if (!header) return [];
  const columns = header.fields.map((f) => f.trim().toLowerCase());
  const problems: string[] = [];
  const unknown = columns.filter((c) => !(UNIT_COLUMNS as readonly string[]).includes(c));
  if (unknown.length) {
    problems.push(`line ${header.line}: unknown column${unknown.length > 1 ? 's' : ''} ${unknown.map((c) => JSON.stringify(c)).join(', ')}; the columns are ${UNIT_COLUMNS.join(', ')}`);
  }
  const twice = columns.filter((c, k) => columns.indexOf(c) !== k);
  if (twice.length) problems.push(`line ${header.line}: column ${JSON.stringify(twice[0])} appears twice`);
  if (!columns.includes('id')) problems.push(`line ${header.line}: the header has no "id" column (units are matched by id)`);
  if (problems.length) throw new UnitImportError(problems);
  const rows: SourceRow[] = [];
  for (const r of records) {
    if (r.fields.length !== columns.length) {
      problems.push(`line ${r.line}: ${r.fields.length} field${r.fields.length === 1 ? '' : 's'}, the header has ${columns.length}`);
      continue;
    }
    const data: Record<string, unknown> = {};
    columns.forEach((c, k) => {
      const v = r.fields[k]!;
      data[c] = c === 'department_id' && v.trim() === '' ? null : v;
    });
    rows.push({ line: r.line, data });
  }
  if (problems.length) throw new UnitImportError(problems);
  return rows;
}

/** A JSON array of unit objects; each keeps the line its element starts on. */
export function parseUnitsJson(text: string, file: string): SourceRow[] {
  const value = parseJsonText(text, file, 'a JSON import is an array of unit objects');
  if (!Array.isArray(value)) throw new UsageError(`${file} holds a JSON ${value === null ? 'null' : typeof value}, not an array of units`);
  const lines = elementLines(text);
  return value.map((data, k) => ({ line: lines[k] ?? 1, item: k + 1, data: data as Record<string, unknown> }));
}

/** The line each element of a top-level JSON array starts on (the text is known to parse). */
function elementLines(text: string): number[] {
  const lines: number[] = [];
  let line = 1;
  let depth = 0;
  let expecting = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === '\n') {
      line++;
      continue;
    }
    if (ch === ' ' || ch === '\t' || ch === '\r' || ch === '\uFEFF') continue;
    if (depth === 1 && expecting && ch !== ']') {
      lines.push(line);
      expecting = false;
    }
    if (ch === '"') {
      for (i++; i < text.length && text[i] !== '"'; i++) if (text[i] === '\\') i++;
    } else if (ch === '[' || ch === '{') {
      depth++;
      if (depth === 1) expecting = true;
    } else if (ch === ']' || ch === '}') {
      depth--;
    } else if (ch === ',' && depth === 1) {
      expecting = true;
    }
  }
  return lines;
}

export interface UnitImportOptions {
  dryRun?: boolean;
  /** Create regions the file names that do not exist (default: each is a problem, probably a typo). */
  createRegions?: boolean;
  /** Asked inside the transaction when existing units would change; false rolls everything back. */
  confirmReplace?: (counts: { inserted: number; updated: number }) => Promise<boolean>;
  /** The step that runs, from the start: reading, checking (rows done of all), writing (each section of the write). */
  onProgress?: (p: UnitImportProgress) => void;
  /** Stops between steps (and every few hundred rows while checking) with the signal's reason; nothing is written. */
  signal?: AbortSignal;
}

export interface UnitImportProgress {
  phase: 'read' | 'check' | 'write';
  /** `checking rows`, `writing units`. */
  label: string;
  done: number;
  /** 0: not counted. */
  total: number;
}

/** Rows checked between two yields to the event loop (a signal, the progress bar): a few milliseconds of work. */
const CHECK_BATCH = 500;
const yieldToEvents = () => new Promise<void>((resolve) => setImmediate(resolve));

export interface UnitImportResult {
  dry_run: boolean;
  inserted: number;
  updated: number;
  unchanged: number;
  regions_created: number;
  warnings: string[];
}

/** `units[3].uuid: Invalid` → `line 7: uuid: Invalid`; other `units[n]` in the text become `line m` too. */
function byLine(problems: readonly string[], rows: readonly SourceRow[]): string[] {
  const lineOf = (k: string) => {
    const row = rows[Number(k)];
    return row ? `line ${row.line}${row.item ? ` (item ${row.item})` : ''}` : `units[${k}]`;
  };
  return problems.map((p) => {
    const m = /^units\[(\d+)\](?:\.([^:]+))?: (.*)$/s.exec(p);
    const text = m ? `${lineOf(m[1]!)}: ${m[2] && m[2] !== '(document)' ? `${m[2]}: ` : ''}${m[3]}` : p;
    return text.replace(/units\[(\d+)\]/g, (_, k: string) => lineOf(k));
  });
}

/** Stable: problems of one line keep their order (the fields' order). */
const sortByLine = (problems: string[]) =>
  problems.map((p, k) => [Number(/^line (\d+)/.exec(p)?.[1] ?? 0), k, p] as const).sort((a, b) => a[0] - b[0] || a[1] - b[1]).map((x) => x[2]);

type StoredUnit = Record<(typeof UNIT_COLUMNS)[number], unknown>;

/** Built once: a zod schema costs far more to construct than to run. */
const UNIT_ID = idField();

export async function importUnits(ctx: Ctx, rows: SourceRow[], opts: UnitImportOptions = {}): Promise<UnitImportResult> {
  const dryRun = opts.dryRun ?? false;
  const progress = (phase: UnitImportProgress['phase'], label: string, done = 0, total = 0) => {
    opts.signal?.throwIfAborted();
    opts.onProgress?.({ phase, label, done, total });
  };
  const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
  const idOf = (r: SourceRow) => {
    const parsed = isObject(r.data) ? UNIT_ID.safeParse(r.data.id) : undefined;
    return parsed?.success ? parsed.data : undefined;
  };

  // Fields the file leaves out keep their stored values.
  progress('read', 'reading the stored units');
  const ids = [...new Set(rows.map(idOf).filter((id): id is number => id !== undefined))];
  const stored = new Map<number, StoredUnit>();
  if (ids.length) {
    const found = await ctx.sql<StoredUnit[]>`
      select u.id, u.name, u.uuid::text as uuid, r.name as region, u.department_id,
             u.office_manager_account_name, u.dodo_is_api_account_name, u.shift_manager_account_name
      from unit u join region r on r.id = u.region_id
      where u.id = any(${intArray(ids)}::int[])
    `;
    for (const u of found) stored.set(u.id as number, u);
  }
  const units: unknown[] = rows.map((r) => {
    const before = stored.get(idOf(r) ?? NaN);
    return before && isObject(r.data) ? { ...before, ...r.data } : r.data;
  });

  // Every problem at once: each row's shape, then duplicates and regions among the rows that have one, then (only
  // when the file is bad anyway) the database's objections to those rows, from a dry run of the bundle import.
  const problems: string[] = [];
  const valid: { k: number; unit: BundleUnit }[] = [];
  for (let k = 0; k < units.length; k++) {
    if (k % CHECK_BATCH === 0) {
      progress('check', 'checking rows', k, units.length);
      if (k > 0) await yieldToEvents();
    }
    const r = bundleUnit.safeParse(units[k]);
    if (r.success) valid.push({ k, unit: r.data });
    else problems.push(...byLine(r.error.issues.map((i) => `units[${k}].${positionOf(i.path)}: ${i.message}`), rows));
  }
  progress('check', 'checking rows', units.length, units.length);
  const validRows = valid.map((v) => rows[v.k]!);
  try {
    parseBundle({ format: BUNDLE_FORMAT, units: valid.map((v) => units[v.k]) });
  } catch (err) {
    if (!(err instanceof BundleError)) throw err;
    problems.push(...byLine(err.problems, validRows));
  }
  if (!opts.createRegions) {
    const names = [...new Set(valid.map((v) => v.unit.region))];
    const existing = await ctx.sql<{ name: string }[]>`
      select name from region where name = any(array(select jsonb_array_elements_text(${ctx.sql.json(names)})))
    `;
    const known = new Set(existing.map((r) => r.name));
    const unknown = valid.filter((v) => !known.has(v.unit.region));
    problems.push(
      ...byLine(
        unknown.map(
          (v) =>
            `units[${v.k}].region: region ${JSON.stringify(v.unit.region)} does not exist ` +
            '(add it with `urdb regions add`, or import with --create-regions)',
        ),
        rows,
      ),
    );
  }
  if (problems.length) {
    const seen = new Set<number>();
    const firsts = valid.filter((v) => !seen.has(v.unit.id) && seen.add(v.unit.id));
    try {
      await importBundle(ctx, { format: BUNDLE_FORMAT, units: firsts.map((v) => units[v.k]) }, { dryRun: true });
    } catch (err) {
      if (!(err instanceof BundleError)) throw err;
      problems.push(...byLine(err.problems, firsts.map((v) => rows[v.k]!)));
    }
    throw new UnitImportError(sortByLine([...new Set(problems)]));
  }

  try {
    progress('write', 'writing units', 0, units.length);
    const result = await importBundle(ctx, { format: BUNDLE_FORMAT, units }, {
      dryRun,
      onProgress: (p) => p.total > 0 && progress('write', `writing ${p.section.replace(/_/g, ' ')}`, p.done, p.total),
      confirmReplace: opts.confirmReplace && ((counts: ImportCounts) => opts.confirmReplace!(counts.units)),
    });
    const { inserted, updated } = result.counts.units;
    return {
      dry_run: dryRun,
      inserted,
      updated,
      unchanged: rows.length - inserted - updated,
      regions_created: result.counts.regions.inserted,
      warnings: result.warnings,
    };
  } catch (err) {
    // A row another writer changed since the checks above.
    if (err instanceof BundleError) throw new UnitImportError(byLine(err.problems, rows));
    throw err;
  }
}
