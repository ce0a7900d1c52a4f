/** Load for fault tests: one HTTP request per connection with node's error codes kept, and bounded waiting. */
import http from 'node:http';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface Outcome {
  id: number;
  method: string;
  path: string;
  status?: number;
  body?: string;
  error?: string;
  /** The request reached the socket (connected) before it failed. */
  connected?: boolean;
}

/** One request on its own connection, with node's error codes kept. */
export function request(base: string, method: string, urlPath: string, body?: unknown, timeoutMs = 15_000): Promise<Outcome> {
  const url = new URL(urlPath, base);
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve) => {
    const out: Outcome = { id: 0, method, path: urlPath };
    const req = http.request(
      {
        host: url.hostname,
        port: url.port,
        method,
        path: url.pathname + url.search,
        agent: false,
        headers: payload ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {},
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (d: string) => (text += d));
        res.on('end', () => resolve({ ...out, status: res.statusCode!, body: text }));
        res.on('error', (e: NodeJS.ErrnoException) => resolve({ ...out, error: e.code ?? e.message, connected: true }));
      },
    );
    req.on('socket', (s) => s.on('connect', () => (out.connected = true)));
    req.on('error', (e: NodeJS.ErrnoException) => resolve({ ...out, error: e.code ?? e.message }));
    req.setTimeout(timeoutMs, () => req.destroy(new Error('client timeout')));
    req.end(payload);
  });
}

export async function waitFor(what: string, ok: () => boolean | Promise<boolean>, ms = 30_000) {
  const deadline = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}
