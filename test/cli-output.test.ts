/**
 * What the CLI prints: control characters never reach a terminal raw (tables, show, messages, prompts), TSV escapes
 * them as COPY does, --json stays exact; lists never stop silently; terminal tables are compact, fit the width,
 * stream, and stop at once on Ctrl-C / SIGTERM; long tables go through the pager.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { createChat } from '../src/handlers/chats';
import { call } from '../src/core/operation';
import { importBundle } from '../src/handlers/bundle/import';
import { UUID } from './support/bundles';
import { urdb } from './support/cli';
import { freshDatabase } from './support/db';
import { ptyUrdb } from './support/pty';

const db = await freshDatabase();
const run = (...args: string[]) => urdb(args, { url: db.url });
const EVIL = 'evil\x1b]0;PWNED\x07\x1b[2J\u009b2J';
const EVIL_SHOWN = 'evil\\e]0;PWNED\\x07\\e[2J\\x9b2J';
const UNITS = 153;

beforeAll(async () => {
  await importBundle(db.ctx(), {
    format: 'urdb-bundle/1',
    regions: [{ id: 1, name: 'R' }],
    units: Array.from({ length: UNITS }, (_, i) => ({ id: 1000 + i, name: `Unit ${1000 + i} ${'x'.repeat(i % 7 === 0 ? 50 : 3)}`, uuid: UUID(1000 + i), region: 'R' })),
  });
  // As the open API would: POST /telegram-chats/ runs this handler with the caller's title.
  await call(createChat, db.ctx({ via: 'api' }), { chat_id: 666, type: 'GROUP', title: EVIL });
});

describe('terminal injection (issue 10 §6)', () => {
  it('chats show and chats list on a terminal show the title with its control characters visible', async () => {
    for (const args of [['chats', 'show', '666'], ['chats', 'list']]) {
      const t = ptyUrdb(args, { url: db.url, cols: 160 });
      expect(await t.exit()).toBe(0);
      expect(t.raw()).not.toContain('\x1b]0;');
      expect(t.raw()).not.toContain('\x07');
      expect(t.raw()).not.toContain('\x1b[2J');
      expect(t.raw()).not.toContain('\u009b');
      expect(t.output()).toContain(EVIL_SHOWN);
    }
  });

  it('piped TSV escapes control characters as COPY does (\\xHH, UTF-8 bytes); --json is the exact value', async () => {
    const [tsv, show, json] = await Promise.all([run('chats', 'list'), run('chats', 'show', '666'), run('chats', 'show', '666', '--json')]);
    const line = tsv.stdout.split('\n').find((l) => l.startsWith('666\t'))!;
    expect(line.split('\t')[2]).toBe('evil\\x1b]0;PWNED\\x07\\x1b[2J\\xc2\\x9b2J');
    expect(show.stdout).toContain('title\tevil\\x1b]0;PWNED\\x07\\x1b[2J\\xc2\\x9b2J\n');
    expect(JSON.parse(json.stdout).title).toBe(EVIL);
    expect(tsv.stdout + show.stdout).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f-\x9f]/);
  });

  it('messages that echo the title (stderr, a confirmation prompt) show it escaped', async () => {
    const piped = await run('chats', 'rm', '666');
    expect(piped.code).toBe(2);
    expect(piped.stderr).not.toMatch(/[\x00-\x09\x0b-\x1f\x7f-\x9f]/);
    expect(piped.stderr).toContain('\\u001b]0;PWNED\\u0007');
    const t = ptyUrdb(['chats', 'rm', '666'], { url: db.url, cols: 200 });
    await t.expect('(y/N)');
    t.type('n');
    t.press('enter');
    expect(await t.exit()).toBe(2);
    expect(t.raw()).not.toContain('\x1b]0;');
    expect(t.raw()).not.toContain('\x07');
    expect(t.raw()).not.toContain('\u009b');
  });
});

describe('lists never stop silently (issue 11 §5)', () => {
  it('piped and --json default to every row; --limit says on stderr what remains', async () => {
    const [tsv, json, limited, limitedJson, offset, quiet] = await Promise.all([
      run('units', 'list'),
      run('units', 'list', '--json'),
      run('units', 'list', '--limit', '100'),
      run('units', 'list', '--limit', '100', '--json'),
      run('units', 'list', '--limit', '50', '--offset', '100'),
      run('units', 'list', '--limit', '100', '--quiet'),
    ]);
    expect(tsv.stdout.trimEnd().split('\n')).toHaveLength(UNITS);
    expect(tsv.stderr).toBe('');
    expect(JSON.parse(json.stdout)).toHaveLength(UNITS);
    expect(limited.stdout.trimEnd().split('\n')).toHaveLength(100);
    expect(limited.stderr).toBe(`urdb: showing 100 of ${UNITS} units; --all for every row\n`);
    expect(JSON.parse(limitedJson.stdout)).toHaveLength(100);
    expect(limitedJson.stderr).toBe(`urdb: showing 100 of ${UNITS} units; --all for every row\n`);
    expect(offset.stderr).toBe(`urdb: showing 50 of ${UNITS} units from offset 100; --offset 150 for the next page, --all for every row\n`);
    expect([quiet.stdout.trimEnd().split('\n').length, quiet.stderr]).toEqual([100, '']);
  });

  it('a terminal shows 100 rows and says how many there are', async () => {
    const t = ptyUrdb(['units', 'list', '--no-pager'], { url: db.url, cols: 120, rows: 200 });
    expect(await t.exit()).toBe(0);
    expect(t.output()).toContain(`urdb: showing 100 of ${UNITS} units; --all for every row`);
    expect(t.output().split('\n').filter((l) => /^\d{4} /.test(l))).toHaveLength(100);
  });
});

describe('terminal tables (issue 11 §13)', () => {
  it('are compact (a header, aligned columns, no rules) and fit the width by cutting the widest text column with …', async () => {
    const t = ptyUrdb(['units', 'list', '--limit', '8', '--no-pager'], { url: db.url, cols: 80 });
    expect(await t.exit()).toBe(0);
    const lines = t.screen().split('\n').filter((l) => l.trim() !== '' && !l.startsWith('urdb:'));
    expect(lines[0]).toMatch(/^ID +NAME +REGION +UUID +OFFICE MANAGER… +DODO IS API AC…$/);
    expect(lines).toHaveLength(9); // header + 8 rows: no rules between them
    expect(t.raw()).not.toMatch(/[│─┌┐└┘├┤]/);
    for (const l of lines) expect(l.length).toBeLessThanOrEqual(80);
    expect(lines[1]).toMatch(/^1000 +Unit 1000 x+… +R +/); // the 50-x name is cut
    expect(lines[2]).toMatch(/^1001 +Unit 1001 xxx +/); // short names are whole
    const uuidStart = lines[0]!.indexOf('UUID');
    for (const l of lines.slice(1)) expect(l.slice(uuidStart - 2, uuidStart)).toBe('  '); // aligned
  });

  it('go through $PAGER when longer than the screen, never with --no-pager or when piped', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'urdb-pager-'));
    const pager = path.join(dir, 'pager.sh');
    fs.writeFileSync(pager, `#!/bin/sh\necho "PAGER LESS=$LESS"\ncat\n`, { mode: 0o755 });
    try {
      const paged = ptyUrdb(['units', 'list'], { url: db.url, rows: 30, env: { PAGER: pager } });
      expect(await paged.exit()).toBe(0);
      expect(paged.output()).toContain('PAGER LESS=FRX');
      expect(paged.output()).toContain('Unit 1099');
      const first = ptyUrdb(['units', 'list'], { url: db.url, rows: 30, env: { URDB_PAGER: pager, PAGER: 'false', LESS: '-R' } });
      expect(await first.exit()).toBe(0);
      expect(first.output()).toContain('PAGER LESS=-R'); // URDB_PAGER before PAGER; a LESS that is set is kept
      const cat = ptyUrdb(['units', 'list'], { url: db.url, rows: 30, env: { URDB_PAGER: 'cat', PAGER: pager } });
      expect(await cat.exit()).toBe(0);
      expect(cat.output()).not.toContain('PAGER');
      expect(cat.output()).toContain('Unit 1099');
      const short = ptyUrdb(['units', 'list', '--limit', '5'], { url: db.url, rows: 30, env: { URDB_PAGER: pager } });
      const off = ptyUrdb(['units', 'list', '--no-pager'], { url: db.url, rows: 30, env: { PAGER: pager } });
      expect([await short.exit(), await off.exit()]).toEqual([0, 0]);
      expect(short.output() + off.output()).not.toContain('PAGER');
      const piped = await urdb(['units', 'list'], { url: db.url, env: { PAGER: pager } });
      expect(piped.stdout).not.toContain('PAGER');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

});

describe('100,000 rows on a terminal (issue 11 §13)', () => {
  beforeAll(async () => {
    await db.sql`insert into telegram_chat (chat_id, type, title) select 10000000 + g, 'PRIVATE', 'Person ' || g from generate_series(1, 100000) g`;
  });

  for (const [how, key] of [['Ctrl-C', '\x03'], ['SIGTERM', null]] as const) {
    it(`${how} stops the table at once: exit 130, the rest not written`, async () => {
      const t = ptyUrdb(['chats', 'list', '--all', '--no-pager'], { url: db.url });
      await t.expect('Person 1 ');
      const started = Date.now();
      if (key) t.write(key);
      else t.signal('SIGTERM');
      expect(await t.exit()).toBe(130);
      const ms = Date.now() - started;
      expect(t.output()).toContain('urdb: interrupted');
      expect(t.output()).not.toContain('Person 100000 ');
      console.log(`${how}: exited ${ms} ms after the signal`);
    });
  }
});
