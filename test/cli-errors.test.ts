/**
 * Errors that tell the truth (issue 11 §1, §2): a file or directory problem names the path and the cause (exit 2 for
 * a path that is wrong, 1 for one the system refuses), never "cannot connect to PostgreSQL"; a stdout that cannot
 * be written is one line, exit 1, with no success message before it.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isConnectionError } from '../src/db/client';
import { BIN, ROOT, cleanEnv, letOthersThrough, urdb } from './support/cli';
import { freshDatabase } from './support/db';

const db = await freshDatabase();
const isRoot = process.getuid?.() === 0;
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'urdb-clierr-'));
fs.chmodSync(scratch, 0o755);
const restoreModes = isRoot ? letOthersThrough(ROOT) : () => undefined;
afterAll(() => {
  restoreModes();
  fs.rmSync(scratch, { recursive: true, force: true });
});
/** As root, permissions do not apply: the unprivileged runs go through `runuser -u nobody`. */
const unprivileged = isRoot ? { asUser: 'nobody' } : {};
/** A directory nobody (but its owner) may write to. */
function readOnlyDir(name: string): string {
  const dir = path.join(scratch, name);
  fs.mkdirSync(dir);
  fs.chmodSync(dir, 0o555);
  return dir;
}
const aFile = path.join(scratch, 'a-file');
fs.writeFileSync(aFile, 'x');

describe('export --out names the file and why it cannot be written', () => {
  it('a directory that does not exist: exit 2, one line, nothing written', async () => {
    const r = await urdb(['export', '--out', '/nonexistent/dir/x.json'], { url: db.url });
    expect(r).toMatchObject({ code: 2, stdout: '', stderr: 'urdb: cannot write /nonexistent/dir/x.json: no such directory\n' });
  });

  it('a path under a file: exit 2', async () => {
    const r = await urdb(['export', '--out', `${aFile}/x.json`], { url: db.url });
    expect(r).toMatchObject({ code: 2, stderr: `urdb: cannot write ${aFile}/x.json: a part of the path is not a directory\n` });
  });

  it('a directory it may not write to: exit 1, "permission denied", no temporary file left', async () => {
    const dir = readOnlyDir('export-ro');
    const r = await urdb(['export', '--out', path.join(dir, 'x.json')], { url: db.url, ...unprivileged });
    expect(r).toMatchObject({ code: 1, stderr: `urdb: cannot write ${dir}/x.json: permission denied\n` });
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it('a database that cannot be reached is exit 3, and leaves no file and no temporary file', async () => {
    const dir = path.join(scratch, 'unreached');
    fs.mkdirSync(dir);
    const r = await urdb(['export', '--out', path.join(dir, 'x.json')], { url: 'postgres://x@127.0.0.1:1/x' });
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/^urdb: cannot connect to PostgreSQL at 127\.0\.0\.1:1: connection refused/);
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it('a file that can be written gets the bundle, and the message names it', async () => {
    const out = path.join(scratch, 'bundle.json');
    const r = await urdb(['export', '--out', out], { url: db.url });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/^exported .* to .*bundle\.json\n$/);
    expect(JSON.parse(fs.readFileSync(out, 'utf8')).report_types).toHaveLength(21);
  });
});

describe('an unusable URDB_HOME is the home\'s problem, not the database URL\'s', () => {
  it('a home it cannot create: exit 1, names the directory, says to set URDB_HOME', async () => {
    const home = path.join(readOnlyDir('home-ro'), 'urdb');
    const r = await urdb(['units', 'list'], { env: { URDB_HOME: home }, ...unprivileged });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `urdb: the embedded database in ${home} is unusable: cannot create ${home}: permission denied; ` +
        'set URDB_HOME to a directory you can write, or use a PostgreSQL server (--database-url or DATABASE_URL)\n',
    );
    expect(r.stderr).not.toMatch(/connect|socket/);
  });

  it('a home under a file: exit 2, "not a directory"', async () => {
    const r = await urdb(['units', 'list'], { env: { URDB_HOME: `${aFile}/urdb` } });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`^urdb: the embedded database in ${aFile}/urdb is unusable: cannot create ${aFile}/urdb: a part of the path is not a directory; `));
  });
});

describe('an input file that cannot be read', () => {
  it('one it may not read: exit 1, "permission denied"', async () => {
    const file = path.join(scratch, 'secret.json');
    fs.writeFileSync(file, '{}', { mode: 0o600 });
    const r = await urdb(['import', file], { url: db.url, ...unprivileged });
    expect(r).toMatchObject({ code: 1, stderr: `urdb: cannot read ${file}: permission denied\n` });
  });
});

/** The CLI with its stdout on /dev/full (every write fails with ENOSPC). */
function toDevFull(args: string[]): Promise<{ code: number | null; stderr: string }> {
  const full = fs.openSync('/dev/full', 'w');
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: cleanEnv({ DATABASE_URL: db.url }), cwd: ROOT, stdio: ['ignore', full, 'pipe'] });
    fs.closeSync(full);
    let stderr = '';
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

describe.skipIf(!fs.existsSync('/dev/full'))('a stdout that cannot be written (> /dev/full)', () => {
  const ENOSPC = 'urdb: cannot write to stdout: no space left on device\n';

  it('export: one line, exit 1, no "exported …" before it and no stack', async () => {
    expect(await toDevFull(['export'])).toEqual({ code: 1, stderr: ENOSPC });
  });

  it('a list (report-types list --all, and --json): the same', async () => {
    expect(await toDevFull(['report-types', 'list', '--all'])).toEqual({ code: 1, stderr: ENOSPC });
    expect(await toDevFull(['report-types', 'list', '--json'])).toEqual({ code: 1, stderr: ENOSPC });
  });

  it('--debug adds the stack', async () => {
    const r = await toDevFull(['--debug', 'export']);
    expect(r.code).toBe(1);
    expect(r.stderr.startsWith(ENOSPC)).toBe(true);
    expect(r.stderr).toMatch(/ENOSPC/);
  });
});

describe('only errors of the database client are connection failures', () => {
  it('by origin, not errno: a file\'s ENOENT/EACCES is not; a socket\'s refusal and postgres.js\'s own errors are', () => {
    const fileError = (code: string) => Object.assign(new Error(code), { code, errno: -2, syscall: 'open', path: '/x' });
    expect(isConnectionError(fileError('ENOENT'))).toBe(false);
    expect(isConnectionError(fileError('EACCES'))).toBe(false);
    expect(isConnectionError(Object.assign(new Error('x'), { code: 'ECONNREFUSED' }))).toBe(false);
    const refused = { code: 'ECONNREFUSED', errno: -111, syscall: 'connect', address: '127.0.0.1', port: 5432 };
    expect(isConnectionError(Object.assign(new Error('connect ECONNREFUSED'), refused))).toBe(true);
    const closed = { code: 'CONNECTION_CLOSED', errno: 'CONNECTION_CLOSED', address: '/run/urdb' };
    expect(isConnectionError(Object.assign(new Error('write CONNECTION_CLOSED /run/urdb'), closed))).toBe(true);
  });
});
