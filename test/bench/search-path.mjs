/**
 * What naming urdb's schema costs on the hot-path query behind a transaction-mode PgBouncer (issue 12 §1), four ways:
 *   direct      straight to PostgreSQL, search_path as a startup parameter (the baseline; impossible through PgBouncer)
 *   qualified   through PgBouncer, the query names urdb.report_route / urdb.telegram_chat (one statement)
 *   begin       through PgBouncer, begin; [set_config('search_path', …, true), query]; commit — what src/db/pooled.ts does
 *   pipelined   through PgBouncer, begin, set_config, query, commit pipelined on a reserved connection (one round trip)
 * Each runs the same lookups (random unit, report type) at a fixed concurrency for a fixed time.
 *
 *   node test/bench/search-path.mjs <direct postgres URL> <PgBouncer URL of the same server> [seconds] [concurrency]
 * The database named in the URLs is created (and dropped at the end); the URLs' database part is replaced.
 */
import postgres from 'postgres';
import { databaseUrl } from './data.mjs';
import { run, URDB, cleanEnv } from './proc.mjs';

const [directUrl, pooledUrl, seconds = '5', concurrency = '10'] = process.argv.slice(2);
if (!directUrl || !pooledUrl) {
  console.error('usage: node test/bench/search-path.mjs <direct URL> <PgBouncer URL> [seconds] [concurrency]');
  process.exit(2);
}
const name = `urdb_bench_sp_${process.pid}`;
const direct = databaseUrl(directUrl, name);
const pooled = databaseUrl(pooledUrl, name);
const admin = postgres(directUrl, { max: 1, onnotice: () => {} });
await admin.unsafe(`create database ${name}`);
try {
  run(process.execPath, [URDB, 'migrate'], { env: cleanEnv({ DATABASE_URL: direct }) });
  const seed = postgres(direct, { max: 1, onnotice: () => {}, connection: { search_path: 'urdb' } });
  await seed.unsafe(`
    insert into region (name) values ('r');
    insert into unit (id, name, uuid, region_id) select g, 'u' || g, gen_random_uuid(), 1 from generate_series(1, 1000) g;
    insert into report_type (name, verbose_name) select 't' || g, 't' || g from generate_series(1, 10) g;
    insert into telegram_chat (chat_id, type, title) select -g, 'GROUP', 'c' || g from generate_series(1, 2000) g;
    insert into report_route select u, t, 1 + (u * 7 + t * 13 + k) % 2000 from generate_series(1, 1000) u, generate_series(1, 10) t, generate_series(1, 3) k;
  `);
  await seed.end();

  const lookup = (sql, schema) => (u, t) =>
    sql`
      select c.chat_id from ${schema ? sql(schema) : sql.unsafe('')}${schema ? sql.unsafe('.') : sql.unsafe('')}report_route r
      join ${schema ? sql(schema) : sql.unsafe('')}${schema ? sql.unsafe('.') : sql.unsafe('')}telegram_chat c on c.id = r.telegram_chat_id
      where r.unit_id = ${u} and r.report_type_id = ${t} order by c.chat_id limit ${101} offset ${0}
    `;
  const opts = { max: Number(concurrency), prepare: false, fetch_types: false, onnotice: () => {} };
  const variants = {
    direct: () => {
      const sql = postgres(direct, { ...opts, prepare: true, connection: { search_path: 'urdb' } });
      return { sql, q: lookup(sql, null) };
    },
    qualified: () => {
      const sql = postgres(pooled, opts);
      return { sql, q: lookup(sql, 'urdb') };
    },
    begin: () => {
      const sql = postgres(pooled, opts);
      return {
        sql,
        q: (u, t) => sql.begin((tx) => [tx`select set_config('search_path', ${'urdb'}, true)`, lookup(tx, null)(u, t)]).then((r) => r[1]),
      };
    },
    pipelined: () => {
      // fetch_types on here: postgres.js 3.4 never resolves a reserve() that opens a connection with it off.
      const sql = postgres(pooled, { ...opts, fetch_types: true });
      return {
        sql,
        q: async (u, t) => {
          const r = await sql.reserve();
          try {
            const out = await Promise.all([r`begin`, r`select set_config('search_path', ${'urdb'}, true)`, lookup(r, null)(u, t), r`commit`]);
            return out[2];
          } finally {
            r.release();
          }
        },
      };
    },
  };
  const results = {};
  for (const [label, make] of Object.entries(variants)) {
    const { sql, q } = make();
    let rng = 42;
    const next = () => ((rng = (rng * 1103515245 + 12345) & 0x7fffffff), rng);
    const latencies = [];
    const until = Date.now() + Number(seconds) * 1000;
    const worker = async () => {
      while (Date.now() < until) {
        const started = process.hrtime.bigint();
        const rows = await q(1 + (next() % 1000), 1 + (next() % 10));
        if (rows.length !== 3) throw new Error(`${label}: expected 3 chats, got ${rows.length}`);
        latencies.push(Number(process.hrtime.bigint() - started) / 1e6);
      }
    };
    await Promise.all(Array.from({ length: 20 }, () => q(1, 1))); // warm the connections
    await Promise.all(Array.from({ length: Number(concurrency) }, worker));
    await sql.end();
    latencies.sort((a, b) => a - b);
    const at = (p) => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))].toFixed(2);
    results[label] = { per_s: Math.round(latencies.length / Number(seconds)), p50_ms: at(0.5), p99_ms: at(0.99) };
  }
  console.table(results);
} finally {
  await admin.unsafe(`drop database if exists ${name} with (force)`);
  await admin.end();
}
