/**
 * `urdb export`: the whole database as a bundle, in a canonical order (natural keys), so that importing it into an
 * empty database and exporting again gives the same bytes. Access codes appear as digests only.
 */
import type { Ctx } from '../../core/operation';
import { BUNDLE_FORMAT, SECTIONS, type Bundle } from './schema';

export async function exportBundle(ctx: Ctx, onProgress?: (section: string) => void): Promise<Bundle> {
  const { sql } = ctx;
  // One snapshot for every section.
  return (await sql.begin('isolation level repeatable read read only', async (tx) => {
    const regions = await tx<Bundle['regions']>`select id, name from region order by id`;
    onProgress?.('regions');
    const departments = await tx<Bundle['departments']>`select id, name, uuid from department order by id`;
    onProgress?.('departments');
    const units = await tx<Bundle['units']>`
      select u.id, u.name, u.uuid, r.name as region, u.department_id,
             u.office_manager_account_name, u.dodo_is_api_account_name, u.shift_manager_account_name
      from unit u join region r on r.id = u.region_id
      order by u.id
    `;
    onProgress?.('units');
    const report_types = await tx<Bundle['report_types']>`
      select t.id, t.name, t.verbose_name, t.is_active, p.name as parent, t.priority
      from report_type t left join report_type p on p.id = t.parent_id
      order by t.id
    `;
    onProgress?.('report_types');
    const roles = await tx<Bundle['roles']>`
      select r.id, r.name, r.access_code_sha256, r.weak_code,
             coalesce((select json_agg(g.unit_id order by g.unit_id) from role_unit g where g.role_id = r.id), '[]') as units,
             coalesce((select json_agg(t.name order by t.id) from role_report_type g join report_type t on t.id = g.report_type_id
                       where g.role_id = r.id), '[]') as report_types
      from role r
      order by r.id
    `;
    onProgress?.('roles');
    const telegram_chats = await tx<Bundle['telegram_chats']>`
      select chat_id, type, title, username, role_id from telegram_chat order by chat_id
    `;
    onProgress?.('telegram_chats');
    const report_routes = await tx<Bundle['report_routes']>`
      select t.name as report_type, c.chat_id, json_agg(r.unit_id order by r.unit_id) as unit_ids
      from report_route r
      join report_type t on t.id = r.report_type_id
      join telegram_chat c on c.id = r.telegram_chat_id
      group by t.name, c.chat_id
      order by c.chat_id, t.name
    `;
    onProgress?.('report_routes');
    const account_roles = await tx<Bundle['account_roles']>`select id, name from account_role order by id`;
    onProgress?.('account_roles');
    return {
      format: BUNDLE_FORMAT,
      regions: [...regions],
      departments: [...departments],
      units: [...units],
      report_types: [...report_types],
      // weak_code only where true: strong roles export as before.
      roles: roles.map(({ weak_code, ...r }) => (weak_code ? { ...r, weak_code } : r)),
      telegram_chats: [...telegram_chats],
      report_routes: [...report_routes],
      account_roles: [...account_roles],
    };
  })) as Bundle;
}

/** JSON with one item per line: readable, diffable, and small for 200,000 routes. */
export function* formatBundle(bundle: Bundle): Generator<string> {
  yield `{\n  "format": ${JSON.stringify(bundle.format)}`;
  for (const section of SECTIONS) {
    const items = bundle[section] as unknown[];
    if (items.length === 0) {
      yield `,\n  ${JSON.stringify(section)}: []`;
      continue;
    }
    yield `,\n  ${JSON.stringify(section)}: [\n`;
    for (let i = 0; i < items.length; i += 1000) {
      yield items
        .slice(i, i + 1000)
        .map((item) => `    ${JSON.stringify(item)}`)
        .join(',\n') + (i + 1000 < items.length ? ',\n' : '');
    }
    yield `\n  ]`;
  }
  yield `\n}\n`;
}
