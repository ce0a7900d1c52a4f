/**
 * A fix to postgres.js 3.4.9 (src/connection.js, and its cjs/ and cf/ copies), applied where urdb loads it: by the
 * bundler (bin/build.mjs) and by the test runner (test/vitest.config.ts). Nothing in node_modules is changed.
 *
 * The defect (porsager/postgres#1208 and #1168, open; the same analysis in LanternOps/breeze#3225): a connection
 * object is one pool slot for the pool's whole life, and the state of a socket that died outlives it.
 * - `write()` batches small writes behind `setImmediate(nextWrite)`, armed only while `nextWriteTimer === null`, and
 *   only `nextWrite()` sets it back to null. When a socket closes with a write still deferred (a crash under load:
 *   a query rejected on one closing socket is retried onto another whose close is next), `closed()` cancels the
 *   immediate but keeps the handle and the bytes. Or a transaction writes its ROLLBACK after `closed()`, and
 *   `nextWrite()` throws on the null socket (outside every promise) before it resets them. Either way the slot never
 *   flushes a small write again: its next connection appends the StartupMessage to the stale bytes and waits, the
 *   server waits for the startup packet, and after connect_timeout the query fails with CONNECT_TIMEOUT (urdb: 503
 *   after 5 s). Each attempt adds a StartupMessage (~90 bytes) until the buffer passes 1,024 bytes and is sent at
 *   last (garbage, refused): 5-15 attempts of connect_timeout, i.e. 30-80 s of stray 503s, database healthy.
 * - A query written to the dead socket stays the slot's current or pending query, so the next connection would take
 *   the answer to its own first query for it; and the dead backend's last error (57P01 …) and partial rows stay too,
 *   to fail or pad the next connection's first query.
 *
 * The fix: when the socket goes, or a write finds none, what was bound for it goes with it: the buffered bytes and
 * the deferred write are forgotten, and every query written to it (never to be answered) is rejected with
 * CONNECTION_CLOSED, as postgres.js already does for the query in flight; the connection attempt in progress
 * (`initial`) is left alone.
 */
const SETTLE = `
  function settleDeadSocket() { // urdb (bin/postgres-fix.mjs): nothing bound for a closed socket survives it
    const err = Errors.connection('CONNECTION_CLOSED', options)
    chunk = nextWriteTimer = null
    stream && (stream.destroy(err), stream = null)
    query && queryError(query, err)
    while (sent.length)
      queryError(sent.shift(), err)
    query = results = errorResponse = null
    result = new Result()
    rows = 0
  }
`;

const FIXES = [
  {
    what: 'a write that finds no socket is dropped with its queries',
    from: '  function nextWrite(fn) {\n    const x = socket.write(chunk, fn)',
    to: `${SETTLE.slice(1)}\n  function nextWrite(fn) {\n    if (socket === null)\n      return (settleDeadSocket(), true)\n    const x = socket.write(chunk, fn)`,
  },
  {
    what: 'closed() drops what was bound for the socket',
    from: '    socket.removeAllListeners()\n    socket = null\n\n    if (initial)\n      return reconnect()',
    to: '    socket.removeAllListeners()\n    socket = null\n    settleDeadSocket()\n\n    if (initial)\n      return reconnect()',
  },
  {
    what: 'terminate() forgets the deferred write',
    from: '    clearImmediate(nextWriteTimer)\n    if (socket) {',
    to: '    clearImmediate(nextWriteTimer)\n    chunk = nextWriteTimer = null\n    if (socket) {',
  },
];

/** postgres.js's connection.js, in any of its builds (src/, cjs/src/, cf/src/). */
export const CONNECTION_FILE = /[\\/]node_modules[\\/]postgres[\\/](?:cjs[\\/]|cf[\\/])?src[\\/]connection\.js$/;

/** The fixed source; throws when the source is not the one the fix was written for (a postgres.js upgrade). */
export function fixPostgresConnection(source, file = 'postgres/src/connection.js') {
  let fixed = source;
  for (const { what, from, to } of FIXES) {
    const at = fixed.indexOf(from);
    if (at < 0 || fixed.indexOf(from, at + 1) >= 0) {
      throw new Error(`bin/postgres-fix.mjs: ${file} is not the postgres.js 3.4.9 it fixes (${what}): check whether the new version still needs the fix`);
    }
    fixed = fixed.replace(from, to);
  }
  return fixed;
}
