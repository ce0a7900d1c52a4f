/**
 * A private PostgreSQL cluster for tests that crash or restart the database (never the shared server): `initdb` and
 * `pg_ctl` from the system's PostgreSQL binaries, its own data directory, port and socket directory under a
 * temporary directory, run as the unprivileged `postgres` user when the tests run as root. `remove()` stops it and
 * deletes everything.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The newest /usr/lib/postgresql/<version>/bin with initdb and pg_ctl, or null (the test says why it skips). */
export function postgresBinaries(): string | null {
  const root = '/usr/lib/postgresql';
  const versions = fs.existsSync(root) ? fs.readdirSync(root).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a)) : [];
  for (const v of versions) {
    const bin = path.join(root, v, 'bin');
    if (fs.existsSync(path.join(bin, 'initdb')) && fs.existsSync(path.join(bin, 'pg_ctl'))) return bin;
  }
  return null;
}

export interface PrivateCluster {
  port: number;
  /** TCP URL of its `postgres` database. */
  url: string;
  /** pg_ctl start; with `wait: false` it returns at once (the caller sees for itself when it accepts connections). */
  start(opts?: { wait?: boolean }): Promise<void>;
  /** `pg_ctl stop -m immediate`: no checkpoint, crash recovery at the next start. */
  crash(): Promise<void>;
  remove(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export async function privateCluster(bin: string): Promise<PrivateCluster> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'urdb-cluster-'));
  const data = path.join(dir, 'data');
  const sockets = path.join(dir, 'sockets');
  fs.mkdirSync(sockets);
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    fs.chmodSync(dir, 0o755);
    const { stdout } = await run('id', ['-u', 'postgres']);
    const uid = Number(stdout.trim());
    fs.chownSync(dir, uid, -1);
    fs.chownSync(sockets, uid, -1);
  }
  // As root, PostgreSQL refuses to run: the same command as the postgres user.
  const pg = (tool: string, args: string[]) =>
    asRoot ? run('runuser', ['-u', 'postgres', '--', path.join(bin, tool), ...args]) : run(path.join(bin, tool), args);
  await pg('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8']);
  const port = await freePort();
  const settings = `-p ${port} -k ${sockets} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=40`;
  const log = path.join(dir, 'server.log');
  return {
    port,
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    async start({ wait = true } = {}) {
      await pg('pg_ctl', ['-D', data, '-o', settings, '-l', log, ...(wait ? ['-w', '-t', '60'] : ['-W']), 'start']);
    },
    async crash() {
      await pg('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
    },
    async remove() {
      if (fs.existsSync(path.join(data, 'postmaster.pid'))) await pg('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']).catch(() => undefined);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
