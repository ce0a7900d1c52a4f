// The naive design: node:http plus one postgres.js query per request (urdb's client options and SQL).
import http from 'node:http';
import postgres from 'postgres';

const sql = postgres(process.env.DATABASE_URL, {
  max: 10,
  fetch_types: false,
  types: { int8: { to: 20, from: [20], serialize: String, parse: Number } },
  connection: { search_path: 'urdb', application_name: 'urdb bench naive' },
});

const lookups = {
  '/report-routes/telegram-chats/': {
    key: 'chat_ids',
    rows: (q) => sql`
      select c.chat_id as id
      from report_route r join telegram_chat c on c.id = r.telegram_chat_id
      where r.unit_id = ${q.get('unit_id')} and r.report_type_id = ${q.get('report_type_id')}
      order by c.chat_id
      limit 101
    `,
  },
  '/report-routes/units/': {
    key: 'unit_ids',
    rows: (q) => sql`
      select r.unit_id as id
      from report_route r join telegram_chat c on c.id = r.telegram_chat_id
      where c.chat_id = ${q.get('chat_id')} and r.report_type_id = ${q.get('report_type_id')}
      order by r.unit_id
      limit 101
    `,
  },
};

async function answer(req) {
  const url = new URL(req.url, 'http://localhost');
  const lookup = lookups[url.pathname];
  if (!lookup) return [404, { message: 'Not found.', extra: {} }];
  try {
    const ids = (await lookup.rows(url.searchParams)).map((r) => r.id);
    return [200, { [lookup.key]: ids.slice(0, 100), is_end_of_list_reached: ids.length <= 100 }];
  } catch {
    return [500, { message: 'Internal server error', extra: {} }];
  }
}

http
  .createServer(async (req, res) => {
    const [status, payload] = await answer(req);
    const body = JSON.stringify(payload);
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  })
  .listen(Number(process.env.PORT), '127.0.0.1');
