/**
 * Where GET /metrics is answered: on the API's port (behind its token, like every path but the probes), or on a
 * listener of its own (`--metrics-port`, no token: it is meant for an address only the scraper reaches). With
 * `--workers N` every answer is the sum over the workers (prom-client's AggregatorRegistry, in the primary): a
 * scrape that lands on any worker, or on the primary's own listener, sees the whole server.
 */
import cluster from 'node:cluster';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { AggregatorRegistry, Registry } from 'prom-client';
import { isMetricsPath } from './metrics';
import type { ApiRequest } from './request';
import { error, type ApiResponse } from './response';
import { listenError } from './server';

export type Scrape = () => Promise<string>;

const CONTENT_TYPE = Registry.PROMETHEUS_CONTENT_TYPE;

async function exposition(method: string, scrape: Scrape): Promise<ApiResponse> {
  if (method !== 'GET' && method !== 'HEAD') return error(405, `Method "${method}" not allowed.`, { allow: 'GET, HEAD' });
  let body: string;
  try {
    body = await scrape();
  } catch (err) {
    return error(503, `Metrics unavailable: ${(err as Error).message}`);
  }
  return { status: 200, headers: { 'content-type': CONTENT_TYPE, 'content-length': String(Buffer.byteLength(body)) }, body };
}

/** api.ts's hook for a path no route matches: the exposition for /metrics, null for anything else. */
export function metricsOnApiPort(scrape: Scrape): (req: ApiRequest) => Promise<ApiResponse> | null {
  return (req) => (isMetricsPath(req.path) ? exposition(req.method, scrape) : null);
}

export interface MetricsListener {
  address: AddressInfo;
  close(): Promise<void>;
}

/** A listener that answers GET /metrics and nothing else. */
export async function listenForScrapes(host: string, port: number, scrape: Scrape): Promise<MetricsListener> {
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    const answer = isMetricsPath(path) ? exposition(req.method ?? 'GET', scrape) : Promise.resolve(error(404, 'Not found.'));
    void answer.then((a) => {
      res.writeHead(a.status, a.headers);
      res.end(req.method === 'HEAD' ? '' : a.body);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => reject(listenError(err, host, port)));
    server.listen({ host, port }, resolve);
  });
  return {
    address: server.address() as AddressInfo,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

interface ScrapeMessage {
  urdb: 'metrics-request' | 'metrics';
  id: number;
  text?: string;
  error?: string;
}

/** In a worker: prom-client answers the primary's requests with this registry; `scrape` asks the primary for the sum. */
export function workerScrapes(registry: Registry): Scrape {
  AggregatorRegistry.setRegistries(registry);
  new AggregatorRegistry(); // installs the worker's answer to the primary's requests
  const pending = new Map<number, { resolve(text: string): void; reject(err: Error): void }>();
  let next = 0;
  process.on('message', (m: ScrapeMessage) => {
    if (m?.urdb !== 'metrics') return;
    const p = pending.get(m.id);
    pending.delete(m.id);
    if (m.error === undefined) p?.resolve(m.text ?? '');
    else p?.reject(new Error(m.error));
  });
  return () =>
    new Promise((resolve, reject) => {
      const id = next++;
      pending.set(id, { resolve, reject });
      process.send!({ urdb: 'metrics-request', id } satisfies ScrapeMessage);
    });
}

/** In the primary: the sum over the workers, for its own listener and for the workers that are asked on the API port. */
export function primaryScrapes(): Scrape {
  const aggregator = new AggregatorRegistry();
  const scrape = () => aggregator.clusterMetrics();
  cluster.on('message', (worker, m: ScrapeMessage) => {
    if (m?.urdb !== 'metrics-request') return;
    scrape().then(
      (text) => worker.isConnected() && worker.send({ urdb: 'metrics', id: m.id, text } satisfies ScrapeMessage),
      (err: Error) => worker.isConnected() && worker.send({ urdb: 'metrics', id: m.id, error: err.message } satisfies ScrapeMessage),
    );
  });
  return scrape;
}
