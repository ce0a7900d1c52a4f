/** The rows a CLI command may change, as one comparable value: "nothing changed" is `expect(await state(db)).toEqual(before)`. */
import type { TestDatabase } from './db';

export async function state(db: TestDatabase) {
  const { sql } = db;
  return {
    regions: await sql`select id, name from region order by id`,
    units: await sql`select id, name, region_id from unit order by id`,
    chats: await sql`select id, chat_id, type, title, username, role_id from telegram_chat order by id`,
    roles: await sql`select id, name, access_code_sha256 from role order by id`,
    role_units: await sql`select role_id, unit_id from role_unit order by 1, 2`,
    role_report_types: await sql`select role_id, report_type_id from role_report_type order by 1, 2`,
    routes: await sql`select telegram_chat_id, report_type_id, unit_id from report_route order by 1, 2, 3`,
  };
}
