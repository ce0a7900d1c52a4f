/**
 * The server's log on stderr: one line per request (method, path, status, ms), and the few events a person must
 * see (start, stop, database down and back, internal errors). Text for people, JSON lines for log shippers.
 *
 * Lines are gathered and written once per turn of the event loop, and at most once per FLUSH_MS: under load that is
 * one write for hundreds of requests instead of one synchronous write each (stderr to a file or a pipe is
 * synchronous in Node). The time stamp is formatted once per millisecond.
 */
import type { ApiEvent } from './api';

export const LOG_FORMATS = ['text', 'json'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

export interface RequestRecord {
  method: string;
  /** The URL as received: path and query. */
  url: string;
  status: number;
  ms: number;
  remote: string | undefined;
}

/** The shortest time between two writes of request lines, ms. */
const FLUSH_MS = 10;

let stampMs = 0;
let stamp = '';
/** `new Date().toISOString()`, formatted once per millisecond (a busy server logs many lines within one). */
function now(): string {
  const ms = Date.now();
  if (ms !== stampMs) {
    stampMs = ms;
    stamp = new Date(ms).toISOString();
  }
  return stamp;
}

export class ServerLog {
  private pending: string[] = [];
  private scheduled = false;
  private lastFlush = 0;
  private readonly flushSoon = () => this.flush();

  constructor(
    readonly format: LogFormat,
    private readonly write: (text: string) => void = (text) => process.stderr.write(text),
    /** Added to every line: the worker, when there are several. */
    private readonly worker: number | null = null,
  ) {}

  request(r: RequestRecord): void {
    const ms = Math.round(r.ms * 10) / 10;
    if (this.format === 'json') {
      this.push(
        JSON.stringify({
          time: now(),
          ...(this.worker === null ? {} : { worker: this.worker }),
          method: r.method,
          path: r.url,
          status: r.status,
          ms,
          remote: r.remote ?? null,
        }),
      );
    } else {
      this.push(`${now()}${this.worker === null ? '' : ` [${this.worker}]`} ${r.method} ${r.url} ${r.status} ${ms}ms`);
    }
  }

  /** A message for people (start, stop, warnings): `urdb: …` in text, `{"level", "message"}` in JSON. */
  message(level: 'info' | 'warning' | 'error', text: string, fields: Record<string, unknown> = {}): void {
    if (this.format === 'json') {
      this.push(
        JSON.stringify({
          time: new Date().toISOString(),
          ...(this.worker === null ? {} : { worker: this.worker }),
          level,
          message: text,
          ...fields,
        }),
      );
    } else {
      this.push(`urdb: ${this.worker === null ? '' : `worker ${this.worker}: `}${level === 'info' ? '' : `${level}: `}${text}`);
    }
    this.flush(); // rare and important: never held back
  }

  event(event: ApiEvent): void {
    switch (event.kind) {
      case 'internal-error': {
        const err = event.error as Error | undefined;
        const detail = err?.stack ?? String(event.error);
        this.message('error', `internal error on ${event.method} ${event.path}: ${this.format === 'json' ? err?.message ?? detail : detail}`, {
          ...(this.format === 'json' ? { stack: detail } : {}),
        });
        break;
      }
      case 'database-down':
        this.message('error', `database unavailable: ${event.reason}; answering 503 until it is back`);
        break;
      case 'database-up':
        this.message('info', 'database available again');
        break;
      case 'security': {
        const detail = Object.entries(event.fields).map(([k, v]) => `${k}=${String(v)}`).join(' ');
        this.message('warning', this.format === 'json' ? event.event : `${event.event} (${detail})`, event.fields);
        break;
      }
    }
  }

  flush(): void {
    this.scheduled = false;
    this.lastFlush = performance.now();
    if (this.pending.length === 0) return;
    const text = this.pending.join('\n') + '\n';
    this.pending = [];
    this.write(text);
  }

  private push(line: string): void {
    this.pending.push(line);
    if (!this.scheduled) {
      this.scheduled = true;
      const wait = this.lastFlush + FLUSH_MS - performance.now();
      if (wait <= 0) setImmediate(this.flushSoon);
      else setTimeout(this.flushSoon, wait);
    }
  }
}
