/**
 * `urdb serve` with no configuration: the embedded default, created, migrated and seeded on first use and held for
 * the server's lifetime; CLI commands meanwhile use the same server; a database stopped under the server means 503
 * JSON, and the server recovers by itself when the database is back. `db stop`, even with --force, refuses to stop the
 * server under `urdb serve` (which answered 503 until restarted when it did).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { urdb } from './support/cli';
import { startServe, type ServeProcess } from './support/http';

const home = fs.mkdtempSync(path.join(os.tmpdir(), 'urdb-serve-home-'));
fs.chmodSync(home, 0o755); // as root, the server runs as an unprivileged user that must enter it
const env = { URDB_HOME: home, URDB_EMBEDDED_NOSYNC: '1' };
let serve: ServeProcess;

beforeAll(async () => {
  serve = await startServe([], env, 120_000);
}, 150_000);

afterAll(async () => {
  await serve?.stop();
  await urdb(['db', 'stop', '--force'], { env });
  fs.rmSync(home, { recursive: true, force: true });
}, 60_000);

const get = async (url: string) => {
  const res = await fetch(`${serve.url}${url}`);
  return { status: res.status, text: await res.text() };
};

async function eventually<T>(fn: () => Promise<T>, ok: (v: T) => boolean, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (ok(v) || Date.now() > deadline) return v;
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('urdb serve on the embedded default', () => {
  it('creates, migrates and seeds the database on first use, and answers /units/', async () => {
    expect(serve.stderr()).toContain(`created the embedded database in ${home}`);
    expect(serve.stderr()).toContain(`database: embedded PostgreSQL in ${home}`);
    expect(await get('/units/')).toEqual({ status: 200, text: '{"units":[],"is_end_of_list_reached":true}' });
    expect((await get('/report-types/names/DAILY_REVENUE/')).text).toBe('{"id":17,"name":"DAILY_REVENUE","verbose_name":"Выручка за сегодня"}');
  });

  it('CLI commands run meanwhile connect to the same server and leave it running', async () => {
    const before = await urdb(['db', 'status', '--json'], { env });
    const status = JSON.parse(before.stdout) as { server: string };
    expect(status.server).toMatch(/^running \(pid \d+/);
    expect((await fetch(`${serve.url}/telegram-chats/`, { method: 'POST', body: '{"chat_id":-100,"type":"GROUP","title":"Ops"}', headers: { 'content-type': 'application/json' } })).status).toBe(201);
    const units = await urdb(['units', 'list', '--json'], { env });
    expect(units.code).toBe(0);
    expect(JSON.parse(units.stdout)).toEqual([]);
    const after = JSON.parse((await urdb(['db', 'status', '--json'], { env })).stdout) as { server: string };
    expect(after.server).toBe(status.server);
    expect((await get('/telegram-chats/-100/')).status).toBe(200);
  });

  it('db stop, even with --force, refuses to stop the embedded server under urdb serve, saying so; the API keeps answering', async () => {
    for (const args of [['db', 'stop'], ['db', 'stop', '--force']]) {
      const refused = await urdb(args, { env });
      expect(refused.code).toBe(2);
      expect(refused.stderr).toMatch(
        /^urdb: the embedded server is in use by urdb serve \(pid (\d+)\); not stopped, even with --force \(its API would answer 503 until restarted\); stop urdb serve first \(Ctrl-C, or kill \1\), then urdb db stop\n$/,
      );
      expect(refused.stderr).toContain(`kill ${serve.child.pid}`);
      expect(await get('/units/')).toMatchObject({ status: 200 });
    }
    expect(JSON.parse((await urdb(['db', 'status', '--json'], { env })).stdout).server).toMatch(/^running/);
  });

  it('the database stopped under the server (the postmaster shut down): data routes and /readyz answer 503 JSON; started again: it recovers by itself', async () => {
    const postmaster = Number(fs.readFileSync(path.join(home, 'pgdata', 'postmaster.pid'), 'utf8').split('\n')[0]);
    process.kill(postmaster, 'SIGINT'); // fast shutdown, as a crash or an administrator's pg_ctl would
    await eventually(async () => fs.existsSync(path.join(home, 'pgdata', 'postmaster.pid')), (exists) => !exists);
    const UNAVAILABLE = { status: 503, text: '{"message":"Database unavailable","extra":{}}' };
    expect(await get('/units/')).toEqual(UNAVAILABLE);
    expect(await get('/report-routes/telegram-chats/?unit_id=1&report_type_id=7')).toEqual(UNAVAILABLE);
    expect(await get('/readyz')).toEqual(UNAVAILABLE);
    expect(await get('/healthz')).toEqual({ status: 200, text: '{"status":"ok"}' });
    const post = await fetch(`${serve.url}/telegram-chats/`, { method: 'POST', body: '{"chat_id":7,"type":"GROUP","title":"x"}', headers: { 'content-type': 'application/json' } });
    expect({ status: post.status, text: await post.text() }).toEqual(UNAVAILABLE);
    expect(serve.stderr()).toContain('urdb: error: database unavailable');

    expect((await urdb(['db', 'start'], { env })).code).toBe(0);
    expect(await eventually(() => get('/units/'), (r) => r.status === 200)).toMatchObject({ status: 200 });
    expect(await eventually(() => get('/readyz'), (r) => r.status === 200)).toEqual({ status: 200, text: '{"status":"ok"}' });
    expect((await fetch(`${serve.url}/telegram-chats/`, { method: 'POST', body: '{"chat_id":7,"type":"GROUP","title":"x"}', headers: { 'content-type': 'application/json' } })).status).toBe(201);
    expect((await get('/telegram-chats/7/')).status).toBe(200);
    expect(serve.stderr()).toContain('urdb: database available again');
  });

  it('stops on SIGTERM with exit 0', async () => {
    expect(await serve.stop('SIGTERM')).toEqual({ code: 0, signal: null });
  });
});
