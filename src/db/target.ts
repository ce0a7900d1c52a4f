/**
 * Where the data is: `--database-url` > `DATABASE_URL` > libpq variables > the embedded default (cli.md).
 */
import os from 'node:os';
import path from 'node:path';
import { UsageError } from '../core/errors';

export type Target =
  | { kind: 'url'; url: string; source: '--database-url' | 'DATABASE_URL' }
  | { kind: 'libpq'; source: 'PG* variables' }
  | { kind: 'embedded'; home: string };

export interface TargetFlags {
  databaseUrl?: string | undefined;
}

type Env = Record<string, string | undefined>;

export function resolveTarget(flags: TargetFlags, env: Env = process.env): Target {
  if (flags.databaseUrl) return { kind: 'url', url: checkUrl(flags.databaseUrl, '--database-url'), source: '--database-url' };
  if (env.DATABASE_URL) return { kind: 'url', url: checkUrl(env.DATABASE_URL, 'DATABASE_URL'), source: 'DATABASE_URL' };
  if (env.PGHOST || env.PGDATABASE) return { kind: 'libpq', source: 'PG* variables' };
  return { kind: 'embedded', home: embeddedHome(env) };
}

function checkUrl(url: string, source: string): string {
  if (!/^postgres(ql)?:\/\//.test(url)) {
    throw new UsageError(`${source} is not a PostgreSQL URL (expected postgres://user@host:port/database)`);
  }
  try {
    // Hosts with commas (multi-host) are not valid WHATWG URLs but are valid for postgres.js.
    new URL(url.replace(/@([^/?]*)/, (_, h: string) => '@' + h.split(',')[0]));
  } catch {
    throw new UsageError(`${source} is not a valid URL`);
  }
  return url;
}

/**
 * `$URDB_HOME`, else `${XDG_DATA_HOME:-~/.local/share}/urdb`. For root the default is `/var/lib/urdb`: the server
 * runs as an unprivileged user, which cannot enter root's home (mode 700).
 */
export function embeddedHome(env: Env = process.env): string {
  if (env.URDB_HOME) return path.resolve(env.URDB_HOME);
  if (env.XDG_DATA_HOME) return path.join(path.resolve(env.XDG_DATA_HOME), 'urdb');
  if (process.getuid?.() === 0) return '/var/lib/urdb';
  return path.join(os.homedir(), '.local', 'share', 'urdb');
}

/** A URL for people: no password, ever. */
export function redactUrl(url: string): string {
  return url.replace(/^(postgres(?:ql)?:\/\/)([^@/]*)@/, (_, scheme: string, auth: string) => {
    const user = auth.split(':')[0];
    return `${scheme}${user}@`;
  });
}

export function describeTarget(target: Target, env: Env = process.env): string {
  switch (target.kind) {
    case 'url':
      return redactUrl(target.url);
    case 'libpq': {
      const user = env.PGUSER ?? os.userInfo().username;
      const host = env.PGHOST ?? 'localhost';
      const db = env.PGDATABASE ?? user;
      return `postgres://${user}@${host.startsWith('/') ? '' : host}:${env.PGPORT ?? 5432}/${db}${host.startsWith('/') ? `?host=${host}` : ''}`;
    }
    case 'embedded':
      return `embedded PostgreSQL in ${target.home}`;
  }
}

/** The schema urdb's tables live in (data.md §1); `URDB_SCHEMA` changes it. */
export function schemaName(env: Env = process.env): string {
  const name = env.URDB_SCHEMA || 'urdb';
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) {
    throw new UsageError(`URDB_SCHEMA "${name}" is not a plain lowercase identifier (letters, digits, _)`);
  }
  return name;
}
