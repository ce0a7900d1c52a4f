// Where a urdb command's time goes, in its own process: Node's start-up (until this script runs), loading urdb's
// modules (until it starts a server process or opens a database socket), starting the embedded server (if it does),
// the database work (connect, queries, until it closes its first connection), and what follows (stopping the
// embedded server, exiting).
// Usage: URDB_BENCH_PHASES=<file> node cli-phases.mjs <urdb arguments…>; the phases are written to the file as JSON.
import childProcess from 'node:child_process';
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import net from 'node:net';

const at = { script: performance.now() };
const first = (name, fn) =>
  function (...args) {
    at[name] ??= performance.now();
    return fn.apply(this, args);
  };
childProcess.spawn = first('spawn', childProcess.spawn);
syncBuiltinESMExports();
net.Socket.prototype.connect = first('connect', net.Socket.prototype.connect);
net.Socket.prototype.end = first('disconnect', net.Socket.prototype.end);

process.on('exit', () => {
  const exit = performance.now();
  const connect = at.connect ?? exit;
  const disconnect = at.disconnect ?? exit;
  const loaded = Math.min(at.spawn ?? connect, connect);
  fs.writeFileSync(
    process.env.URDB_BENCH_PHASES,
    JSON.stringify({
      node_ms: at.script,
      modules_ms: loaded - at.script,
      server_start_ms: connect - loaded,
      database_ms: disconnect - connect,
      after_database_ms: exit - disconnect,
    }),
  );
});
process.argv.splice(1, 1, new URL('../../bin/urdb.js', import.meta.url).pathname);
await import('../../bin/urdb.js');
