/** The bench's verdict (targets from issue 6) and its printout: Markdown tables, pasteable into the README. */
import { ENDPOINTS } from './requests.mjs';

const num = (x, digits = 0) =>
  typeof x === 'number' && Number.isFinite(x) ? x.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits }) : '–';
const ratio = (a, b) => (typeof a === 'number' && typeof b === 'number' && b > 0 ? a / b : null);
/** Load generator CPU % from which a row measures the generator as much as the server. */
const GENERATOR_BOUND = 90;
const table = (head, rows) => [head, head.map(() => '---'), ...rows].map((r) => `| ${r.join(' | ')} |`).join('\n') + '\n';

/** Why a measurement has no number: not available in this tree, or failed. */
function missing(m) {
  if (!m) return 'not measured';
  if (m.unavailable) return 'not available';
  if (m.error) return `failed: ${m.error}`;
  return null;
}

/** Every target, with its measured value and PASS, FAIL or n/a. */
export function evaluateTargets(r) {
  const targets = [];
  const add = (name, value, limit, ok, why) =>
    targets.push({ name, value, limit, result: value === null || value === undefined ? 'n/a' : ok(value) ? 'PASS' : 'FAIL', ...(why ? { why } : {}) });
  const min = (limit) => (v) => v >= limit;
  const max = (limit) => (v) => v <= limit;

  for (const endpoint of Object.keys(ENDPOINTS)) {
    const at = (server) => r.load?.[endpoint]?.[server]?.[64];
    const urdb = at('urdb');
    const why = missing(r.load?.[endpoint]?.urdb?.[64] ?? r.load?.[endpoint]?.urdb);
    const label = endpoint === 'chats' ? 'hot path (telegram-chats)' : 'units lookup';
    add(`${label}, 64 conns: urdb / ceiling req/s`, ratio(urdb?.rps, at('ceiling')?.rps), '≥ 0.6', min(0.6), why);
    add(`${label}, 64 conns: urdb p99 ms`, urdb?.p99 ?? null, '≤ 10', max(10), why);
    add(`${label}, 64 conns: urdb / naive req/s`, ratio(urdb?.rps, at('naive')?.rps), '≥ 3', min(3), why);
  }
  const cli = r.cli ?? {};
  const lookup = cli.urdb_routes_chats ?? (r.available?.routes_chats === false ? { unavailable: true } : null);
  add('CLI lookup: urdb routes chats / psql -c', ratio(lookup?.median_ms, cli.psql_c?.median_ms), '≤ 3', max(3), missing(lookup));
  add('urdb --version / node -e 0', ratio(cli.urdb_version?.median_ms, cli.node_e0?.median_ms), '≤ 1.5', max(1.5));
  add('urdb import / psql \\copy (same rows)', ratio(r.writes?.import_ms, r.writes?.copy_ms), '≤ 2', max(2));
  add('embedded: urdb units list, s (median)', r.embedded?.median_ms === undefined ? null : r.embedded.median_ms / 1000, '≤ 0.4', max(0.4), missing(r.embedded ?? null));
  const rss = Object.values(r.load ?? {}).flatMap((e) => Object.values(e.urdb ?? {}).map((m) => m?.rss_peak_mb).filter(Number.isFinite));
  add('urdb serve: peak RSS under load, MB', rss.length ? Math.max(...rss) : null, '≤ 150', max(150), rss.length ? null : missing(r.load?.chats?.urdb));
  return targets;
}

function loadTable(r) {
  const rows = [];
  for (const [endpoint, { title }] of Object.entries(ENDPOINTS)) {
    for (const conns of r.config.connections) {
      for (const server of ['ceiling', 'naive', 'urdb']) {
        const entry = r.load?.[endpoint]?.[server];
        const m = entry?.[conns];
        const label = [title, conns, { ceiling: 'bare node:http, constant JSON', naive: 'bare node:http + 1 query', urdb: 'urdb serve' }[server]];
        const why = missing(entry?.unavailable || entry?.error ? entry : m);
        if (why) {
          rows.push([...label, why, '', '', '', '', '', '', '']);
          continue;
        }
        const bad = m.non2xx || m.errors || m.timeouts ? ` (${m.non2xx} non-2xx, ${m.errors} errors)` : '';
        const bound = m.load_generator_cpu_pct >= GENERATOR_BOUND ? ' *' : '';
        const vs = (other) => (server === 'urdb' ? num(ratio(m.rps, r.load[endpoint][other]?.[conns]?.rps), 2) : '');
        const cpu = `${num(m.server_cpu_pct)} / ${num(m.load_generator_cpu_pct)}`;
        const perRequest = num(m.server_cpu_us_per_request);
        rows.push([...label, num(m.rps) + bound + bad, num(m.p50, 2), num(m.p99, 2), num(m.rss_peak_mb), cpu, perRequest, vs('ceiling'), vs('naive')]);
      }
    }
  }
  const head = ['lookup', 'conns', 'server', 'req/s', 'p50 ms', 'p99 ms', 'peak RSS MB', 'CPU % server / load', 'server CPU µs/req', 'urdb / ceiling', 'urdb / naive'];
  return table(head, rows);
}

function cliTable(r) {
  const c = r.cli;
  if (!c) return 'not measured\n';
  if (c.error) return `failed: ${c.error}\n`;
  const { unit_id, report_type_id, chats } = c.lookup ?? {};
  const lookup = `--unit ${unit_id} --report ${report_type_id}`;
  const rows = [
    ['node -e 0', c.node_e0],
    ['urdb --version', c.urdb_version],
    ['urdb --help (loads the CLI bundle, no database)', c.urdb_help],
    ['node + postgres.js: connect, the lookup, end (lookup-floor.mjs)', c.node_postgres_lookup],
    [`urdb routes chats ${lookup} (${chats} chats)`, c.urdb_routes_chats ?? { unavailable: true }],
    ['psql -c, the same query (the real binary, -X)', c.psql_c],
  ].map(([name, m]) => [
    name,
    missing(m) ?? num(m.median_ms, 1),
    m?.min_ms === undefined ? '' : num(m.min_ms, 1),
    num(ratio(m?.median_ms, c.psql_c?.median_ms), 1),
  ]);
  rows.push(...phaseRows(c.urdb_routes_chats?.phases, 'ms').map((row) => [...row, '', '']));
  const note = c.urdb_routes_chats && c.urdb_routes_chats.same_output_as_psql === false ? '\nWARNING: urdb routes chats printed something else than psql.\n' : '';
  return table(['command (whole process)', 'median ms', 'min ms', '× psql -c'], rows) + note;
}

/** The phases of one command (cli-phases.mjs), as rows under it, in ms or s. */
function phaseRows(p, unit) {
  if (!p) return [];
  const rows = [
    ['Node start-up, until urdb\'s first line runs', p.node_ms],
    ['loading urdb\'s modules', p.modules_ms],
    ...(p.server_start_ms ? [['starting the embedded server', p.server_start_ms]] : []),
    ['the database: connect, queries, until the first connection closes', p.database_ms],
    [p.server_start_ms ? 'stopping the embedded server, exit' : 'exit', p.after_database_ms],
  ];
  return rows.map(([name, ms]) => [`… ${name} (median)`, unit === 'ms' ? num(ms, 1) : num(ms / 1000, 3)]);
}

function writesTable(r) {
  const w = r.writes ?? {};
  const s = (ms, available = true) => (typeof ms === 'number' ? `${num(ms / 1000, 2)} s` : available ? 'not measured' : 'not available');
  const failed = w.error ? `\nThe \\copy side or routes add failed: ${w.error}\n` : '';
  return table(
    ['write (whole process)', 'urdb', 'psql \\copy, same rows', 'urdb / \\copy'],
    [
      [`urdb import (median of ${w.import_runs_ms?.length}): bundle of ${num(r.data?.routes)} routes, ${num(r.data?.chats)} chats, ${num(r.data?.units)} units`, s(w.import_ms), s(w.copy_ms), num(ratio(w.import_ms, w.copy_ms), 1)],
      [
        'urdb routes add: 1,000 units, one chat, one report type',
        w.routes_add_error ? `failed: ${w.routes_add_error}` : s(w.routes_add_ms, r.available?.routes_add),
        s(w.copy_add_ms),
        num(ratio(w.routes_add_ms, w.copy_add_ms), 1),
      ],
    ],
  ) + failed;
}

function embeddedTable(r) {
  const e = r.embedded;
  if (!e) return 'not measured\n';
  if (e.error) return `failed: ${e.error}\n`;
  return table(
    ['urdb units list, embedded default (fresh URDB_HOME, server started and stopped)', 'seconds'],
    [
      [`median of ${e.runs}`, num(e.median_ms / 1000, 3)],
      ...phaseRows(e.phases, 's'),
      ['first run (creates, migrates and seeds the cluster)', num(e.first_run_ms / 1000, 2)],
    ],
  );
}

export function report(r) {
  const m = r.machine;
  const d = r.data;
  const parts = [
    `\n## urdb bench, ${r.started_at} (commit ${m.commit ?? 'unknown'}, ${r.elapsed_s} s in all)\n`,
    `Machine: ${m.cpu}, ${m.cores} cores, ${m.memory_gib} GiB; ${m.kernel}; Node ${m.node}; PostgreSQL ${m.postgresql}; ` +
      `autocannon ${m.autocannon}; load average ${num(m.load_average_at_start, 2)} at start, ${num(m.load_average_at_end, 2)} at end.\n`,
    `Data (through urdb import): ${d.regions} regions, ${num(d.units)} units, ${d.report_types} report types, ${num(d.chats)} chats, ` +
      `${num(d.routes)} routes; bundle ${num(d.bytes / 2 ** 20, 1)} MiB.\n`,
    m.load_average_at_start > 1
      ? `\nWARNING: the machine was busy when the bench started (load average ${num(m.load_average_at_start, 2)}): other processes share its ${m.cores} cores, so every number below is lower and noisier than on a quiet machine.\n`
      : '',
    `\n### HTTP lookups: random ids per request, ${r.config.warmup} s warm-up then ${r.config.seconds} s per row; ` +
      `server and load generator (autocannon) in separate processes${r.config.workers ? `; urdb serve --workers ${r.config.workers}` : ''}\n\n`,
    loadTable(r),
    '\nCPU %: of one core, used by the server (all its processes) and by the load generator while measured; ' +
      `* marks rows where the load generator used ≥ ${GENERATOR_BOUND} % of a core, so the server might have done more. ` +
      'Server CPU µs/req: what one request costs the server process (the database\'s work not included); other load on ' +
      'the machine changes it far less than req/s.\n',
  ];
  const check = r.servers?.urdb?.answers_vs_naive;
  if (check) {
    const bad = Object.entries(check).filter(([, c]) => c.differ);
    parts.push(bad.length ? `\nWARNING: urdb serve answered differently from the query: ${bad.map(([e, c]) => `${e} ${c.differ}/${c.checked}, e.g. ${c.first}`).join('; ')}\n` : '\nurdb serve answered exactly what the query answers (100 random lookups per endpoint).\n');
  }
  parts.push(`\n### Command line: median of ${r.config.cli_runs}, NODE_EXTRA_CA_CERTS unset on every side\n\n`, cliTable(r));
  parts.push('\n### Writes\n\n', writesTable(r));
  parts.push('\n### Embedded default\n\n', embeddedTable(r));
  const t = r.targets ?? [];
  parts.push(
    '\n### Targets (issue 6)\n\n',
    table(['target', 'measured', 'limit', 'result'], t.map((x) => [x.name, num(x.value, 2), x.limit, x.result + (x.why ? ` (${x.why})` : '')])),
    `\n${t.filter((x) => x.result === 'PASS').length} PASS, ${t.filter((x) => x.result === 'FAIL').length} FAIL, ${t.filter((x) => x.result === 'n/a').length} n/a\n`,
  );
  return parts.join('');
}
