/**
 * Shell completion (issue 11 §15), run in a real bash: the script registers itself (`complete -p`), and with
 * COMP_WORDS/COMP_CWORD set as bash sets them it offers verbs and flags from the command tree and names of regions,
 * report types and roles from the database; an unreachable database means no names, quickly and silently.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, cleanEnv, urdb } from './support/cli';
import { freshDatabase } from './support/db';

const db = await freshDatabase();
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'urdb-completion-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

beforeAll(async () => {
  // An `urdb` on PATH, as after `npm install -g`: the scripts call it by name.
  fs.writeFileSync(path.join(dir, 'urdb'), `#!/bin/sh\nexec '${process.execPath}' '${BIN}' "$@"\n`, { mode: 0o755 });
  const script = await urdb(['completion', 'bash']);
  expect(script.code).toBe(0);
  fs.writeFileSync(path.join(dir, 'urdb.bash'), script.stdout);
  await db.sql`insert into region (name) values ('Тверь'), ('Тверь Север'), ('Казань')`;
  await db.sql`insert into role (name, access_code_sha256) values ('Тверь managers', repeat('c', 64))`;
});

/** Completes `words` (the last one being typed) in bash, as bash would call the completion function. */
function complete(words: string[], env: Record<string, string> = { DATABASE_URL: db.url }): string[] {
  const quoted = words.map((w) => `'${w.replace(/'/g, `'\\''`)}'`).join(' ');
  const program = [
    `source '${dir}/urdb.bash'`,
    `COMP_WORDS=(urdb ${quoted}); COMP_CWORD=${words.length}`,
    '_urdb',
    `printf '%s\\n' "\${COMPREPLY[@]}"`,
  ].join('\n');
  const r = spawnSync('bash', ['--norc', '--noprofile', '-c', program], {
    env: cleanEnv({ PATH: `${dir}:${process.env.PATH}`, LC_ALL: 'C.UTF-8', ...env }),
    encoding: 'utf8',
    timeout: 20_000,
  });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout.split('\n').filter((l) => l !== '');
}

describe('urdb completion bash', () => {
  it('registers a completion function for urdb', () => {
    const r = spawnSync('bash', ['--norc', '--noprofile', '-c', `source '${dir}/urdb.bash'; complete -p urdb`], { encoding: 'utf8' });
    expect(r.stdout.trim()).toBe('complete -F _urdb urdb');
  });

  it('nouns, verbs and flags come from the command tree', () => {
    expect(complete(['ro'])).toEqual(['roles', 'routes']);
    expect(complete(['routes', ''])).toEqual(['list', 'add', 'rm', 'chats', 'units']);
    expect(complete(['routes', 'add', '--re'])).toEqual(['--report', '--region']);
    expect(complete(['completion', ''])).toEqual(['bash', 'zsh', 'fish']);
    expect(complete([''])).not.toContain('__complete');
  });

  it('names of regions, report types and roles from the database, quoted for the shell', () => {
    expect(complete(['units', 'list', '--region', 'Тв'])).toEqual(['Тверь', 'Тверь\\ Север']);
    expect(complete(['regions', 'rm', 'Ка'])).toEqual(['Казань']);
    expect(complete(['routes', 'add', '--chat', 'x', '--report', 'CANCELED'])).toEqual(['CANCELED_ORDERS']);
    expect(complete(['roles', 'show', ''])).toEqual(['Тверь\\ managers']);
  });

  it('an unreachable database: no names, within a few seconds, nothing on the screen', () => {
    const started = Date.now();
    expect(complete(['units', 'list', '--region', ''], { DATABASE_URL: 'postgres://x@127.0.0.1:1/x' })).toEqual([]);
    expect(Date.now() - started).toBeLessThan(15_000);
  });

  it('zsh and fish scripts are printed (and parse, where those shells are installed)', async () => {
    for (const shell of ['zsh', 'fish'] as const) {
      const r = await urdb(['completion', shell]);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain('urdb __complete --');
      const file = path.join(dir, `urdb.${shell}`);
      fs.writeFileSync(file, r.stdout);
      const check = spawnSync(shell, ['-n', file], { encoding: 'utf8' });
      if (check.error) console.log(`${shell} is not installed: its script is not parsed`);
      else expect(check.status, check.stderr).toBe(0);
    }
    expect(await urdb(['completion', 'tcsh'])).toMatchObject({ code: 2 });
  });
});
