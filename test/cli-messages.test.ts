/**
 * Messages that say which thing and what to do (issue 11 §4): empty or missing access codes, counts in words
 * ("1 character"), `db stop` naming the commands that hold the embedded server, and a busy port reported first.
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { urdb } from './support/cli';
import { freshDatabase } from './support/db';
import { startServe } from './support/http';

const db = await freshDatabase();
const cli = (args: string[], input?: string) => urdb(args, { url: db.url, input });

describe('access codes on the command line', () => {
  it('--access-code "" is empty (exit 2), not "stdin held no access code"', async () => {
    await cli(['chats', 'add', '--chat-id', '5150', '--title', 'five']);
    const r = await cli(['roles', 'assign', '5150', '--access-code', '']);
    expect(r).toMatchObject({
      code: 2,
      stderr: 'urdb: --access-code is empty; give the code, --access-code - to read it from stdin, or --access-code alone to type it on a terminal\n',
    });
  });

  it('--access-code alone off a terminal with nothing on stdin says so, not "--access-code -"', async () => {
    const r = await cli(['roles', 'assign', '5150', '--access-code']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      'urdb: --access-code (without a value, not on a terminal): stdin held no access code; ' +
        'give it (--access-code CODE), or pipe the code as the first line of stdin with --access-code -\n',
    );
  });

  it('a one-character code: "1 character", not "1 characters"', async () => {
    const refused = await cli(['roles', 'add', '--name', 'short', '--report-types', '7', '--access-code', 'a']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('urdb: access code refused: it has 1 character; a chosen code needs at least 10;');
    const forced = await cli(['roles', 'add', '--name', 'short', '--report-types', '7', '--access-code', 'a', '--force-weak']);
    expect(forced.code, forced.stderr).toBe(0);
  });

  it('export counts in words: "1 role", "1 chat"', async () => {
    const r = await cli(['export']);
    expect(r.stderr).toMatch(/^exported 0 regions, 0 units, 21 report types, 1 role, 1 chat, 0 routes\n$/);
  });
});

describe('urdb serve on a busy port', () => {
  it('says the port is taken and nothing before it (no "lookup cache enabled")', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      const r = await urdb(['serve', '--port', String(port)], { url: db.url });
      expect(r.code).toBe(1);
      expect(r.stderr).toBe(`urdb: cannot listen on 127.0.0.1:${port}: the address is in use (another server on that port?)\n`);
    } finally {
      blocker.close();
    }
  });
});

describe('urdb db stop while others use the embedded server', () => {
  const parent = fs.mkdtempSync(path.join(os.tmpdir(), 'urdb-msg-'));
  fs.chmodSync(parent, 0o755); // as root, the server's own user must enter it
  const home = path.join(parent, 'home');
  afterAll(async () => {
    await urdb(['db', 'stop', '--force'], { env: { URDB_HOME: home } });
    fs.rmSync(parent, { recursive: true, force: true });
  });

  it('names the process and its command (urdb serve)', async () => {
    const env = { URDB_HOME: home, URDB_EMBEDDED_NOSYNC: '1' };
    const serve = await startServe(['--no-cache'], env);
    try {
      const r = await urdb(['db', 'stop'], { env });
      expect(r.code).toBe(2);
      expect(r.stderr).toBe(
        `urdb: the embedded server is in use by urdb serve (pid ${serve.child.pid}); not stopped, even with --force (its API would ` +
          `answer 503 until restarted); stop urdb serve first (Ctrl-C, or kill ${serve.child.pid}), then urdb db stop\n`,
      );
    } finally {
      await serve.stop('SIGTERM');
    }
    expect(serve.stderr()).toContain('urdb: stopping (SIGTERM): finishing 0 requests in flight\n');
  }, 60_000);
});
