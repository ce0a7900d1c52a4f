/**
 * The attacks of a web page (issue 10 §2) and node's own answers (§7), over a real port: a body that is not JSON
 * (text/plain, multipart/form-data, x-www-form-urlencoded: no preflight), a foreign Origin, a DNS-rebinding Host,
 * a peer outside --allow-from; a missing Host, an Expect the server cannot meet. Each is refused with the JSON
 * envelope and writes nothing.
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importBundle } from '../src/handlers/bundle/import';
import { createApi } from '../src/http/api';
import { startServer, type EdgeSettings, type RunningServer } from '../src/http/server';
import { UUID } from './support/bundles';
import { freshDatabase } from './support/db';
import { JSON_TYPE, rawExchange } from './support/http';

const db = await freshDatabase();
const ADMIN = 2001;
const started: RunningServer[] = [];
let server: RunningServer;
let base: string;

async function serverWith(edge: EdgeSettings, host = '127.0.0.1'): Promise<RunningServer> {
  const s = await startServer({ api: createApi({ sql: db.sql, onEvent: () => {} }), host, port: 0, edge });
  started.push(s);
  return s;
}

beforeAll(async () => {
  await importBundle(db.ctx(), {
    format: 'urdb-bundle/1',
    regions: [{ id: 1, name: 'R' }],
    units: [1, 2].map((id) => ({ id, name: `U${id}`, uuid: UUID(id), region: 'R' })),
    roles: [{ id: 1, name: 'all', access_code: 'c', units: [1, 2], report_types: ['CANCELED_ORDERS'] }],
    telegram_chats: [{ chat_id: ADMIN, type: 'PRIVATE', title: 'admin', role_id: 1 }],
  });
  server = await serverWith({}); // as `urdb serve` runs it: the defaults for a loopback address
  base = `http://127.0.0.1:${server.address.port}`;
});

afterAll(async () => {
  for (const s of started) await s.close(1000);
});

const ROUTE = JSON.stringify({ report_type_id: 7, chat_id: ADMIN, unit_ids: [1] });

async function post(url: string, body: string, headers: Record<string, string>) {
  const res = await fetch(url, { method: 'POST', body, headers });
  return { status: res.status, type: res.headers.get('content-type'), text: await res.text() };
}

describe('bodies a browser can send without a preflight', () => {
  it('text/plain, multipart/form-data, x-www-form-urlencoded: 415 JSON, nothing written; application/json still writes', async () => {
    const audited = await db.count('audit_log');
    for (const type of ['text/plain', 'text/plain;charset=UTF-8', 'multipart/form-data; boundary=x', 'application/x-www-form-urlencoded']) {
      const res = await post(`${base}/report-routes/`, ROUTE, { 'content-type': type });
      expect(res, type).toEqual({ status: 415, type: JSON_TYPE, text: JSON.stringify({ message: `Unsupported media type "${type}" in request.`, extra: {} }) });
      expect(await db.count('report_route'), type).toBe(0);
    }
    expect(await db.count('audit_log')).toBe(audited);
    expect((await post(`${base}/report-routes/`, ROUTE, { 'content-type': 'Application/JSON; Charset=UTF-8' })).status).toBe(201);
    expect(await db.count('report_route')).toBe(1);
    await db.sql`delete from report_route`;
  });

  it('a body without Content-Type is read as JSON; a POST without a body is validated as before', async () => {
    const api = createApi({ sql: db.sql, onEvent: () => {} });
    const noType = await api.handle({ method: 'POST', path: '/telegram-chats/', headers: {}, body: JSON.stringify({ chat_id: 2002, type: 'PRIVATE', title: 't' }) });
    expect(noType.status).toBe(201);
    const empty = await post(`${base}/telegram-chats/`, '', { 'content-type': 'text/plain' });
    expect(empty.status).toBe(400);
    expect(JSON.parse(empty.text).extra.fields.chat_id).toEqual(['This field is required.']);
  });
});

describe('Origin, Host and peer', () => {
  it('a request with an Origin not in --allowed-origins (default: none) is 403 JSON and writes nothing', async () => {
    const res = await post(`${base}/report-routes/`, ROUTE, { 'content-type': 'application/json', origin: 'https://evil.example' });
    expect(res).toEqual({ status: 403, type: JSON_TYPE, text: '{"message":"Origin not allowed (see --allowed-origins)","extra":{}}' });
    expect((await fetch(`${base}/units/`, { headers: { origin: 'null' } })).status).toBe(403);
    expect(await db.count('report_route')).toBe(0);
    const allowing = await serverWith({ allowedOrigins: ['https://admin.example'] });
    const url = `http://127.0.0.1:${allowing.address.port}/units/?limit=1`;
    expect((await fetch(url, { headers: { origin: 'https://ADMIN.example' } })).status).toBe(200);
    expect((await fetch(url, { headers: { origin: 'https://admin.example.evil' } })).status).toBe(403);
  });

  it('DNS rebinding: a Host other than the loopback names with the port is 400 JSON and writes nothing', async () => {
    const port = server.address.port;
    const rebinding = await rawExchange(port, `POST /report-routes/ HTTP/1.1\r\nHost: evil.example:${port}\r\nContent-Type: application/json\r\nContent-Length: ${ROUTE.length}\r\n\r\n${ROUTE}`);
    expect(rebinding).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(rebinding).toContain(`content-type: ${JSON_TYPE}`);
    expect(rebinding.endsWith('{"message":"Host not allowed (see --allowed-hosts)","extra":{}}')).toBe(true);
    expect(await db.count('report_route')).toBe(0);
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `LOCALHOST:${port}`, `[::1]:${port}`]) {
      expect(await rawExchange(port, `GET /healthz HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`), host).toMatch(/^HTTP\/1\.1 200 /);
    }
    for (const host of ['localhost', `localhost:${port + 1}`, `127.0.0.1.evil.example:${port}`]) {
      expect(await rawExchange(port, `GET /healthz HTTP/1.1\r\nHost: ${host}\r\n\r\n`), host).toMatch(/^HTTP\/1\.1 400 /);
    }
  });

  it('--allowed-hosts: a name without a port allows any port, with one only that port; * or a wildcard bind allows any', async () => {
    const named = await serverWith({ allowedHosts: ['urdb.internal', 'other.internal:9'] });
    const at = (s: RunningServer, host: string) => rawExchange(s.address.port, `GET /healthz HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);
    expect(await at(named, 'urdb.internal:8000')).toMatch(/^HTTP\/1\.1 200 /);
    expect(await at(named, 'urdb.internal')).toMatch(/^HTTP\/1\.1 200 /);
    expect(await at(named, 'other.internal:9')).toMatch(/^HTTP\/1\.1 200 /);
    expect(await at(named, 'other.internal:10')).toMatch(/^HTTP\/1\.1 400 /);
    expect(await at(named, `127.0.0.1:${named.address.port}`)).toMatch(/^HTTP\/1\.1 400 /);
    const any = await serverWith({ allowedHosts: ['*'] });
    expect(await at(any, 'whatever.example')).toMatch(/^HTTP\/1\.1 200 /);
    const wildcard = await serverWith({}, '0.0.0.0');
    expect(await at(wildcard, 'urdb.company.example')).toMatch(/^HTTP\/1\.1 200 /);
  });

  it('--allow-from: a peer outside the networks is 403 JSON and disconnected; inside, served', async () => {
    const outside = await serverWith({ allowFrom: ['10.0.0.0/8', '::1/128'] });
    const refused = await rawExchange(outside.address.port, `POST /telegram-chats/ HTTP/1.1\r\nHost: 127.0.0.1:${outside.address.port}\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}`);
    expect(refused).toMatch(/^HTTP\/1\.1 403 Forbidden\r\n/);
    expect(refused.toLowerCase()).toContain('connection: close');
    expect(refused.endsWith('{"message":"Address not allowed (see --allow-from)","extra":{}}')).toBe(true);
    const inside = await serverWith({ allowFrom: ['127.0.0.0/8'] });
    expect((await fetch(`http://127.0.0.1:${inside.address.port}/healthz`)).status).toBe(200);
    // Bound to ::, an IPv4 peer is ::ffff:127.0.0.1: matched against the IPv4 networks.
    const dual = await serverWith({ allowFrom: ['127.0.0.1'] }, '::');
    expect((await fetch(`http://127.0.0.1:${dual.address.port}/healthz`)).status).toBe(200);
    const dualOutside = await serverWith({ allowFrom: ['10.0.0.0/8'] }, '::');
    expect((await fetch(`http://127.0.0.1:${dualOutside.address.port}/healthz`)).status).toBe(403);
  });
});

describe("node's own answers are the JSON envelope too", () => {
  it('HTTP/1.1 without Host: 400 JSON (node answers an empty body)', async () => {
    const answer = await rawExchange(server.address.port, 'GET /units/ HTTP/1.1\r\n\r\n');
    expect(answer).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(answer).toContain(`content-type: ${JSON_TYPE}`);
    expect(answer.endsWith('{"message":"Bad request: no Host header","extra":{}}')).toBe(true);
  });

  it('an Expect other than 100-continue: 417 JSON; 100-continue to a refused request: the refusal, no 100', async () => {
    const port = server.address.port;
    const answer = await rawExchange(port, `GET /units/ HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nExpect: something-else\r\n\r\n`);
    expect(answer).toMatch(/^HTTP\/1\.1 417 Expectation Failed\r\n/);
    expect(answer).toContain(`content-type: ${JSON_TYPE}`);
    expect(answer.endsWith('{"message":"Expectation failed","extra":{}}')).toBe(true);
    const refused = await rawExchange(port, `POST /telegram-chats/ HTTP/1.1\r\nHost: evil.example\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n`);
    expect(refused).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    const body = JSON.stringify({ chat_id: 2003, type: 'PRIVATE', title: 'continued' });
    const continued = await new Promise<string>((resolve) => {
      const socket = net.connect(port, '127.0.0.1');
      let got = '';
      socket.on('data', (d) => {
        got += d;
        if (got.startsWith('HTTP/1.1 100 Continue\r\n\r\n') && !got.includes('201')) socket.write(body);
        if (got.includes('HTTP/1.1 201')) socket.end();
      });
      socket.on('close', () => resolve(got));
      socket.write(`POST /telegram-chats/ HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nExpect: 100-continue\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`);
    });
    expect(continued).toMatch(/^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 201 Created\r\n/);
  });

  it('bad framing (a Content-Length that is not a number, both Content-Length and chunked): 400 JSON', async () => {
    const port = server.address.port;
    for (const head of ['Content-Length: abc', 'Content-Length: 2\r\nTransfer-Encoding: chunked']) {
      const answer = await rawExchange(port, `POST /telegram-chats/ HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n${head}\r\n\r\n{}`);
      expect(answer, head).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
      expect(answer.endsWith('{"message":"Bad request","extra":{}}'), head).toBe(true);
    }
  });
});
