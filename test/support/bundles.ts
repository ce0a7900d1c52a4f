/** Bundles for tests: small and hand-written, or generated with a given size. */
export const UUID = (n: number) => `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;

export function smallBundle() {
  return {
    format: 'urdb-bundle/1',
    regions: [
      { id: 1, name: 'Москва 1' },
      { id: 5, name: 'Казань' },
    ],
    departments: [{ id: 4, name: 'Москва', uuid: UUID(9004) }],
    units: [
      { id: 101, name: 'Москва 1-1', uuid: UUID(101), region: 'Москва 1', department_id: 4, office_manager_account_name: 'om1', dodo_is_api_account_name: 'api1' },
      { id: 102, name: 'Москва 1-2', uuid: UUID(102), region: 'Москва 1', department_id: null, office_manager_account_name: '', dodo_is_api_account_name: '' },
      { id: 201, name: 'Казань 1', uuid: UUID(201), region: 'Казань' },
      { id: 301, name: 'Тверь 1', uuid: UUID(301), region: 'Тверь' },
    ],
    report_types: [{ id: 40, name: 'CUSTOM_REPORT', verbose_name: 'Свой отчёт', is_active: false, parent: 'STATISTICS', priority: 3 }],
    roles: [
      { id: 1, name: 'Managers', access_code: 'open sesame', units: [101, 102], report_types: ['CANCELED_ORDERS', 'DAILY_REVENUE'] },
      { id: 2, name: 'Nobody', access_code_sha256: 'a'.repeat(64), units: [], report_types: [] },
    ],
    telegram_chats: [
      { chat_id: -1001234567890, type: 'GROUP', title: 'Ops "room"\tone', username: null, role_id: 1 },
      { chat_id: 42, type: 'PRIVATE', title: 'Eldos', username: 'eldos', role_id: null },
    ],
    report_routes: [
      { report_type: 'CANCELED_ORDERS', chat_id: -1001234567890, unit_ids: [101, 102] },
      { report_type: 'DAILY_REVENUE', chat_id: 42, unit_ids: [201] },
    ],
    account_roles: [{ id: 9, name: 'Auditor' }],
  };
}

/** A chain of the bench's shape: regions, units, chats, each chat routing 1-4 types for all units of one region. */
export function generatedBundle(opts: { regions: number; units: number; chats: number; types: number; seed?: number }) {
  let state = opts.seed ?? 1;
  const rand = () => ((state = (state * 1103515245 + 12345) % 2147483648) / 2147483648);
  const regions = Array.from({ length: opts.regions }, (_, i) => ({ id: i + 1, name: `Region ${i + 1}` }));
  const units = Array.from({ length: opts.units }, (_, i) => ({
    id: 1000 + i,
    name: `Unit ${i}`,
    uuid: UUID(1000 + i),
    region: regions[i % opts.regions]!.name,
    office_manager_account_name: `om_${i}`,
    dodo_is_api_account_name: `api_${i}`,
  }));
  const report_types = Array.from({ length: opts.types }, (_, i) => ({ name: `BENCH_TYPE_${i}`, verbose_name: `Bench ${i}` }));
  const telegram_chats = Array.from({ length: opts.chats }, (_, i) => ({
    chat_id: i % 3 === 0 ? -1001000000000 - i : 100000 + i,
    type: i % 3 === 0 ? 'GROUP' : 'PRIVATE',
    title: `Chat ${i}`,
    username: null,
  }));
  const byRegion = new Map<string, number[]>();
  for (const u of units) byRegion.set(u.region, [...(byRegion.get(u.region) ?? []), u.id]);
  const report_routes: { report_type: string; chat_id: number; unit_ids: number[] }[] = [];
  for (const chat of telegram_chats) {
    const region = regions[Math.floor(rand() * regions.length)]!.name;
    const n = 1 + Math.floor(rand() * 4);
    const picked = new Set<number>();
    while (picked.size < n) picked.add(Math.floor(rand() * report_types.length));
    for (const t of picked) report_routes.push({ report_type: report_types[t]!.name, chat_id: chat.chat_id, unit_ids: byRegion.get(region) ?? [] });
  }
  return { format: 'urdb-bundle/1', regions, units, report_types, telegram_chats, report_routes };
}
