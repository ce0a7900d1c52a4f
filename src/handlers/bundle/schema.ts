/**
 * The bundle format of data.md §3: one JSON document holding a whole database or any part of it.
 */
import { z } from 'zod';
import { boolean, chatId, choice, id, integer, INT16, list, text, uuid } from '../../core/fields';

export const BUNDLE_FORMAT = 'urdb-bundle/1';

const item = <S extends z.ZodRawShape>(shape: S) =>
  z.strictObject(shape, {
    error: (iss) =>
      iss.code === 'unrecognized_keys'
        ? `unknown field${iss.keys.length > 1 ? 's' : ''} ${iss.keys.map((k) => JSON.stringify(k)).join(', ')}`
        : 'Expected an object.',
  });

const accountName = () => text({ max: 255, allowBlank: true }).optional().default('');
const nullableAccountName = () =>
  z.preprocess((v) => (v === null ? '' : v), text({ max: 255, allowBlank: true })).optional().default('');

export const bundleRegion = item({ id: id(), name: text({ max: 64 }) });

export const bundleDepartment = item({
  id: integer({ min: 1, max: INT16.max }),
  name: text({ max: 64 }),
  uuid: uuid(),
});

export const bundleUnit = item({
  id: id(),
  name: text({ max: 64 }),
  uuid: uuid(),
  region: text({ max: 64 }),
  department_id: integer({ min: 1, max: INT16.max }).nullable().optional().default(null),
  office_manager_account_name: nullableAccountName(),
  dodo_is_api_account_name: nullableAccountName(),
  shift_manager_account_name: accountName(),
});

export const bundleReportType = item({
  id: id().optional(),
  name: text({ max: 64 }),
  verbose_name: text({ max: 64 }),
  is_active: boolean().optional().default(true),
  parent: text({ max: 64 }).nullable().optional().default(null),
  priority: integer({ min: 0, max: INT16.max }).optional().default(0),
});

const sha256 = z.preprocess(
  (v) => (typeof v === 'string' ? v.trim().toLowerCase() : v),
  z.string({ error: 'Not a valid string.' }).regex(/^[0-9a-f]{64}$/, { error: 'Must be 64 hexadecimal digits (a SHA-256 digest).' }),
);

export const bundleRole = item({
  id: id(),
  name: text({ max: 64 }),
  access_code: text({ max: 64 }).optional(),
  access_code_sha256: sha256.optional(),
  /** Export writes it (true only) for a role flagged as weak; import also flags codes it can tell are weak. */
  weak_code: boolean().optional(),
  units: list(id(), { allowEmpty: true }).optional().default([]),
  report_types: list(text({ max: 64 }), { allowEmpty: true }).optional().default([]),
}).superRefine((role, ctx) => {
  if (role.access_code === undefined && role.access_code_sha256 === undefined) {
    ctx.addIssue({ code: 'custom', path: ['access_code'], message: 'Either access_code or access_code_sha256 is required.' });
  }
});

export const bundleChat = item({
  chat_id: chatId(),
  type: choice(['PRIVATE', 'GROUP']),
  title: text({ max: 255 }),
  username: text({ max: 255, allowBlank: true }).nullable().optional().default(null),
  role_id: id().nullable().optional().default(null),
});

export const bundleRoute = item({
  report_type: text({ max: 64 }),
  chat_id: chatId(),
  unit_ids: list(id(), { allowEmpty: true }),
});

export const bundleAccountRole = item({ id: id(), name: text({ max: 64 }) });

const section = <T extends z.ZodType>(schema: T) => list(schema, { allowEmpty: true }).optional().default([]);

export const bundleSchema = z.strictObject(
  {
    format: z.literal(BUNDLE_FORMAT, {
      error: (iss) => (iss.input === undefined ? 'This field is required.' : `Expected "${BUNDLE_FORMAT}".`),
    }),
    regions: section(bundleRegion),
    departments: section(bundleDepartment),
    units: section(bundleUnit),
    report_types: section(bundleReportType),
    roles: section(bundleRole),
    telegram_chats: section(bundleChat),
    report_routes: section(bundleRoute),
    account_roles: section(bundleAccountRole),
  },
  {
    error: (iss) =>
      iss.code === 'unrecognized_keys'
        ? `unknown section${iss.keys.length > 1 ? 's' : ''} ${iss.keys.map((k) => JSON.stringify(k)).join(', ')}`
        : 'A bundle is a JSON object.',
  },
);

export type Bundle = z.output<typeof bundleSchema>;
export type BundleSection = Exclude<keyof Bundle, 'format'>;

export const SECTIONS: readonly BundleSection[] = [
  'regions',
  'departments',
  'units',
  'report_types',
  'roles',
  'telegram_chats',
  'report_routes',
  'account_roles',
];

/** `units[2].uuid` from a zod path. */
export function positionOf(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out ? `.${String(p)}` : String(p);
  return out || '(document)';
}
