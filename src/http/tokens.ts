/**
 * Bearer tokens of the API. Each caller (the bot, a notification router, a report script) can have a token of its
 * own, with a name: the audit log records which token made a change, and one caller's token is revoked by removing
 * its line. A single `--token` / `URDB_API_TOKEN` is the token named "default".
 */
import crypto from 'node:crypto';
import { UsageError } from '../core/errors';

export interface ApiToken {
  name: string;
  secret: string;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

/**
 * A tokens file: one token per line, `name secret` (the secret is the rest of the line, trimmed); blank lines and
 * lines starting with `#` are ignored. Names and secrets must be unique.
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
    const [, name, secret] = m as unknown as [string, string, string];
    if (!NAME.test(name)) throw new UsageError(`${where}: the name "${name}" is not a plain name (letters, digits, _ . -; up to 64)`);
    if (names.has(name)) throw new UsageError(`${where}: the name "${name}" is used twice`);
    if (secrets.has(secret)) throw new UsageError(`${where}: this secret is also the secret of another token`);
    if (secret.length > 4096) throw new UsageError(`${where}: the secret is longer than 4096 characters`);
    names.add(name);
    secrets.add(secret);
    tokens.push({ name, secret });
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
  private readonly digests: { name: string; digest: Buffer }[];

  constructor(tokens: readonly ApiToken[]) {
    this.digests = tokens.map((t) => ({ name: t.name, digest: digest(t.secret) }));
  }

  get enabled(): boolean {
    return this.digests.length > 0;
  }

  /** The name of the token `given` is, or null. */
  match(given: string | null): string | null {
    if (given === null) return null;
    const d = digest(given);
    let found: string | null = null;
    for (const t of this.digests) {
      if (crypto.timingSafeEqual(d, t.digest) && found === null) found = t.name;
    }
    return found;
  }
}

function digest(secret: string): Buffer {
  return crypto.createHash('sha256').update(secret).digest();
}
