/**
 * The fields of each resource, shared by the admin API (src/http/v1/: validation, OPTIONS, OpenAPI, the objects it
 * returns) and the CLI (src/commands/: the columns of `list`): the zod schema of the writable fields (the bundle's
 * item schema, so names and rules are the bundle's), a label per field, and the fields never shown. Adding a field
 * to a resource is one edit here (plus its column in the queries that read it; test/cli-fields.test.ts checks both
 * clients show it).
 */
import { z } from 'zod';
import { MIN_CHOSEN_CODE, weakCodeReason } from '../core/access-code';
import { chatId, id, text } from '../core/fields';
import {
  bundleAccountRole,
  bundleChat,
  bundleDepartment,
  bundleRegion,
  bundleReportType,
  bundleRole,
  bundleUnit,
} from './bundle/schema';

export type ItemSchema = z.ZodObject<Record<string, z.ZodType>>;

export interface ResourceFields<S extends ItemSchema = ItemSchema> {
  /** The writable fields: what the API's POST, PUT and PATCH validate with. */
  schema: S;
  /** Labels that are not the field's name with spaces (OPTIONS' `label`; upper-cased, the CLI's column header). */
  labels?: Readonly<Partial<Record<keyof S['shape'] & string, string>>>;
  /** Writable but never shown (a role's access code). */
  writeOnly?: readonly string[];
}

const fields = <S extends ItemSchema>(f: ResourceFields<S>) => f;

/** A chosen access code shorter than this, or a common one, is refused (generated codes are 20 characters): the CLI's rule. */
export const MIN_ACCESS_CODE = MIN_CHOSEN_CODE;

const accessCode = text({ max: 64 }).superRefine((code, ctx) => {
  if ([...code].length < MIN_ACCESS_CODE) ctx.addIssue({ code: 'custom', message: `Ensure this field has at least ${MIN_ACCESS_CODE} characters.` });
  else if (weakCodeReason(code) !== null) ctx.addIssue({ code: 'custom', message: 'This access code is too common: choose a random one (openssl rand -base64 12).' });
});

export const UNIT_FIELDS = fields({
  schema: bundleUnit,
  labels: { office_manager_account_name: 'office manager account', dodo_is_api_account_name: 'dodo is api account' },
});
export const REGION_FIELDS = fields({ schema: bundleRegion });
export const DEPARTMENT_FIELDS = fields({ schema: bundleDepartment });
export const REPORT_TYPE_FIELDS = fields({ schema: bundleReportType, labels: { is_active: 'active' } });
export const CHAT_FIELDS = fields({ schema: bundleChat });
export const ROLE_FIELDS = fields({
  // The bundle's role (its refinement needs a code or a digest) less the digest: the same strict object as a region's.
  schema: bundleRegion.extend({
    name: bundleRole.shape.name,
    access_code: accessCode.optional(),
    units: bundleRole.shape.units,
    report_types: bundleRole.shape.report_types,
  }),
  writeOnly: ['access_code'],
});
export const ROUTE_FIELDS = fields({ schema: z.strictObject({ report_type: text({ max: 64 }), chat_id: chatId(), unit_id: id() }) });
export const ACCOUNT_ROLE_FIELDS = fields({ schema: bundleAccountRole });

export function fieldLabel(r: ResourceFields, field: string): string {
  return (r.labels as Record<string, string> | undefined)?.[field] ?? field.replace(/_/g, ' ');
}

/** The fields an object shows, in order: the writable ones less the write-only. */
export function shownFields(r: ResourceFields): string[] {
  return Object.keys(r.schema.shape).filter((f) => !r.writeOnly?.includes(f));
}
