/**
 * The HTTP part of the bench: the two route lookups against three servers, each in its own process, with the load
 * generator (load.mjs) in another: the HTTP ceiling (constant JSON), the naive design (one query per request) and
 * `urdb serve`.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { cleanEnv, freePort, NODE, oneLine, startServer, URDB, usage } from './proc.mjs';
import { ENDPOINTS, lookupPaths } from './requests.mjs';
import { wrkLoad } from './wrk.mjs';

const HERE = path.dirname(new URL(import.meta.url).pathname);

/** Resident memory and CPU of the server while it is measured; `done` turns the samples into the row's figures. */
function sampler(server) {
  const samples = [];
  let timer = null;
  return {
    start() {
      const sample = () => samples.push({ ...usage(server.pid), at: Date.now() });
      sample();
      timer = setInterval(sample, 250);
    },
    done(result) {
      clearInterval(timer);
      samples.push({ ...usage(server.pid), at: Date.now() });
      const rss = samples.map((u) => u.rss_mb);
      const cpuSeconds = samples.at(-1).cpu_s - samples[0].cpu_s;
      const wallSeconds = (samples.at(-1).at - samples[0].at) / 1000;
      return {
        ...result,
        rss_peak_mb: Math.max(...rss),
        rss_mean_mb: rss.reduce((a, b) => a + b, 0) / rss.length,
        server_cpu_pct: (100 * cpuSeconds) / wallSeconds,
        // What a request costs the server process, whatever else runs on the machine (the database's work not included).
        server_cpu_us_per_request: (1e6 * cpuSeconds) / (result.rps * wallSeconds),
      };
    },
  };
}

/** One load measurement with wrk (its own process), the server's memory and CPU sampled while it is measured. */
export async function measureWrk(wrkBin, { server, endpoint, connections, seconds, warmup, ids, tmp }) {
  const s = sampler(server);
  const result = await wrkLoad(wrkBin, { url: server.base, endpoint, connections, seconds, warmup, ids, seed: 7, dir: tmp }, () => s.start());
  return s.done(result);
}

/** One load measurement in its own process, with the server's memory and CPU sampled while it is measured. */
function measureLoad({ server, endpoint, connections, seconds, warmup, idsFile, wrk, ids, tmp }) {
  if (wrk) return measureWrk(wrk, { server, endpoint, connections, seconds, warmup, ids, tmp });
  const args = { url: server.base, endpoint, connections, seconds, warmup, ids: idsFile, seed: 7 };
  const child = spawn(NODE, [path.join(HERE, 'load.mjs'), JSON.stringify(args)], { env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  const samples = [];
  let timer = null;
  let stdout = '';
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
  child.stdout.setEncoding('utf8').on('data', (d) => {
    stdout += d;
    if (!timer && stdout.startsWith('measuring\n')) {
      const sample = () => samples.push({ ...usage(server.pid), at: Date.now() });
      sample();
      timer = setInterval(sample, 250);
    }
  });
  const killer = setTimeout(() => child.kill('SIGKILL'), (seconds + warmup + 60) * 1000);
  return new Promise((resolve, reject) => {
    child.on('close', (code) => {
      clearInterval(timer);
      clearTimeout(killer);
      const last = stdout.trim().split('\n').pop();
      if (code !== 0 || !last?.startsWith('{')) return reject(new Error(`load generator exited ${code}: ${stderr.trim().slice(-500)}`));
      const result = JSON.parse(last);
      const rss = samples.map((u) => u.rss_mb);
      const cpuSeconds = samples.at(-1).cpu_s - samples[0].cpu_s;
      const wallSeconds = (samples.at(-1).at - samples[0].at) / 1000;
      resolve({
        ...result,
        rss_peak_mb: Math.max(...rss),
        rss_mean_mb: rss.reduce((a, b) => a + b, 0) / rss.length,
        server_cpu_pct: (100 * cpuSeconds) / wallSeconds,
        // What a request costs the server process, whatever else runs on the machine (the database's work not included).
        server_cpu_us_per_request: (1e6 * cpuSeconds) / (result.rps * wallSeconds),
      });
    });
  });
}

/** The answers of 100 lookups per endpoint, to check that urdb answers what the query answers. */
async function answers(base, ids) {
  const out = {};
  for (const endpoint of Object.keys(ENDPOINTS)) {
    const next = lookupPaths(endpoint, ids, 99);
    out[endpoint] = [];
    for (let i = 0; i < 100; i++) {
      const p = next();
      const res = await fetch(base + p);
      out[endpoint].push({ path: p, status: res.status, body: await res.text() });
    }
  }
  return out;
}

function differences(got, want) {
  const canonical = (text) => {
    try {
      const v = JSON.parse(text);
      return JSON.stringify(v, Object.keys(v).sort());
    } catch {
      return text;
    }
  };
  return Object.fromEntries(
    Object.keys(want).map((endpoint) => {
      const bad = want[endpoint].filter((w, i) => got[endpoint][i].status !== w.status || canonical(got[endpoint][i].body) !== canonical(w.body));
      return [endpoint, { checked: want[endpoint].length, differ: bad.length, first: bad[0]?.path ?? null }];
    }),
  );
}

/**
 * Every lookup at every connection count against each server. The servers all run at once (an idle one costs no
 * CPU) and each row measures them one after the other, so that the ratios compare numbers taken within a minute of
 * each other, whatever else the machine is doing. Returns `load[endpoint][server][connections]` (a result, or
 * `{error}`; `{unavailable}` for a server missing from this tree) and, per server, its idle memory and, for urdb,
 * whether its answers match the naive server's.
 */
export async function measureServers({ url, ids, idsFile, tmp, serve, workers, seconds, warmup, connections, log, wrk, randomSeconds }) {
  const { unit, type } = ids.example;
  const readyPath = `${ENDPOINTS.chats.path}?unit_id=${unit}&report_type_id=${type}`;
  const servers = [
    { name: 'ceiling', args: [path.join(HERE, 'servers/ceiling.mjs')], env: {} },
    { name: 'naive', args: [path.join(HERE, 'servers/naive.mjs')], env: { DATABASE_URL: url } },
    {
      name: 'urdb',
      available: serve,
      args: [URDB, 'serve', '--host', '127.0.0.1', '--port', '{port}', ...(workers ? ['--workers', workers] : [])],
      env: { DATABASE_URL: url },
    },
    {
      // What a second process on the second core adds (the load generator shares the machine: see the report).
      name: 'urdb_w2',
      available: serve && !workers,
      args: [URDB, 'serve', '--host', '127.0.0.1', '--port', '{port}', '--workers', '2'],
      env: { DATABASE_URL: url },
    },
  ];
  const load = Object.fromEntries(Object.keys(ENDPOINTS).map((e) => [e, {}]));
  const info = {};
  const running = [];
  try {
    for (const s of servers) {
      const failed = (entry) => {
        for (const e of Object.keys(ENDPOINTS)) load[e][s.name] = entry;
      };
      if (s.available === false) {
        failed({ unavailable: '`urdb serve` is not in this tree' });
        continue;
      }
      const port = await freePort();
      log(`${s.name}: starting on port ${port}`);
      try {
        const args = s.args.map((a) => a.replace('{port}', port));
        const server = await startServer({ args, env: s.env, port, readyPath, logFile: path.join(tmp, `${s.name}.log`) });
        running.push({ name: s.name, server });
        info[s.name] = { idle_rss_mb: usage(server.pid).rss_mb };
        for (const e of Object.keys(ENDPOINTS)) load[e][s.name] = {};
      } catch (err) {
        log(`${s.name}: ${err.message}`);
        failed({ error: oneLine(`did not start: ${err.message}`) });
      }
    }
    const naive = running.find((r) => r.name === 'naive');
    const urdb = running.find((r) => r.name === 'urdb');
    if (naive && urdb) info.urdb.answers_vs_naive = differences(await answers(urdb.server.base, ids), await answers(naive.server.base, ids));

    for (const endpoint of Object.keys(ENDPOINTS)) {
      for (const conns of connections) {
        for (const { name, server } of running) {
          log(`${name}: ${ENDPOINTS[endpoint].path} at ${conns} connections (${warmup} s warm-up, ${seconds} s)`);
          try {
            load[endpoint][name][conns] = await measureLoad({ server, endpoint, connections: conns, seconds, warmup, idsFile, wrk, ids, tmp });
          } catch (err) {
            log(`${name} ${endpoint} ${conns}: ${err.message}`);
            load[endpoint][name][conns] = { error: oneLine(err.message) };
          }
        }
      }
    }
    if (urdb && wrk && randomSeconds > 0) {
      log(`urdb: ${randomSeconds} s of hot-path lookups of random unit ids (nearly all misses: the cache's memory bound)`);
      try {
        info.urdb.random_keys = await measureWrk(wrk, { server: urdb.server, endpoint: 'random', connections: 64, seconds: randomSeconds, warmup: 0, ids, tmp });
      } catch (err) {
        info.urdb.random_keys = { error: oneLine(err.message) };
      }
    }
  } finally {
    for (const { server } of running) await server.stop();
  }
  return { load, servers: info };
}
