/**
 * The audit log against a hostile database client: `set local urdb.actor` to forged or poisonous values through a
 * raw SQL connection, then every way of reading it with `urdb log`.
 */
import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { urdb } from './support/cli';
import { freshDatabase } from './support/db';
import { ptyUrdb, stripAnsi } from './support/pty';

const db = await freshDatabase();
const APP = `urdb_app_${crypto.randomBytes(4).toString('hex')}`;
const FORGED = '{"via":"api","user":"api","token":"bot","address":"10.0.0.5"}';
const HUGE = 'h'.repeat(100_000);
/** The claims a hostile client sets, and what the log must hold for each (recorded as given). */
const ATTACKS: [setting: string, recorded: unknown][] = [
  [FORGED, JSON.parse(FORGED)],
  ['null', null],
  ['[]', []],
  ['"x"', 'x'],
  ['{"via":5}', { via: 5 }],
  ['{"via":"cli","user":{"nested":[1,2]}}', { via: 'cli', user: { nested: [1, 2] } }],
  ['{"userChatId":"42"}', { userChatId: '42' }],
  ['not json {', { unparsed: 'not json {' }],
  ['"\\u0000"', { unparsed: '"\\u0000"' }],
  [JSON.stringify(HUGE), HUGE],
  [JSON.stringify({ via: 'api', user: 'api\x1b]0;PWNED\x07\x1b[2J\n\tforged line' }), { via: 'api', user: 'api\x1b]0;PWNED\x07\x1b[2J\n\tforged line' }],
];
let session = '';

beforeAll(async () => {
  session = (await db.sql<{ u: string }[]>`select session_user::text as u`)[0]!.u;
  await db.sql.unsafe(`
    create role ${APP} nologin;
    grant usage on schema urdb to ${APP};
    grant select, insert, update, delete on all tables in schema urdb to ${APP};
    grant usage on all sequences in schema urdb to ${APP};
  `);
  for (const [i, [setting]] of ATTACKS.entries()) {
    await db.sql.begin(async (tx) => {
      await tx.unsafe(`set local role ${APP}`);
      await tx`select set_config('urdb.actor', ${setting}, true)`;
      await tx`insert into region (name) values (${`Forged ${i}`})`;
    });
  }
  // A row written straight into audit_log, claiming another database role.
  await db.sql.begin(async (tx) => {
    await tx.unsafe(`set local role ${APP}`);
    await tx`
      insert into audit_log (actor, entity, action, key, after, db_user, db_session_user)
      values (${db.sql.json({ via: 'cli', user: 'admin' })}, 'region', 'insert', '{"id": 999}', '{"name": "Forged row"}', 'admin', 'admin')
    `;
  });
});

afterAll(async () => {
  await db.sql.unsafe(`drop owned by ${APP}; drop role ${APP}`);
});

const FILTERS: string[][] = [[], ['--entity', 'region'], ['--since', '1h'], ['--chat', '42'], ['--limit', '3', '--offset', '2'], ['--all']];

describe('a hostile urdb.actor setting', () => {
  it('is recorded as given, beside the database role that made the change, which no setting or insert can forge', async () => {
    const rows = await db.sql<{ actor: unknown; db_user: string; db_session_user: string }[]>`
      select actor, db_user, db_session_user from audit_log where entity = 'region' order by id
    `;
    expect(rows.map((r) => r.actor)).toEqual([...ATTACKS.map(([, recorded]) => recorded), { via: 'cli', user: 'admin' }]);
    for (const r of rows) expect([r.db_user, r.db_session_user]).toEqual([APP, session]);
  });

  it('never breaks urdb log: every filter, piped TSV one line per row, --json exact', async () => {
    for (const filter of FILTERS) {
      const tsv = await urdb(['log', ...filter], { url: db.url });
      expect([filter, tsv.code, tsv.stderr.replace(/^urdb: showing .*\n/m, '')]).toEqual([filter, 0, '']);
      const lines = tsv.stdout.trimEnd().split('\n');
      for (const line of lines) expect(line.split('\t')).toHaveLength(7);
      const json = await urdb(['log', ...filter, '--json'], { url: db.url });
      expect([filter, json.code]).toEqual([filter, 0]);
      const entries = JSON.parse(json.stdout) as { actor: unknown; db_user: string }[];
      expect(entries).toHaveLength(lines.length);
    }
    const all = JSON.parse((await urdb(['log', '--json', '--entity', 'region'], { url: db.url })).stdout) as { actor: unknown; db_user: string }[];
    expect(all.map((e) => e.actor).reverse()).toEqual([...ATTACKS.map(([, recorded]) => recorded), { via: 'cli', user: 'admin' }]);
    expect(all.every((e) => e.db_user === APP)).toBe(true);
  });

  it('shows the database role beside the claimed actor, escapes control characters and cuts huge claims', async () => {
    const tsv = await urdb(['log', '--entity', 'region'], { url: db.url });
    // TSV escapes backslash, tab and newline; decoded, the field is what urdb printed.
    const untsv = (f: string) => f.replace(/\\(.)/g, (_, c: string) => (c === 't' ? '\t' : c === 'n' ? '\n' : c === 'r' ? '\r' : c));
    const who = tsv.stdout.trimEnd().split('\n').map((l) => untsv(l.split('\t')[2]!)).reverse();
    const role = ` (db role ${APP}, session ${session})`;
    expect(who).toEqual([
      `api:api token bot from 10.0.0.5${role}`,
      `claimed: null${role}`,
      `claimed: []${role}`,
      `claimed: "x"${role}`,
      `claimed: {"via":5}${role}`,
      `claimed: {"via":"cli","user":{"nested":[1,2]}}${role}`,
      `claimed: {"userChatId":"42"}${role}`,
      `claimed (not JSON): not json {${role}`,
      `claimed (not JSON): "\\u0000"${role}`,
      `claimed: "${'h'.repeat(119)}…${role}`,
      `api:api\\x1b]0;PWNED\\x07\\x1b[2J\\x0a\\x09forged line${role}`,
      `cli:admin${role}`,
    ]);
  });

  it('on a terminal: the table shows every row, the role beside the claim, no escape sequence of the claim', async () => {
    const t = ptyUrdb(['log', '--entity', 'region'], { url: db.url, cols: 200 });
    expect(await t.exit()).toBe(0);
    const out = stripAnsi(t.output());
    expect(out).toContain(`(db role ${APP}`);
    expect(out).toContain('claimed: null');
    expect(t.output()).not.toContain('\x1b]0;PWNED');
  });
});
