/**
 * The embedded default (cli.md "Where the data is"): created, migrated and seeded on first use, started per command
 * and stopped after it, kept up by `db start`, shared by concurrent commands, robust to SIGKILL, run as an
 * unprivileged user under root. Homes live under the temporary directory (one shared by the lifecycle tests, in
 * order; fresh ones where a first use is the subject); whether a server runs is read from /proc (processes working
 * in the data directory), not from urdb.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createClient } from '../src/db/client';
import { acquire, stopEmbedded } from '../src/db/embedded';
import { latestVersion } from '../src/db/migrate';
import { REPORT_TYPES } from '../src/db/seed-data';
import { BIN, ROOT, cleanEnv, letOthersThrough, urdb, type CliResult } from './support/cli';

const isRoot = process.getuid?.() === 0;
const homes: string[] = [];
const scratch: string[] = [];
const scratchModes: (() => void)[] = [];

/** A fresh URDB_HOME; mode 755 so that, under root, the server user can enter it. */
function newHome(): string {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'urdb-emb-'));
  fs.chmodSync(home, 0o755);
  homes.push(home);
  return home;
}

afterAll(async () => {
  for (const home of homes) {
    await stopEmbedded(home, { force: true }).catch(() => undefined);
    fs.rmSync(home, { recursive: true, force: true });
  }
  for (const dir of scratch) fs.rmSync(dir, { recursive: true, force: true });
  for (const restore of scratchModes) restore();
}, 60_000);

const envFor = (home: string) => ({ URDB_HOME: home, URDB_EMBEDDED_NOSYNC: '1' });
const run = (home: string, args: string[]) => urdb(args, { env: envFor(home) });

/** The CLI as a child this test can signal. */
function start(home: string, args: string[]) {
  const child = spawn(process.execPath, [BIN, ...args], { env: cleanEnv(envFor(home)), cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  child.stdout.resume();
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal })),
  );
  return { child, exited, stderr: () => stderr };
}

/** State letter of a process from /proc (Z: exited, not reaped), or null when it is gone. */
function procState(pid: number): string | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] ?? null;
  } catch {
    return null;
  }
}

/** Live processes whose working directory is the home's data directory: the postmaster and its children. */
function serverProcesses(home: string): number[] {
  let dataDir: string;
  try {
    dataDir = fs.realpathSync(path.join(home, 'pgdata'));
  } catch {
    return [];
  }
  return fs
    .readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map(Number)
    .filter((pid) => {
      try {
        return fs.readlinkSync(`/proc/${pid}/cwd`) === dataDir && procState(pid) !== 'Z';
      } catch {
        return false;
      }
    });
}

function postmasterPid(home: string): number | null {
  try {
    return Number(fs.readFileSync(path.join(home, 'pgdata', 'postmaster.pid'), 'utf8').split('\n')[0]);
  } catch {
    return null;
  }
}

const lines = (text: string) => text.split('\n').filter((l) => l !== '');

function ok(r: CliResult, args = '') {
  expect(r.stderr, `stderr of ${args}`).not.toMatch(/error|unexpected/i);
  expect(r.code, `exit code of ${args}: ${r.stderr}`).toBe(0);
}

async function until(check: () => boolean | Promise<boolean>, what: string, ms = 20_000) {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const CREATED = (home: string) =>
  new RegExp(`^urdb: created the embedded database in ${home.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: schema version ${latestVersion()}, 21 report types, 2 account roles$`);

// One home for the life of a database: first use, then per-command servers, db start/stop, then SIGKILLs.
const home = newHome();

describe('first use', () => {

  it('creates, migrates and seeds the database, says so in one stderr line, and leaves no server running', async () => {
    const first = await run(home, ['units', 'list']);
    expect(first.code).toBe(0);
    expect(first.stdout).toBe('');
    expect(lines(first.stderr)).toHaveLength(1);
    expect(first.stderr.trim()).toMatch(CREATED(home));
    expect(serverProcesses(home)).toEqual([]);
  });

  it('report-types list --all --json then prints the 21 seeded types with ids 1..21, and says nothing', async () => {
    const r = await run(home, ['report-types', 'list', '--all', '--json']);
    ok(r);
    expect(r.stderr).toBe('');
    const types = JSON.parse(r.stdout) as { id: number; name: string }[];
    expect(types.map((t) => t.id)).toEqual(Array.from({ length: 21 }, (_, i) => i + 1));
    expect(types.map((t) => t.name)).toEqual(REPORT_TYPES.map((t) => t.name));
    expect(serverProcesses(home)).toEqual([]);
  });
});

describe('server lifecycle: per command, db start / stop / status', () => {
  const status = async () => {
    const r = await run(home, ['db', 'status', '--json']);
    ok(r, 'db status');
    return JSON.parse(r.stdout) as Record<string, unknown>;
  };

  it('db status on a home never used says "not created yet" and creates nothing', async () => {
    const never = path.join(home, 'never-used');
    const r = await urdb(['db', 'status', '--json'], { env: envFor(never) });
    ok(r);
    expect(JSON.parse(r.stdout)).toMatchObject({
      database: `embedded PostgreSQL in ${never}`,
      data_directory: path.join(never, 'pgdata'),
      server: 'not created yet',
      server_version: null,
      schema_version: null,
      expected_schema_version: latestVersion(),
    });
    expect(fs.existsSync(never)).toBe(false);
  });

  it('a command started with no server running leaves none running; db status says stopped, with both versions', async () => {
    ok(await run(home, ['units', 'list']));
    expect(serverProcesses(home)).toEqual([]);
    expect(await status()).toMatchObject({
      server: 'stopped',
      server_version: expect.stringMatching(/^\d+\.\d+/),
      schema_version: latestVersion(),
      expected_schema_version: latestVersion(),
      schema_status: 'current',
    });
    expect(serverProcesses(home)).toEqual([]);
  });

  it('db start keeps one server up across commands (same pid), db status says so, db stop stops it', async () => {
    const started = await run(home, ['db', 'start']);
    ok(started);
    const pid = postmasterPid(home)!;
    expect(started.stderr).toContain(`started (pid ${pid})`);
    for (const args of [['units', 'list'], ['report-types', 'list'], ['db', 'start']]) {
      ok(await run(home, args));
      expect(postmasterPid(home)).toBe(pid);
      expect(serverProcesses(home)).toContain(pid);
    }
    expect((await status()).server).toBe(`running (pid ${pid}, kept up by urdb db start)`);
    const stopped = await run(home, ['db', 'stop']);
    ok(stopped);
    expect(stopped.stderr).toContain(`stopped (pid ${pid})`);
    expect(serverProcesses(home)).toEqual([]);
    expect((await status()).server).toBe('stopped');
    expect((await run(home, ['db', 'stop'])).stderr).toContain('was not running');
  });

  it('a server started for a command that is still running says so, and stops when that command ends', async () => {
    const lease = await acquire(home);
    try {
      expect(lease.started).toBe(true);
      expect((await status()).server).toBe(`running (pid ${postmasterPid(home)}, stops when the last command using it ends)`);
      ok(await run(home, ['units', 'list']));
      expect(serverProcesses(home)).not.toEqual([]);
    } finally {
      await lease.release();
    }
    expect(serverProcesses(home)).toEqual([]);
  });

  it.skipIf(!isRoot)('as root, the server runs as the unprivileged user "urdb", which owns the data directory', async () => {
    const urdbUid = Number(spawnSync('id', ['-u', 'urdb'], { encoding: 'utf8' }).stdout);
    expect(urdbUid).toBeGreaterThan(0);
    ok(await run(home, ['db', 'start']));
    try {
      const pid = postmasterPid(home)!;
      const uids = /^Uid:\s+(.*)$/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))![1]!.split(/\s+/).map(Number);
      expect(uids).toEqual([urdbUid, urdbUid, urdbUid, urdbUid]); // real, effective, saved, filesystem
      for (const child of serverProcesses(home)) expect(fs.statSync(`/proc/${child}`).uid).toBe(urdbUid);
      const pgdata = fs.statSync(path.join(home, 'pgdata'));
      expect(pgdata.uid).toBe(urdbUid);
      expect(pgdata.mode & 0o777).toBe(0o700);
      expect((await status()).server_user).toBe('urdb');
    } finally {
      ok(await run(home, ['db', 'stop']));
    }
  });
});

describe('concurrent commands', () => {
  it('six `units list` started at once on a fresh home all succeed, one of them says it created the database, and no server is left', async () => {
    const home = newHome();
    const results = await Promise.all(Array.from({ length: 6 }, () => run(home, ['units', 'list'])));
    for (const r of results) expect(r.code, r.stderr).toBe(0);
    const said = results.flatMap((r) => lines(r.stderr));
    expect(said).toHaveLength(1);
    expect(said[0]).toMatch(CREATED(home));
    expect(serverProcesses(home)).toEqual([]);

    const again = await Promise.all(Array.from({ length: 4 }, () => run(home, ['units', 'list', '--json'])));
    for (const r of again) {
      ok(r);
      expect(r.stdout).toBe('[]\n');
    }
    expect(serverProcesses(home)).toEqual([]);
    expect(fs.readdirSync(path.join(home, 'leases'))).toEqual([]);
  });
});

describe('SIGKILL', () => {
  it('a command killed while it holds its lease leaves a stale lease; the next command succeeds and stops the server', async () => {
    // A lease and a lock on `unit` held here, so that the command blocks inside its query with its lease taken.
    const holder = await acquire(home);
    const sql = createClient({ socketDir: holder.socketDir, port: holder.port, schema: 'urdb', max: 2, onNotice: () => {} });
    let unlock = () => {};
    let killed: { code: number | null; signal: NodeJS.Signals | null } = { code: null, signal: null };
    try {
      const locked = new Promise<void>((resolve, reject) => {
        const held = sql.begin(async (tx) => {
          await tx`lock table unit in access exclusive mode`;
          resolve();
          await new Promise<void>((r) => (unlock = r));
        });
        held.catch(reject);
      });
      await locked;
      const cmd = start(home, ['units', 'list']);
      await until(async () => {
        const [row] = await sql`
          select count(*)::int as n from pg_stat_activity where application_name = 'urdb cli' and wait_event_type = 'Lock'
        `;
        return row!.n === 1;
      }, 'the command waits for the table lock');
      expect(fs.readdirSync(path.join(home, 'leases'))).toContain(`${cmd.child.pid}.${procStartTime(cmd.child.pid!)}`);
      await holder.release(); // the command's lease keeps the server up
      expect(serverProcesses(home)).not.toEqual([]);
      cmd.child.kill('SIGKILL');
      killed = await cmd.exited;
    } finally {
      unlock();
      await sql.end({ timeout: 5 });
      await holder.release();
    }
    expect(killed.signal).toBe('SIGKILL');
    const pid = postmasterPid(home)!;
    expect(serverProcesses(home)).toContain(pid); // left running, with a lease of a dead process
    expect(fs.readdirSync(path.join(home, 'leases'))).toHaveLength(1);

    const next = await run(home, ['units', 'list', '--json']);
    ok(next);
    expect(next.stdout).toBe('[]\n');
    expect(serverProcesses(home)).toEqual([]);
    expect(fs.readdirSync(path.join(home, 'leases'))).toEqual([]);
  });

  it('a killed postmaster leaves a stale postmaster.pid; the next command recovers, succeeds and stops its server', async () => {
    ok(await run(home, ['db', 'start']));
    const pid = postmasterPid(home)!;
    process.kill(pid, 'SIGKILL');
    await until(() => procState(pid) === null || procState(pid) === 'Z', 'the postmaster is dead');
    expect(postmasterPid(home)).toBe(pid); // stale, and its pid may still be a zombie
    const r = await run(home, ['report-types', 'list', '--all', '--json']);
    ok(r);
    expect(JSON.parse(r.stdout)).toHaveLength(21);
    expect(serverProcesses(home)).toEqual([]);
    expect((JSON.parse((await run(home, ['db', 'status', '--json'])).stdout) as { server: string }).server).toBe('stopped');
  });

  it('a first use killed in initdb, in the server start, or after its setup is completed by the next commands', async () => {
    const home = newHome(); // its own: this one's first use is the subject
    const has = (name: string) => fs.existsSync(path.join(home, name));
    const killWhen = async (moment: string, reached: (stderr: string) => boolean) => {
      const cmd = start(home, ['units', 'list']);
      let done = false;
      void cmd.exited.then(() => (done = true));
      await until(() => done || reached(cmd.stderr()), moment);
      cmd.child.kill('SIGKILL');
      expect((await cmd.exited).signal, `killed ${moment}`).toBe('SIGKILL');
    };
    await killWhen('while initdb runs', () => fs.readdirSync(home).some((name) => name.startsWith('pgdata.tmp-')));
    expect(has('pgdata')).toBe(false);
    await killWhen('while the server starts', () => has('pgdata/postmaster.pid'));
    expect(fs.readdirSync(home).filter((name) => name.startsWith('setup-'))).toEqual([]);
    await killWhen('after the setup, lease held', (stderr) => stderr.includes('the embedded database in'));

    // An initdb outlives the command that ran it (and is not ours to kill): let it finish before counting leftovers.
    await until(() => !orphansOf(home), 'the initdb of the killed command has finished', 30_000);
    const r = await run(home, ['report-types', 'list', '--all', '--json']);
    ok(r);
    expect(r.stderr).toBe(''); // the setup was done, once
    expect((JSON.parse(r.stdout) as { id: number }[]).map((t) => t.id)).toEqual(Array.from({ length: 21 }, (_, i) => i + 1));
    expect(serverProcesses(home)).toEqual([]);
    expect(fs.readdirSync(home).filter((name) => name.includes('.tmp-'))).toEqual([]);
    expect(fs.readdirSync(path.join(home, 'leases'))).toEqual([]);
  });
});

describe.skipIf(!isRoot)('as a normal user (the "urdb" user, through runuser)', () => {
  it('the home is private (700), the server runs as that user, and a command leaves none running', async () => {
    const user = spawnSync('id', ['-u', 'urdb'], { encoding: 'utf8' });
    expect(user.status, 'the root tests above create the user').toBe(0);
    const uid = Number(user.stdout);
    const parent = fs.mkdtempSync(path.join(os.tmpdir(), 'urdb-user-'));
    scratch.push(parent);
    fs.chownSync(parent, uid, uid);
    const home = path.join(parent, 'home');
    homes.push(home);
    const asUser = (args: string[]) =>
      new Promise<{ code: number | null; stderr: string }>((resolve, reject) => {
        const child = spawn('runuser', ['-u', 'urdb', '--', process.execPath, BIN, ...args], {
          env: cleanEnv(envFor(home)),
          cwd: ROOT,
          stdio: ['ignore', 'ignore', 'pipe'],
        });
        let stderr = '';
        child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
        child.on('error', reject);
        child.on('close', (code) => resolve({ code, stderr }));
      });
    const closeUp = letOthersThrough(ROOT);
    scratchModes.push(closeUp);
    const first = await asUser(['units', 'list']);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr.trim()).toMatch(CREATED(home));
    expect(fs.statSync(home).mode & 0o777).toBe(0o700);
    expect(fs.statSync(path.join(home, 'pgdata')).uid).toBe(uid);
    expect(serverProcesses(home)).toEqual([]);
    expect((await asUser(['db', 'start'])).code).toBe(0);
    const pid = postmasterPid(home)!;
    expect(fs.statSync(`/proc/${pid}`).uid).toBe(uid);
    expect((await asUser(['db', 'stop'])).code).toBe(0);
    expect(serverProcesses(home)).toEqual([]);
  });
});

describe.skipIf(!isRoot)('as root', () => {
  it('a home inside a root-owned mode-700 directory fails with one line naming it and what to do (exit 2), changing nothing', async () => {
    const locked = fs.mkdtempSync(path.join(os.tmpdir(), 'urdb-locked-'));
    scratch.push(locked);
    fs.chmodSync(locked, 0o700);
    const home = path.join(locked, 'urdb');
    const r = await urdb(['units', 'list'], { env: envFor(home) });
    expect(r.code).toBe(2);
    expect(lines(r.stderr)).toHaveLength(1);
    expect(r.stderr).toContain(`cannot enter ${locked} (mode 700)`);
    expect(r.stderr).toMatch(/set URDB_HOME to a directory outside/);
    expect(r.stdout).toBe('');
    expect(fs.readdirSync(locked)).toEqual([]);
    expect(fs.statSync(locked).mode & 0o777).toBe(0o700);
  });
});


/** A process whose command line names the home's temporary directories (an initdb left by a killed command). */
function orphansOf(home: string): boolean {
  return fs.readdirSync('/proc').some((name) => {
    try {
      return /^\d+$/.test(name) && fs.readFileSync(`/proc/${name}/cmdline`, 'utf8').includes(`${home}/pgdata.tmp-`) && procState(Number(name)) !== 'Z';
    } catch {
      return false;
    }
  });
}

function procStartTime(pid: number): string {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]!;
}

