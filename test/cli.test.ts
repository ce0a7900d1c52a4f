/**
 * CLI conventions of the foundation issue and cli.md "Conventions": exit codes, one-line errors that never show a
 * password, connection failures within 10 s, piped TSV vs --json, NOTICEs on stderr, --help, --version, and a
 * closed pipe. The built CLI runs as a separate process against a fresh test database.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createClient } from '../src/db/client';
import { latestVersion } from '../src/db/migrate';
import { BIN, ROOT, cleanEnv, urdb } from './support/cli';
import { freshDatabase } from './support/db';

const db = await freshDatabase();
const cli = (args: string[]) => urdb(args, { url: db.url });
const lines = (text: string) => text.split('\n').filter((l) => l !== '');
const UNIT_FIELDS = ['id', 'name', 'uuid', 'office_manager_account_name', 'dodo_is_api_account_name', 'region'];

/** `urdb … | head -1` in a shell, with pipefail so that urdb's own exit status is the pipeline's. */
function pipedToHead(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const quoted = [BIN, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', `set -o pipefail; '${process.execPath}' ${quoted} | head -1`], {
      env: cleanEnv({ DATABASE_URL: db.url }),
      cwd: ROOT,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('exit codes', () => {
  it('0 for an empty list, with nothing on stdout or stderr', async () => {
    const r = await cli(['units', 'list']);
    expect(r).toMatchObject({ code: 0, stdout: '', stderr: '' });
    expect((await cli(['units', 'list', '--json'])).stdout).toBe('[]\n');
  });

  it('1 for an error such as a region that does not exist: one line that says what to do', async () => {
    const r = await cli(['units', 'list', '--region', 'Nowhere']);
    expect(r.code).toBe(1);
    expect(lines(r.stderr)).toEqual(['urdb: region "Nowhere" not found; list regions with `urdb regions list`']);
    expect(r.stdout).toBe('');
  });

  it('2 for an unknown option, an unknown command, and an invalid value (units list --limit 0)', async () => {
    const unknown = await cli(['units', 'list', '--bogus']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("unknown option '--bogus'");
    expect((await cli(['bogus'])).code).toBe(2);
    const invalid = await cli(['units', 'list', '--limit', '0']);
    expect(invalid.code).toBe(2);
    expect(lines(invalid.stderr)).toHaveLength(1);
    expect(invalid.stderr).toMatch(/^urdb: --limit: /);
    expect(invalid.stdout).toBe('');
  });

  it.concurrent('3 when the connection is refused: one line naming host and port, never the password, within 10 s', async () => {
    const r = await urdb(['units', 'list'], { url: 'postgres://urdb:s3cret-pw@127.0.0.1:1/urdb' });
    expect(r.code).toBe(3);
    expect(r.ms).toBeLessThan(10_000);
    expect(lines(r.stderr)).toHaveLength(1);
    expect(r.stderr).toMatch(/^urdb: cannot connect to PostgreSQL at 127\.0\.0\.1:1: connection refused/);
    expect(r.stderr + r.stdout).not.toContain('s3cret-pw');
  });

  it.concurrent('3 within 10 s for an unreachable host, whatever answers (or does not) on the way', async () => {
    const r = await urdb(['units', 'list', '--database-url', 'postgres://urdb:s3cret-pw@10.255.255.1:5432/urdb'], {
      timeoutMs: 30_000,
    });
    expect(r.signal).toBeNull();
    expect(r.code).toBe(3);
    expect(r.ms).toBeLessThan(10_000);
    expect(lines(r.stderr)).toHaveLength(1);
    expect(r.stderr).toContain('10.255.255.1:5432');
    expect(r.stderr + r.stdout).not.toContain('s3cret-pw');
  });

  it.concurrent('3 for a port where something else answers (HTTP) at once, and for one that never answers within 10 s', async () => {
    const http = net.createServer((socket) => socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n'));
    const silent = net.createServer(() => undefined);
    const port = async (server: net.Server) => {
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      return (server.address() as net.AddressInfo).port;
    };
    try {
      const [httpPort, silentPort] = [await port(http), await port(silent)];
      const [other, none] = await Promise.all([
        urdb(['units', 'list'], { url: `postgres://urdb:s3cret-pw@127.0.0.1:${httpPort}/urdb`, timeoutMs: 30_000 }),
        urdb(['units', 'list'], { url: `postgres://urdb:s3cret-pw@127.0.0.1:${silentPort}/urdb`, timeoutMs: 30_000 }),
      ]);
      expect(other.code).toBe(3);
      expect(other.ms).toBeLessThan(8_000);
      expect(lines(other.stderr)).toEqual([expect.stringContaining(`127.0.0.1:${httpPort}: something else answers there`)]);
      expect(none.code).toBe(3);
      expect(none.ms).toBeLessThan(10_000);
      expect(lines(none.stderr)).toEqual([expect.stringContaining(`127.0.0.1:${silentPort}: timed out connecting`)]);
      for (const r of [other, none]) expect(r.stderr).not.toContain('s3cret-pw');
    } finally {
      http.close();
      silent.close();
    }
  });

  it('--help lists the exit codes', async () => {
    const r = await urdb(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Exit codes:');
    for (const code of ['0 ok', '1 error', '2 usage', '3 cannot connect', '130 interrupted']) expect(r.stdout).toContain(code);
  });

  it('--version prints the version of package.json and the schema version it expects (from the migration files)', async () => {
    const { version } = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
    const line = `urdb ${version} (schema ${latestVersion()})\n`;
    // The launcher answers --version alone without loading the CLI; with other flags commander does: same text.
    for (const args of [['--version'], ['-V'], ['--no-color', '--version']]) {
      expect(await urdb(args)).toMatchObject({ code: 0, stdout: line, stderr: '' });
    }
  });
});

describe('output', () => {
  it('piped: tab-separated lines without a header; --json: an array with the API field names', async () => {
    await db.sql`insert into region (id, name) values (9001, 'Тест 1')`;
    await db.sql`
      insert into unit (id, name, uuid, region_id, office_manager_account_name)
      values (501, 'Тест 1-1', '00000000-0000-4000-8000-000000000501', 9001, 'om'),
             (502, 'Tab	in name', '00000000-0000-4000-8000-000000000502', 9001, '')
    `;
    const piped = await cli(['units', 'list']);
    expect(piped.code).toBe(0);
    expect(lines(piped.stdout)).toEqual([
      ['501', 'Тест 1-1', 'Тест 1', '00000000-0000-4000-8000-000000000501', 'om', ''].join('\t'),
      ['502', 'Tab\\tin name', 'Тест 1', '00000000-0000-4000-8000-000000000502', '', ''].join('\t'),
    ]);
    const json = await cli(['units', 'list', '--json']);
    const units = JSON.parse(json.stdout) as Record<string, unknown>[];
    expect(units).toHaveLength(2);
    for (const u of units) expect(Object.keys(u).sort()).toEqual([...UNIT_FIELDS].sort());
    expect(units[0]).toEqual({
      id: 501,
      name: 'Тест 1-1',
      uuid: '00000000-0000-4000-8000-000000000501',
      office_manager_account_name: 'om',
      dodo_is_api_account_name: '',
      region: 'Тест 1',
    });
    const types = JSON.parse((await cli(['report-types', 'list', '--all', '--json'])).stdout) as Record<string, unknown>[];
    expect(types[0]).toMatchObject({ id: 1, name: 'STATISTICS', verbose_name: 'Отчёты по статистике' });
  });

  it('`urdb report-types list --all | head -1` exits cleanly, and so does a list far larger than the pipe buffer', async () => {
    const small = await pipedToHead(['report-types', 'list', '--all']);
    expect(small).toMatchObject({ code: 0, stderr: '' });
    expect(small.stdout).toMatch(/^1\tSTATISTICS\t/);
    expect(lines(small.stdout)).toHaveLength(1);

    await db.sql`insert into region (id, name) values (9002, 'Много') on conflict do nothing`;
    await db.sql`
      insert into unit (id, name, uuid, region_id, office_manager_account_name, dodo_is_api_account_name)
      select 100000 + n, 'Unit ' || n, ('00000000-0000-4000-9000-' || lpad(n::text, 12, '0'))::uuid, 9002,
             repeat('o', 100), repeat('d', 100)
      from generate_series(1, 3000) as n
    `;
    const big = await pipedToHead(['units', 'list', '--all']);
    expect(big).toMatchObject({ code: 0, stderr: '' });
    expect(lines(big.stdout)).toHaveLength(1);
  });
});

describe('NOTICEs and other server messages go to stderr, never to stdout', () => {
  afterEach(() => vi.restoreAllMocks());

  it('through a real command: server DEBUG messages (client_min_messages) land on stderr, stdout stays JSON', async () => {
    const url = `${db.url}${db.url.includes('?') ? '&' : '?'}client_min_messages=debug5`;
    const r = await urdb(['report-types', 'list', '--all', '--json'], { url });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toHaveLength(21);
    expect(r.stderr).toMatch(/^urdb: postgres: DEBUG: /m);
  });

  it('a client created the way the CLI creates it writes `raise notice` to stderr', async () => {
    const stdout = vi.spyOn(process.stdout, 'write');
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const sql = createClient({ url: db.url, schema: 'urdb', max: 1, applicationName: 'urdb cli' });
    try {
      await sql`do $$ begin raise notice 'urdb notice probe'; end $$`;
    } finally {
      await sql.end({ timeout: 5 });
    }
    const written = (spy: typeof stderr) => spy.mock.calls.map((c) => String(c[0])).join('');
    expect(written(stderr)).toContain('urdb: postgres: NOTICE: urdb notice probe\n');
    expect(written(stdout)).not.toContain('urdb notice probe');
  });
});
