/**
 * The node:http server around the API, over a real port (in this process): keep-alive, HEAD, body limits while
 * streaming, malformed requests, timeouts, concurrency, graceful close and the access log.
 */
import http from 'node:http';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importBundle } from '../src/handlers/bundle/import';
import { createApi } from '../src/http/api';
import { ServerLog } from '../src/http/log';
import { startServer, type RunningServer } from '../src/http/server';
import { UUID } from './support/bundles';
import { freshDatabase } from './support/db';
import { JSON_TYPE, rawExchange as raw } from './support/http';

const db = await freshDatabase();
const ADMIN = 1001;
let logged = '';
let server: RunningServer;
let base: string;

beforeAll(async () => {
  await importBundle(db.ctx(), {
    format: 'urdb-bundle/1',
    regions: [{ id: 1, name: 'R' }],
    units: [1, 2, 3].map((id) => ({ id, name: `U${id}`, uuid: UUID(id), region: 'R' })),
    roles: [{ id: 1, name: 'all', access_code: 'c', units: [1, 2, 3], report_types: ['CANCELED_ORDERS'] }],
    telegram_chats: [{ chat_id: ADMIN, type: 'PRIVATE', title: 'admin', role_id: 1 }],
  });
  const log = new ServerLog('text', (text) => (logged += text));
  server = await startServer({ api: createApi({ sql: db.sql }), host: '127.0.0.1', port: 0, log, headersTimeoutMs: 300, timeoutCheckMs: 100 });
  base = `http://127.0.0.1:${server.address.port}`;
});

afterAll(async () => {
  await server.close(1000);
});

function request(opts: http.RequestOptions, body?: string): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string; reused: boolean }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: server.address.port, ...opts }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (d: string) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: text, reused: req.reusedSocket }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('over a real port', () => {
  it('answers JSON with its byte length', async () => {
    const res = await fetch(`${base}/api/units/?limit=1`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe(JSON_TYPE);
    const text = await res.text();
    expect(res.headers.get('content-length')).toBe(String(Buffer.byteLength(text)));
    expect(JSON.parse(text)).toMatchObject({ units: [{ id: 1 }], is_end_of_list_reached: false });
  });

  it('keeps connections alive between requests', async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const first = await request({ path: '/units/', agent });
      const second = await request({ path: '/report-routes/telegram-chats/?unit_id=1&report_type_id=7', agent });
      expect(first.headers.connection).toBe('keep-alive');
      expect(second).toMatchObject({ status: 200, reused: true, body: '{"chat_ids":[],"is_end_of_list_reached":true}' });
    } finally {
      agent.destroy();
    }
  });

  it('HEAD sends the headers of GET and no body', async () => {
    const get = await request({ path: '/units/' });
    const head = await request({ path: '/units/', method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.body).toBe('');
    expect(head.headers['content-length']).toBe(get.headers['content-length']);
    expect(head.headers['content-type']).toBe(JSON_TYPE);
  });

  it('a body over 1 MiB is refused with 413 as soon as it is known, announced or streamed, and the connection closes', async () => {
    const announced = await raw(
      server.address.port,
      `POST /telegram-chats/ HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${2 * 1024 * 1024}\r\n\r\n{"chat_id":`,
    );
    expect(announced).toMatch(/^HTTP\/1\.1 413 /);
    expect(announced).toMatch(/connection: close/i);
    expect(announced.endsWith('{"message":"Request body exceeds 1 MiB","extra":{}}')).toBe(true);
    const streamed = await fetch(`${base}/telegram-chats/`, {
      method: 'POST',
      body: new ReadableStream({
        start(c) {
          for (let i = 0; i < 40; i++) c.enqueue(new Uint8Array(64 * 1024).fill(32));
          c.close();
        },
      }),
      duplex: 'half',
    } as RequestInit).catch((e: Error) => e);
    if (streamed instanceof Response) {
      expect(streamed.status).toBe(413);
      expect(await streamed.json()).toEqual({ message: 'Request body exceeds 1 MiB', extra: {} });
    } else {
      expect(streamed.message).toMatch(/fetch failed|socket|reset/i); // the server closed before the client finished sending
    }
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
  });

  it('a request that is not HTTP gets a JSON 400 too', async () => {
    const answer = await raw(server.address.port, 'GET /units/ HTTP/1.1\r\nHost x\r\n\r\n');
    expect(answer).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(answer).toContain('content-type: application/json; charset=utf-8');
    expect(answer.endsWith('{"message":"Bad request","extra":{}}')).toBe(true);
  });

  it('a client that does not finish its headers in time gets a JSON 408 and is disconnected', async () => {
    const started = Date.now();
    const answer = await raw(server.address.port, 'GET /units/ HTTP/1.1\r\nHost: x\r\n', 5000);
    expect(answer).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
    expect(answer.endsWith('{"message":"Request timeout","extra":{}}')).toBe(true);
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('parallel identical POST /report-routes/: one 201, the others 409, never a 500, no duplicate', async () => {
    const body = JSON.stringify({ report_type_id: 7, chat_id: ADMIN, unit_ids: [1, 2, 3] });
    const statuses = await Promise.all(
      Array.from({ length: 12 }, () =>
        fetch(`${base}/report-routes/`, { method: 'POST', body, headers: { 'content-type': 'application/json' } }).then(async (r) => {
          await r.arrayBuffer();
          return r.status;
        }),
      ),
    );
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(11);
    const [{ n }] = (await db.sql`select count(*)::int as n from report_route`) as unknown as [{ n: number }];
    expect(n).toBe(3);
  });

  it('logs one line per request: time, method, path and query, status, duration', async () => {
    await new Promise((r) => setTimeout(r, 50)); // the earlier tests' lines are written (at most every 10 ms)
    logged = '';
    await (await fetch(`${base}/units/?limit=2`)).arrayBuffer();
    await (await fetch(`${base}/nowhere`)).arrayBuffer();
    await new Promise((r) => setTimeout(r, 50)); // lines are written at most every 10 ms

    const lines = logged.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z GET \/units\/\?limit=2 200 \d+(\.\d)?ms$/);
    expect(lines[1]).toMatch(/ GET \/nowhere 404 /);
  });
});

describe('graceful close', () => {
  it('stops accepting, finishes the requests in flight (answered with Connection: close), then resolves', async () => {
    const own = await startServer({ api: createApi({ sql: db.sql }), host: '127.0.0.1', port: 0 });
    const port = own.address.port;
    const body = JSON.stringify({ chat_id: 31337, type: 'PRIVATE', title: 'late' });
    // A request in flight: headers and half the body sent before the close.
    const answer = new Promise<string>((resolve, reject) => {
      const socket = net.connect(port, '127.0.0.1', () => {
        socket.write(`POST /telegram-chats/ HTTP/1.1\r\nHost: x\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, 10)}`);
      });
      let got = '';
      socket.on('data', (d) => (got += d));
      socket.on('close', () => resolve(got));
      socket.on('error', reject);
      setTimeout(() => socket.write(body.slice(10)), 300);
    });
    // An idle keep-alive connection: closed at once.
    const idle = net.connect(port, '127.0.0.1');
    const idleClosed = new Promise<void>((r) => idle.on('close', () => r()));
    await new Promise((r) => setTimeout(r, 100));
    expect(own.inFlight()).toBe(1);
    const closed = own.close(5000);
    await idleClosed;
    await expect(fetch(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow();
    const text = await answer;
    expect(text).toMatch(/^HTTP\/1\.1 201 Created\r\n/);
    expect(text.toLowerCase()).toContain('connection: close');
    await closed;
    expect(own.inFlight()).toBe(0);
    const [{ n }] = (await db.sql`select count(*)::int as n from telegram_chat where chat_id = 31337`) as unknown as [{ n: number }];
    expect(n).toBe(1);
  });
});
