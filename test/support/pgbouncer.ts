/**
 * A real PgBouncer in transaction mode in front of the test server (issue 12 §1): its own port, config and auth
 * file in a temporary directory, run as `postgres` when the tests run as root (pgbouncer refuses root). The config
 * written here is the one README.md "Running in production" shows.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export interface PgBouncer {
  /** postgres://… of the pooler, same user and database part as the server URL it fronts. */
  url(serverUrl: string): string;
  port: number;
  ini: string;
  stop(): Promise<void>;
}

const CANDIDATES = ['/usr/sbin/pgbouncer', '/usr/bin/pgbouncer', '/usr/local/bin/pgbouncer'];

/** Why PgBouncer tests cannot run here, or null when they can. */
export function pgbouncerMissing(): string | null {
  return binary() ? null : 'pgbouncer is not installed (.ci/run installs the Debian package: apt-get install -y pgbouncer)';
}

function binary(): string | null {
  return CANDIDATES.find((p) => fs.existsSync(p)) ?? null;
}

/** The ini urdb is tested with; `server` is host=/port= of PostgreSQL. */
export function pgbouncerIni(dir: string, port: number, server: string, extra = ''): string {
  return `[databases]
* = ${server}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = ${port}
unix_socket_dir =
auth_type = trust
auth_file = ${dir}/userlist.txt
pool_mode = transaction
max_client_conn = 500
default_pool_size = 20
logfile = ${dir}/pgbouncer.log
pidfile = ${dir}/pgbouncer.pid
${extra}`;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

/** host=… port=… of the server a test URL points at (TCP, or the socket directory of ?host=). */
function serverOf(serverUrl: string): string {
  const socket = /[?&]host=([^&]*)/.exec(serverUrl);
  const u = new URL(serverUrl.replace(/\?.*$/, ''));
  const host = socket ? decodeURIComponent(socket[1]!) : u.hostname;
  return `host=${host} port=${u.port || 5432}`;
}

/** The user owning a socket directory (the embedded server's, mode 700): only it can reach the socket. */
function socketOwner(serverUrl: string): string | null {
  const socket = /[?&]host=([^&]*)/.exec(serverUrl);
  if (!socket) return null;
  const uid = fs.statSync(decodeURIComponent(socket[1]!)).uid;
  return spawnSync('id', ['-nu', String(uid)], { encoding: 'utf8' }).stdout.trim() || null;
}

const running = new Set<ChildProcess>();
process.on('exit', () => running.forEach((c) => c.kill('SIGKILL')));

export async function startPgBouncer(serverUrl: string, opts: { extra?: string } = {}): Promise<PgBouncer> {
  const bin = binary();
  if (!bin) throw new Error(pgbouncerMissing()!);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'urdb-pgbouncer-'));
  const port = await freePort();
  const user = new URL(serverUrl.replace(/\?.*$/, '')).username || 'postgres';
  const ini = pgbouncerIni(dir, port, serverOf(serverUrl), opts.extra);
  fs.writeFileSync(path.join(dir, 'pgbouncer.ini'), ini);
  fs.writeFileSync(path.join(dir, 'userlist.txt'), `"${user}" ""\n`);
  const asRoot = process.getuid?.() === 0;
  const runAs = asRoot ? socketOwner(serverUrl) ?? 'postgres' : null;
  if (runAs) {
    fs.chmodSync(dir, 0o755);
    spawnSync('chown', ['-R', runAs, dir]);
  }
  const child = spawn(bin, [...(runAs ? ['-u', runAs] : []), path.join(dir, 'pgbouncer.ini')], { stdio: 'ignore' });
  running.add(child);
  const exited = new Promise<void>((resolve) => child.on('exit', () => (running.delete(child), resolve())));
  const deadline = Date.now() + 10_000;
  for (;;) {
    const up = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => (s.destroy(), resolve(true)));
      s.on('error', () => resolve(false));
    });
    if (up) break;
    if (child.exitCode !== null || Date.now() > deadline) {
      const log = fs.existsSync(path.join(dir, 'pgbouncer.log')) ? fs.readFileSync(path.join(dir, 'pgbouncer.log'), 'utf8') : '';
      child.kill('SIGKILL');
      throw new Error(`pgbouncer did not start:\n${log.slice(-2000)}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    port,
    ini,
    url: (url) => `postgres://${user}@127.0.0.1:${port}/${new URL(url.replace(/\?.*$/, '')).pathname.slice(1)}`,
    async stop() {
      child.kill('SIGTERM');
      await exited;
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
