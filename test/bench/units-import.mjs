/**
 * `urdb units import` of N generated rows (a fresh copy of the template per size, its 50 regions created first) next
 * to psql `\copy` of the same rows, read back from urdb's table, into a table of the unit table's shape (`like
 * urdb.unit including all`: same columns, constraints and indexes; no audit trigger, no foreign keys to check).
 * The per-row cost at each size shows whether the validation is linear.
 */
import fs from 'node:fs';
import path from 'node:path';
import { psql } from './data.mjs';
import { cleanEnv, NODE, run, URDB } from './proc.mjs';

const REGIONS = 50;
const COLUMNS = 'id, name, uuid, office_manager_account_name, dodo_is_api_account_name, shift_manager_account_name, region_id, department_id';

function writeCsv(file, n) {
  const hex = (i, w) => i.toString(16).padStart(w, '0');
  const lines = ['id,name,uuid,region,department_id,office_manager_account_name'];
  for (let i = 1; i <= n; i++) lines.push(`${i},Unit ${i},${hex(i, 8)}-0000-4000-8000-${hex((i * 7919) % 2 ** 48, 12)},Region ${i % REGIONS},,om${i}`);
  fs.writeFileSync(file, lines.join('\n') + '\n');
}

/** `{sizes: [{rows, import_ms, copy_ms, us_per_row}], marginal_ratio}`; `db` is created from `template` per size. */
export async function measureUnitsImport({ dbs, db, template, psqlBin, tmp, sizes, log }) {
  const out = [];
  for (const rows of sizes) {
    await dbs.create(db, template);
    const url = dbs.url(db);
    psql(psqlBin, url, ['-c', `insert into urdb.region (name) select 'Region ' || g from generate_series(0, ${REGIONS - 1}) g`]);
    const csv = path.join(tmp, `units-${rows}.csv`);
    writeCsv(csv, rows);
    log(`urdb units import of ${rows} rows`);
    const imported = run(NODE, [URDB, 'units', 'import', csv, '--yes'], { env: cleanEnv({ DATABASE_URL: url }) });
    const dump = path.join(tmp, `unit-rows-${rows}.csv`);
    psql(psqlBin, url, ['-c', `\\copy (select ${COLUMNS} from urdb.unit) to '${dump}' csv`]);
    psql(psqlBin, url, ['-c', 'create table public.unit_copy (like urdb.unit including all)']);
    log(`psql \\copy of the same ${rows} rows`);
    const copy = psql(psqlBin, url, ['-c', `\\copy public.unit_copy (${COLUMNS}) from '${dump}' csv`]);
    out.push({ rows, import_ms: imported.ms, copy_ms: copy.ms, us_per_row: (1000 * imported.ms) / rows, copy_us_per_row: (1000 * copy.ms) / rows });
    fs.rmSync(csv);
    fs.rmSync(dump);
  }
  // Linear: the cost of each added row at the largest sizes against the smallest (start-up costs cancel out).
  const [a, b, c] = out;
  const marginal = (x, y) => (y.import_ms - x.import_ms) / (y.rows - x.rows);
  return { sizes: out, marginal_ratio: a && b && c ? marginal(b, c) / marginal(a, b) : null };
}
