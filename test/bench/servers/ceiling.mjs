// The HTTP ceiling: node:http answering constant JSON of the hot path's usual size, no parsing, no database.
import http from 'node:http';

const chats = Buffer.from('{"chat_ids":[-1001000000000,100001,100002,100004,100005],"is_end_of_list_reached":true}');
const units = Buffer.from(`{"unit_ids":[${Array.from({ length: 17 }, (_, i) => 1000 + 60 * i)}],"is_end_of_list_reached":true}`);

http
  .createServer((req, res) => {
    const body = req.url.includes('/units/') ? units : chats;
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': body.length });
    res.end(body);
  })
  .listen(Number(process.env.PORT), '127.0.0.1');
