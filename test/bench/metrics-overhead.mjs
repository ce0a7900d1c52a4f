// What the metrics cost the hot path (issue 12 §3). Two servers in one process on the same pool and cache, one with
// the metrics hook and one without, loaded in turn by wrk (-t1 -c64, ROUNDS × SECONDS each) with the hot-path lookup;
// prints each round's req/s and server CPU per request (process.cpuUsage over the run), the medians, and the hook's
// own cost in a tight loop next to prom-client's Counter + Histogram label children doing the same job.
// Usage: DATABASE_URL=… [ROUNDS=6 SECONDS=5 UNIT=1 TYPE=7] node test/bench/metrics-overhead.mjs
import { build } from 'esbuild';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const out = path.join(os.tmpdir(), `urdb-metrics-overhead-${process.pid}.cjs`);
await build({
  stdin: {
    contents: `
      export { createApi } from './src/http/api';
      export { startServer } from './src/http/server';
      export { ServerMetrics } from './src/http/metrics';
      export { RouteLookupCache } from './src/cache/route-lookup';
      export { createClient } from './src/db/client';
      export { Counter, Histogram, Registry } from 'prom-client';`,
    resolveDir: root,
    loader: 'ts',
  },
  bundle: true,
  platform: 'node',
  format: 'cjs',
  outfile: out,
  logLevel: 'error',
});
const u = await import(pathToFileURL(out).href);
const { ROUNDS = '6', SECONDS = '5', UNIT = '1', TYPE = '7' } = process.env;
const url = `/report-routes/telegram-chats/?report_type_id=${TYPE}&unit_id=${UNIT}`;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const sql = u.createClient({ url: process.env.DATABASE_URL, schema: 'urdb', max: 4 });
const cache = new u.RouteLookupCache();
cache.enable(); // no listener: nothing writes during the bench
const queries = { inFlight: 0, connectionErrors: 0 };
const api = u.createApi({ sql, routeCache: cache });
const metrics = new u.ServerMetrics({ router: api.router, cache, cacheEnabled: () => true, queries, poolSize: 4, databaseAnswers: async () => true });
const servers = {
  without: await u.startServer({ api, host: '127.0.0.1', port: 0 }),
  with: await u.startServer({ api, host: '127.0.0.1', port: 0, onAnswer: metrics.answered.bind(metrics) }),
};
const results = { without: [], with: [] };
const wrk = (name, seconds) =>
  new Promise((resolve) => {
    const child = spawn('wrk', ['-t1', '-c64', `-d${seconds}s`, `http://127.0.0.1:${servers[name].address.port}${url}`]);
    let text = '';
    child.stdout.on('data', (d) => (text += d));
    child.on('exit', () => resolve(text));
  });
try {
  for (const name of ['without', 'with']) await wrk(name, 2); // the first miss, and the JIT
  for (let r = 0; r < Number(ROUNDS); r++) {
    for (const name of r % 2 ? ['with', 'without'] : ['without', 'with']) {
      const cpu = process.cpuUsage();
      const text = await wrk(name, SECONDS);
      const used = process.cpuUsage(cpu);
      const requests = Number(/(\d+) requests in/.exec(text)[1]);
      const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(text)[1]);
      const us = (used.user + used.system) / requests;
      results[name].push({ rps, us });
      console.log(`round ${r + 1} ${name.padEnd(7)} ${rps.toFixed(0).padStart(6)} req/s  ${us.toFixed(2)} µs CPU/request`);
    }
  }
} finally {
  for (const s of Object.values(servers)) await s.close(100);
  await sql.end({ timeout: 5 });
  fs.rmSync(out, { force: true });
}
for (const name of ['without', 'with']) {
  console.log(`median ${name.padEnd(7)} ${median(results[name].map((x) => x.rps)).toFixed(0)} req/s  ${median(results[name].map((x) => x.us)).toFixed(2)} µs CPU/request`);
}

// The hook alone, and prom-client's own children for the same three labels.
const N = 2_000_000;
const time = (fn) => {
  const t = performance.now();
  for (let i = 0; i < N; i++) fn();
  return ((performance.now() - t) * 1e6) / N;
};
const registry = new u.Registry();
const labelNames = ['endpoint', 'method', 'status'];
const count = new u.Counter({ name: 'c_total', help: 'c', labelNames, registers: [registry] }).labels('/x/', 'GET', '200');
const hist = new u.Histogram({ name: 'h', help: 'h', labelNames, registers: [registry] }).labels('/x/', 'GET', '200');
const hook = [], prom = [];
for (let r = 0; r < 5; r++) {
  hook.push(time(() => metrics.answered('GET', url, 200, 0.3)));
  prom.push(time(() => (count.inc(), hist.observe(0.0003))));
}
console.log(`the hook (route pattern + count + histogram): ${median(hook).toFixed(0)} ns a request; prom-client's children: ${median(prom).toFixed(0)} ns`);
