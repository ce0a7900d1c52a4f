/**
 * Upgrades while serving (issue 12 §6). "Next version" = this build plus one more (additive) migration, in a copy of
 * the package in a temporary directory; "previous version" = this build. The previous version's server keeps
 * answering the hot path, without one error or wrong answer, while the next version's `urdb migrate` runs, and a
 * previous-version instance (re)started afterwards serves the newer schema too.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importBundle } from '../src/handlers/bundle/import';
import { latestVersion } from '../src/db/migrate';
import { UUID } from './support/bundles';
import { cleanEnv, ROOT } from './support/cli';
import { freshDatabase } from './support/db';
import { startServe, type ServeProcess } from './support/http';

const db = await freshDatabase();
const next = fs.mkdtempSync(path.join(os.tmpdir(), 'urdb-next-'));
const NEXT_MIGRATION = `${String(latestVersion() + 1).padStart(4, '0')}_upgrade_test_route_note.sql`;
let old: ServeProcess;

beforeAll(async () => {
  await importBundle(db.ctx(), {
    format: 'urdb-bundle/1',
    regions: [{ id: 1, name: 'R' }],
    units: [1, 2].map((id) => ({ id, name: `U${id}`, uuid: UUID(id), region: 'R' })),
    telegram_chats: [{ chat_id: -5, type: 'GROUP', title: 'ops' }],
    report_routes: [{ report_type: 'CANCELED_ORDERS', chat_id: -5, unit_ids: [1, 2] }],
  });
  for (const file of ['bin/urdb.js', 'bin/package.json', 'dist/urdb.cjs', 'package.json']) {
    fs.mkdirSync(path.dirname(path.join(next, file)), { recursive: true });
    fs.copyFileSync(path.join(ROOT, file), path.join(next, file));
  }
  fs.cpSync(path.join(ROOT, 'sql'), path.join(next, 'sql'), { recursive: true });
  // Additive, as a release's migrations must be: a new column with a default, a new table, a new index.
  fs.writeFileSync(
    path.join(next, 'sql', 'migrations', NEXT_MIGRATION),
    `alter table report_route add column note text not null default '';
create table route_note_history (id bigint generated always as identity primary key, note text not null);
create index report_route_note_idx on report_route (note);
select pg_sleep(0.3);
`,
  );
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(next, 'node_modules'));
  // No cache: every lookup goes to the tables the migration alters (and locks), as the hot path does on a miss.
  old = await startServe(['--no-cache'], { DATABASE_URL: db.url });
});

afterAll(async () => {
  await old?.stop();
  fs.rmSync(next, { recursive: true, force: true });
});

const lookup = async (base: string) => {
  const res = await fetch(`${base}/report-routes/telegram-chats/?unit_id=1&report_type_id=7`);
  return `${res.status} ${await res.text()}`;
};
const RIGHT = '200 {"chat_ids":[-5],"is_end_of_list_reached":true}';

describe('upgrading while serving', () => {
  it("the previous version's server answers every lookup right while the next version's migrate runs", async () => {
    let running = true;
    const answers: string[] = [];
    const load = Array.from({ length: 4 }, async () => {
      while (running) answers.push(await lookup(old.url));
    });
    await new Promise((r) => setTimeout(r, 200));
    // Not spawnSync: the load runs in this process meanwhile.
    const migrate = await new Promise<{ status: number | null; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, [path.join(next, 'bin', 'urdb.js'), 'migrate'], { env: cleanEnv({ DATABASE_URL: db.url }) });
      let stderr = '';
      child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      child.stdout.resume();
      child.on('close', (status) => resolve({ status, stderr }));
    });
    await new Promise((r) => setTimeout(r, 200));
    running = false;
    await Promise.all(load);
    expect(migrate.status, migrate.stderr).toBe(0);
    expect(migrate.stderr).toContain(`applied ${NEXT_MIGRATION.replace(/\.sql$/, '')}`);
    expect(answers.length).toBeGreaterThan(20);
    expect(answers.filter((a) => a !== RIGHT)).toEqual([]);
  });

  it('a previous-version instance started on the newer schema serves it, with one note to upgrade', async () => {
    const again = await startServe([], { DATABASE_URL: db.url });
    try {
      expect(await lookup(again.url)).toBe(RIGHT);
      expect((await fetch(`${again.url}/readyz`)).status).toBe(200);
    } finally {
      await again.stop();
    }
    expect(again.stderr().match(/newer than this urdb/g)).toHaveLength(1);
    expect(again.stderr()).toContain(`is at version ${latestVersion() + 1}, newer than this urdb (${latestVersion()})`);
  });
});
