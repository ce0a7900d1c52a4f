/**
 * A cap on open connections, kept below the open-file limit so that accept() never fails: at the cap, the
 * connection idle the longest (kept alive between requests, or opened and silent) is closed to make room, so a new
 * client is still answered while someone holds thousands of sockets open. Only when every connection has a request
 * in progress is the new one refused (503, JSON).
 */
import fs from 'node:fs';
import type { Socket } from 'node:net';
import { MESSAGES } from './response';

const BUSY_BODY = JSON.stringify({ message: MESSAGES.tooManyConnections, extra: {} });
const BUSY =
  `HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json; charset=utf-8\r\n` +
  `content-length: ${Buffer.byteLength(BUSY_BODY)}\r\nconnection: close\r\n\r\n${BUSY_BODY}`;

export class ConnectionCap {
  /** Every open connection. */
  private readonly open = new Set<Socket>();
  /** Open connections without a request in progress, the longest idle first (a Set keeps insertion order). */
  private readonly idle = new Set<Socket>();
  /** Connections closed to make room, since start. */
  evicted = 0;

  constructor(readonly max: number) {}

  get size(): number {
    return this.open.size;
  }

  /** A new connection: makes room by closing the longest-idle one, or refuses it when every one is busy. */
  admit(socket: Socket): void {
    if (this.open.size >= this.max) {
      const oldest = this.idle.values().next();
      if (oldest.done) {
        socket.end(BUSY);
        return;
      }
      this.forget(oldest.value);
      oldest.value.destroy();
      this.evicted++;
    }
    this.open.add(socket);
    this.idle.add(socket);
    socket.once('close', () => this.forget(socket));
  }

  /** A request started on this connection. */
  busy(socket: Socket): void {
    this.idle.delete(socket);
  }

  /** Its answer was written: the connection is idle again (now the most recently idle). */
  rest(socket: Socket): void {
    if (this.open.has(socket) && !socket.destroyed) this.idle.add(socket);
  }

  private forget(socket: Socket): void {
    this.open.delete(socket);
    this.idle.delete(socket);
  }
}

/** Descriptors kept for everything but client connections: stdio, the event loop, the listener, log files… */
const RESERVED_DESCRIPTORS = 64;

/**
 * The open-file limit in force (Linux: /proc/self/limits), or null where it cannot be read. Node itself raises the
 * soft limit to the hard limit at start (node.cc, PlatformInit), so this is the hard limit the process was given:
 * raise that one (`LimitNOFILE=` in a systemd unit, `ulimit -Hn`, `docker run --ulimit nofile=…`).
 */
export function openFileLimit(): number | null {
  try {
    const line = fs.readFileSync('/proc/self/limits', 'utf8').split('\n').find((l) => l.startsWith('Max open files'));
    const soft = line?.split(/\s+/)[3];
    if (soft === 'unlimited') return null;
    const n = Number(soft);
    return Number.isInteger(n) && n > 0 ? n : null;
  } catch {
    return null;
  }
}

/** The default cap: the open-file limit minus the database pool and a reserve; 4,096 where the limit is unknown. */
export function defaultConnectionCap(poolSize: number, limit = openFileLimit()): number {
  if (limit === null) return 4096;
  return Math.max(16, limit - RESERVED_DESCRIPTORS - poolSize);
}
