// The floor of any Node CLI doing the hot-path lookup: load postgres.js, connect, one query, print, end.
// Usage: DATABASE_URL=… node lookup-floor.mjs UNIT REPORT_TYPE
import postgres from 'postgres';

const [unit, type] = process.argv.slice(2).map(Number);
const sql = postgres(process.env.DATABASE_URL, { max: 1, fetch_types: false, connection: { search_path: 'urdb' } });
const rows = await sql`
  select c.chat_id
  from report_route r join telegram_chat c on c.id = r.telegram_chat_id
  where r.unit_id = ${unit} and r.report_type_id = ${type}
  order by c.chat_id
  limit 101
`;
process.stdout.write(rows.map((r) => `${r.chat_id}\n`).join(''));
await sql.end();
