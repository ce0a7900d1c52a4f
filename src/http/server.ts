/**
 * node:http around `api.handle`: refuses what the edge policy refuses (peer, Host, Origin), caps the connections,
 * reads the body (at most 1 MiB), writes the answer, logs one line, and shuts down gracefully: stop accepting, let
 * in-flight requests finish (their connections close after the answer), then close what is left. Every answer with
 * a body is the JSON envelope, node's own (framing errors, a missing Host, an Expect it cannot meet) included.
 */
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { UrdbError } from '../core/errors';
import type { Api } from './api';
import { ConnectionCap } from './connections';
import { defaultAllowedHosts, EdgePolicy, type EdgeConfig } from './edge';
import type { PreparedAnswer } from './hot-path';
import type { ServerLog } from './log';
import type { ApiRequest } from './request';
import { BODY_LIMIT, error, MESSAGES, type ApiResponse } from './response';

/** The edge policy as configured: `allowedHosts` undefined means the default for the bind address. */
export interface EdgeSettings {
  allowedHosts?: readonly string[] | null;
  allowedOrigins?: readonly string[];
  allowFrom?: readonly string[] | null;
}

export interface ServerOptions {
  api: Api;
  host: string;
  port: number;
  log?: ServerLog | null;
  bodyLimit?: number;
  /** Time to receive a request's headers (slow clients), ms. */
  headersTimeoutMs?: number;
  /** Time to receive a whole request, ms. */
  requestTimeoutMs?: number;
  /** How long an idle keep-alive connection stays open, ms. */
  keepAliveTimeoutMs?: number;
  /** How often node checks the header and request timeouts, ms (its default, 30 s, would stretch a 10 s limit to 40). */
  timeoutCheckMs?: number;
  /** Who may talk to the server; default: any peer, any Host, no Origin. */
  edge?: EdgeSettings;
  /** Open connections at most (the longest-idle one is closed to make room); default: no cap. */
  maxConnections?: number;
  /** Told of every answer (the metrics), `ms` after its request arrived. */
  onAnswer?: (method: string, url: string, status: number, ms: number) => void;
}

export interface RunningServer {
  server: http.Server;
  address: AddressInfo;
  /** Requests received and not yet answered. */
  inFlight(): number;
  /** Replaces the edge policy (a reload); requests already received are not affected. */
  setEdge(settings: EdgeSettings): void;
  /** Open connections, and how many were closed to make room for new ones. */
  connections(): { open: number; evicted: number };
  /** Stops accepting, waits for in-flight requests (at most `graceMs`), then closes every connection. */
  close(graceMs?: number): Promise<void>;
}

const TIMEOUTS = { headers: 10_000, request: 30_000, keepAlive: 5_000, check: 1_000 };

export async function startServer(opts: ServerOptions): Promise<RunningServer> {
  const { api } = opts;
  const log = opts.log ?? null;
  const bodyLimit = opts.bodyLimit ?? BODY_LIMIT;
  let inFlight = 0;
  let closing = false;
  let drained: (() => void) | null = null;
  const compile = (settings: EdgeSettings, port: number) =>
    new EdgePolicy({
      allowedHosts: settings.allowedHosts === undefined ? defaultAllowedHosts(opts.host, port) : settings.allowedHosts,
      allowedOrigins: settings.allowedOrigins ?? [],
      allowFrom: settings.allowFrom ?? null,
    } satisfies EdgeConfig);
  const edge = opts.edge ?? { allowedHosts: null };
  let policy = compile(edge, opts.port); // compiled before listening: a bad setting fails the start
  const refusedPeers = new WeakSet<Socket>();
  const cap = new ConnectionCap(opts.maxConnections ?? Infinity);

  function finish(req: http.IncomingMessage, res: http.ServerResponse, started: number, answer: ApiResponse | PreparedAnswer) {
    if (closing) res.setHeader('connection', 'close');
    res.writeHead(answer.status, answer.headers);
    res.end(answer.body);
    cap.rest(req.socket);
    inFlight--;
    opts.onAnswer?.(req.method ?? '', req.url ?? '/', answer.status, performance.now() - started);
    log?.request({
      method: req.method ?? '',
      url: req.url ?? '',
      status: answer.status,
      ms: performance.now() - started,
      remote: req.socket.remoteAddress,
    });
    if (closing && inFlight === 0) drained?.();
  }

  function run(req: http.IncomingMessage, res: http.ServerResponse, started: number, body: Buffer | undefined, tokens: Api['tokens']) {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const request: ApiRequest = {
      method: req.method ?? 'GET',
      path: q === -1 ? url : url.slice(0, q),
      query: q === -1 ? '' : url.slice(q + 1),
      headers: req.headers,
      body,
      remoteAddress: req.socket.remoteAddress,
      tokens,
    };
    api.handle(request).then(
      (answer) => finish(req, res, started, answer),
      (err: unknown) => {
        log?.event({ kind: 'internal-error', method: request.method, path: request.path, error: err });
        finish(req, res, started, error(500, MESSAGES.internal));
      },
    );
  }

  /** The body is refused as soon as it is known to be too large; the connection closes after the answer. */
  function tooLarge(req: http.IncomingMessage, res: http.ServerResponse, started: number) {
    res.setHeader('connection', 'close');
    finish(req, res, started, error(413, MESSAGES.tooLarge));
  }

  /** Counts the request in, and answers it at once when the policy refuses it (true) or it cannot fit (413). */
  function refuseEarly(req: http.IncomingMessage, res: http.ServerResponse, started: number): boolean {
    inFlight++;
    cap.busy(req.socket);
    const refusal = refusedPeers.has(req.socket) ? policy.peerRefusal : policy.check(req.headers, req.httpVersionMinor === 1);
    if (refusal !== null) {
      finish(req, res, started, refusal);
      return true;
    }
    const length = req.headers['content-length'];
    if (length !== undefined && Number(length) > limitOf(req)) {
      tooLarge(req, res, started);
      return true;
    }
    if (hasBody(req) && !api.authenticated(pathOf(req), req.headers)) {
      // Answered (401) without reading the body: a client without a token cannot make the server hold 1 MiB per
      // connection. The unread body ends the connection.
      res.setHeader('connection', 'close');
      run(req, res, started, undefined, api.tokens);
      return true;
    }
    return false;
  }

  function onRequest(req: http.IncomingMessage, res: http.ServerResponse) {
    if (req.socket.writableEnded) return; // refused at the cap: already answered 503
    const started = performance.now();
    if (!refuseEarly(req, res, started)) receive(req, res, started);
  }

  /** Expect: 100-continue: the client waits for the go-ahead before sending a body it would send for nothing. */
  function onCheckContinue(req: http.IncomingMessage, res: http.ServerResponse) {
    const started = performance.now();
    if (refuseEarly(req, res, started)) return;
    res.writeContinue();
    receive(req, res, started);
  }

  /** Any other Expect: 417, JSON (node's own answer has no body). */
  function onCheckExpectation(req: http.IncomingMessage, res: http.ServerResponse) {
    const started = performance.now();
    if (refuseEarly(req, res, started)) return;
    finish(req, res, started, EXPECTATION_FAILED);
  }

  /** An admin token's bulk POST under /api/v1/ may be larger (api.bodyLimitFor); every other body: bodyLimit. */
  function limitOf(req: http.IncomingMessage): number {
    return Math.max(bodyLimit, api.bodyLimitFor(req.method ?? '', pathOf(req), req.headers));
  }

  function receive(req: http.IncomingMessage, res: http.ServerResponse, started: number) {
    const tokens = api.tokens; // the tokens in force when the request arrived
    const limit = limitOf(req);
    if (!hasBody(req)) {
      // No body: the common case, answered without waiting for 'end'; a cached route lookup without the API at all.
      const quick = closing ? null : api.quick?.(req.method, req.url, req.headers);
      if (quick) finish(req, res, started, quick);
      else run(req, res, started, undefined, tokens);
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let refused = false;
    req.on('data', (chunk: Buffer) => {
      if (refused) return;
      size += chunk.length;
      if (size > limit) {
        refused = true;
        tooLarge(req, res, started);
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (!refused) run(req, res, started, chunks.length === 1 ? chunks[0] : Buffer.concat(chunks), tokens);
    });
    req.on('error', () => {
      // The client went away mid-body: nothing to answer.
      if (!refused && !res.headersSent) {
        refused = true;
        inFlight--;
        if (closing && inFlight === 0) drained?.();
      }
    });
  }

  const server = http.createServer(
    {
      headersTimeout: opts.headersTimeoutMs ?? TIMEOUTS.headers,
      requestTimeout: opts.requestTimeoutMs ?? TIMEOUTS.request,
      keepAliveTimeout: opts.keepAliveTimeoutMs ?? TIMEOUTS.keepAlive,
      connectionsCheckingInterval: opts.timeoutCheckMs ?? TIMEOUTS.check,
      // Answered here, in JSON (node's own 400 has no body).
      requireHostHeader: false,
    },
    onRequest,
  );
  server.on('clientError', onClientError);
  server.on('checkContinue', onCheckContinue);
  server.on('checkExpectation', onCheckExpectation);
  server.on('connection', (socket: Socket) => {
    cap.admit(socket);
    if (!policy.peerAllowed(socket.remoteAddress)) refusedPeers.add(socket);
  });

  await new Promise<void>((resolve, reject) => {
    const failed = (err: NodeJS.ErrnoException) => reject(listenError(err, opts.host, opts.port));
    server.once('error', failed);
    server.listen({ host: opts.host, port: opts.port }, () => {
      server.off('error', failed);
      resolve();
    });
  });

  const address = server.address() as AddressInfo;
  policy = compile(edge, address.port);
  return {
    server,
    address,
    inFlight: () => inFlight,
    setEdge(settings) {
      policy = compile(settings, address.port);
    },
    connections: () => ({ open: cap.size, evicted: cap.evicted }),
    async close(graceMs = 25_000) {
      if (closing) return;
      closing = true;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      if (inFlight > 0) {
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([
          new Promise<void>((resolve) => (drained = resolve)),
          new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs))),
        ]);
        clearTimeout(timer);
      }
      // Answered connections close after their answer; anything still open now is idle or past the grace time.
      server.closeAllConnections();
      await closed;
    },
  };
}

const pathOf = (req: http.IncomingMessage) => (req.url ?? '/').split('?')[0]!;
const hasBody = (req: http.IncomingMessage) =>
  req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] !== undefined;

const EXPECTATION_FAILED = error(417, MESSAGES.expectationFailed, { connection: 'close' });

const LISTEN_ERRORS: Record<string, string> = {
  EADDRINUSE: 'the address is in use (another server on that port?)',
  EACCES: 'permission denied (ports below 1024 need privileges)',
  EADDRNOTAVAIL: 'no such address on this machine',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host name lookup failed',
};

export function listenError(err: NodeJS.ErrnoException, host: string, port: number): Error {
  const reason = LISTEN_ERRORS[err.code ?? ''];
  return reason ? new UrdbError('failed', `cannot listen on ${host}:${port}: ${reason}`, { cause: err }) : err;
}

/** Malformed requests, header overflows and timeouts answer JSON too (node's default is plain text). */
function onClientError(err: NodeJS.ErrnoException, socket: Socket) {
  if (err.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const [status, reason, message] =
    err.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'Request Header Fields Too Large', 'Request header fields too large']
      : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'Request Timeout', 'Request timeout']
        : [400, 'Bad Request', 'Bad request'];
  const body = JSON.stringify({ message, extra: {} });
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\ncontent-type: application/json; charset=utf-8\r\n` +
      `content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );
}
