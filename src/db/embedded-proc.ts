/**
 * Processes and the lock of the embedded default: which processes are alive (zombies are not), who owns a lease,
 * and a lock that dies with its holder.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { UnavailableError } from '../core/errors';

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The fields of /proc/<pid>/stat after the command name: [0] is the state, [19] the start time. */
function procStat(pid: number): string[] | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null;
  }
}

function processStartTime(pid: number): string | null {
  return procStat(pid)?.[19] ?? null;
}

/**
 * Running, and not a zombie: a process that exited stays in the process table until its parent reaps it, and a
 * postmaster whose parent command is gone is reaped by pid 1, which in containers can take seconds or never happen.
 */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  return procStat(pid)?.[0] !== 'Z';
}

export function isPostgres(pid: number): boolean {
  if (process.platform !== 'linux') return true;
  try {
    return fs.readFileSync(`/proc/${pid}/comm`, 'utf8').startsWith('postgres');
  } catch {
    return false;
  }
}

/** A process identity that survives pid reuse: pid plus its start time where /proc has it. */
export interface Owner {
  pid: number;
  start: string | null;
}

export const self = (): Owner => ({ pid: process.pid, start: processStartTime(process.pid) });

export function ownerAlive(owner: Owner): boolean {
  if (!alive(owner.pid)) return false;
  if (owner.start === null) return true;
  const start = processStartTime(owner.pid);
  return start === null || start === owner.start;
}

/**
 * What a process is, for messages: `urdb serve --port 8000` from /proc/<pid>/cmdline (the node binary and the path of
 * urdb's script left out), or null where there is no /proc.
 */
export function commandLine(pid: number): string | null {
  let argv: string[];
  try {
    argv = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter((a) => a !== '');
  } catch {
    return null;
  }
  const script = argv.findIndex((a, i) => i > 0 && /(^|\/)(urdb(\.js|\.cjs)?|cli\.[cm]?[jt]s)$/.test(a));
  const shown = script >= 0 ? ['urdb', ...argv.slice(script + 1)] : argv;
  const text = shown.join(' ');
  return text.length > 80 ? `${text.slice(0, 79)}…` : text;
}

export function signal(pid: number, name: NodeJS.Signals): boolean {
  try {
    process.kill(pid, name);
    return true;
  } catch {
    return false;
  }
}

export async function withLock<T>(paths: { home: string; lockFile: string }, fn: () => Promise<T>): Promise<T> {
  const release = process.platform === 'linux' ? await socketLock(paths.home) : await fileLock(paths.lockFile);
  try {
    return await fn();
  } finally {
    await release();
  }
}

async function socketLock(home: string): Promise<() => Promise<void>> {
  const name = `\0urdb-lock-${crypto.createHash('sha256').update(path.resolve(home)).digest('hex').slice(0, 24)}`;
  const deadline = Date.now() + 120_000;
  for (let wait = 2; ; wait = Math.min(wait * 2, 50)) {
    const server = net.createServer();
    const ok = await new Promise<boolean>((resolve, reject) => {
      server.once('error', (err: NodeJS.ErrnoException) => (err.code === 'EADDRINUSE' ? resolve(false) : reject(err)));
      server.listen(name, () => resolve(true));
    });
    if (ok) {
      server.unref();
      return () => new Promise<void>((resolve) => server.close(() => resolve()));
    }
    if (Date.now() > deadline) throw new UnavailableError(`timed out waiting for the embedded database lock (${home})`);
    await sleep(wait);
  }
}

async function fileLock(file: string): Promise<() => Promise<void>> {
  const deadline = Date.now() + 120_000;
  const me = self();
  for (let wait = 2; ; wait = Math.min(wait * 2, 50)) {
    try {
      fs.writeFileSync(file, JSON.stringify(me), { flag: 'wx' });
      return async () => fs.rmSync(file, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const owner = readJson<Owner>(file);
      if (owner && !ownerAlive(owner)) {
        fs.rmSync(file, { force: true });
        continue;
      }
    }
    if (Date.now() > deadline) throw new UnavailableError(`timed out waiting for the embedded database lock (${file})`);
    await sleep(wait);
  }
}

export function readJson<T>(file: string): T | null {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
  } catch {
    return null;
  }
}

/** mkdir -p whose new directories get exactly `mode`, whatever the umask (the server user must enter them). */
export function makeDir(dir: string, mode: number) {
  const first = fs.mkdirSync(dir, { recursive: true, mode });
  if (first === undefined) return;
  for (let d = dir; ; d = path.dirname(d)) {
    fs.chmodSync(d, mode);
    if (d === first || d === path.dirname(d)) break;
  }
}
