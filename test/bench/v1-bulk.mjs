// Times the admin API's bulk POSTs over a real `urdb serve` (not a test: no timing is asserted): 50,000 units
// inserted, the same 50,000 updated, 2,000 chats, then 200,000 routes, each one request and one transaction.
// `npm run bundle && node test/bench/v1-bulk.mjs`. Environment: URDB_BENCH_SERVER_URL (a maintenance database,
// default postgres://postgres@127.0.0.1:5432/postgres); the database urdb_v1_bench is created and dropped.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { benchDatabases } from './data.mjs';
import { cleanEnv, freePort, NODE, run, startServer, URDB } from './proc.mjs';

const SERVER_URL = process.env.URDB_BENCH_SERVER_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
const DB = 'urdb_v1_bench';
const UNITS = 50_000;
const CHATS = 2_000;
const ROUTE_UNITS = 100; // × CHATS = 200,000 routes
const uuid = (n) => `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;

async function post(base, path, body) {
  const text = JSON.stringify(body);
  const started = performance.now();
  const res = await fetch(`${base}/api/v1/${path}/`, {
    method: 'POST',
    headers: { authorization: 'Bearer bench-admin-secret', 'content-type': 'application/json' },
    body: text,
  });
  const answer = await res.text();
  const ms = performance.now() - started;
  if (res.status !== 201) throw new Error(`POST ${path}: ${res.status} ${answer.slice(0, 300)}`);
  return { ms: Math.round(ms), mib: +(Buffer.byteLength(text) / 1048576).toFixed(1), answer: JSON.parse(answer) };
}

async function main() {
  const dbs = benchDatabases(SERVER_URL);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'urdb-v1-bench-'));
  const tokens = path.join(tmp, 'tokens');
  fs.writeFileSync(tokens, 'bench bench-admin-secret admin\n', { mode: 0o600 });
  let server;
  try {
    await dbs.create(DB);
    const env = { DATABASE_URL: dbs.url(DB) };
    run(NODE, [URDB, 'init'], { env: cleanEnv(env) });
    const port = await freePort();
    server = await startServer({
      args: [URDB, 'serve', '--port', String(port), '--tokens-file', tokens],
      env,
      port,
      readyPath: '/readyz',
      logFile: path.join(tmp, 'serve.log'),
    });
    const units = Array.from({ length: UNITS }, (_, i) => ({ id: i + 1, name: `Unit ${i + 1}`, uuid: uuid(i + 1), region: `Region ${i % 100}` }));
    const results = {};
    results.units_insert = await post(server.base, 'units', units);
    results.units_update = await post(server.base, 'units', units.map((u) => ({ ...u, office_manager_account_name: `om${u.id}` })));
    const chats = Array.from({ length: CHATS }, (_, i) => ({ chat_id: -1000000000000 - i, type: 'GROUP', title: `Chat ${i}` }));
    results.chats_insert = await post(server.base, 'telegram-chats', chats);
    const routes = chats.flatMap((c) => Array.from({ length: ROUTE_UNITS }, (_, u) => ({ report_type: 'CANCELED_ORDERS', chat_id: c.chat_id, unit_id: u + 1 })));
    results.routes_insert = await post(server.base, 'report-routes', routes);
    for (const [name, r] of Object.entries(results)) console.log(`${name.padEnd(14)} ${String(r.ms).padStart(6)} ms  ${String(r.mib).padStart(5)} MiB  ${JSON.stringify(r.answer)}`);
  } finally {
    await server?.stop();
    await dbs.dropAll();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

await main();
