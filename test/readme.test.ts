/**
 * The README's Commands section is one script: every ```sh block, in order, runs on a fresh embedded database with
 * `urdb` on PATH and no terminal; each command must exit 0, and a command whose comment starts with `→` must print
 * (stdout and stderr together) the text after the arrow (`\n` for a line break). So the examples cannot drift.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN, cleanEnv, ROOT, urdb } from './support/cli';

export interface ReadmeCommand {
  /** The command as written (continuation lines joined). */
  command: string;
  /** What it must print, when its comment says (`# → …`). */
  expected: string | null;
  line: number;
}

/** The commands of the ```sh blocks of one `## ` section, with their `# → expected` comments. */
export function readmeCommands(markdown: string, section: string): ReadmeCommand[] {
  const lines = markdown.split('\n');
  const start = lines.indexOf(`## ${section}`);
  if (start < 0) throw new Error(`no section "## ${section}"`);
  const commands: ReadmeCommand[] = [];
  let inBlock = false;
  let pending: { text: string; line: number } | null = null;
  for (let i = start + 1; i < lines.length && !lines[i]!.startsWith('## '); i++) {
    const line = lines[i]!;
    if (!inBlock) {
      inBlock = line === '```sh';
      continue;
    }
    if (line === '```') {
      inBlock = false;
      continue;
    }
    const { code, comment } = splitComment(line);
    const text: string = pending ? `${pending.text} ${code.trim()}` : code.trim();
    const at: number = pending?.line ?? i + 1;
    if (text.endsWith('\\')) {
      pending = { text: text.slice(0, -1).trimEnd(), line: at };
      continue;
    }
    pending = null;
    if (text === '') continue;
    const expected = comment?.startsWith('→ ') ? comment.slice(2).trim().replace(/\\n/g, '\n') : null;
    commands.push({ command: text, expected, line: at });
  }
  return commands;
}

/** `cmd  # comment` → both parts; a `#` inside quotes, or not after two spaces, is not a comment. */
function splitComment(line: string): { code: string; comment: string | null } {
  let quote: string | null = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote) {
      if (c === quote) quote = null;
    } else if (c === '"' || c === "'") {
      quote = c;
    } else if (c === '#' && line.slice(Math.max(0, i - 2), i) === '  ') {
      return { code: line.slice(0, i), comment: line.slice(i + 1).trim() };
    }
  }
  return { code: line, comment: null };
}

const single = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
const ansiC = (s: string) => `$'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, '\\n')}'`;

/** A bash script that runs the commands in order and stops at the first one that fails or prints something else. */
export function scriptOf(commands: ReadmeCommand[]): string {
  const out = ['set -u', 'fail() { printf "README.md line %s: exit %s: %s\\n" "$1" "$2" "$3" >&2; exit 1; }'];
  for (const c of commands) {
    const where = `${c.line} $? ${single(c.command)}`;
    if (c.expected === null) {
      out.push(`${c.command} || fail ${where}`);
    } else {
      out.push(`__out=$(${c.command} 2>&1) || fail ${where}`);
      out.push(
        `[ "$__out" = ${ansiC(c.expected)} ] || { printf 'README.md line %s: %s\\nexpected: %s\\nprinted:  %s\\n' ${c.line} ${single(c.command)} ${ansiC(c.expected)} "$__out" >&2; exit 1; }`,
      );
    }
  }
  out.push('echo "README: all commands ran"');
  return out.join('\n');
}

const home = fs.mkdtempSync(path.join(os.tmpdir(), 'urdb-readme-home-'));
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'urdb-readme-work-'));
fs.chmodSync(home, 0o755); // as root, the server runs as an unprivileged user that must enter it
const binDir = path.join(work, 'bin');
fs.mkdirSync(binDir);
fs.writeFileSync(path.join(binDir, 'urdb'), `#!/bin/sh\nexec ${single(process.execPath)} ${single(BIN)} "$@"\n`, { mode: 0o755 });
const env = cleanEnv({ URDB_HOME: home, URDB_EMBEDDED_NOSYNC: '1', PATH: `${binDir}:${process.env.PATH}` });

afterAll(async () => {
  await urdb(['db', 'stop', '--force'], { env: { URDB_HOME: home } });
  fs.rmSync(home, { recursive: true, force: true });
  fs.rmSync(work, { recursive: true, force: true });
}, 60_000);

describe('README.md', () => {
  const commands = readmeCommands(fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8'), 'Commands');

  it('the extraction finds the examples, their continuation lines and their expected outputs', () => {
    expect(commands.length).toBeGreaterThan(60);
    expect(commands.find((c) => c.command.startsWith('urdb units add --id 101'))!.command).toContain('--shift-manager-account sm1');
    expect(commands.find((c) => c.command.startsWith('urdb routes chats --unit "Тверь 2"'))!.expected).toBe('-1007770001');
    expect(commands.filter((c) => c.expected !== null).length).toBeGreaterThanOrEqual(5);
  });

  it('the Commands section runs top to bottom as one script on a fresh embedded database', async () => {
    const result = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
      const child = spawn('bash', ['-c', scriptOf(commands)], { cwd: work, env, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
      child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      const timer = setTimeout(() => child.kill('SIGKILL'), 170_000);
      child.on('error', reject);
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve({ code, stdout, stderr });
      });
    });
    expect(result.stderr.split('\n').filter((l) => l.startsWith('README.md line')).join('\n') || result.code).toBe(0);
    expect(result.stdout).toContain('README: all commands ran');
  }, 180_000);
});
