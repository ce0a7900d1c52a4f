/**
 * A large `units import` on a terminal shows the step that runs from the start (reading, parsing, checking rows,
 * writing) and stops on Ctrl-C at once with nothing written (issue 11 §16).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { UUID } from './support/bundles';
import { freshDatabase } from './support/db';
import { ptyUrdb } from './support/pty';

const db = await freshDatabase();
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'urdb-import-'));
const file = path.join(dir, 'units.csv');
const ROWS = 40_000;
fs.writeFileSync(
  file,
  ['id,name,uuid,region', ...Array.from({ length: ROWS }, (_, i) => `${i + 1},Пиццерия ${i + 1},${UUID(i + 1)},Импорт`)].join('\n') + '\n',
);
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('units import of 40,000 rows on a terminal', () => {
  it('shows each step from its start; Ctrl-C while checking rows exits 130 at once and writes nothing', async () => {
    const before = await db.count('unit');
    const t = ptyUrdb(['units', 'import', file, '--yes', '--create-regions'], { url: db.url, timeoutMs: 60_000 });
    await t.expect(/checking rows \d+\/40000/, 30_000);
    const sent = Date.now();
    t.write('\x03');
    expect(await t.exit(30_000)).toBe(130);
    console.log(`units import: exited ${Date.now() - sent} ms after Ctrl-C`);
    const shown = t.output();
    expect(shown.indexOf(`reading ${file}…`)).toBeGreaterThanOrEqual(0);
    expect(shown.indexOf('parsing CSV…')).toBeGreaterThan(shown.indexOf(`reading ${file}…`));
    expect(shown.indexOf('checking rows')).toBeGreaterThan(shown.indexOf('parsing CSV…'));
    expect(shown).not.toContain('departments');
    expect(shown).toContain('urdb: interrupted; nothing was changed');
    expect(await db.count('unit')).toBe(before);
    expect((await db.sql`select 1 from region where name = 'Импорт'`).length).toBe(0);
  });
});
