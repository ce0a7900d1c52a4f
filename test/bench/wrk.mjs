/**
 * The load generator for the targets: wrk (C, one thread per core it is given), which costs far less CPU per request
 * than the server it measures, unlike autocannon (load.mjs), which saturates its own core before a bare node:http
 * server does. Found on PATH, else installed with apt-get (as root); absent both, the bench falls back to autocannon
 * and says so. Random ids per request: the paths come from the seeded generator (requests.mjs), written to a file
 * the Lua script cycles through.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { usage } from './proc.mjs';
import { lookupPaths } from './requests.mjs';

const PATHS = 20_000;

/** The wrk binary, or null with the reason. */
export function findWrk(log) {
  const which = () => spawnSync('sh', ['-c', 'command -v wrk'], { encoding: 'utf8' }).stdout.trim() || null;
  let bin = process.env.URDB_BENCH_WRK || which();
  if (!bin && process.getuid?.() === 0) {
    log('wrk not found: apt-get install -y wrk');
    spawnSync('apt-get', ['install', '-y', 'wrk'], { stdio: 'ignore', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
    bin = which();
    if (!bin) {
      spawnSync('apt-get', ['update'], { stdio: 'ignore' });
      spawnSync('apt-get', ['install', '-y', 'wrk'], { stdio: 'ignore', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
      bin = which();
    }
  }
  if (!bin) return { bin: null, why: 'wrk is not installed and could not be installed (apt-get install wrk needs root)' };
  const version = spawnSync(bin, ['--version'], { encoding: 'utf8' });
  return { bin, version: /wrk (\S+)/.exec(version.stdout + version.stderr)?.[1] ?? 'unknown' };
}

/**
 * The Lua script: cycle through the paths (endpoint `chats`/`units`), or, for `random`, a hot-path lookup of a random
 * unit id in 1..2^31-1 per request (nearly every one a miss of a key never seen: the cache's worst case for memory);
 * at the end print one JSON line (latencies in ms).
 */
function script(dir, endpoint, ids, seed) {
  const file = path.join(dir, `wrk-${endpoint}-${seed}.lua`);
  let request;
  if (endpoint === 'random') {
    request = `math.randomseed(${seed})
request = function()
  return wrk.format("GET", "/report-routes/telegram-chats/?unit_id=" .. math.random(1, 2147483647) .. "&report_type_id=" .. math.random(1, 40))
end`;
  } else {
    const next = lookupPaths(endpoint, ids, seed);
    const pathsFile = path.join(dir, `wrk-${endpoint}-${seed}.txt`);
    fs.writeFileSync(pathsFile, Array.from({ length: PATHS }, next).join('\n') + '\n');
    request = `local paths = {}
for line in io.lines(${JSON.stringify(pathsFile)}) do paths[#paths + 1] = line end
local i = 0
request = function()
  i = i + 1
  if i > #paths then i = 1 end
  return wrk.format("GET", paths[i])
end`;
  }
  fs.writeFileSync(
    file,
    `${request}
done = function(s, latency, requests)
  local e = s.errors
  io.write(string.format('\\n{"requests":%d,"duration_s":%f,"non2xx":%d,"errors":%d,"timeouts":%d,"p50":%f,"p99":%f,"max":%f}\\n',
    s.requests, s.duration / 1e6, e.status, e.connect + e.read + e.write, e.timeout,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
end
`,
  );
  return file;
}

/** One wrk run; resolves to {requests, rps, p50, p99, max, non2xx, errors, timeouts, load_generator_cpu_pct}. */
function wrk(bin, { url, connections, seconds, threads, lua }) {
  const args = ['-t', String(threads), '-c', String(connections), '-d', `${seconds}s`, '--timeout', '5s', '-s', lua, url];
  const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (d) => (out += d));
  child.stderr.setEncoding('utf8').on('data', (d) => (err += d));
  // Its CPU time, read from /proc while it runs (the last reading is within 100 ms of its end).
  let cpu = 0;
  const timer = setInterval(() => (cpu = usage(child.pid).cpu_s || cpu), 100);
  return new Promise((resolve, reject) => {
    child.on('close', (code) => {
      clearInterval(timer);
      const line = out.split('\n').reverse().find((l) => l.startsWith('{'));
      if (code !== 0 || !line) return reject(new Error(`wrk exited ${code}: ${(err || out).trim().slice(-500)}`));
      const r = JSON.parse(line);
      const ok = r.requests - r.non2xx;
      resolve({ ...r, requests: ok, rps: ok / r.duration_s, load_generator_cpu_pct: (100 * cpu) / r.duration_s });
    });
  });
}

/** Warm-up, then a measured run; `onMeasuring` is called when the measured run starts. */
export async function wrkLoad(bin, { url, endpoint, connections, seconds, warmup, ids, seed, dir, threads = 1 }, onMeasuring) {
  const lua = script(dir, endpoint, ids, seed);
  if (warmup > 0) await wrk(bin, { url, connections, seconds: warmup, threads, lua });
  onMeasuring();
  return wrk(bin, { url, connections, seconds, threads, lua });
}
