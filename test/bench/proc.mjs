/** Processes for the bench: a clean environment, whole-process timings, servers, and their memory. */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';

export const ROOT = path.resolve(new URL('../..', import.meta.url).pathname);
export const URDB = path.join(ROOT, 'bin', 'urdb.js');
export const NODE = process.execPath;

/**
 * The environment of every measured process: nothing that picks a database or changes output, and no
 * NODE_EXTRA_CA_CERTS (it costs ~40 ms per Node start on the bench machine, on both sides of a ratio).
 */
export function cleanEnv(extra = {}) {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^(PG|URDB_|DATABASE_URL$|NO_COLOR$|FORCE_COLOR$|NODE_OPTIONS$|NODE_EXTRA_CA_CERTS$|npm_)/.test(k)) continue;
    env[k] = v;
  }
  return { ...env, ...extra };
}

export const oneLine = (text) => text.replace(/\s+/g, ' ').trim().slice(0, 300);

/** Runs a command to completion; throws with its stderr when it fails. */
export function run(cmd, args, opts = {}) {
  const started = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 << 20, ...opts, env: opts.env ?? cleanEnv() });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (r.status !== 0 && !opts.allowFailure) {
    const shown = [cmd, ...args].join(' ').slice(0, 200);
    throw new Error(`${shown} exited ${r.status ?? r.signal}: ${(r.stderr || r.stdout || String(r.error ?? '')).trim().slice(-2000)}`);
  }
  return { ...r, ms };
}

export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/**
 * Whole-process wall time of each command, `times` runs each, interleaved (a, b, a, b, …) so that drift in the
 * machine's load hits every side alike; one unmeasured run each first. Returns the median ms per name, or the
 * error of a command that failed (it is not run again).
 */
export function timeCommands(commands, times) {
  const samples = Object.fromEntries(Object.keys(commands).map((name) => [name, []]));
  const failed = {};
  for (let i = -1; i < times; i++) {
    for (const [name, c] of Object.entries(commands)) {
      if (failed[name]) continue;
      const r = run(c.cmd, c.args, { ...c.opts, allowFailure: true });
      if (r.status !== 0) failed[name] = { error: oneLine(`exit ${r.status ?? r.signal}: ${r.stderr || ''}`) };
      else if (i >= 0) samples[name].push(r.ms);
    }
  }
  return Object.fromEntries(
    Object.entries(samples).map(([name, s]) => [name, failed[name] ?? { median_ms: median(s), min_ms: Math.min(...s), runs: s.length }]),
  );
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Starts a server process and waits until `readyPath` answers 200; `stop()` ends it (and its workers). Its stderr
 * (urdb's access log) goes to a file, so that reading it costs the bench nothing while the load runs.
 */
export async function startServer({ args, env, port, readyPath, logFile, timeoutMs = 30_000 }) {
  const log = fs.openSync(logFile, 'w');
  const child = spawn(NODE, args, { env: cleanEnv({ ...env, PORT: String(port) }), stdio: ['ignore', 'ignore', log] });
  fs.closeSync(log);
  const tail = () => fs.readFileSync(logFile, 'utf8').trim().slice(-1000);
  let exited = null;
  child.on('exit', (code, signal) => (exited = code ?? signal));
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (exited !== null) throw new Error(`exited ${exited} before it was ready: ${tail()}`);
    try {
      if ((await fetch(base + readyPath)).status === 200) break;
    } catch {}
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`not ready after ${timeoutMs / 1000} s: ${tail()}`);
    }
    await sleep(100);
  }
  return {
    pid: child.pid,
    base,
    async stop() {
      if (exited !== null) return;
      const done = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await done;
      clearTimeout(timer);
    },
  };
}

/**
 * Resident memory (MB) and CPU time used so far (s) of a process and all its descendants (a server's workers),
 * from /proc.
 */
export function usage(pid) {
  const stats = new Map();
  const children = new Map();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // fields[0] is field 3 of proc(5)
      const ppid = Number(fields[1]);
      stats.set(Number(entry), Number(fields[11]) + Number(fields[12])); // utime + stime, in clock ticks
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {}
  }
  let kb = 0;
  let ticks = 0;
  const visit = (p) => {
    try {
      kb += Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${p}/status`, 'utf8'))?.[1] ?? 0);
      ticks += stats.get(p) ?? 0;
    } catch {}
    for (const c of children.get(p) ?? []) visit(c);
  };
  visit(pid);
  return { rss_mb: kb / 1024, cpu_s: ticks / CLOCK_TICKS };
}

const CLOCK_TICKS = 100; // sysconf(_SC_CLK_TCK) on Linux
