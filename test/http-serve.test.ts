/**
 * `urdb serve` as a process (the built CLI): options, token, the warning beyond loopback, the access log, graceful
 * shutdown with requests in flight, and --workers.
 */
import fs from 'node:fs';
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { urdb } from './support/cli';
import { freshDatabase } from './support/db';
import { startServe } from './support/http';

const db = await freshDatabase();
const env = { DATABASE_URL: db.url };

describe('urdb serve', () => {
  it('serves the API on the URL it announces, one access-log line per request on stderr, and stops on SIGTERM with exit 0', async () => {
    const serve = await startServe([], env);
    try {
      expect(serve.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const res = await fetch(`${serve.url}/report-types/names/CANCELED_ORDERS/`);
      expect(await res.json()).toEqual({ id: 7, name: 'CANCELED_ORDERS', verbose_name: 'Отмены заказов' });
      await (await fetch(`${serve.url}/units/?limit=1`)).arrayBuffer();
    } finally {
      expect(await serve.stop('SIGTERM')).toEqual({ code: 0, signal: null });
    }
    expect(serve.stderr()).toMatch(/Z GET \/report-types\/names\/CANCELED_ORDERS\/ 200 \d+(\.\d)?ms\n/);
    expect(serve.stderr()).toMatch(/Z GET \/units\/\?limit=1 200 /);
    expect(serve.stderr()).toContain('urdb: stopping (SIGTERM)');
    expect(serve.stderr()).toMatch(/urdb: stopped\n$/);
  });

  it('--log-format json: one JSON object per line, requests and messages', async () => {
    const serve = await startServe(['--log-format', 'json'], env);
    await (await fetch(`${serve.url}/nowhere?x=1`)).arrayBuffer();
    expect(await serve.stop('SIGINT')).toEqual({ code: 0, signal: null });
    const lines = serve.stderr().trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.find((l) => l.method)).toMatchObject({ method: 'GET', path: '/nowhere?x=1', status: 404, remote: '127.0.0.1' });
    expect(lines.find((l) => l.method)!.ms).toEqual(expect.any(Number));
    expect(lines.find((l) => typeof l.url === 'string')).toMatchObject({ level: 'info', workers: 1 });
    expect(lines.at(-1)).toMatchObject({ level: 'info', message: 'stopped' });
  });

  it('SIGTERM with requests in flight: they all finish, new connections are refused, exit 0', async () => {
    const serve = await startServe([], env);
    const port = Number(new URL(serve.url).port);
    // Slow clients: the headers and half of a body sent, the rest after the signal.
    const slow = Array.from({ length: 3 }, (_, i) => {
      const body = JSON.stringify({ chat_id: 9000 + i, type: 'PRIVATE', title: `slow ${i}` });
      const socket = net.connect(port, '127.0.0.1');
      socket.write(`POST /telegram-chats/ HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, 5)}`);
      let got = '';
      socket.on('data', (d) => (got += d));
      const done = new Promise<string>((resolve) => socket.on('close', () => resolve(got)));
      return { socket, rest: body.slice(5), done };
    });
    const burst = Array.from({ length: 20 }, () => fetch(`${serve.url}/units/`).then((r) => r.status));
    await new Promise((r) => setTimeout(r, 300));
    serve.child.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 300));
    await expect(fetch(`${serve.url}/healthz`)).rejects.toThrow();
    for (const s of slow) s.socket.write(s.rest);
    const answers = await Promise.all(slow.map((s) => s.done));
    for (const a of answers) expect(a).toMatch(/^HTTP\/1\.1 201 Created\r\n/);
    expect(await Promise.all(burst)).toEqual(Array(20).fill(200));
    expect(await serve.exited).toEqual({ code: 0, signal: null });
    expect(serve.stderr()).toMatch(/finishing [1-9]\d* requests? in flight/);
    expect(await db.count('telegram_chat')).toBeGreaterThanOrEqual(3);
  });

  it('with a token (URDB_API_TOKEN or --token) every request but the probes needs it', async () => {
    for (const [args, extra] of [
      [[], { URDB_API_TOKEN: 'tok-123' }],
      [['--token', 'tok-123'], {}],
    ] as const) {
      const serve = await startServe([...args], { ...env, ...extra });
      try {
        const denied = await fetch(`${serve.url}/units/`);
        expect(denied.status).toBe(401);
        expect(await denied.text()).toBe('{"message":"Authentication credentials were not provided.","extra":{}}');
        expect((await fetch(`${serve.url}/units/`, { headers: { authorization: 'Bearer tok-123' } })).status).toBe(200);
        expect((await fetch(`${serve.url}/healthz`)).status).toBe(200);
        expect((await fetch(`${serve.url}/readyz`)).status).toBe(200);
      } finally {
        expect((await serve.stop()).code).toBe(0);
      }
    }
  });

  it('--tokens-file (or URDB_API_TOKENS_FILE): each named token passes, the audit log names it', async () => {
    const file = `${fs.mkdtempSync('/tmp/urdb-tokens-')}/tokens`;
    fs.writeFileSync(file, '# one per caller\nbot bot-secret-1\nrouter router-secret-2\n', { mode: 0o600 });
    for (const [args, extra] of [
      [['--tokens-file', file], {}],
      [[], { URDB_API_TOKENS_FILE: file }],
    ] as const) {
      const serve = await startServe([...args], { ...env, ...extra });
      try {
        expect((await fetch(`${serve.url}/units/`)).status).toBe(401);
        expect((await fetch(`${serve.url}/units/`, { headers: { authorization: 'Bearer bot-secret-1' } })).status).toBe(200);
        const created = await fetch(`${serve.url}/telegram-chats/`, {
          method: 'POST',
          headers: { authorization: 'Bearer router-secret-2', 'content-type': 'application/json' },
          body: JSON.stringify({ chat_id: 880001, type: 'PRIVATE', title: 'Tokens file' }),
        });
        expect(created.status).toBe(201);
      } finally {
        expect((await serve.stop()).code).toBe(0);
      }
      const log = await urdb(['log', '--entity', 'telegram_chat', '--chat', '880001', '--json'], { url: db.url });
      expect(log.code).toBe(0);
      expect(JSON.parse(log.stdout)[0].actor).toMatchObject({ via: 'api', token: 'router' });
      await db.sql`delete from telegram_chat where chat_id = 880001`;
    }
    const missing = await urdb(['serve', '--tokens-file', `${file}.nope`], { url: db.url });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe(`urdb: cannot read ${file}.nope: no such file\n`);
    fs.writeFileSync(file, 'bot\n');
    const bad = await urdb(['serve', '--tokens-file', file], { url: db.url });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe(`urdb: ${file}, line 1: expected "name secret"\n`);
  });

  it('warns on stderr when listening beyond loopback without a token, not with one', async () => {
    const open = await startServe(['--host', '0.0.0.0'], env);
    await open.stop();
    expect(open.stderr()).toContain('urdb: warning: listening on 0.0.0.0 without a token');
    const closed = await startServe(['--host', '0.0.0.0'], { ...env, URDB_API_TOKEN: 'x' });
    await closed.stop();
    expect(closed.stderr()).not.toContain('warning');
    const local = await startServe([], env);
    await local.stop();
    expect(local.stderr()).not.toContain('warning');
  });

  it('--workers 2: two processes share the port; SIGTERM stops them all, exit 0', async () => {
    const serve = await startServe(['--workers', '2'], env);
    try {
      expect(serve.stderr()).toContain('(2 workers;');
      const statuses = await Promise.all(
        Array.from({ length: 16 }, () => fetch(`${serve.url}/units/regions/`, { headers: { connection: 'close' } }).then((r) => r.status)),
      );
      expect(statuses).toEqual(Array(16).fill(200));
      await new Promise((r) => setTimeout(r, 100));
      const workers = new Set([...serve.stderr().matchAll(/Z \[(\d+)\] GET \/units\/regions\//g)].map((m) => m[1]));
      expect(workers.size).toBe(2);
      // A worker that dies is replaced.
      const [victim] = childrenOf(serve.child.pid!);
      process.kill(victim!, 'SIGKILL');
      const deadline = Date.now() + 10_000;
      while (!serve.stderr().includes('worker 3 is serving') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      expect(serve.stderr()).toMatch(/urdb: error: worker \d exited with SIGKILL; starting another in 1 s\n/);
      expect(serve.stderr()).toContain('urdb: worker 3 is serving');
      expect(childrenOf(serve.child.pid!)).toHaveLength(2);
      const after = await Promise.all(
        Array.from({ length: 8 }, () => fetch(`${serve.url}/healthz`, { signal: AbortSignal.timeout(5000), headers: { connection: 'close' } }).then((r) => r.status)),
      );
      expect(after).toEqual(Array(8).fill(200));
    } finally {
      expect(await serve.stop('SIGTERM')).toEqual({ code: 0, signal: null });
    }
    expect(serve.stderr()).toMatch(/urdb: stopped\n$/);
  });

  it('refuses invalid options with exit 2 naming the flag', async () => {
    const port = await urdb(['serve', '--port', '70000'], { url: db.url });
    expect(port.code).toBe(2);
    expect(port.stderr).toContain('--port: Ensure this value is less than or equal to 65535.');
    const format = await urdb(['serve', '--log-format', 'xml'], { url: db.url });
    expect(format.code).toBe(2);
    expect(format.stderr).toContain('--log-format: "xml" is not a valid choice.');
  });

  it('a database that cannot be reached at start: one line, exit 3', async () => {
    const res = await urdb(['serve', '--port', '0'], { url: 'postgres://postgres@127.0.0.1:1/none', env: { URDB_CONNECT_TIMEOUT: '2' } });
    expect(res.code).toBe(3);
    expect(res.stderr).toMatch(/^urdb: cannot connect to PostgreSQL at 127\.0\.0\.1:1: connection refused/);
  });

  it('a port already in use: exit 1 with the reason', async () => {
    const serve = await startServe([], env);
    try {
      const res = await urdb(['serve', '--port', new URL(serve.url).port], { url: db.url });
      expect(res.code).toBe(1);
      expect(res.stderr).toContain(`urdb: cannot listen on 127.0.0.1:${new URL(serve.url).port}: the address is in use (another server on that port?)\n`);
    } finally {
      await serve.stop();
    }
  });
});

/** The pids of a process's children (Linux /proc). */
function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid) out.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}
