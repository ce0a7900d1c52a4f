/**
 * SIGHUP (issue 12 §4) on a real `urdb serve`: the tokens file and the @file lists are reread; a request in flight
 * keeps the tokens it arrived with; a removed token is refused from the next request; a file that does not load
 * keeps the previous settings and the log says why.
 */
import fs from 'node:fs';
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { urdb } from './support/cli';
import { freshDatabase } from './support/db';
import { rawExchange, startServe, type ServeProcess } from './support/http';

const db = await freshDatabase();
const dir = fs.mkdtempSync('/tmp/urdb-reload-');
const tokensFile = `${dir}/tokens`;
const hostsFile = `${dir}/hosts`;

/** Sends SIGHUP and waits (≤ 10 s) for the log line that says how the reload went. */
async function hangup(serve: ServeProcess): Promise<string> {
  const before = serve.stderr().length;
  serve.child.kill('SIGHUP');
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const line = /urdb: (reloaded|error: reload failed)[^\n]*\n/.exec(serve.stderr().slice(before));
    if (line) return line[0];
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`no reload line after SIGHUP:\n${serve.stderr()}`);
}

const status = (url: string, token: string) => fetch(`${url}/units/?limit=1`, { headers: { authorization: `Bearer ${token}` } }).then((r) => r.status);

describe('SIGHUP', () => {
  it('rereads the tokens file: a removed token is refused from the next request, an added one passes, a request in flight is unaffected', async () => {
    fs.writeFileSync(tokensFile, 'bot bot-secret-1\nrouter router-secret-1\n');
    const serve = await startServe(['--tokens-file', tokensFile], { DATABASE_URL: db.url });
    try {
      expect(await status(serve.url, 'router-secret-1')).toBe(200);
      // In flight: the headers (with the bot's token) are in, the body is not.
      const port = Number(new URL(serve.url).port);
      const body = JSON.stringify({ chat_id: 77001, type: 'PRIVATE', title: 'in flight' });
      const socket = net.connect(port, '127.0.0.1');
      const answer = new Promise<string>((resolve) => {
        let got = '';
        socket.on('data', (d) => (got += d));
        socket.on('close', () => resolve(got));
      });
      socket.write(
        `POST /telegram-chats/ HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAuthorization: Bearer bot-secret-1\r\nContent-Type: application/json\r\n` +
          `Connection: close\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, 5)}`,
      );
      await new Promise((r) => setTimeout(r, 200));
      fs.writeFileSync(tokensFile, 'router router-secret-1\nreports reports-secret-1\n');
      expect(await hangup(serve)).toBe(`urdb: reloaded from ${tokensFile}: 2 token(s)\n`);
      expect(await status(serve.url, 'bot-secret-1')).toBe(401);
      expect(await status(serve.url, 'reports-secret-1')).toBe(200);
      expect(await status(serve.url, 'router-secret-1')).toBe(200);
      socket.write(body.slice(5));
      expect(await answer).toMatch(/^HTTP\/1\.1 201 Created\r\n/);
      expect(await db.count('telegram_chat')).toBe(1);

      // A bad file: the previous tokens stay, the log says why.
      fs.writeFileSync(tokensFile, 'router router-secret-2\nbroken-line-without-secret\n');
      expect(await hangup(serve)).toBe(
        `urdb: error: reload failed, keeping the previous tokens and lists: ${tokensFile}, line 2: expected "name secret"\n`,
      );
      expect(await status(serve.url, 'router-secret-1')).toBe(200);
      expect(await status(serve.url, 'router-secret-2')).toBe(401);
      fs.rmSync(tokensFile);
      expect(await hangup(serve)).toMatch(/reload failed, keeping the previous tokens and lists: cannot read .*: no such file\n$/);
      expect(await status(serve.url, 'reports-secret-1')).toBe(200);
    } finally {
      expect(await serve.stop()).toEqual({ code: 0, signal: null });
    }
  });

  it('rereads --allowed-hosts @file; with --workers 2 every worker rereads', async () => {
    fs.writeFileSync(hostsFile, '# the names callers use\nurdb.internal\n');
    const serve = await startServe(['--allowed-hosts', `@${hostsFile}`, '--workers', '2'], { DATABASE_URL: db.url });
    try {
      const port = Number(new URL(serve.url).port);
      const get = (host: string) => rawExchange(port, `GET /healthz HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);
      expect(await get(`urdb.internal:${port}`)).toMatch(/^HTTP\/1\.1 200 /);
      expect(await get(`urdb-new.internal:${port}`)).toMatch(/^HTTP\/1\.1 400 /);
      fs.writeFileSync(hostsFile, 'urdb-new.internal\n');
      serve.child.kill('SIGHUP');
      const deadline = Date.now() + 10_000;
      while ((serve.stderr().match(/reloaded from/g) ?? []).length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(serve.stderr().match(/urdb: worker \d: reloaded from [^\n]*: 0 token\(s\)/g)).toHaveLength(2);
      // Every connection lands on either worker: all answers follow the new list.
      for (let i = 0; i < 6; i++) {
        expect(await get(`urdb-new.internal:${port}`)).toMatch(/^HTTP\/1\.1 200 /);
        expect(await get(`urdb.internal:${port}`)).toMatch(/^HTTP\/1\.1 400 /);
      }
    } finally {
      expect(await serve.stop()).toEqual({ code: 0, signal: null });
    }
  });

  it('the same checks at start: a bad list or file is exit 2 naming the flag, and nothing listens', async () => {
    for (const [args, env, message] of [
      [['--allow-from', '10.0.0.0/33'], {}, '--allow-from: "10.0.0.0/33" is not an address or a network (10.0.0.0/8, 127.0.0.1, ::1/128)'],
      [[], { URDB_ALLOW_FROM: 'intranet' }, '--allow-from: "intranet" is not an address or a network'],
      [['--allowed-origins', 'evil.example'], {}, '--allowed-origins: "evil.example" is not an origin (https://admin.example, http://localhost:3000)'],
      [['--allowed-hosts', 'a b/c'], {}, '--allowed-hosts: "b/c" is not a host name or address'],
      [['--allowed-hosts', `@${dir}/nope`], {}, `cannot read ${dir}/nope: no such file`],
      [['--allowed-hosts', ' , '], {}, '--allowed-hosts: no entry in " , "'],
      [['--keep-alive-timeout', '0'], {}, '--keep-alive-timeout (or URDB_KEEP_ALIVE_TIMEOUT): Ensure this value is greater than or equal to 1.'],
      [[], { URDB_MAX_CONNECTIONS: 'many' }, '--max-connections (or URDB_MAX_CONNECTIONS): A valid integer is required.'],
      [['--cache-bytes', '32M'], {}, '--cache-bytes (or URDB_CACHE_BYTES): A valid integer is required.'],
      [[], { URDB_CACHE_BYTES: '-1' }, '--cache-bytes (or URDB_CACHE_BYTES): Ensure this value is greater than or equal to 0.'],
    ] as const) {
      const res = await urdb(['serve', '--port', '0', ...args], { url: db.url, env });
      expect(res.code, args.join(' ')).toBe(2);
      expect(res.stderr, args.join(' ')).toContain(message);
    }
  });
});
