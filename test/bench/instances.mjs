/**
 * How long a route change takes to reach every urdb serve instance (issue 12 §2): three instances on one database
 * (the third with --workers 2), each with its route cache on. 1,000 writes, alternating raw SQL and POST/DELETE
 * through the first instance; after each, every instance is polled until its lookup shows the change. The delay of
 * a write is its slowest instance's, from the moment the write returned (commit) to the first correct answer.
 *
 *   npm run bundle && node test/bench/instances.mjs <postgres URL of a server> [writes] [pooled URL of the same server]
 * With a pooled URL (PgBouncer) the instances use it for queries and the direct URL for their listeners.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import { databaseUrl } from './data.mjs';
import { cleanEnv, freePort, run, startServer, URDB } from './proc.mjs';

const [serverUrl, writesArg = '1000', pooledServerUrl] = process.argv.slice(2);
if (!serverUrl) {
  console.error('usage: node test/bench/instances.mjs <postgres URL> [writes] [PgBouncer URL]');
  process.exit(2);
}
const WRITES = Number(writesArg);
const name = `urdb_bench_inst_${process.pid}`;
const direct = databaseUrl(serverUrl, name);
const queries = pooledServerUrl ? databaseUrl(pooledServerUrl, name) : direct;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'urdb-bench-inst-'));
const admin = postgres(serverUrl, { max: 1, onnotice: () => {} });
await admin.unsafe(`create database ${name}`);
const servers = [];
const sql = postgres(direct, { max: 2, onnotice: () => {}, connection: { search_path: 'urdb' } });
try {
  run(process.execPath, [URDB, 'migrate'], { env: cleanEnv({ DATABASE_URL: direct }) });
  run(process.execPath, [URDB, 'init', 'report-types'], { env: cleanEnv({ DATABASE_URL: direct }) });
  await sql.unsafe(`
    insert into region (id, name) values (1, 'R');
    insert into unit (id, name, uuid, region_id) values (1, 'U1', gen_random_uuid(), 1);
    insert into role (id, name, access_code_sha256) values (1, 'all', encode(sha256('c'), 'hex'));
    insert into role_unit (role_id, unit_id) values (1, 1);
    insert into role_report_type (role_id, report_type_id) values (1, 7);
    insert into telegram_chat (chat_id, type, title, role_id) values (-100, 'GROUP', 'ops', 1);
  `);
  for (const workers of ['1', '1', '2']) {
    const port = await freePort();
    servers.push(
      await startServer({
        args: [URDB, 'serve', '--port', String(port), '--workers', workers],
        env: { DATABASE_URL: queries, URDB_LISTEN_URL: direct },
        port,
        readyPath: '/readyz',
        logFile: path.join(tmp, `serve-${port}.log`),
      }),
    );
  }
  const lookup = async (base) => {
    const res = await fetch(`${base}/report-routes/telegram-chats/?unit_id=1&report_type_id=7`);
    return (await res.json()).chat_ids.length;
  };
  const viaHttp = async (add) => {
    const res = add
      ? await fetch(`${servers[0].base}/report-routes/`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ report_type_id: 7, chat_id: -100, unit_ids: [1] }),
        })
      : await fetch(`${servers[0].base}/report-routes/?chat_id=-100&report_type_id=7&unit_ids=1`, { method: 'DELETE' });
    if (res.status !== (add ? 201 : 204)) throw new Error(`write answered ${res.status}`);
  };
  const viaSql = (add) =>
    add
      ? sql`insert into report_route select 1, 7, id from telegram_chat where chat_id = -100`
      : sql`delete from report_route where unit_id = 1`;
  const delays = [];
  for (let i = 0; i < WRITES; i++) {
    const add = i % 2 === 0;
    // Every instance holds the current answer in its cache before the write.
    for (const s of servers) for (let k = 0; k < 3; k++) await lookup(s.base);
    await (i % 4 < 2 ? viaSql(add) : viaHttp(add));
    const t0 = performance.now();
    const seen = await Promise.all(
      servers.map(async (s) => {
        for (let tries = 0; ; tries++) {
          if ((await lookup(s.base)) === (add ? 1 : 0)) return performance.now() - t0;
          if (tries > 10_000) throw new Error(`instance ${s.base} never saw write ${i}`);
        }
      }),
    );
    delays.push(Math.max(...seen));
  }
  delays.sort((a, b) => a - b);
  const at = (p) => delays[Math.min(delays.length - 1, Math.floor(delays.length * p))].toFixed(1);
  console.log(
    JSON.stringify({ writes: WRITES, instances: '3 (1 + 1 + --workers 2)', pooled: Boolean(pooledServerUrl), p50_ms: at(0.5), p99_ms: at(0.99), max_ms: delays.at(-1).toFixed(1) }),
  );
} finally {
  await Promise.all(servers.map((s) => s.stop()));
  await sql.end();
  await admin.unsafe(`drop database if exists ${name} with (force)`);
  await admin.end();
  fs.rmSync(tmp, { recursive: true, force: true });
}
