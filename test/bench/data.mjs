/**
 * The bench's data: databases on the local server (created here, dropped at the end), the bundle that `urdb import`
 * loads, and the same rows as CSV files for `psql \copy`.
 */
import { transformSync } from 'esbuild';
import fs from 'node:fs';
import path from 'node:path';
import postgres from 'postgres';
import { ROOT, run } from './proc.mjs';

export const SHAPE = { regions: 60, units: 1000, chats: 5000, types: 40, seed: 42 };
/** The chat that `urdb routes add` routes every unit to, with a report type the load never asks for. */
export const ADD_TARGET = { chat_id: 777000001, report_type_id: 7 };

export function databaseUrl(serverUrl, database) {
  return serverUrl.replace(/^(postgres(?:ql)?:\/\/[^/]*)\/[^?]*/, `$1/${database}`);
}

/** The real psql binary: $URDB_BENCH_PSQL, else the newest /usr/lib/postgresql/N/bin/psql, else psql on PATH. */
export function findPsql() {
  if (process.env.URDB_BENCH_PSQL) return process.env.URDB_BENCH_PSQL;
  const base = '/usr/lib/postgresql';
  const versions = fs.existsSync(base) ? fs.readdirSync(base).filter((v) => /^\d+$/.test(v)).sort((a, b) => b - a) : [];
  for (const v of versions) if (fs.existsSync(`${base}/${v}/bin/psql`)) return `${base}/${v}/bin/psql`;
  return 'psql';
}

export function psql(bin, url, args, opts = {}) {
  return run(bin, ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', url, ...args], opts);
}

/** The bench's databases on the local server: created empty or as copies of a template, all dropped at the end. */
export function benchDatabases(serverUrl) {
  const made = new Set();
  const admin = async (fn) => {
    const sql = postgres(serverUrl, { max: 1, onnotice: () => {} });
    try {
      await fn(sql);
    } finally {
      await sql.end();
    }
  };
  return {
    url: (name) => databaseUrl(serverUrl, name),
    /** (Re)creates a database, empty or as a copy of `template`; one left by an interrupted run is dropped first. */
    async create(name, template = null) {
      made.add(name);
      await admin(async (sql) => {
        await sql.unsafe(`drop database if exists ${name} with (force)`);
        await sql.unsafe(`create database ${name}${template ? ` template ${template}` : ''}`);
      });
    },
    async dropAll() {
      await admin(async (sql) => {
        for (const name of made) await sql.unsafe(`drop database if exists ${name} with (force)`);
      });
    },
  };
}

/** The tests' generator (test/support/bundles.ts), so that the bench and the tests share one data shape. */
async function generatedBundle(shape) {
  const source = fs.readFileSync(path.join(ROOT, 'test/support/bundles.ts'), 'utf8');
  const { code } = transformSync(source, { loader: 'ts', format: 'esm' });
  const mod = await import('data:text/javascript,' + encodeURIComponent(code));
  return mod.generatedBundle(shape);
}

/** Writes the bench's bundle; returns its path and what it holds. */
export async function writeBundle(dir, shape = SHAPE) {
  const bundle = await generatedBundle(shape);
  bundle.telegram_chats.push({ chat_id: ADD_TARGET.chat_id, type: 'PRIVATE', title: 'bench: routes add', username: null });
  const file = path.join(dir, `bundle-${shape.units}.json`);
  fs.writeFileSync(file, JSON.stringify(bundle));
  return {
    file,
    bytes: fs.statSync(file).size,
    regions: bundle.regions.length,
    units: bundle.units.length,
    report_types: bundle.report_types.length,
    chats: bundle.telegram_chats.length,
    routes: bundle.report_routes.reduce((n, r) => n + r.unit_ids.length, 0),
  };
}

/** The ids the load draws from, read back from the imported database. */
export async function loadIds(url) {
  const sql = postgres(url, { max: 1, connection: { search_path: 'urdb' } });
  try {
    const units = (await sql`select id from unit order by id`).map((r) => r.id);
    const types = (await sql`select id from report_type where name like 'BENCH_TYPE_%' order by id`).map((r) => r.id);
    const subscriptions = (
      await sql`
        select distinct c.chat_id, r.report_type_id
        from report_route r join telegram_chat c on c.id = r.telegram_chat_id
        order by 1, 2
      `
    ).map((r) => [Number(r.chat_id), r.report_type_id]);
    // The CLI's lookup: the middle unit and its most subscribed type.
    const [example] = await sql`
      select unit_id as unit, report_type_id as type from report_route
      where unit_id = ${units[units.length >> 1]}
      group by 1, 2 order by count(*) desc, 2 limit 1
    `;
    const [target] = await sql`select id from telegram_chat where chat_id = ${ADD_TARGET.chat_id}`;
    return { units, types, subscriptions, example, addTargetInternalId: target.id };
  } finally {
    await sql.end();
  }
}

// What `\copy` loads: the rows the bundle holds, table by table in foreign-key order (the seeded report types are in
// the template already). Whole rows: both databases have the same columns in the same order.
const COPIED = {
  region: 'select * from urdb.region',
  unit: 'select * from urdb.unit',
  report_type: "select * from urdb.report_type where name like 'BENCH_TYPE_%'",
  telegram_chat: 'select * from urdb.telegram_chat',
  report_route: 'select * from urdb.report_route',
};

/** Dumps the imported rows as CSV files and writes the psql script that `\copy`s them in. */
export function prepareCopy(bin, fromUrl, dir) {
  const lines = Object.entries(COPIED).map(([table, query]) => {
    const file = path.join(dir, `${table}.csv`);
    psql(bin, fromUrl, ['-c', `\\copy (${query}) to '${file}' csv`]);
    return `\\copy urdb.${table} from '${file}' csv`;
  });
  const script = path.join(dir, 'copy-bundle.sql');
  fs.writeFileSync(script, lines.join('\n') + '\n');
  return script;
}

/** The 1,000 rows `urdb routes add` writes, as a CSV file and a `\copy` script. */
export function prepareAddCopy(dir, unitIds, chatInternalId) {
  const file = path.join(dir, 'routes-add.csv');
  fs.writeFileSync(file, unitIds.map((u) => `${u},${ADD_TARGET.report_type_id},${chatInternalId}\n`).join(''));
  const script = path.join(dir, 'copy-routes-add.sql');
  fs.writeFileSync(script, `\\copy urdb.report_route (unit_id, report_type_id, telegram_chat_id) from '${file}' csv\n`);
  return script;
}
