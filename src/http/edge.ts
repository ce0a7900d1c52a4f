/**
 * Who may talk to the server at all, decided before the API sees a request: the peer's address (`--allow-from`),
 * the `Host` header (`--allowed-hosts`: a DNS-rebinding page names its own host) and the `Origin` header
 * (`--allowed-origins`: a web page's cross-site request carries one; no known caller sends it).
 *
 * Everything is compiled once (sets, a BlockList, the refusal answers): a request costs a few lookups.
 */
import net from 'node:net';
import type { IncomingHttpHeaders } from 'node:http';
import { UsageError } from '../core/errors';
import { error, MESSAGES, type ApiResponse } from './response';

export interface EdgeConfig {
  /** `Host` values accepted: `name` (any port) or `name:port`, `*` for any; null: any. */
  allowedHosts: readonly string[] | null;
  /** `Origin` values accepted (`https://admin.example`); a request with any other Origin is refused. */
  allowedOrigins: readonly string[];
  /** Peer networks accepted (`10.0.0.0/8`, `127.0.0.1`, `::1/128`); null: every peer. */
  allowFrom: readonly string[] | null;
}

const REFUSED = {
  hostMissing: error(400, MESSAGES.hostMissing, { connection: 'close' }),
  host: error(400, MESSAGES.hostNotAllowed, { connection: 'close' }),
  origin: error(403, MESSAGES.originNotAllowed),
  peer: error(403, MESSAGES.peerNotAllowed, { connection: 'close' }),
};

function isWildcard(host: string): boolean {
  return host === '' || host === '0.0.0.0' || host === '::' || host === '[::]';
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || host.startsWith('127.');
}

/** A host as it appears in a Host header: IPv6 in brackets, lower case. */
function hostForm(host: string): string {
  const h = host.toLowerCase();
  return h.includes(':') && !h.startsWith('[') ? `[${h}]` : h;
}

/**
 * `--allowed-hosts` when not set: bound to loopback, the names that reach loopback (with the port; also without it
 * on port 80, where clients omit it); bound to any other address, any Host (callers may use any DNS name for it).
 */
export function defaultAllowedHosts(bindHost: string, port: number): string[] | null {
  if (isWildcard(bindHost) || !isLoopback(bindHost)) return null;
  const names = [...new Set([hostForm(bindHost), 'localhost', '127.0.0.1', '[::1]'])];
  return names.flatMap((n) => (port === 80 ? [`${n}:${port}`, n] : [`${n}:${port}`]));
}

/** The host part of a Host header value (`[::1]:80` → `[::1]`, `a.b:80` → `a.b`). */
function withoutPort(value: string): string {
  const colon = value.lastIndexOf(':');
  if (colon === -1 || value.endsWith(']')) return value;
  return value.slice(0, colon);
}

export class EdgePolicy {
  private readonly exactHosts: ReadonlySet<string> | null;
  private readonly anyPortHosts: ReadonlySet<string>;
  private readonly origins: ReadonlySet<string>;
  private readonly peers: net.BlockList | null;

  constructor(config: EdgeConfig) {
    const hosts = config.allowedHosts;
    if (hosts === null || hosts.includes('*')) {
      this.exactHosts = null;
      this.anyPortHosts = new Set();
    } else {
      const forms = hosts.map((h) => (h.startsWith('[') || (h.match(/:/g) ?? []).length !== 1 ? hostForm(h) : h.toLowerCase()));
      this.exactHosts = new Set(forms);
      this.anyPortHosts = new Set(forms.filter((h) => withoutPort(h) === h));
    }
    this.origins = new Set(config.allowedOrigins.map((o) => o.toLowerCase().replace(/\/+$/, '')));
    this.peers = config.allowFrom === null ? null : blockList(config.allowFrom);
  }

  /** Whether a connection from this address is served at all (checked once per connection). */
  peerAllowed(address: string | undefined): boolean {
    if (this.peers === null) return true;
    if (address === undefined) return false;
    const v4 = address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : null;
    return v4 !== null ? this.peers.check(v4, 'ipv4') : this.peers.check(address, net.isIPv4(address) ? 'ipv4' : 'ipv6');
  }

  /** The refusal for a connection `peerAllowed` refused. */
  get peerRefusal(): ApiResponse {
    return REFUSED.peer;
  }

  /** The refusal of a request by its headers, or null. HTTP/1.0 may omit Host (then only an open policy serves it). */
  check(headers: IncomingHttpHeaders, http11: boolean): ApiResponse | null {
    const host = headers.host;
    if (host === undefined || host === '') {
      if (http11 || this.exactHosts !== null) return REFUSED.hostMissing;
    } else if (this.exactHosts !== null && !this.hostAllowed(host)) {
      return REFUSED.host;
    }
    const origin = headers.origin;
    if (origin !== undefined && !this.origins.has(origin) && !this.origins.has(origin.toLowerCase())) return REFUSED.origin;
    return null;
  }

  private hostAllowed(host: string): boolean {
    const exact = this.exactHosts!;
    if (exact.has(host)) return true;
    const lower = host.toLowerCase();
    return exact.has(lower) || this.anyPortHosts.has(withoutPort(lower));
  }
}

/** `10.0.0.0/8,127.0.0.1,::1/128` as a BlockList (used as an allow list); a malformed entry is a usage error. */
function blockList(cidrs: readonly string[]): net.BlockList {
  const list = new net.BlockList();
  for (const entry of cidrs) {
    const [address, prefix, extra] = entry.split('/');
    const family = net.isIPv4(address ?? '') ? 'ipv4' : net.isIPv6(address ?? '') ? 'ipv6' : null;
    const max = family === 'ipv4' ? 32 : 128;
    const bits = prefix === undefined ? max : /^\d{1,3}$/.test(prefix) ? Number(prefix) : NaN;
    if (family === null || extra !== undefined || !(bits >= 0 && bits <= max)) {
      throw new UsageError(`--allow-from: "${entry}" is not an address or a network (10.0.0.0/8, 127.0.0.1, ::1/128)`);
    }
    list.addSubnet(address!, bits, family);
  }
  return list;
}
