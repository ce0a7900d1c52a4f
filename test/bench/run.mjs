// `npm run bench`: loads a realistic data set through `urdb import`, then measures urdb against its baselines in one
// run (HTTP lookups, CLI start-up, writes, the embedded default), prints the tables and writes results/latest.json.
// Environment: URDB_BENCH_SECONDS (per load measurement, default 20), URDB_BENCH_WARMUP (default 3),
// URDB_BENCH_SERVER_URL (a maintenance database, default postgres://postgres@127.0.0.1:5432/postgres),
// URDB_BENCH_WORKERS (passed to `urdb serve --workers`), URDB_BENCH_PSQL (the psql binary), URDB_BENCH_ONLY (some of
// writes,cli,embedded,http,units: run only these parts; the import always runs), URDB_BENCH_CONNECTIONS (default 64;
// e.g. 8,64), URDB_BENCH_RANDOM_SECONDS (random-key lookups for the memory bound, default 60), URDB_BENCH_UNITS_SIZES
// (rows of the units import, default 10000,40000,160000), URDB_BENCH_SCALE=1 (also measure on a data set ×10: 10,000
// units, ~2M routes; its import alone takes minutes, so it is off by default), URDB_BENCH_WRK (the wrk binary).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  ADD_TARGET,
  benchDatabases,
  findPsql,
  loadIds,
  prepareAddCopy,
  prepareCopy,
  psql,
  writeBundle,
} from './data.mjs';
import { measureServers } from './http.mjs';
import { measureScale, missQuery } from './scale.mjs';
import { measureUnitsImport } from './units-import.mjs';
import { findWrk } from './wrk.mjs';
import { cleanEnv, median, NODE, oneLine, ROOT, run, timeCommands, URDB } from './proc.mjs';
import { evaluateTargets, report } from './report.mjs';

const HERE = path.dirname(new URL(import.meta.url).pathname);
const SECONDS = Number(process.env.URDB_BENCH_SECONDS) || 8;
// Long enough for urdb to fill its cache with every key the row asks for (20,000 paths, at the rate of misses).
const WARMUP = process.env.URDB_BENCH_WARMUP !== undefined ? Number(process.env.URDB_BENCH_WARMUP) : 5;
const SERVER_URL = process.env.URDB_BENCH_SERVER_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
const CONNECTIONS = (process.env.URDB_BENCH_CONNECTIONS || '64').split(',').map(Number);
const RANDOM_SECONDS = process.env.URDB_BENCH_RANDOM_SECONDS !== undefined ? Number(process.env.URDB_BENCH_RANDOM_SECONDS) : 60;
const UNITS_SIZES = (process.env.URDB_BENCH_UNITS_SIZES || '10000,40000,160000').split(',').map(Number);
const UNITS_DB = 'urdb_bench_units';
const CLI_RUNS = 20;
const EMBEDDED_RUNS = 10;
const WRITE_RUNS = 3;
const TEMPLATE = 'urdb_bench_template';
const DB = 'urdb_bench';
const COPY_DB = 'urdb_bench_copy';
const ONLY = new Set((process.env.URDB_BENCH_ONLY || 'writes,cli,embedded,http,units').split(','));

const started = Date.now();
const log = (line) => process.stderr.write(`[${((Date.now() - started) / 1000).toFixed(0).padStart(3)} s] ${line}\n`);

/** Runs one part of the bench; a failure is recorded in the results and the rest still runs. */
async function part(name, fn) {
  try {
    return await fn();
  } catch (err) {
    log(`${name} failed: ${err.message}`);
    return { error: oneLine(err.message) };
  }
}

const urdbEnv = (url) => cleanEnv(url ? { DATABASE_URL: url } : {});
const urdb = (args, url) => ({ cmd: NODE, args: [URDB, ...args], opts: { env: urdbEnv(url) } });

/** Whether this tree's urdb has a command: its help names it (for an unknown one, commander prints the top help). */
function hasCommand(...words) {
  const help = run(NODE, [URDB, ...words, '--help'], { allowFailure: true }).stdout ?? '';
  return help.startsWith(`Usage: urdb ${words.join(' ')} `);
}

function machine(psqlBin, benchUrl) {
  const cpu = /model name\s*:\s*(.*)/.exec(fs.readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? os.cpus()[0]?.model;
  const version = (cmd, args) => run(cmd, args, { allowFailure: true }).stdout?.trim() || null;
  return {
    cpu,
    cores: os.availableParallelism(),
    memory_gib: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    kernel: `${os.type()} ${os.release()}`,
    node: process.version,
    postgresql: version(psqlBin, ['-X', '-At', '-d', benchUrl, '-c', 'show server_version']),
    psql: version(psqlBin, ['--version']),
    wrk: null,
    autocannon: JSON.parse(fs.readFileSync(path.join(ROOT, 'node_modules/autocannon/package.json'), 'utf8')).version,
    commit: version('git', ['-C', ROOT, 'rev-parse', '--short', 'HEAD']),
    load_average_at_start: os.loadavg()[0],
  };
}

/**
 * `\copy` of the rows the bundle holds, WRITE_RUNS times, each into a fresh copy of the template (same schema,
 * indexes, foreign keys and triggers as urdb's); then `urdb routes add` of 1,000 units vs `\copy` of those rows.
 */
async function measureWrites(ctx) {
  const script = prepareCopy(ctx.psql, ctx.url, ctx.tmp);
  const copies = [];
  for (let i = 1; i <= WRITE_RUNS; i++) {
    await ctx.dbs.create(COPY_DB, TEMPLATE);
    log(`psql \\copy of the same rows (${i}/${WRITE_RUNS})`);
    copies.push(psql(ctx.psql, ctx.copyUrl, ['-1', '-f', script]).ms);
  }
  const writes = { copy_ms: median(copies), copy_runs_ms: copies };
  const { units, addTargetInternalId } = ctx.ids;
  writes.copy_add_ms = psql(ctx.psql, ctx.copyUrl, ['-1', '-f', prepareAddCopy(ctx.tmp, units, addTargetInternalId)]).ms;
  if (ctx.available.routes_add) {
    log(`urdb routes add of ${units.length} units`);
    const args = ['routes', 'add', '--chat', String(ADD_TARGET.chat_id), '--report', String(ADD_TARGET.report_type_id), '--units', units.join(',')];
    const added = run(NODE, [URDB, ...args], { env: urdbEnv(ctx.url), allowFailure: true });
    if (added.status === 0) writes.routes_add_ms = added.ms;
    else writes.routes_add_error = oneLine(`exit ${added.status}: ${added.stderr}`);
  }
  return writes;
}

/** Whole-process times: the CLI lookup vs psql, `urdb --version` vs `node -e 0`, and where the lookup's time goes. */
function measureCli(ctx) {
  const { unit, type } = ctx.ids.example;
  const query = `select c.chat_id from urdb.report_route r join urdb.telegram_chat c on c.id = r.telegram_chat_id
    where r.unit_id = ${unit} and r.report_type_id = ${type} order by c.chat_id limit 101`;
  const commands = {
    node_e0: { cmd: NODE, args: ['-e', '0'], opts: { env: cleanEnv() } },
    urdb_version: urdb(['--version']),
    urdb_help: urdb(['--help']),
    node_postgres_lookup: { cmd: NODE, args: [path.join(HERE, 'lookup-floor.mjs'), String(unit), String(type)], opts: { env: cleanEnv({ DATABASE_URL: ctx.url }) } },
    psql_c: { cmd: ctx.psql, args: ['-X', '-At', '-d', ctx.url, '-c', query], opts: { env: cleanEnv() } },
  };
  if (ctx.available.routes_chats) commands.urdb_routes_chats = urdb(['routes', 'chats', '--unit', String(unit), '--report', String(type)], ctx.url);
  log(`CLI start-up: ${Object.keys(commands).join(', ')} (${CLI_RUNS} runs each)`);
  const times = timeCommands(commands, CLI_RUNS);
  const expected = run(commands.psql_c.cmd, commands.psql_c.args, commands.psql_c.opts).stdout;
  const out = { lookup: { unit_id: unit, report_type_id: type, chats: expected.trim().split('\n').filter(Boolean).length }, ...times };
  if (ctx.available.routes_chats && !out.urdb_routes_chats.error) {
    const c = commands.urdb_routes_chats;
    out.urdb_routes_chats.same_output_as_psql = run(c.cmd, c.args, c.opts).stdout === expected;
    out.urdb_routes_chats.phases = phases(c.args.slice(1), c.opts.env, CLI_RUNS);
  }
  return out;
}

/** Where a urdb command's time goes (cli-phases.mjs): the median of each phase over `times` runs. */
function phases(args, env, times) {
  const file = path.join(os.tmpdir(), `urdb-bench-phases-${process.pid}.json`);
  const runs = Array.from({ length: times }, () => {
    run(NODE, [path.join(HERE, 'cli-phases.mjs'), ...args], { env: { ...env, URDB_BENCH_PHASES: file } });
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  });
  fs.rmSync(file);
  return Object.fromEntries(Object.keys(runs[0]).map((k) => [k, median(runs.map((r) => r[k]))]));
}

/** `urdb units list` on the embedded default in a fresh URDB_HOME: the first run creates the cluster. */
function measureEmbedded() {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'urdb-bench-home-'));
  fs.chmodSync(home, 0o755); // as root, the server runs as an unprivileged user that must enter it
  const env = cleanEnv({ URDB_HOME: home });
  try {
    log('embedded default: first `urdb units list` (creates the cluster)');
    const first = run(NODE, [URDB, 'units', 'list'], { env });
    log(`embedded default: \`urdb units list\` × ${EMBEDDED_RUNS}`);
    const { units_list } = timeCommands({ units_list: { cmd: NODE, args: [URDB, 'units', 'list'], opts: { env } } }, EMBEDDED_RUNS);
    return { first_run_ms: first.ms, ...units_list, phases: phases(['units', 'list'], env, EMBEDDED_RUNS) };
  } finally {
    run(NODE, [URDB, 'db', 'stop', '--force'], { env, allowFailure: true });
    fs.rmSync(home, { recursive: true, force: true });
  }
}

async function main() {
  const psqlBin = findPsql();
  const dbs = benchDatabases(SERVER_URL);
  const url = dbs.url(DB);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'urdb-bench-'));
  const results = { started_at: new Date().toISOString() };
  log(`databases ${TEMPLATE}, ${DB} and ${COPY_DB} on ${SERVER_URL.replace(/\/[^/]*$/, '')}`);
  try {
    await dbs.create(TEMPLATE);
    run(NODE, [URDB, 'init'], { env: urdbEnv(dbs.url(TEMPLATE)) });
    results.machine = machine(psqlBin, dbs.url(TEMPLATE));
    results.config = {
      seconds: SECONDS,
      warmup: WARMUP,
      connections: CONNECTIONS,
      cli_runs: CLI_RUNS,
      embedded_runs: EMBEDDED_RUNS,
      write_runs: WRITE_RUNS,
      workers: process.env.URDB_BENCH_WORKERS ?? null,
      random_seconds: RANDOM_SECONDS,
      units_sizes: UNITS_SIZES,
      psql: psqlBin,
    };
    results.available = { serve: hasCommand('serve'), routes_chats: hasCommand('routes', 'chats'), routes_add: hasCommand('routes', 'add') };
    log(`urdb commands in this tree: ${Object.entries(results.available).map(([k, v]) => `${k.replace('_', ' ')} ${v ? 'yes' : 'no'}`).join(', ')}`);
    const bundle = await writeBundle(tmp);
    results.data = { ...bundle, file: undefined };

    // The data everything else reads: the last of these imports stays.
    const imports = [];
    for (let i = 1; i <= (ONLY.has('writes') ? WRITE_RUNS : 1); i++) {
      await dbs.create(DB, TEMPLATE);
      log(`urdb import of ${bundle.routes} routes (${i})`);
      imports.push(run(NODE, [URDB, 'import', bundle.file, '--yes'], { env: urdbEnv(url) }).ms);
    }
    // A live database has statistics and a visibility map; give the lookups the plans they would have there.
    psql(psqlBin, url, ['-c', 'vacuum analyze']);
    const ids = await loadIds(url);
    results.miss_query = missQuery(psqlBin, url, ids.example);
    const ctx = { dbs, url, copyUrl: dbs.url(COPY_DB), tmp, ids, psql: psqlBin, available: results.available, idsFile: path.join(tmp, 'ids.json') };
    fs.writeFileSync(ctx.idsFile, JSON.stringify(ids));

    results.writes = { import_ms: median(imports), import_runs_ms: imports };
    if (ONLY.has('writes')) Object.assign(results.writes, await part('writes', () => measureWrites(ctx)));
    if (ONLY.has('cli')) results.cli = await part('CLI', () => measureCli(ctx));
    if (ONLY.has('embedded')) results.embedded = await part('embedded', () => measureEmbedded());
    if (ONLY.has('units')) {
      results.units_import = await part('units import', () =>
        measureUnitsImport({ dbs, db: UNITS_DB, template: TEMPLATE, psqlBin, tmp, sizes: UNITS_SIZES, log }),
      );
    }
    if (ONLY.has('http')) {
      const generator = findWrk(log);
      results.machine.wrk = generator.version ?? null;
      if (!generator.bin) log(`WARNING: ${generator.why}; falling back to autocannon, which saturates its own core first`);
      results.config.generator = generator.bin ? 'wrk' : 'autocannon';
      const http = { seconds: SECONDS, warmup: WARMUP, connections: CONNECTIONS, workers: process.env.URDB_BENCH_WORKERS, log };
      Object.assign(results, await measureServers({ ...ctx, ...http, serve: results.available.serve, wrk: generator.bin, randomSeconds: RANDOM_SECONDS }));
      if (process.env.URDB_BENCH_SCALE === '1' && generator.bin) {
        results.scale = await part('scale', () => measureScale({ ...ctx, ...http, wrk: generator.bin, template: TEMPLATE }));
      }
    }
  } finally {
    await dbs.dropAll().catch((err) => log(`could not drop the databases: ${err.message}`));
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  results.machine.load_average_at_end = os.loadavg()[0];
  results.elapsed_s = Math.round((Date.now() - started) / 1000);
  results.targets = evaluateTargets(results);
  const file = path.join(HERE, 'results', 'latest.json');
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const rounded = (_key, v) => (typeof v === 'number' && !Number.isInteger(v) ? Math.round(v * 100) / 100 : v);
  fs.writeFileSync(file, JSON.stringify(results, rounded, 2) + '\n');
  process.stdout.write(report(results));
  log(`done in ${results.elapsed_s} s; results in ${path.relative(process.cwd(), file)}`);
}

await main();
