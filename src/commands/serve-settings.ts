/**
 * The settings of `urdb serve` that SIGHUP rereads: the tokens (`--tokens-file`) and the edge lists
 * (`--allowed-hosts`, `--allowed-origins`, `--allow-from`), each given inline (`a,b`) or as `@file` (one entry per
 * line or comma-separated, `#` comments). Loading is the same function at start and on reload: a reload that fails
 * throws, and the server keeps what it had.
 */
import { UsageError } from '../core/errors';
import { EdgePolicy } from '../http/edge';
import type { EdgeSettings } from '../http/server';
import { apiTokens, parseTokensFile, type ApiToken } from '../http/tokens';
import { readText } from './common';

export interface ReloadableSpecs {
  /** `--token` / URDB_API_TOKEN (fixed for the process's life). */
  token: string | null;
  tokensFile?: string;
  allowedHosts?: string;
  allowedOrigins?: string;
  allowFrom?: string;
}

export interface ReloadableSettings {
  tokens: ApiToken[];
  edge: EdgeSettings;
  /** The files read, for the log. */
  files: string[];
}

const HOST = /^(\*|\[[0-9a-fA-F:.]+\](:\d{1,5})?|[0-9a-fA-F:]*:[0-9a-fA-F:.]+|[A-Za-z0-9_.-]+(:\d{1,5})?)$/;
const ORIGIN = /^(null|[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/\s]+)\/?$/;

async function entries(spec: string, flag: string, files: string[]): Promise<string[]> {
  let text = spec;
  if (spec.startsWith('@')) {
    files.push(spec.slice(1));
    text = (await readText(spec.slice(1)))
      .split(/\r?\n/)
      .map((l) => l.replace(/#.*/, ''))
      .join(',');
  }
  const list = text
    .split(/[,\s]+/)
    .map((e) => e.trim())
    .filter((e) => e !== '');
  if (list.length === 0 && flag !== '--allowed-origins') throw new UsageError(`${flag}: no entry in "${spec}"`);
  return list;
}

function checked(list: string[], pattern: RegExp, flag: string, example: string): string[] {
  const bad = list.find((e) => !pattern.test(e));
  if (bad !== undefined) throw new UsageError(`${flag}: "${bad}" is not ${example}`);
  return list;
}

export async function loadReloadable(specs: ReloadableSpecs): Promise<ReloadableSettings> {
  const files: string[] = [];
  let named: ApiToken[] = [];
  if (specs.tokensFile !== undefined) {
    files.push(specs.tokensFile);
    named = parseTokensFile(await readText(specs.tokensFile), specs.tokensFile);
  }
  const tokens = apiTokens(specs.token, named);
  const edge: EdgeSettings = {};
  if (specs.allowedHosts !== undefined) {
    const list = await entries(specs.allowedHosts, '--allowed-hosts', files);
    edge.allowedHosts = checked(list, HOST, '--allowed-hosts', 'a host name or address, with an optional port (urdb.internal, 10.0.0.5:8000, [::1]:8000, *)');
  }
  if (specs.allowedOrigins !== undefined) {
    const list = await entries(specs.allowedOrigins, '--allowed-origins', files);
    edge.allowedOrigins = checked(list, ORIGIN, '--allowed-origins', 'an origin (https://admin.example, http://localhost:3000)');
  }
  if (specs.allowFrom !== undefined) edge.allowFrom = await entries(specs.allowFrom, '--allow-from', files);
  // Compiling checks what is left (the networks of --allow-from) the same way at start and on reload.
  new EdgePolicy({ allowedHosts: edge.allowedHosts ?? null, allowedOrigins: edge.allowedOrigins ?? [], allowFrom: edge.allowFrom ?? null });
  return { tokens, edge, files };
}
