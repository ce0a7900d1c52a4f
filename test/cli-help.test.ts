/**
 * Help and the first hour (issue 11 §8, §14): examples under every command's help (their flags checked against the
 * command), `urdb help <noun> <verb>`, global options only in `urdb --help`, parser errors as one `urdb:` line plus the
 * usage, `--no-input` naming every missing flag, and interactive `units add` checking each value as it is typed.
 */
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../src/cli';
import { commandPath, everyCommand } from '../src/cli/help';
import { UUID } from './support/bundles';
import { urdb } from './support/cli';
import { freshDatabase } from './support/db';
import { ptyUrdb } from './support/pty';

const db = await freshDatabase();
const program = buildProgram();
const commands = everyCommand(program).filter((c) => c.description() && !(c as unknown as { _hidden: boolean })._hidden && c.name() !== 'help');

describe('help', () => {
  it('every command has 1 to 3 examples, and each example uses only flags that command (or urdb) has', () => {
    const problems: string[] = [];
    const global = new Set(program.options.flatMap((o) => [o.long, o.short]));
    for (const cmd of commands) {
      const help = helpText(cmd);
      const examples = [...help.matchAll(/^ {2}\$ urdb (.*)$/gm)].map((m) => m[1]!);
      if (examples.length < 1 || examples.length > 3) problems.push(`${commandPath(cmd)}: ${examples.length} examples`);
      for (const example of examples) {
        // The command the example runs: the longest command path it starts with.
        const target = commands
          .filter((c) => example === commandPath(c) || example.startsWith(`${commandPath(c)} `))
          .sort((a, b) => commandPath(b).length - commandPath(a).length)[0];
        const flags = new Set([...(target ?? cmd).options.flatMap((o) => [o.long, o.short]), ...global]);
        for (const flag of example.match(/(?<=^|\s)--?[a-z][a-z-]*/g) ?? []) {
          if (!flags.has(flag)) problems.push(`${commandPath(cmd)}: "${example}" uses ${flag}`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it('`urdb help routes add` is the help of `routes add`; an unknown one is exit 2', async () => {
    const viaHelp = await urdb(['help', 'routes', 'add']);
    const viaFlag = await urdb(['routes', 'add', '--help']);
    expect(viaHelp.code).toBe(0);
    expect(viaHelp.stdout).toBe(viaFlag.stdout);
    expect(viaHelp.stdout).toMatch(/^Usage: urdb routes add \[options\]/);
    expect(await urdb(['help', 'routes', 'nope'])).toMatchObject({ code: 2, stderr: "urdb: unknown command 'routes nope'\nusage: urdb [options] [command] (see `urdb --help`)\n" });
  });

  it('global options are in `urdb --help` only; a subcommand\'s help points there', async () => {
    const root = (await urdb(['--help'])).stdout;
    expect(root).toContain('--database-url <url>');
    const sub = (await urdb(['units', 'add', '--help'])).stdout;
    expect(sub).not.toContain('--database-url <url>');
    expect(sub).toContain('Global options (--database-url, --json, --no-input, --quiet, --debug, …): see `urdb --help`.');
  });

  it('a parser error quoting what was typed shows its control characters, never sends them to the terminal', async () => {
    const r = await urdb(['units', 'li\x1b]0;PWNED\x07st\r']);
    expect([r.code, r.stderr.split('\n')[0]]).toEqual([2, "urdb: unknown command 'li\\e]0;PWNED\\x07st\\r'"]);
  });

  it('parser errors: one urdb: line and the command\'s usage, exit 2', async () => {
    expect(await urdb(['units', 'list', '--bogus'])).toMatchObject({
      code: 2,
      stderr: "urdb: unknown option '--bogus'\nusage: urdb units list [options] (see `urdb units list --help`)\n",
    });
    expect(await urdb(['unitz'])).toMatchObject({
      code: 2,
      stderr: "urdb: unknown command 'unitz' (Did you mean units?)\nusage: urdb [options] [command] (see `urdb --help`)\n",
    });
  });

  it('--no-input names every missing required flag at once', async () => {
    const run = (...args: string[]) => urdb(['--no-input', ...args], { url: db.url });
    expect(await run('units', 'add', '--id', '106')).toMatchObject({
      code: 2,
      stderr: 'urdb: --name, --uuid and --region are required; pass them, or run on a terminal to be asked\n',
    });
    expect((await run('departments', 'add')).stderr).toBe('urdb: --id, --name and --uuid are required; pass them, or run on a terminal to be asked\n');
    expect((await run('chats', 'add', '--title', 'x')).stderr).toBe('urdb: --chat-id is required; pass --chat-id, or run on a terminal to be asked\n');
    expect((await run('report-types', 'add')).stderr).toBe('urdb: --name and --verbose-name are required; pass them, or run on a terminal to be asked\n');
    expect((await run('routes', 'add', '--all')).stderr).toBe('urdb: --chat and --report are required; pass them, or run on a terminal to be asked\n');
    expect(await db.count('unit')).toBe(0);
  });
});

/** A command's whole help as `--help` prints it (with the text added after it), in process. */
function helpText(cmd: Command): string {
  let text = '';
  cmd.configureOutput({ writeOut: (s) => (text += s) });
  cmd.outputHelp();
  return text;
}

describe('interactive units add checks each value when it is entered', () => {
  it('a taken id, name or uuid is said at its prompt, which stays open; optional prompts say so', async () => {
    await db.sql`insert into region (id, name) values (1, 'Тверь')`;
    await db.sql`insert into unit (id, name, uuid, region_id) values (301, 'Тверь 1', ${UUID(301)}, 1)`;
    const t = ptyUrdb(['units', 'add'], { url: db.url });
    await t.expect('Unit id');
    t.type('301');
    t.press('enter');
    await t.expect('unit 301 already exists');
    t.press('backspace', 'backspace', 'backspace');
    t.type('302');
    t.press('enter');
    await t.expect('Name');
    t.type('Тверь 1');
    t.press('enter');
    await t.expect('another unit is already named "Тверь 1"');
    t.press('backspace');
    t.type('2');
    t.press('enter');
    await t.expect('UUID');
    t.type(UUID(301));
    t.press('enter');
    await t.expect(`another unit already has the uuid ${UUID(301)}`);
    t.press('backspace');
    t.type('2');
    t.press('enter');
    await t.expect('Region');
    t.press('enter');
    for (const prompt of ['Office manager account (optional)', 'Dodo IS API account (optional)', 'Shift manager account (optional)']) {
      await t.expect(prompt);
      t.press('enter');
    }
    expect(await t.exit()).toBe(0);
    expect(t.output()).toContain('added unit 302 "Тверь 2" in region "Тверь"');
  });
});
