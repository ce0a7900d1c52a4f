#!/usr/bin/env node
// Builds dist/urdb.cjs: src/cli.ts and its dependencies in one CommonJS file (modules initialised only when first
// used), then dist/urdb.cjs.cache: V8's code cache for it, made by loading the modules once, so that a command does
// not pay for parsing and compiling them again. `npm install` runs this (prepare); see bin/urdb.js for the loader.
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CONNECTION_FILE, fixPostgresConnection } from './postgres-fix.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = path.join(root, 'dist');

/**
 * Modules the bundle would carry without ever running them: zod's messages in 40 languages (urdb has its own
 * texts) and the editor prompt with its character-set tables. Each is replaced by the little urdb needs of it.
 * And node:tls, which postgres.js loads at start-up (5 ms) but uses only for SSL connections: loaded on first use.
 */
const leaveOut = {
  name: 'leave-out',
  setup(b) {
    b.onResolve({ filter: /\/locales\/index\.js$/ }, (args) =>
      args.importer.includes(`${path.sep}zod${path.sep}`) ? { path: 'zod-locales', namespace: 'leave-out' } : undefined,
    );
    b.onResolve({ filter: /^@inquirer\/editor$/ }, () => ({ path: 'inquirer-editor', namespace: 'leave-out' }));
    b.onResolve({ filter: /^(node:)?tls$/ }, (args) =>
      args.importer.includes(`${path.sep}postgres${path.sep}`) ? { path: 'lazy-tls', namespace: 'leave-out' } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'leave-out' }, (args) => ({
      resolveDir: path.join(root, 'node_modules', 'zod', 'v4', 'locales'),
      contents: {
        'zod-locales': 'export { default as en } from "./en.js";',
        'inquirer-editor': 'export default function editor() { throw new Error("the editor prompt is not part of urdb"); }',
        'lazy-tls': 'let tls; export default new Proxy({}, { get: (_, key) => (tls ??= require("node:tls"))[key] });',
      }[args.path],
    }));
  },
};

/** postgres.js with its stale-write fix (see postgres-fix.mjs). */
const fixPostgres = {
  name: 'fix-postgres',
  setup(b) {
    b.onLoad({ filter: CONNECTION_FILE }, async (args) => ({
      contents: fixPostgresConnection(await fs.promises.readFile(args.path, 'utf8'), args.path),
      loader: 'js',
    }));
  },
};

fs.rmSync(dist, { recursive: true, force: true });
await build({
  plugins: [leaveOut, fixPostgres],
  absWorkingDir: root,
  entryPoints: ['src/cli.ts'],
  outfile: 'dist/urdb.cjs',
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  minifyWhitespace: true,
  minifySyntax: true,
  sourcemap: 'linked',
  legalComments: 'none',
  define: { 'import.meta.url': '__urdbModuleUrl' },
  banner: { js: 'var __urdbModuleUrl = require("url").pathToFileURL(__filename).href;' },
  logLevel: 'warning',
});

// Read as latin1 by the launcher (faster than UTF-8 for 1 MB): esbuild escapes non-ASCII text, except in raw
// template literals, so make sure none slipped in.
const bytes = fs.readFileSync(path.join(dist, 'urdb.cjs'));
const at = bytes.findIndex((b) => b > 0x7f);
if (at >= 0) {
  throw new Error(`dist/urdb.cjs has a non-ASCII byte at ${at}: ${bytes.subarray(Math.max(0, at - 60), at + 10).toString('latin1')}`);
}

const warm = spawnSync(process.execPath, [path.join(root, 'bin', 'urdb.js'), '--help'], {
  env: { ...process.env, URDB_CODE_CACHE: 'write' },
  stdio: ['ignore', 'ignore', 'inherit'],
});
if (warm.status !== 0) {
  process.stderr.write('urdb build: writing the code cache failed; urdb works without it, only slower to start\n');
}
