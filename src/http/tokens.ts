/**
 * Bearer tokens of the API. Each caller (the bot, a notification router, a report script) can have a token of its
 * own, with a name: the audit log records which token made a change, and one caller's token is revoked by removing
 * its line. A single `--token` / `URDB_API_TOKEN` is the token named "default".
 */
import crypto from 'node:crypto';
import { UsageError } from '../core/errors';

/** What a token of the admin API (/api/v1/) may do: `read` GET/HEAD/OPTIONS, `admin` everything. */
export const SCOPES = ['read', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];

export interface ApiToken {
  name: string;
  secret: string;
  /** Set: a token of the admin API only (/api/v1/); absent: a token of the old paths, as before scopes. */
  scopes?: Scope[];
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

/**
 * A tokens file: one token per line, `name secret` (the secret is the rest of the line, trimmed) or
 * `name secret scopes` (scopes: `read`, `admin`, or several as `read,admin`: a token of /api/v1/ only). A last
 * word made only of known scopes is read as the scopes (so a secret cannot end in " read" or " admin"); a
 * comma-separated last word with an unknown scope is an error. Blank lines and lines starting with `#` are ignored. Names and secrets must be unique. Pure: the
 * server may read the file again (SIGHUP) with the same function.
 */
export function parseTokensFile(text: string, file: string): ApiToken[] {
  const tokens: ApiToken[] = [];
  const names = new Set<string>();
  const secrets = new Set<string>();
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const where = `${file}, line ${i + 1}`;
    const m = /^(\S+)\s+(.+)$/.exec(line);
    if (!m) throw new UsageError(`${where}: expected "name secret"`);
    const [, name, rest] = m as unknown as [string, string, string];
    const scoped = /^(.+?)\s+([a-z]+(?:,[a-z]+)*)$/.exec(rest);
    const words = scoped ? [...new Set(scoped[2]!.split(','))] : [];
    const unknown = words.find((s) => !(SCOPES as readonly string[]).includes(s));
    // A list (`read,amdin`) with an unknown word is a mistake; a single unknown word is the end of a secret with spaces.
    if (unknown !== undefined && words.length > 1) {
      throw new UsageError(`${where}: unknown scope "${unknown}" (the scopes are ${SCOPES.join(', ')})`);
    }
    const scopes = scoped && unknown === undefined ? (words as Scope[]) : undefined;
    const secret = scopes ? scoped![1]! : rest;
    if (!NAME.test(name)) throw new UsageError(`${where}: the name "${name}" is not a plain name (letters, digits, _ . -; up to 64)`);
    if (names.has(name)) throw new UsageError(`${where}: the name "${name}" is used twice`);
    if (secrets.has(secret)) throw new UsageError(`${where}: this secret is also the secret of another token`);
    if (secret.length > 4096) throw new UsageError(`${where}: the secret is longer than 4096 characters`);
    names.add(name);
    secrets.add(secret);
    tokens.push(scopes ? { name, secret, scopes } : { name, secret });
  });
  if (tokens.length === 0) throw new UsageError(`${file} holds no token ("name secret" lines)`);
  return tokens;
}

/** `--token` (the token named "default") and the named tokens, as one list: no name or secret twice. */
export function apiTokens(token: string | null | undefined, named: readonly ApiToken[] = []): ApiToken[] {
  const tokens: ApiToken[] = token ? [{ name: 'default', secret: token }] : [];
  for (const t of named) {
    if (tokens.some((o) => o.secret === t.secret || o.name === t.name)) {
      throw new UsageError(`the token "${t.name}" repeats the name or the secret of another token (--token, URDB_API_TOKEN)`);
    }
    tokens.push(t);
  }
  return tokens;
}

/** Which token a request carries: compares digests in constant time, and always against every token. */
export class TokenCheck {
  private readonly digests: { token: Omit<ApiToken, 'secret'>; name: string; digest: Buffer }[];

  constructor(tokens: readonly ApiToken[]) {
    this.digests = tokens.map(({ secret, ...token }) => ({ token, name: token.name, digest: digest(secret) }));
  }

  /** The old paths need a token: an unscoped one is configured (scoped tokens are for /api/v1/ only). */
  get enabled(): boolean {
    return this.digests.some((t) => !t.token.scopes);
  }

  /** A token with scopes is configured: the admin API (/api/v1/) can be used. */
  get scoped(): boolean {
    return this.digests.some((t) => t.token.scopes);
  }

  /** The name of the unscoped token `given` is (the old paths' check), or null. */
  match(given: string | null): string | null {
    const found = this.find(given);
    return found && !found.scopes ? found.name : null;
  }

  /** The token `given` is, scoped or not (name and scopes), or null. */
  find(given: string | null): Omit<ApiToken, 'secret'> | null {
    if (given === null) return null;
    const d = digest(given);
    let found: Omit<ApiToken, 'secret'> | null = null;
    for (const t of this.digests) {
      if (crypto.timingSafeEqual(d, t.digest) && found === null) found = t.token;
    }
    return found;
  }
}

function digest(secret: string): Buffer {
  return crypto.createHash('sha256').update(secret).digest();
}
