/** Runs the built CLI (bin/urdb.js → dist) as a user would: a separate process, exit code, stdout, stderr. */
import { spawn } from 'node:child_process';
import os from 'node:os';
import fs from 'node:fs';
import path from 'node:path';

export const ROOT = path.resolve(new URL('../..', import.meta.url).pathname);
export const BIN = path.join(ROOT, 'bin', 'urdb.js');

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

export interface CliOptions {
  /** DATABASE_URL for the process (omit for none). */
  url?: string;
  env?: Record<string, string | undefined>;
  input?: string;
  timeoutMs?: number;
  cwd?: string;
}

/** An environment without anything that would pick a database or change output. */
export function cleanEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^(PG|URDB_|DATABASE_URL$|NO_COLOR$|FORCE_COLOR$|NODE_OPTIONS$|VITEST|NODE_EXTRA_CA_CERTS$)/.test(k)) continue;
    env[k] = v;
  }
  env.URDB_HOME = path.join(os.tmpdir(), `urdb-test-unused-${process.pid}`);
  for (const [k, v] of Object.entries(extra)) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

export function urdb(args: string[], opts: CliOptions & { asUser?: string } = {}): Promise<CliResult> {
  const env = cleanEnv({ ...(opts.url ? { DATABASE_URL: opts.url } : {}), ...opts.env });
  const started = Date.now();
  // asUser (tests running as root): through runuser, so that file permissions apply as to anyone else.
  const argv = opts.asUser ? ['runuser', '-u', opts.asUser, '--', process.execPath, BIN, ...args] : [process.execPath, BIN, ...args];
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), { env, cwd: opts.cwd ?? ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
    child.on('error', reject);
    // A command that exits before reading its stdin (a usage error) closes the pipe: EPIPE here is not the test's.
    child.stdin.on('error', () => {});
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, ms: Date.now() - started });
    });
    child.stdin.end(opts.input ?? '');
  });
}

/**
 * A system user (urdb, nobody) runs urdb from this checkout, so it must be able to pass through the checkout's directories; a
 * checkout in a private directory (CI clones into `mktemp -d`, mode 700) would stop it before urdb starts. Adds the
 * search bit for others where it is missing, and returns what puts the modes back.
 */
export function letOthersThrough(dir: string): () => void {
  const changed: [string, number][] = [];
  for (let d = dir; ; d = path.dirname(d)) {
    const mode = fs.statSync(d).mode & 0o7777;
    if ((mode & 0o001) === 0) {
      fs.chmodSync(d, mode | 0o001);
      changed.push([d, mode]);
    }
    if (d === path.dirname(d)) break;
  }
  return () => {
    for (const [d, mode] of changed) fs.chmodSync(d, mode);
  };
}
