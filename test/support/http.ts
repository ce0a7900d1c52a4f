/** The API without a socket (createApi().handle), and small helpers for the tests over a real port. */
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { createApi, type Api, type ApiEvent, type ApiOptions } from '../../src/http/api';
import type { Sql } from '../../src/db/client';
import { BIN, cleanEnv, ROOT } from './cli';

export interface Answer {
  status: number;
  headers: Record<string, string>;
  /** The raw body, for byte-exact checks. */
  text: string;
  /** The parsed body (undefined when empty). */
  json: any;
}

export interface Client {
  api: Api;
  events: ApiEvent[];
  /** `call('GET', '/units/?limit=5')`; a body object is sent as JSON, a string as is. */
  call(method: string, url: string, opts?: { body?: unknown; headers?: Record<string, string> }): Promise<Answer>;
}

export function client(sql: Sql, opts: Partial<ApiOptions> = {}): Client {
  const events: ApiEvent[] = [];
  const api = createApi({ sql, onEvent: (e) => events.push(e), ...opts });
  return {
    api,
    events,
    async call(method, url, { body, headers } = {}) {
      const q = url.indexOf('?');
      const res = await api.handle({
        method,
        path: q === -1 ? url : url.slice(0, q),
        query: q === -1 ? '' : url.slice(q + 1),
        headers: headers ?? {},
        body: body === undefined ? undefined : typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body),
        remoteAddress: '127.0.0.1',
      });
      return { status: res.status, headers: res.headers, text: res.body, json: res.body ? JSON.parse(res.body) : undefined };
    },
  };
}

export const JSON_TYPE = 'application/json; charset=utf-8';

/** A raw HTTP/1.1 exchange on 127.0.0.1: what the server writes back until it closes the connection (or `waitMs`). */
export function rawExchange(port: number, text: string | Buffer, waitMs = 3000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let got = '';
    const timer = setTimeout(() => {
      socket.destroy();
      resolve(got);
    }, waitMs);
    socket.on('data', (d) => (got += d.toString('utf8')));
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(got);
    });
    socket.on('error', (e: NodeJS.ErrnoException) => (e.code === 'ECONNRESET' || e.code === 'EPIPE' ? undefined : reject(e)));
    socket.write(text);
  });
}

/** The envelope of an application error. */
export const err = (message: string) => ({ message, extra: {} });
/** The envelope of a validation error. */
export const invalid = (fields: Record<string, unknown>) => ({ message: 'Validation error', extra: { fields } });

export interface ServeProcess {
  child: ChildProcess;
  /** Base URL once it listens. */
  url: string;
  stderr(): string;
  /** Resolves with the exit code (or signal) once the process is gone. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Servers still running when the test process ends (a test that timed out before its `finally`) are killed. */
const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/** Runs the built `urdb serve --port 0 …` (under `wrapper`, e.g. `prlimit --nofile=1024`) and waits for its "serving http://…" line. */
export async function startServe(args: string[], env: Record<string, string | undefined>, timeoutMs = 60_000, wrapper: string[] = []): Promise<ServeProcess> {
  const command = [...wrapper, process.execPath, BIN, 'serve', '--port', '0', ...args];
  const child = spawn(command[0]!, command.slice(1), {
    env: cleanEnv(env),
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stdout!.resume();
  running.add(child);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => {
      running.delete(child);
      resolve({ code, signal });
    }),
  );
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`urdb serve did not start:\n${stderr}`)), timeoutMs);
    child.stderr!.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
      const m = /serving (http:\/\/\S+)/.exec(stderr) ?? /"url":"(http:\/\/[^"]+)"/.exec(stderr);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    void exited.then(({ code, signal }) => reject(new Error(`urdb serve exited (${signal ?? code}):\n${stderr}`)));
  });
  return {
    child,
    url,
    stderr: () => stderr,
    exited,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}
