/**
 * Faults under load:
 * - PostgreSQL stopped and started, then crashed (immediate shutdown) and started, under `urdb serve`: 503 JSON while
 *   it is down, recovery by itself, never a 500, no acknowledged write lost. An embedded server in its own
 *   URDB_HOME, so the shared test database is never touched.
 * - SIGTERM to `urdb serve` under load: every request the server took is answered (zero failed in flight); what it
 *   did not take is refused at connect and wrote nothing.
 * - SIGKILL to `urdb import` in the middle of writing: nothing of it is visible, before or after the rollback, and
 *   the next import is not blocked.
 * - Clients that disconnect half-way through a body, or while waiting for a slow answer: the server and its pool are
 *   unaffected (nothing in flight left over, connections returned, the next burst answered).
 * - Slow clients dribbling headers or a body byte by byte: cut off by the server's timeouts with a JSON 408, while
 *   other clients are answered meanwhile.
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createClient, type Sql } from '../src/db/client';
import { embeddedPaths } from '../src/db/embedded';
import { importBundle } from '../src/handlers/bundle/import';
import { createApi } from '../src/http/api';
import { startServer } from '../src/http/server';
import { generatedBundle, UUID } from './support/bundles';
import { urdb } from './support/cli';
import { checkConsistency, fingerprint } from './support/consistency';
import { freshDatabase } from './support/db';
import { startServe } from './support/http';
import { request, waitFor, type Outcome } from './support/load';

const db = await freshDatabase();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const figures = { faults: 0, requests: 0 };
afterAll(() => console.log(`faults: ${figures.faults} faults injected under ${figures.requests} requests`));

describe('PostgreSQL restarted and crashed under load', () => {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'urdb-faults-home-'));
  fs.chmodSync(home, 0o755); // as root the server runs as an unprivileged user that must enter it
  const env = { URDB_HOME: home, URDB_EMBEDDED_NOSYNC: '1' };
  afterAll(async () => {
    await urdb(['db', 'stop', '--force'], { env });
    fs.rmSync(home, { recursive: true, force: true });
  }, 60_000);

  it('answers 503 JSON while the database is down, recovers by itself, never a 500, loses no acknowledged write', async () => {
    const serve = await startServe(['--pool-size', '4'], env, 120_000);
    const outcomes: Outcome[] = [];
    const created = new Set<number>();
    let stop = false;
    let n = 0;
    const loop = async (k: number) => {
      while (!stop) {
        const id = ++n;
        // Writes with ids of their own, and reads of what was acknowledged: a 404 for one of those is a lost write.
        const known = [...created];
        const o =
          id % 3 === 0 && known.length
            ? await request(serve.url, 'GET', `/telegram-chats/${known[id % known.length]}/`)
            : id % 5 === 0
              ? await request(serve.url, 'GET', '/readyz')
              : await request(serve.url, 'POST', '/telegram-chats/', { chat_id: 1_000_000 + id, type: 'PRIVATE', title: `load ${id} ${k}` });
        o.id = id;
        (o as Outcome & { at: number }).at = Date.now();
        outcomes.push(o);
        if (o.method === 'POST' && o.status === 201) created.add(1_000_000 + id);
        if (o.error) await sleep(20);
      }
    };
    const loops = Array.from({ length: 6 }, (_, k) => loop(k));
    const since = (mark: number) => outcomes.slice(mark);
    try {
      await sleep(700);
      for (const fault of ['stop', 'crash'] as const) {
        const mark = outcomes.length;
        // stop: a fast shutdown (as pg_ctl stop; `urdb db stop` refuses under urdb serve, even with --force).
        // crash: an immediate shutdown: no checkpoint, crash recovery at the next start.
        const pid = Number(fs.readFileSync(path.join(embeddedPaths(home).pgdata, 'postmaster.pid'), 'utf8').split('\n')[0]);
        process.kill(pid, fault === 'stop' ? 'SIGINT' : 'SIGQUIT');
        await waitFor('the postmaster to exit', () => !fs.existsSync(path.join(embeddedPaths(home).pgdata, 'postmaster.pid')));
        figures.faults++;
        await waitFor('503s while the database is down', () => since(mark).filter((o) => o.status === 503).length >= 5);
        const down = outcomes.length;
        expect((await urdb(['db', 'start'], { env })).code).toBe(0);
        const started = Date.now();
        await waitFor('writes acknowledged again', () => since(down).some((o) => o.method === 'POST' && o.status === 201), 20_000);
        console.log(`faults: database ${fault}: ${since(mark).filter((o) => o.status === 503).length} answers 503, writes back ${Date.now() - started} ms after the start`);
        await sleep(500);
      }
    } finally {
      stop = true;
      await Promise.all(loops);
    }
    figures.requests += outcomes.length;
    expect(serve.stderr()).toContain('urdb: error: database unavailable');
    expect(serve.stderr()).toContain('urdb: database available again');
    expect((await serve.stop('SIGTERM')).code).toBe(0);

    const unexpected = outcomes.filter((o) => o.error || ![200, 201, 503].includes(o.status!));
    if (unexpected.length) console.log(serve.stderr().split('\n').filter((l) => !/ 20[01] /.test(l)).join('\n'), JSON.stringify(outcomes.slice(-200).map((o) => [o.id, (o as any).at % 100000, o.status ?? o.error])));
    expect(unexpected.slice(0, 10)).toEqual([]);
    for (const o of outcomes.filter((o) => o.status === 503)) expect(o.body).toBe('{"message":"Database unavailable","extra":{}}');
    expect(serve.stderr()).not.toMatch(/internal error/);
    // Every acknowledged write is there after the stop and the crash.
    const listed = await urdb(['chats', 'list', '--all', '--json'], { env });
    expect(listed.code).toBe(0);
    const stored = new Set((JSON.parse(listed.stdout) as { chat_id: number }[]).map((c) => c.chat_id));
    const lost = [...created].filter((id) => !stored.has(id));
    expect(created.size).toBeGreaterThan(20);
    expect(lost).toEqual([]);
  }, 180_000);
});

describe('SIGTERM to urdb serve under load', () => {
  it('answers every request it took, refuses the rest at connect, and writes nothing it did not acknowledge', async () => {
    const serve = await startServe([], { DATABASE_URL: db.url });
    const port = Number(new URL(serve.url).port);
    const outcomes: Outcome[] = [];
    let refused = 0;
    let n = 0;
    const loop = async () => {
      while (refused < 12) {
        const id = ++n;
        const o =
          id % 2
            ? await request(serve.url, 'POST', `/telegram-chats/?n=${id}`, { chat_id: 2_000_000 + id, type: 'PRIVATE', title: `t${id}` })
            : await request(serve.url, 'GET', `/units/?n=${id}`);
        o.id = id;
        outcomes.push(o);
        if (o.error === 'ECONNREFUSED') {
          refused++;
          await sleep(10);
        }
      }
    };
    // Requests certainly in flight at the signal: headers and half a body sent before it, the rest after.
    const slow = Array.from({ length: 3 }, (_, i) => {
      const body = JSON.stringify({ chat_id: 2_900_000 + i, type: 'GROUP', title: `slow ${i}` });
      const socket = net.connect(port, '127.0.0.1');
      socket.write(`POST /telegram-chats/ HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, 7)}`);
      let got = '';
      socket.on('data', (d) => (got += d));
      socket.on('error', () => undefined);
      return { socket, rest: body.slice(7), done: new Promise<string>((resolve) => socket.on('close', () => resolve(got))) };
    });
    const loops = Array.from({ length: 8 }, () => loop());
    await sleep(800);
    serve.child.kill('SIGTERM');
    figures.faults++;
    await sleep(300);
    for (const s of slow) s.socket.write(s.rest);
    await Promise.all(loops);
    const answers = await Promise.all(slow.map((s) => s.done));
    expect((await serve.exited).code).toBe(0);
    figures.requests += outcomes.length + slow.length;

    for (const a of answers) expect(a).toMatch(/^HTTP\/1\.1 201 Created\r\n/);
    expect(serve.stderr()).toMatch(/finishing [3-9]\d* requests in flight|finishing \d{2,} requests in flight/);
    // What the server took, from its access log: each of those the client got in full, with the same status.
    const served = new Map<string, number>();
    for (const m of serve.stderr().matchAll(/Z (GET|POST) (\S+) (\d{3}) /g)) served.set(`${m[1]} ${m[2]}`, Number(m[3]));
    const failedInFlight = outcomes.filter((o) => o.error && served.has(`${o.method} ${o.path}`));
    expect(failedInFlight).toEqual([]);
    for (const o of outcomes.filter((o) => o.status !== undefined)) expect(served.get(`${o.method} ${o.path}`), o.path).toBe(o.status);
    expect(outcomes.filter((o) => o.status !== undefined && o.status >= 300)).toEqual([]);
    // Not taken: refused at connect (or reset before the server read it); and then nothing was written.
    const notTaken = outcomes.filter((o) => o.error);
    for (const o of notTaken) expect(['ECONNREFUSED', 'ECONNRESET', 'EPIPE']).toContain(o.error);
    const ids = notTaken.filter((o) => o.method === 'POST').map((o) => 2_000_000 + o.id);
    const written = await db.sql`select chat_id from telegram_chat where chat_id = any(${`{${ids.join(',')}}`}::bigint[])`;
    expect(written).toEqual([]);
    const acknowledged = outcomes.filter((o) => o.method === 'POST' && o.status === 201).map((o) => 2_000_000 + o.id);
    const [{ n: present }] = (await db.sql`select count(*)::int as n from telegram_chat where chat_id = any(${`{${acknowledged.join(',')}}`}::bigint[])`) as unknown as [{ n: number }];
    expect(present).toBe(acknowledged.length);
    expect(acknowledged.length).toBeGreaterThan(10);
  }, 60_000);
});

describe('SIGKILL to urdb import while it writes', () => {
  it('leaves nothing of it visible, and the next import runs', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'urdb-faults-'));
    const file = path.join(dir, 'big.json');
    const bundle = generatedBundle({ regions: 20, units: 1000, chats: 800, types: 6, seed: 7 });
    fs.writeFileSync(file, JSON.stringify(bundle));
    const routes = bundle.report_routes.reduce((s, r) => s + r.unit_ids.length, 0);
    const watcher = createClient({ url: db.url, schema: 'urdb', max: 1 });
    try {
      const before = await fingerprint(db.sql);
      const routesBefore = await db.count('report_route');
      const { spawn } = await import('node:child_process');
      const { BIN, cleanEnv, ROOT } = await import('./support/cli');
      const child = spawn(process.execPath, [BIN, 'import', file, '--yes', '--quiet'], { env: cleanEnv({ DATABASE_URL: db.url }), cwd: ROOT, stdio: 'ignore' });
      const exited = new Promise<NodeJS.Signals | number | null>((resolve) => child.on('exit', (code, signal) => resolve(signal ?? code)));
      // Mid-import: regions, units and chats written (uncommitted), the route table locked for the routes.
      await waitFor('the import to reach the routes', () => routeLockHeld(watcher), 30_000);
      const seen = await fingerprint(db.sql);
      child.kill('SIGKILL');
      figures.faults++;
      expect(await exited).toBe('SIGKILL');
      expect(seen.tables).toEqual(before.tables);
      expect((await fingerprint(db.sql)).tables).toEqual(before.tables);
      // The server notices the dead client and rolls back: its locks go, and nothing of it appears.
      await waitFor('the killed import to be rolled back', async () => !(await routeLockHeld(watcher)), 30_000);
      expect((await fingerprint(db.sql)).tables).toEqual(before.tables);
      const again = await urdb(['import', file, '--yes', '--quiet'], { url: db.url, timeoutMs: 60_000 });
      expect(again.code, again.stderr).toBe(0);
      expect(await db.count('report_route')).toBe(routesBefore + routes);
      expect(await checkConsistency(db.sql)).toEqual([]);
    } finally {
      await watcher.end();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});

async function routeLockHeld(sql: Sql): Promise<boolean> {
  const [row] = await sql<{ n: number }[]>`
    select count(*)::int as n from pg_locks l join pg_stat_activity a on a.pid = l.pid
    where l.relation = 'report_route'::regclass and l.mode = 'ShareRowExclusiveLock' and a.application_name = 'urdb cli'
  `;
  return row!.n > 0;
}

describe('clients that go away', () => {
  it('a body half sent, then the socket destroyed; a client gone while its answer is slow: server and pool unaffected', async () => {
    await importBundle(db.ctx(), {
      format: 'urdb-bundle/1',
      regions: [{ id: 1, name: 'R' }],
      units: [{ id: 1, name: 'U1', uuid: UUID(1), region: 'R' }],
      roles: [{ id: 1, name: 'r', access_code: 'slow code', units: [1], report_types: ['CANCELED_ORDERS'] }],
      telegram_chats: [{ chat_id: 3_000_000, type: 'PRIVATE', title: 'waiting' }],
    });
    const POOL = 3;
    const pool = createClient({ url: db.url, schema: 'urdb', max: POOL, applicationName: 'urdb faults pool', onNotice: () => {} });
    const server = await startServer({ api: createApi({ sql: pool, onEvent: () => {} }), host: '127.0.0.1', port: 0 });
    const port = server.address.port;
    const base = `http://127.0.0.1:${port}`;
    let bursts = 0;
    const burst = async (k: number) => {
      const first = 3_100_000 + 1000 * ++bursts;
      const answers = await Promise.all(Array.from({ length: k }, (_, i) => request(base, i % 2 ? 'GET' : 'POST', i % 2 ? '/units/' : '/telegram-chats/', i % 2 ? undefined : { chat_id: first + i, type: 'GROUP', title: 'after' })));
      figures.requests += k;
      return answers.map((a) => a.status ?? a.error);
    };
    try {
      // 1. Half a body, then gone.
      const halves = Array.from({ length: 20 }, (_, i) => {
        const body = JSON.stringify({ chat_id: 3_200_000 + i, type: 'GROUP', title: 'never' });
        const socket = net.connect(port, '127.0.0.1', () => {
          socket.write(`POST /telegram-chats/ HTTP/1.1\r\nHost: x\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, body.length / 2)}`);
          setTimeout(() => socket.destroy(), 50);
        });
        socket.on('error', () => undefined);
        return new Promise<void>((resolve) => socket.on('close', () => resolve()));
      });
      await Promise.all(halves);
      figures.faults += halves.length;
      await waitFor('nothing in flight', () => server.inFlight() === 0, 5000);
      expect(await burst(30)).toEqual(Array.from({ length: 30 }, (_, i) => (i % 2 ? 200 : 201)));
      expect((await db.sql`select 1 from telegram_chat where chat_id between 3200000 and 3200019`).length).toBe(0);

      // 2. Slow answers (the chat row is locked by another transaction), clients gone while they wait.
      let release!: () => void;
      const released = new Promise<void>((r) => (release = r));
      let locked!: () => void;
      const isLocked = new Promise<void>((r) => (locked = r));
      const holder = db.sql.begin(async (tx) => {
        await tx`select id from telegram_chat where chat_id = 3000000 for update`;
        locked();
        await released;
      });
      await isLocked;
      const waiting = Array.from({ length: 8 }, () => {
        const body = JSON.stringify({ access_code: 'slow code' });
        const socket = net.connect(port, '127.0.0.1', () => {
          socket.write(`PATCH /roles/users/3000000/ HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
        });
        socket.on('error', () => undefined);
        return socket;
      });
      await waitFor('the requests to wait on the lock', () => server.inFlight() === 8, 5000);
      for (const s of waiting) s.destroy();
      figures.faults += waiting.length;
      await sleep(100);
      release();
      await holder;
      await waitFor('the abandoned requests to finish', () => server.inFlight() === 0, 10_000);
      expect(await burst(30)).toEqual(Array.from({ length: 30 }, (_, i) => (i % 2 ? 200 : 201)));
      const [conns] = await db.sql<{ n: number }[]>`select count(*)::int as n from pg_stat_activity where application_name = 'urdb faults pool'`;
      expect(conns!.n).toBeLessThanOrEqual(POOL);
      const [chat] = await db.sql<{ role_id: number }[]>`select role_id from telegram_chat where chat_id = 3000000`;
      expect(chat!.role_id).toBe(1); // the work was done; only its answer had nowhere to go
      expect(await checkConsistency(db.sql)).toEqual([]);
    } finally {
      await server.close(1000);
      await pool.end({ timeout: 5 });
    }
  }, 60_000);
});

describe('slow clients', () => {
  it('headers or a body dribbled byte by byte are cut off with a JSON 408; others are answered meanwhile', async () => {
    const server = await startServer({
      api: createApi({ sql: db.sql, onEvent: () => {} }),
      host: '127.0.0.1',
      port: 0,
      headersTimeoutMs: 1000,
      requestTimeoutMs: 2000,
      timeoutCheckMs: 100,
    });
    const port = server.address.port;
    const dribble = (text: string, everyMs: number) => {
      const started = Date.now();
      const socket = net.connect(port, '127.0.0.1');
      let got = '';
      let i = 0;
      const timer = setInterval(() => {
        if (i < text.length && socket.writable) socket.write(text[i++]!);
      }, everyMs);
      socket.on('data', (d) => (got += d));
      socket.on('error', () => undefined);
      return new Promise<{ answer: string; ms: number }>((resolve) =>
        socket.on('close', () => {
          clearInterval(timer);
          resolve({ answer: got, ms: Date.now() - started });
        }),
      );
    };
    try {
      const headerDribblers = Array.from({ length: 5 }, () => dribble('GET /units/ HTTP/1.1\r\nHost: example\r\nX-Slow: ' + 'a'.repeat(200) + '\r\n\r\n', 50));
      const body = JSON.stringify({ chat_id: 4_000_000, type: 'GROUP', title: 'slow body' });
      const slowBody = (() => {
        const started = Date.now();
        const socket = net.connect(port, '127.0.0.1', () => socket.write(`POST /telegram-chats/ HTTP/1.1\r\nHost: x\r\nContent-Length: ${body.length}\r\n\r\n`));
        let got = '';
        let i = 0;
        const timer = setInterval(() => socket.writable && i < body.length && socket.write(body[i++]!), 200);
        socket.on('data', (d) => (got += d));
        socket.on('error', () => undefined);
        return new Promise<{ answer: string; ms: number }>((resolve) =>
          socket.on('close', () => {
            clearInterval(timer);
            resolve({ answer: got, ms: Date.now() - started });
          }),
        );
      })();
      // Meanwhile, ordinary clients: each answered at once.
      const times: number[] = [];
      for (let i = 0; i < 30; i++) {
        const t = Date.now();
        const o = await request(`http://127.0.0.1:${port}`, 'GET', '/units/regions/');
        expect(o.status).toBe(200);
        times.push(Date.now() - t);
        await sleep(20);
      }
      figures.requests += 30;
      const cut = await Promise.all(headerDribblers);
      const slowBodyCut = await slowBody;
      figures.faults += cut.length + 1;
      for (const c of cut) {
        expect(c.answer).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
        expect(c.answer).toContain('content-type: application/json; charset=utf-8');
        expect(c.answer.endsWith('{"message":"Request timeout","extra":{}}')).toBe(true);
        expect(c.ms).toBeGreaterThanOrEqual(900);
        expect(c.ms).toBeLessThan(4000);
      }
      expect(slowBodyCut.answer).toMatch(/^HTTP\/1\.1 408 /);
      expect(slowBodyCut.ms).toBeGreaterThanOrEqual(1900);
      expect(slowBodyCut.ms).toBeLessThan(6000);
      expect(Math.max(...times)).toBeLessThan(1000);
      expect(await db.count('telegram_chat')).toBeGreaterThan(0);
      expect((await db.sql`select 1 from telegram_chat where chat_id = 4000000`).length).toBe(0);
    } finally {
      await server.close(1000);
    }
  }, 30_000);
});
