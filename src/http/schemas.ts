/**
 * The shapes of the API's answers (http-api.md §2), for the OpenAPI document. The tests parse real answers with
 * these strict schemas, so the document cannot drift from what the server sends.
 */
import { z } from 'zod';

const int = () => z.number().int();
/** Lowercase and hyphenated: callers compare uuids as strings. */
const uuid = () => z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);

export const Unit = z.strictObject({
  id: int(),
  name: z.string(),
  uuid: uuid(),
  office_manager_account_name: z.string(),
  dodo_is_api_account_name: z.string(),
  /** The region's name. */
  region: z.string(),
});

export const RoleUnit = z.strictObject({
  id: int(),
  name: z.string(),
  uuid: uuid(),
  region_id: int(),
  office_manager_account_name: z.string(),
  dodo_is_api_account_name: z.string(),
});

export const Region = z.strictObject({ id: int(), name: z.string() });

export const ChatSummary = z.strictObject({ title: z.string(), chat_id: int() });

export const ChatDetail = z.strictObject({
  chat_id: int(),
  username: z.string().nullable(),
  title: z.string(),
  type: z.enum(['Private', 'Group']),
});

export const ChatTypes = z.array(z.enum(['PRIVATE', 'GROUP']));

export const ReportType = z.strictObject({ id: int(), name: z.string(), verbose_name: z.string() });

/** `{"<key>": [item…], "is_end_of_list_reached": bool}`: true exactly when no row exists at offset + limit. */
export function pageOf<K extends string, T extends z.ZodType>(key: K, item: T) {
  return z.strictObject({ [key]: z.array(item), is_end_of_list_reached: z.boolean() } as Record<K, z.ZodArray<T>> & {
    is_end_of_list_reached: z.ZodBoolean;
  });
}

export const UnitPage = pageOf('units', Unit);
export const RegionPage = pageOf('regions', Region);
export const ChatPage = pageOf('telegram_chats', ChatSummary);
export const ReportTypePage = pageOf('report_types', ReportType);
export const UnitIdPage = pageOf('unit_ids', int());
export const ChatIdPage = pageOf('chat_ids', int());
export const RoleUnitPage = pageOf('units', RoleUnit);

export const Status = z.strictObject({ status: z.literal('ok') });

/** Every error body (http-api.md §1.1). */
export const ErrorEnvelope = z.strictObject({ message: z.string(), extra: z.record(z.string(), z.unknown()) });

type FieldErrorMap = { [field: string]: string[] | FieldErrorMap };
/** `{"field": ["text"]}`, positional maps inside lists: `{"unit_ids": {"1": ["text"]}}`. Recursive, so named. */
export const FieldErrors: z.ZodType<FieldErrorMap> = z.lazy(() => z.record(z.string(), z.union([z.array(z.string()), FieldErrors])));

export const ValidationErrorEnvelope = z.strictObject({
  message: z.literal('Validation error'),
  extra: z.strictObject({ fields: FieldErrors }),
});

/** Named in the OpenAPI document's components. */
export const NAMED_SCHEMAS: Record<string, z.ZodType> = {
  Unit,
  RoleUnit,
  Region,
  ChatSummary,
  ChatDetail,
  ReportType,
  UnitPage,
  RegionPage,
  ChatPage,
  ReportTypePage,
  UnitIdPage,
  ChatIdPage,
  RoleUnitPage,
  ChatTypes,
  Status,
  Error: ErrorEnvelope,
  ValidationError: ValidationErrorEnvelope,
  FieldErrors,
};
