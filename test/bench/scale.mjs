/**
 * How the hot path and the CLI grow with the data: the miss query's plan (one index scan, whatever the size), and,
 * with URDB_BENCH_SCALE=1, the hot path (cache hits) and `urdb routes chats` on a data set ×10 (10,000 units, ~2M
 * routes) next to the bench's own.
 */
import path from 'node:path';
import { loadIds, psql, SHAPE, writeBundle } from './data.mjs';
import { measureWrk } from './http.mjs';
import { cleanEnv, freePort, NODE, run, startServer, timeCommands, URDB } from './proc.mjs';
import { ENDPOINTS } from './requests.mjs';

const SCALE_DB = 'urdb_bench_scale';

/** `explain analyze` of the query a cache miss runs (src/handlers/routes.ts, chatsOf, as the cache fills: no limit). */
export function missQuery(psqlBin, url, { unit, type }) {
  const query = `select c.chat_id from urdb.report_route r join urdb.telegram_chat c on c.id = r.telegram_chat_id
    where r.unit_id = ${unit} and r.report_type_id = ${type} order by c.chat_id limit null offset 0`;
  return psql(psqlBin, url, ['-X', '-At', '-c', `explain (analyze, costs off, timing off, summary off) ${query}`]).stdout.trim().split('\n');
}

export async function measureScale({ dbs, tmp, psql: psqlBin, wrk, seconds, warmup, log, template }) {
  const shape = { ...SHAPE, units: SHAPE.units * 10, chats: SHAPE.chats * 10 };
  const bundle = await writeBundle(tmp, shape);
  await dbs.create(SCALE_DB, template);
  const url = dbs.url(SCALE_DB);
  log(`scale: urdb import of ${bundle.routes} routes, ${bundle.units} units`);
  const imported = run(NODE, [URDB, 'import', bundle.file, '--yes'], { env: cleanEnv({ DATABASE_URL: url }) });
  psql(psqlBin, url, ['-c', 'vacuum analyze']);
  const ids = await loadIds(url);
  const out = { units: bundle.units, routes: bundle.routes, import_ms: imported.ms, miss_query: missQuery(psqlBin, url, ids.example) };
  const { unit, type } = ids.example;
  const chats = { cmd: NODE, args: [URDB, 'routes', 'chats', '--unit', String(unit), '--report', String(type)], opts: { env: cleanEnv({ DATABASE_URL: url }) } };
  out.cli = timeCommands({ urdb_routes_chats: chats }, 10).urdb_routes_chats;
  const port = await freePort();
  const server = await startServer({
    args: [URDB, 'serve', '--host', '127.0.0.1', '--port', String(port)],
    env: { DATABASE_URL: url },
    port,
    readyPath: `${ENDPOINTS.chats.path}?unit_id=${unit}&report_type_id=${type}`,
    logFile: path.join(tmp, 'scale.log'),
  });
  try {
    log(`scale: urdb ${ENDPOINTS.chats.path} at 64 connections`);
    // Twice the warm-up: ten times the keys to bring into the cache.
    out.chats = await measureWrk(wrk, { server, endpoint: 'chats', connections: 64, seconds, warmup: warmup * 2, ids, tmp });
  } finally {
    await server.stop();
  }
  return out;
}
