/**
 * Property-based fuzzing of what reads files and command lines: the bundle parser and import, the units CSV and
 * JSON readers and import (in process, thousands of generated documents), and the CLI's argument parsing (real
 * processes, fewer).
 *
 * Properties: a document is accepted or refused with a typed error (BundleError, UnitImportError, UsageError),
 * never another exception; what is accepted parses to itself again (parse ∘ parse = parse), CSV and JSON round-trip
 * with the right line numbers; a refused import writes nothing and the database stays consistent. A command line
 * ends with exit 0, 1, 2 or 3 and one-line messages: no stack trace, no "unexpected error", no database error.
 *
 * Seeds (test/support/seeds.ts): the regression seeds below, the fixed seeds and one random seed, printed, with each
 * property's runs split across them; FUZZ_SEED=<n> replays one seed alone; FUZZ_RUNS scales the runs.
 */
import fc from 'fast-check';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UsageError } from '../src/core/errors';
import { BundleError, importBundle, parseBundle } from '../src/handlers/bundle/import';
import { importUnits, parseUnitsCsv, parseUnitsJson, UNIT_COLUMNS, UnitImportError, type SourceRow } from '../src/handlers/units-import';
import { UUID } from './support/bundles';
import { urdb } from './support/cli';
import { checkConsistency, fingerprint } from './support/consistency';
import { INJECTIONS, INTEGER_EDGES, leaks, NOT_QUITE_INTEGERS, UNSTORABLE } from './support/corpus';
import { freshDatabase } from './support/db';
import { seedsFor, share } from './support/seeds';

const db = await freshDatabase();
/** Every seed that ever failed here, kept as a regression case (add to the end). */
const REGRESSION_SEEDS: number[] = [];
const SEEDS = seedsFor('fuzz-parsers', REGRESSION_SEEDS);
/** `fc.assert` once per seed, the runs split across them. */
function assertEachSeed(property: fc.IProperty<any>, runs: number): void {
  for (const seed of SEEDS) fc.assert(property, { numRuns: share(runs, SEEDS), seed });
}
async function assertEachSeedAsync(property: fc.IAsyncProperty<any>, runs: number): Promise<void> {
  for (const seed of SEEDS) await fc.assert(property, { numRuns: share(runs, SEEDS), seed });
}
const counted: Record<string, number> = {};
const count = (what: string) => (counted[what] = (counted[what] ?? 0) + 1);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'urdb-fuzz-'));

beforeAll(async () => {
  await importBundle(db.ctx(), {
    format: 'urdb-bundle/1',
    regions: [
      { id: 1, name: 'North' },
      { id: 2, name: "O'Region" },
    ],
    departments: [{ id: 3, name: 'Dept', uuid: UUID(3) }],
    units: [1, 2, 3].map((id) => ({ id, name: `Unit ${id}`, uuid: UUID(id), region: id === 3 ? "O'Region" : 'North' })),
    roles: [{ id: 1, name: 'All', access_code: 'code one', units: [1, 2, 3], report_types: ['CANCELED_ORDERS'] }],
    telegram_chats: [{ chat_id: -100, type: 'GROUP', title: 'Ops', role_id: 1 }],
    report_routes: [{ report_type: 'CANCELED_ORDERS', chat_id: -100, unit_ids: [1] }],
  });
});

afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
  console.log(`fuzz-parsers (seeds ${SEEDS.join(', ')}): ${Object.entries(counted).map(([k, n]) => `${n} ${k}`).join(', ')}`);
});

// ---------------------------------------------------------------------------------------------------------------
// Values.

const text = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...INJECTIONS, ...UNSTORABLE, 'North', "O'Region", 'Unit 1', 'CANCELED_ORDERS', ' padded ', '') },
  { weight: 3, arbitrary: fc.string({ unit: 'binary', maxLength: 30 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 70 }) },
);
const integerLike = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(1, 2, 3, 4, 5, 100, -100, 0, -1, 32767, 32768, 2147483647, 2147483648) },
  { weight: 2, arbitrary: fc.constantFrom(...INTEGER_EDGES.map(Number), ...NOT_QUITE_INTEGERS, ...INTEGER_EDGES) },
  { weight: 1, arbitrary: fc.double() },
);
const anyValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 5, arbitrary: integerLike },
  { weight: 5, arbitrary: text },
  { weight: 1, arbitrary: fc.constantFrom(null, true, false, [], {}, undefined) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
);
/** A field's value: what it should be most of the time, anything otherwise. */
const field = <T>(likely: fc.Arbitrary<T>) => fc.oneof({ weight: 4, arbitrary: likely as fc.Arbitrary<unknown> }, { weight: 1, arbitrary: anyValue });
const uuidLike = fc.oneof(fc.integer({ min: 1, max: 60 }).map(UUID), fc.uuid(), fc.constantFrom('', 'not-a-uuid', UUID(1).toUpperCase(), UUID(2).replace(/-/g, ''), ` ${UUID(9)} `));

/** An object with some of these fields, sometimes an unknown one, sometimes not an object at all. */
function record(shape: Record<string, fc.Arbitrary<unknown>>): fc.Arbitrary<unknown> {
  const keys = Object.keys(shape);
  const obj = fc
    .tuple(fc.subarray(keys, { minLength: Math.max(0, keys.length - 2) }), fc.option(fc.tuple(fc.constantFrom('extra', '__proto__', 'id '), anyValue), { freq: 8 }))
    .chain(([chosen, extra]) =>
      fc.tuple(...chosen.map((k) => shape[k]!.map((v) => [k, v] as const))).map((pairs) => {
        const o: Record<string, unknown> = {};
        for (const [k, v] of pairs) if (v !== undefined) o[k] = v;
        if (extra) Object.defineProperty(o, extra[0], { value: extra[1], enumerable: true, writable: true, configurable: true });
        return o;
      }),
    );
  return fc.oneof({ weight: 12, arbitrary: obj }, { weight: 1, arbitrary: anyValue });
}

const section = (item: fc.Arbitrary<unknown>) =>
  fc.oneof({ weight: 10, arbitrary: fc.array(item, { maxLength: 4 }) }, { weight: 1, arbitrary: anyValue });

const unitRecord = {
  id: field(fc.integer({ min: 1, max: 8 })),
  name: field(fc.constantFrom('Unit 1', 'Unit 2', 'Unit 7', 'Unit 8', ...INJECTIONS.slice(0, 20))),
  uuid: field(uuidLike),
  region: field(fc.constantFrom('North', "O'Region", 'South', 'North ')),
  department_id: field(fc.constantFrom(3, 4, null)),
  office_manager_account_name: field(fc.oneof(text, fc.constant(null))),
  dodo_is_api_account_name: field(text),
  shift_manager_account_name: field(text),
};

/** Text every field accepts (≤ 64 characters, no NUL, no lone surrogate), hostile all the same. */
const storableText = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...INJECTIONS.filter((t) => t.trim() !== '')) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme-composite', minLength: 1, maxLength: 30 }).filter((t) => t.trim() !== '') },
);

/** Drops the rows whose key another row already has (a bundle's natural keys are unique). */
const uniqueBy = <T>(rows: T[], ...keys: ((r: T) => unknown)[]) =>
  keys.reduce((rs, key) => rs.filter((r, i) => rs.findIndex((x) => key(x) === key(r)) === i), rows);

/** A bundle the schema accepts, whose references mostly resolve: the database decides the rest. */
const validBundle: fc.Arbitrary<unknown> = fc
  .record({
    regions: fc.array(fc.record({ id: fc.integer({ min: 1, max: 6 }), name: fc.oneof(fc.constantFrom('North', 'South', "O'Region"), storableText) }), { maxLength: 3 }),
    units: fc.array(
      fc.record({
        id: fc.integer({ min: 1, max: 8 }),
        name: fc.oneof(fc.integer({ min: 1, max: 8 }).map((n) => `Unit ${n}`), storableText),
        uuid: fc.integer({ min: 1, max: 8 }).map(UUID),
        region: fc.constantFrom('North', "O'Region", 'South'),
        department_id: fc.constantFrom(3, null),
        office_manager_account_name: fc.oneof(storableText, fc.constant(null)),
      }),
      { maxLength: 4 },
    ),
    report_types: fc.array(
      fc.record({
        name: fc.oneof(fc.constantFrom('NEW_TYPE', 'OTHER_TYPE'), storableText),
        verbose_name: storableText,
        is_active: fc.boolean(),
        parent: fc.constantFrom(null, 'STATISTICS'),
        priority: fc.integer({ min: 0, max: 32767 }),
      }),
      { maxLength: 2 },
    ),
    roles: fc.array(
      fc.record({
        id: fc.integer({ min: 1, max: 4 }),
        name: storableText,
        access_code: storableText,
        units: fc.uniqueArray(fc.integer({ min: 1, max: 3 }), { maxLength: 3 }),
        report_types: fc.uniqueArray(fc.constantFrom('CANCELED_ORDERS', 'DAILY_REVENUE'), { maxLength: 2 }),
      }),
      { maxLength: 2 },
    ),
    telegram_chats: fc.array(
      fc.record({
        chat_id: fc.constantFrom(-100, 42, 43, 9007199254740991, -9007199254740991),
        type: fc.constantFrom('PRIVATE', 'GROUP'),
        title: storableText,
        username: fc.oneof(storableText, fc.constant(null)),
        role_id: fc.constantFrom(1, null),
      }),
      { maxLength: 3 },
    ),
    report_routes: fc.array(
      fc.record({ report_type: fc.constantFrom('CANCELED_ORDERS', 'DAILY_REVENUE'), chat_id: fc.constantFrom(-100, 42), unit_ids: fc.array(fc.integer({ min: 1, max: 3 }), { maxLength: 3 }) }),
      { maxLength: 2 },
    ),
  })
  .map((b) => ({
    format: 'urdb-bundle/1',
    regions: uniqueBy(b.regions, (r) => r.id, (r) => r.name.trim()),
    units: uniqueBy(b.units, (u) => u.id, (u) => u.name.trim(), (u) => u.uuid),
    report_types: uniqueBy(b.report_types, (t) => t.name.trim()),
    roles: uniqueBy(b.roles, (r) => r.id, (r) => r.access_code.trim()),
    telegram_chats: uniqueBy(b.telegram_chats, (c) => c.chat_id),
    report_routes: b.report_routes,
  }));

const bundleDocument: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 6, arbitrary: validBundle },
  {
    weight: 12,
    arbitrary: record({
      format: fc.constantFrom('urdb-bundle/1', 'urdb-bundle/1', 'urdb-bundle/1', 'urdb-bundle/2', '', null),
      regions: section(record({ id: field(fc.integer({ min: 1, max: 4 })), name: field(fc.constantFrom('North', 'South', "O'Region", ...INJECTIONS.slice(0, 10))) })),
      departments: section(record({ id: field(fc.integer({ min: 1, max: 5 })), name: field(text), uuid: field(uuidLike) })),
      units: section(record(unitRecord)),
      report_types: section(
        record({
          id: field(fc.integer({ min: 1, max: 60 })),
          name: field(fc.constantFrom('NEW_TYPE', 'CANCELED_ORDERS', 'STATISTICS', 'OTHER', ...INJECTIONS.slice(10, 20))),
          verbose_name: field(text),
          is_active: field(fc.constantFrom(true, false, 'yes', 'off', 0, 1, 2)),
          parent: field(fc.constantFrom(null, 'STATISTICS', 'NEW_TYPE', 'MISSING')),
          priority: field(fc.integer({ min: -2, max: 40_000 })),
        }),
      ),
      roles: section(
        record({
          id: field(fc.integer({ min: 1, max: 4 })),
          name: field(text),
          access_code: field(fc.constantFrom('code one', 'code two', "'; drop table role; --", '')),
          access_code_sha256: field(fc.constantFrom('a'.repeat(64), 'A'.repeat(64), 'g'.repeat(64), 'abc')),
          units: field(fc.array(fc.integer({ min: 1, max: 9 }), { maxLength: 4 })),
          report_types: field(fc.array(fc.constantFrom('CANCELED_ORDERS', 'NEW_TYPE', 'MISSING', ''), { maxLength: 3 })),
        }),
      ),
      telegram_chats: section(
        record({
          chat_id: field(fc.constantFrom(-100, 42, 43, 9007199254740991, 9007199254740992)),
          type: field(fc.constantFrom('PRIVATE', 'GROUP', 'group')),
          title: field(text),
          username: field(fc.oneof(text, fc.constant(null))),
          role_id: field(fc.constantFrom(1, 2, 5, null)),
        }),
      ),
      report_routes: section(
        record({
          report_type: field(fc.constantFrom('CANCELED_ORDERS', 'NEW_TYPE', 'MISSING')),
          chat_id: field(fc.constantFrom(-100, 42, 44)),
          unit_ids: field(fc.array(fc.integer({ min: 1, max: 9 }), { maxLength: 5 })),
        }),
      ),
      account_roles: section(record({ id: field(fc.integer({ min: 1, max: 3 })), name: field(text) })),
    }),
  },
  { weight: 1, arbitrary: anyValue },
  { weight: 1, arbitrary: fc.anything({ maxDepth: 3, withNullPrototype: true, withBigInt: true, withDate: true, withMap: true, withSparseArray: true }) },
);

function expectTyped(err: unknown, ...types: (new (...a: never[]) => Error)[]): void {
  if (types.some((t) => err instanceof t)) return;
  throw new Error(`unexpected ${(err as Error)?.constructor?.name ?? typeof err}: ${(err as Error)?.stack ?? String(err)}`);
}

/** Messages of a refused document: one line each, nothing internal. */
function expectClean(messages: readonly string[], doc: unknown): void {
  for (const m of messages) expect(typeof m).toBe('string');
  const all = messages.join('\n');
  expect(leaks(all, ...stringsIn(doc)), all).toBeNull();
}

/** The strings a document holds (keys too): a message may quote them. */
function stringsIn(v: unknown, out: string[] = [], depth = 0): string[] {
  if (typeof v === 'string') out.push(v);
  else if (v !== null && typeof v === 'object' && depth < 10) {
    for (const [k, x] of Object.entries(v)) {
      out.push(k);
      stringsIn(x, out, depth + 1);
    }
  }
  return out;
}

describe('the bundle parser', () => {
  it('accepts or refuses with a BundleError; what it accepts parses to itself again', () => {
    assertEachSeed(
      fc.property(bundleDocument, (doc) => {
        count('bundle documents parsed');
        let parsed;
        try {
          parsed = parseBundle(doc);
        } catch (err) {
          expectTyped(err, BundleError);
          expect((err as BundleError).problems.length).toBeGreaterThan(0);
          expectClean((err as BundleError).problems, doc);
          return;
        }
        count('bundle documents accepted');
        expect(parseBundle(JSON.parse(JSON.stringify(parsed)))).toEqual(parsed);
      }),
      5000,
    );
  });

  it('imports against the database: success, or a BundleError and nothing written; consistent afterwards', async () => {
    await assertEachSeedAsync(
      fc.asyncProperty(bundleDocument, fc.boolean(), async (doc, dryRun) => {
        count('bundles imported');
        const before = await fingerprint(db.sql);
        try {
          await importBundle(db.ctx(), doc, { dryRun });
          count('bundles the database accepted');
          if (dryRun) expect(await fingerprint(db.sql)).toEqual(before);
        } catch (err) {
          expectTyped(err, BundleError);
          expect(await fingerprint(db.sql)).toEqual(before);
        }
      }),
      400,
    );
    expect(await checkConsistency(db.sql)).toEqual([]);
  }, 120_000);
});

// ---------------------------------------------------------------------------------------------------------------
// Units files.

const cell = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom('1', '2', '7', 'Unit 7', 'North', UUID(7), '', ' ', '"', '""', 'a,b', 'a;b', 'a\tb', 'line\nbreak', 'cr\rlf', 'crlf\r\nx', '=1+1', "O'Region") },
  { weight: 2, arbitrary: fc.string({ unit: fc.constantFrom('a', 'я', ',', ';', '\t', '"', '\n', '\r', ' ', '\uFEFF', '😀'), maxLength: 8 }) },
  { weight: 1, arbitrary: text.filter((s) => !s.includes('\u0000')) },
);

/** RFC 4180 as a spreadsheet writes it: quoted when needed, quotes doubled. */
function csvField(v: string, delimiter: string, quoteAll: boolean): string {
  return quoteAll || /["\r\n]/.test(v) || v.includes(delimiter) || v === '' ? `"${v.replace(/"/g, '""')}"` : v;
}

const csvTable = fc
  .tuple(
    fc.shuffledSubarray([...UNIT_COLUMNS.filter((c) => c !== 'id')], { minLength: 1 }),
    fc.array(fc.array(cell, { minLength: UNIT_COLUMNS.length, maxLength: UNIT_COLUMNS.length }), { maxLength: 6 }),
    fc.constantFrom(',', ';', '\t'),
    fc.constantFrom('\n', '\r\n'),
    fc.boolean(),
    fc.boolean(),
  )
  .map(([others, values, delimiter, eol, quoteAll, bom]) => {
    const columns = ['id', ...others];
    let csv = (bom ? '\uFEFF' : '') + columns.map((c) => (c.includes(delimiter) ? `"${c}"` : c)).join(delimiter) + eol;
    const expected: { line: number; data: Record<string, unknown> }[] = [];
    for (const row of values) {
      const cells = columns.map((_, k) => row[k]!);
      const line = csv.split('\n').length;
      csv += cells.map((v) => csvField(v, delimiter, quoteAll)).join(delimiter) + eol;
      const data: Record<string, unknown> = {};
      columns.forEach((c, k) => (data[c] = c === 'department_id' && cells[k]!.trim() === '' ? null : cells[k]));
      expected.push({ line, data });
    }
    return { csv, expected };
  });

/** A JSON array of unit objects, laid out with random whitespace; the line each element starts on. */
const jsonUnits = fc
  .tuple(fc.array(fc.tuple(record(unitRecord), fc.constantFrom('', ' ', '\n', '\n\n  ', '\t\r\n')), { maxLength: 6 }), fc.constantFrom(0, 2, 4))
  .map(([items, indent]) => {
    let textOut = '[';
    const lines: number[] = [];
    items.forEach(([item, gap], k) => {
      textOut += (k ? ',' : '') + gap;
      lines.push(textOut.split('\n').length);
      textOut += JSON.stringify(item ?? null, null, indent);
    });
    return { text: `${textOut}\n]`, items: items.map(([item]) => JSON.parse(JSON.stringify(item ?? null)) as unknown), lines };
  });

describe('the units file readers', () => {
  it('CSV: what a spreadsheet writes reads back cell for cell, each row with the line it starts on', () => {
    assertEachSeed(
      fc.property(csvTable, ({ csv, expected }) => {
        count('CSV files parsed');
        const rows = parseUnitsCsv(csv);
        expect(rows.map((r) => ({ line: r.line, data: r.data }))).toEqual(expected);
      }),
      3000,
    );
  });

  it('CSV: any text is read or refused with a UnitImportError naming lines', () => {
    const csvish = fc.string({ unit: fc.constantFrom('id', 'name', 'uuid', 'region', ',', ';', '\t', '"', '\n', '\r', 'x', '1', ' ', '\uFEFF'), maxLength: 60 });
    assertEachSeed(
      fc.property(fc.oneof(csvish, fc.string({ unit: 'binary', maxLength: 60 })), (input) => {
        count('CSV files parsed');
        try {
          const rows = parseUnitsCsv(input);
          for (const r of rows) expect(r.line).toBeGreaterThanOrEqual(2);
        } catch (err) {
          expectTyped(err, UnitImportError);
          for (const p of (err as UnitImportError).problems) expect(p).toMatch(/^line \d+: /);
        }
      }),
      3000,
    );
  });

  it('JSON: every element keeps the line it starts on; anything else is a UsageError', () => {
    assertEachSeed(
      fc.property(jsonUnits, ({ text: input, items, lines }) => {
        count('JSON files parsed');
        const rows = parseUnitsJson(input, 'units.json');
        expect(rows.map((r) => r.data)).toEqual(items);
        expect(rows.map((r) => r.line)).toEqual(lines);
        expect(rows.map((r) => r.item)).toEqual(items.map((_, k) => k + 1));
      }),
      2000,
    );
    assertEachSeed(
      fc.property(fc.oneof(fc.json(), fc.string({ unit: fc.constantFrom('[', ']', '{', '}', '"', ',', '\\', '\n', '1', ':', 'a'), maxLength: 30 })), (input) => {
        count('JSON files parsed');
        try {
          parseUnitsJson(input, 'units.json');
        } catch (err) {
          expectTyped(err, UsageError);
        }
      }),
      2000,
    );
  });

  it('importing generated files: success, or a UnitImportError by line and nothing written', async () => {
    const file = fc.oneof(
      csvTable.map(({ csv }) => () => parseUnitsCsv(csv)),
      jsonUnits.map(({ text: t }) => () => parseUnitsJson(t, 'units.json')),
    );
    await assertEachSeedAsync(
      fc.asyncProperty(file, fc.boolean(), fc.boolean(), async (read, createRegions, dryRun) => {
        count('units files imported');
        let rows: SourceRow[];
        try {
          rows = read();
        } catch (err) {
          expectTyped(err, UnitImportError, UsageError);
          return;
        }
        const before = await fingerprint(db.sql);
        try {
          await importUnits(db.ctx(), rows, { createRegions, dryRun });
          count('units files the database accepted');
          if (dryRun) expect(await fingerprint(db.sql)).toEqual(before);
        } catch (err) {
          expectTyped(err, UnitImportError);
          for (const p of (err as UnitImportError).problems) expect(p).toMatch(/^line \d+( \(item \d+\))?: /);
          expect(await fingerprint(db.sql)).toEqual(before);
        }
      }),
      200,
    );
    expect(await checkConsistency(db.sql)).toEqual([]);
  }, 120_000);
});

// ---------------------------------------------------------------------------------------------------------------
// The command line, as real processes.

/** Every command and subcommand that only reads or writes the database (not serve, db start/stop, import-django). */
const COMMANDS = [
  ['regions', 'list'], ['regions', 'add'], ['regions', 'rename'], ['regions', 'rm'],
  ['departments', 'list'], ['departments', 'add'],
  ['units', 'list'], ['units', 'show'], ['units', 'add'], ['units', 'update'], ['units', 'rm'], ['units', 'import'],
  ['report-types', 'list'], ['report-types', 'show'], ['report-types', 'add'], ['report-types', 'update'], ['report-types', 'activate'], ['report-types', 'deactivate'],
  ['chats', 'list'], ['chats', 'show'], ['chats', 'add'], ['chats', 'update'], ['chats', 'rm'], ['chats', 'move'],
  ['roles', 'list'], ['roles', 'show'], ['roles', 'add'], ['roles', 'update'], ['roles', 'grant'], ['roles', 'revoke'], ['roles', 'rotate-code'], ['roles', 'rm'], ['roles', 'assign'], ['roles', 'unassign'],
  ['routes', 'list'], ['routes', 'add'], ['routes', 'rm'], ['routes', 'chats'], ['routes', 'units'],
  ['import'], ['export'], ['log'], ['db', 'status'], ['migrate'], ['init'],
  ['regionz'], ['units', 'frobnicate'], [],
];
const FLAGS = [
  '--name', '--id', '--region', '--regions', '--unit', '--units', '--uuid', '--chat', '--chat-id', '--title', '--username', '--type',
  '--report', '--report-types', '--role', '--access-code', '--as', '--limit', '--offset', '--all', '--json', '--yes', '--dry-run',
  '--verbose-name', '--parent', '--priority', '--department', '--since', '--entity', '--no-input', '--quiet', '--no-color',
  '--statistics', '--inactive', '--search', '--create-regions', '--help', '-h', '-V', '--', '-', '--bogus', '--name=x', '-q', '-y',
];
const argValue = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom('1', '2', '-100', 'North', 'Unit 1', 'CANCELED_ORDERS', 'All', UUID(9), 'code one', 'GROUP', '0', '') },
  { weight: 2, arbitrary: fc.constantFrom(...INTEGER_EDGES, ...NOT_QUITE_INTEGERS.filter((s) => !s.includes('\u0000'))) },
  { weight: 3, arbitrary: fc.constantFrom(...INJECTIONS) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 20 }) },
);
const argv = fc
  .tuple(fc.constantFrom(...COMMANDS), fc.array(fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...FLAGS) }, { weight: 4, arbitrary: argValue }), { maxLength: 7 }))
  .map(([command, rest]) => [...command, ...rest]);

describe('the command line', () => {
  it('generated argv: exit 0-3, one-line messages, never a stack trace, an unexpected or a database error', async () => {
    const samples = fc.sample(argv, 150);
    // Files for `import` and `units import`: a valid bundle, a broken one, a CSV.
    fs.writeFileSync(path.join(dir, 'b.json'), JSON.stringify({ format: 'urdb-bundle/1', regions: [{ id: 9, name: 'Fuzz' }] }));
    fs.writeFileSync(path.join(dir, 'bad.json'), '{"format": "urdb-bundle/1", "regions": [1]');
    fs.writeFileSync(path.join(dir, 'u.csv'), 'id;name\n1;"Unit ""1"""\n');
    const files = ['b.json', 'bad.json', 'u.csv'].map((f) => path.join(dir, f));
    const withFiles = samples.map((a, k) => (a[0] === 'import' || a[1] === 'import' ? [...a.slice(0, a[0] === 'import' ? 1 : 2), files[k % 3]!, ...a.slice(a[0] === 'import' ? 1 : 2)] : a));
    const failures: string[] = [];
    let next = 0;
    const worker = async () => {
      while (next < withFiles.length) {
        const args = withFiles[next++]!;
        count('command lines run');
        const r = await urdb(['--no-input', ...args], { url: db.url, timeoutMs: 30_000 });
        const where = JSON.stringify(args);
        if (r.code === null || ![0, 1, 2, 3].includes(r.code)) failures.push(`${where}: exit ${r.code ?? r.signal}\n${r.stderr}`);
        // (The help's legend of exit codes says "database error": only messages count, and they start with "urdb:".)
        if (/^\s+at .*(?:\(.*:\d+:\d+\)|file:|node:)|^urdb: .*(?:unexpected error|database error|SQLSTATE)/m.test(r.stderr)) failures.push(`${where}: ${r.stderr}`);
        if (r.code !== 0) {
          const lines = r.stderr.split('\n').filter((l) => l !== '');
          // A message line; a bundle's problems are indented below it; a parser error adds the command's usage.
          const message = lines.filter((l) => !/^ {2}\S|^usage: urdb .* \(see `urdb .*--help`\)$/.test(l));
          if (message.length !== 1 && !/^Usage: /m.test(r.stderr)) failures.push(`${where}: ${message.length} message lines:\n${r.stderr}`);
          const leak = leaks(r.stderr, ...args);
          if (leak) failures.push(`${where}: ${leak} in ${r.stderr}`);
        }
      }
    };
    await Promise.all([worker(), worker(), worker()]);
    expect(failures).toEqual([]);
    expect(await checkConsistency(db.sql)).toEqual([]);
  }, 120_000);
});
