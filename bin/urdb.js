#!/usr/bin/env node
// urdb's launcher. `--version` is answered without loading anything. Otherwise it runs dist/urdb.cjs (the bundled
// CLI) through V8's code cache (dist/urdb.cjs.cache), so that the bundle is not parsed and compiled on every start;
// a missing or stale cache (another Node version) only costs time, and is written again when possible.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) {
  process.stdout.write(`${versionLine()}\n`);
} else {
  run();
}

/**
 * `urdb 0.1.0 (schema N)`: the package version and the schema version this urdb expects, which is the number of the
 * last file in sql/migrations (src/db/migrate.ts checks they run 1, 2, 3…). Same text as src/cli.ts prints.
 */
function versionLine() {
  const root = path.join(__dirname, '..');
  const { version } = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
  let schema = 0;
  for (const file of fs.readdirSync(path.join(root, 'sql', 'migrations'))) {
    const m = /^(\d{4})_[a-z0-9_]+\.sql$/.exec(file);
    if (m) schema = Math.max(schema, Number(m[1]));
  }
  return `urdb ${version} (schema ${schema})`;
}

function run() {
  const vm = require('node:vm');
  const Module = require('node:module');
  const file = path.join(__dirname, '..', 'dist', 'urdb.cjs');
  const cacheFile = `${file}.cache`;
  let source;
  try {
    source = fs.readFileSync(file, 'latin1'); // ASCII only: bin/build.mjs checks
  } catch {
    process.stderr.write('urdb: dist/urdb.cjs is missing; run `npm install` (or `npm run build`) in the urdb directory\n');
    process.exitCode = 1;
    return;
  }
  const writing = process.env.URDB_CODE_CACHE === 'write';
  let cachedData;
  if (!writing) {
    try {
      cachedData = fs.readFileSync(cacheFile);
    } catch {
      cachedData = undefined;
    }
  }
  const script = new vm.Script(Module.wrap(source), { filename: file, cachedData });
  const mod = { exports: {}, filename: file, id: file, loaded: false };
  script.runInThisContext().call(mod.exports, mod.exports, Module.createRequire(file), mod, file, path.dirname(file));
  const cli = mod.exports;
  const saveCache = () => {
    try {
      fs.writeFileSync(`${cacheFile}.${process.pid}`, script.createCachedData());
      fs.renameSync(`${cacheFile}.${process.pid}`, cacheFile);
    } catch {
      // A read-only install: start-up is slower, nothing else.
    }
  };
  if (writing) {
    cli.warmup().then(saveCache, (err) => {
      process.stderr.write(`${err && err.stack}\n`);
      process.exitCode = 1;
    });
    return;
  }
  const stale = cachedData === undefined || script.cachedDataRejected === true;
  cli.main(process.argv).then(
    () => stale && saveCache(),
    (err) => {
      process.stderr.write(`urdb: ${(err && err.stack) || err}\n`);
      process.exitCode = 1;
    },
  );
}
