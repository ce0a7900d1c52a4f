/** The bench's verdict (targets from issue 14) and its printout: Markdown tables, pasteable into the README. */
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

/** Every target (issue 14, and issue 6's that still hold), with its measured value and PASS, FAIL or n/a. */
export function evaluateTargets(r) {
  const targets = [];
  const add = (name, value, limit, ok, why) =>
    targets.push({ name, value, limit, result: value === null || value === undefined ? 'n/a' : ok(value) ? 'PASS' : 'FAIL', ...(why ? { why } : {}) });
  const min = (limit) => (v) => v >= limit;
  const max = (limit) => (v) => v <= limit;
  const wrk = r.config?.generator === 'wrk' ? '' : ' (autocannon: wrk missing)';

  for (const endpoint of Object.keys(ENDPOINTS)) {
    const at = (server) => r.load?.[endpoint]?.[server]?.[64];
    const urdb = at('urdb');
    const why = missing(r.load?.[endpoint]?.urdb?.[64] ?? r.load?.[endpoint]?.urdb);
    const label = endpoint === 'chats' ? 'hot path (telegram-chats)' : 'units lookup';
    add(`${label}, 64 conns: server CPU µs/req urdb / bare node:http`, ratio(urdb?.server_cpu_us_per_request, at('ceiling')?.server_cpu_us_per_request), '≤ 1.25', max(1.25), why);
    add(`${label}, 64 conns: req/s urdb / bare node:http${wrk}`, ratio(urdb?.rps, at('ceiling')?.rps), '≥ 0.85', min(0.85), why);
    add(`${label}, 64 conns: urdb p99 ms`, urdb?.p99 ?? null, '≤ 3', max(3), why);
    add(`${label}, 64 conns: req/s urdb / naive (1 query per request)`, ratio(urdb?.rps, at('naive')?.rps), '≥ 3', min(3), why);
  }
  const cli = r.cli ?? {};
  const lookup = cli.urdb_routes_chats ?? (r.available?.routes_chats === false ? { unavailable: true } : null);
  add('CLI: urdb routes chats / node -e 0 (whole process)', ratio(lookup?.median_ms, cli.node_e0?.median_ms), '≤ 2', max(2), missing(lookup));
  add('CLI: urdb --help / node -e 0', ratio(cli.urdb_help?.median_ms, cli.node_e0?.median_ms), '≤ 1.5', max(1.5));
  add('CLI: urdb --version / node -e 0', ratio(cli.urdb_version?.median_ms, cli.node_e0?.median_ms), '≤ 1.5', max(1.5));
  const units = r.units_import?.sizes?.find((x) => x.rows === 40_000);
  add('units import of 40,000 rows / psql \\copy of the same rows', ratio(units?.import_ms, units?.copy_ms), '≤ 3', max(3), missing(r.units_import ?? null));
  add('units import: cost of an added row, 40k→160k / 10k→40k (linear)', r.units_import?.marginal_ratio ?? null, '≤ 1.5', max(1.5), missing(r.units_import ?? null));
  add('urdb import (bundle) / psql \\copy (same rows)', ratio(r.writes?.import_ms, r.writes?.copy_ms), '≤ 2', max(2));
  add('embedded: urdb units list, s (median)', r.embedded?.median_ms === undefined ? null : r.embedded.median_ms / 1000, '≤ 0.4', max(0.4), missing(r.embedded ?? null));
  const rss = Object.values(r.load ?? {}).flatMap((e) => Object.values(e.urdb ?? {}).map((m) => m?.rss_peak_mb).filter(Number.isFinite));
  add('urdb serve: peak RSS under the load above, MB', rss.length ? Math.max(...rss) : null, '≤ 150', max(150), rss.length ? null : missing(r.load?.chats?.urdb));
  const random = r.servers?.urdb?.random_keys;
  add(`urdb serve: peak RSS after ${r.config?.random_seconds} s of random-key lookups, MB`, random?.rss_peak_mb ?? null, '≤ 150', max(150), random ? missing(random) : 'not measured');
  const scale = r.scale;
  const hitNow = r.load?.chats?.urdb?.[64]?.server_cpu_us_per_request;
  add('scale: hot path CPU µs/req, data ×10 / ×1 (flat)', ratio(scale?.chats?.server_cpu_us_per_request, hitNow), '≤ 1.25', max(1.25), scale ? missing(scale) : 'URDB_BENCH_SCALE=1 not set');
  const plan = (lines) => (lines ?? []).join(' ');
  const indexed = (lines) => /Index (Only )?Scan/.test(plan(lines)) && !/Seq Scan on report_route/.test(plan(lines));
  add('miss query: index scans only (explain below)', r.miss_query ? (indexed(r.miss_query) && (!scale?.miss_query || indexed(scale.miss_query)) ? 1 : 0) : null, '= 1', min(1));
  return targets;
}

function loadTable(r) {
  const rows = [];
  for (const [endpoint, { title }] of Object.entries(ENDPOINTS)) {
    for (const conns of r.config.connections) {
      for (const server of ['ceiling', 'naive', 'urdb', 'urdb_w2']) {
        const entry = r.load?.[endpoint]?.[server];
        const m = entry?.[conns];
        const label = [title, conns, { ceiling: 'bare node:http, constant JSON', naive: 'bare node:http + 1 query', urdb: 'urdb serve', urdb_w2: 'urdb serve --workers 2' }[server]];
        const why = missing(entry?.unavailable || entry?.error ? entry : m);
        if (why) {
          if (server === 'urdb_w2' && entry?.unavailable) continue;
        rows.push([...label, why, '', '', '', '', '', '', '']);
          continue;
        }
        const bad = m.non2xx || m.errors || m.timeouts ? ` (${m.non2xx} non-2xx, ${m.errors} errors)` : '';
        const bound = m.load_generator_cpu_pct >= GENERATOR_BOUND ? ' *' : '';
        const vs = (other) => (server.startsWith('urdb') ? num(ratio(m.rps, r.load[endpoint][other]?.[conns]?.rps), 2) : '');
        const cpu = `${num(m.server_cpu_pct)} / ${num(m.load_generator_cpu_pct)}`;
        const perRequest = num(m.server_cpu_us_per_request, 1) + (server.startsWith('urdb') ? ` (${num(ratio(m.server_cpu_us_per_request, r.load[endpoint].ceiling?.[conns]?.server_cpu_us_per_request), 2)} ×)` : '');
        rows.push([...label, num(m.rps) + bound + bad, num(m.p50, 2), num(m.p99, 2), num(m.rss_peak_mb), cpu, perRequest, vs('ceiling'), vs('naive')]);
      }
    }
  }
  const head = ['lookup', 'conns', 'server', 'req/s', 'p50 ms', 'p99 ms', 'peak RSS MB', 'CPU % server / load', 'server CPU µs/req (× bare)', 'req/s × bare', 'req/s × naive'];
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

function unitsImportTable(r) {
  const u = r.units_import;
  if (!u) return 'not measured\n';
  if (u.error) return `failed: ${u.error}\n`;
  return (
    table(
      ['rows', 'urdb units import s', 'µs/row', 'psql \\copy s', 'µs/row', 'urdb / \\copy'],
      u.sizes.map((x) => [num(x.rows), num(x.import_ms / 1000, 2), num(x.us_per_row, 1), num(x.copy_ms / 1000, 2), num(x.copy_us_per_row, 1), num(ratio(x.import_ms, x.copy_ms), 1)]),
    ) + `\nCost of an added row from 40k to 160k against 10k to 40k: ${num(u.marginal_ratio, 2)} × (1: linear).\n`
  );
}

function scaleTable(r) {
  const parts = [`Miss query (one per key and cache fill), \`explain analyze\` on the bench's data:\n\n\`\`\`\n${(r.miss_query ?? ['not measured']).join('\n')}\n\`\`\`\n`];
  const s = r.scale;
  if (!s) return parts.join('') + '\nData ×10: not measured (set URDB_BENCH_SCALE=1; its import of ~2M routes takes minutes).\n';
  if (s.error) return parts.join('') + `\nData ×10: failed: ${s.error}\n`;
  const hit = r.load?.chats?.urdb?.[64];
  parts.push(
    '\n',
    table(
      ['data', 'hot path req/s', 'server CPU µs/req', 'p99 ms', 'urdb routes chats ms'],
      [
        [`×1: ${num(r.data?.units)} units, ${num(r.data?.routes)} routes`, num(hit?.rps), num(hit?.server_cpu_us_per_request, 1), num(hit?.p99, 2), num(r.cli?.urdb_routes_chats?.median_ms, 1)],
        [`×10: ${num(s.units)} units, ${num(s.routes)} routes`, num(s.chats?.rps), num(s.chats?.server_cpu_us_per_request, 1), num(s.chats?.p99, 2), num(s.cli?.median_ms, 1)],
      ],
    ),
    `\nMiss query on the data ×10:\n\n\`\`\`\n${s.miss_query.join('\n')}\n\`\`\`\n`,
  );
  return parts.join('');
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
      `${m.wrk ? `wrk ${m.wrk}` : `autocannon ${m.autocannon} (wrk not found)`}; load average ${num(m.load_average_at_start, 2)} at start, ${num(m.load_average_at_end, 2)} at end.\n`,
    `Data (through urdb import): ${d.regions} regions, ${num(d.units)} units, ${d.report_types} report types, ${num(d.chats)} chats, ` +
      `${num(d.routes)} routes; bundle ${num(d.bytes / 2 ** 20, 1)} MiB.\n`,
    m.load_average_at_start > 1
      ? `\nWARNING: the machine was busy when the bench started (load average ${num(m.load_average_at_start, 2)}): other processes share its ${m.cores} cores, so every number below is lower and noisier than on a quiet machine.\n`
      : '',
    `\n### HTTP lookups: random ids per request, ${r.config.warmup} s warm-up then ${r.config.seconds} s per row; ` +
      `server and load generator (${r.config.generator ?? 'autocannon'}, one thread) in separate processes${r.config.workers ? `; urdb serve --workers ${r.config.workers}` : ''}\n\n`,
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
  parts.push('\n### units import (CSV, fresh database per size)\n\n', unitsImportTable(r));
  const random = r.servers?.urdb?.random_keys;
  if (random) {
    parts.push(
      `\n### Memory: ${r.config.random_seconds} s of hot-path lookups of random unit ids (nearly all misses)\n\n`,
      random.error ? `failed: ${random.error}\n` : `${num(random.rps)} req/s, p99 ${num(random.p99, 2)} ms, peak RSS ${num(random.rss_peak_mb)} MB (default --cache-bytes).\n`,
    );
  }
  parts.push('\n### Scaling\n\n', scaleTable(r));
  parts.push('\n### Embedded default\n\n', embeddedTable(r));
  const t = r.targets ?? [];
  parts.push(
    '\n### Targets (issue 14)\n\n',
    table(['target', 'measured', 'limit', 'result'], t.map((x) => [x.name, num(x.value, 2), x.limit, x.result + (x.why ? ` (${x.why})` : '')])),
    `\n${t.filter((x) => x.result === 'PASS').length} PASS, ${t.filter((x) => x.result === 'FAIL').length} FAIL, ${t.filter((x) => x.result === 'n/a').length} n/a\n`,
  );
  return parts.join('');
}
