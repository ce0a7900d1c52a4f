/**
 * Every endpoint of http-api.md §2, plus the probes and the OpenAPI document. Each one names the handler it calls,
 * the fields the wire may set, and the shape of its answer; everything else is the router's and api.ts's.
 */
import { UnavailableError } from '../core/errors';
import type { Ctx, Page } from '../core/operation';
import { MESSAGES } from '../handlers/access';
import { CHAT_TYPE_DISPLAY, CHAT_TYPES, createChat, getChat, listChats, updateChat, type Chat } from '../handlers/chats';
import { listRegions } from '../handlers/regions';
import { getReportTypeByName, listReportTypes, type ReportType } from '../handlers/report-types';
import { assignRoleByCode, listRoleRegions, listRoleReportTypes, listRoleUnits } from '../handlers/roles';
import { createRoutes, deleteRoutes, listRouteChats, listRouteUnits } from '../handlers/routes';
import { getUnitByName, listUnits } from '../handlers/units';
import type { EndpointDef } from './endpoint';
import type { Resource } from './router';
import * as S from './schemas';

export interface EndpointDeps {
  openapi(): unknown;
  /** How long /readyz waits for the database. */
  readyTimeoutMs: number;
}

const PAGE = ['limit', 'offset'] as const;

function paged<T, K extends string>(key: K, map?: (item: T) => unknown) {
  return (page: Page<T>) => ({ [key]: map ? page.items.map(map) : page.items, is_end_of_list_reached: page.is_end_of_list_reached });
}

const reportType = (t: ReportType) => ({ id: t.id, name: t.name, verbose_name: t.verbose_name });
const chatSummary = (c: Chat) => ({ title: c.title, chat_id: c.chat_id });
const chatDetail = (c: Chat) => ({ chat_id: c.chat_id, username: c.username, title: c.title, type: CHAT_TYPE_DISPLAY[c.type] });

const ROLE_ERRORS = { 404: [MESSAGES.chatNotFound], 403: [MESSAGES.noRole] } as const;

function roleReads(): Resource<EndpointDef>['methods'][] {
  return [
    {
      GET: {
        name: 'Role units',
        summary: "The units the chat's role grants, by id; `region_id` keeps those of one region.",
        schema: listRoleUnits.input,
        fields: ['region_id', ...PAGE],
        notFound: MESSAGES.chatNotFound,
        run: listRoleUnits.run,
        status: 200,
        present: paged('units'),
        response: S.RoleUnitPage,
        errors: ROLE_ERRORS,
      },
    },
    {
      GET: {
        name: 'Role regions',
        summary: "The distinct regions of the units the chat's role grants, by id.",
        schema: listRoleRegions.input,
        fields: PAGE,
        notFound: MESSAGES.chatNotFound,
        run: listRoleRegions.run,
        status: 200,
        present: paged('regions'),
        response: S.RegionPage,
        errors: ROLE_ERRORS,
      },
    },
    {
      GET: {
        name: 'Role report types',
        summary: "Every report type the chat's role grants, by priority (highest first), then id.",
        schema: listRoleReportTypes.input,
        fields: PAGE,
        notFound: MESSAGES.chatNotFound,
        run: listRoleReportTypes.run,
        status: 200,
        present: paged('report_types', reportType),
        response: S.ReportTypePage,
        errors: ROLE_ERRORS,
      },
    },
  ];
}

export function apiResources(deps: EndpointDeps): Resource<EndpointDef>[] {
  const [roleUnits, roleRegions, roleReportTypes] = roleReads();
  const assignRole: EndpointDef = {
    name: 'Set user role',
    summary:
      'Give the chat the role of an access code. In the same transaction, the routes into the chat whose unit the ' +
      'new role does not grant are deleted. Applying the same code again is allowed.',
    schema: assignRoleByCode.input,
    source: 'body',
    fields: ['access_code'],
    notFound: MESSAGES.chatNotFound,
    run: assignRoleByCode.run,
    status: 204,
    writes: true,
    actingChat: (input: { chat_id: number }) => input.chat_id,
    errors: { 404: [MESSAGES.chatNotFound, MESSAGES.roleNotFound] },
  };
  return [
    {
      path: '/units/',
      methods: {
        GET: {
          name: 'Units',
          summary: 'Units (pizzerias) by id. `skip` is accepted as an alias of `offset`.',
          schema: listUnits.input,
          fields: PAGE,
          aliases: { skip: 'offset' },
          run: listUnits.run,
          status: 200,
          present: paged('units'),
          response: S.UnitPage,
        },
      },
    },
    {
      path: '/units/name/{unit_name}/',
      methods: {
        GET: {
          name: 'Unit by name',
          summary: 'One unit by its exact, case-sensitive name.',
          schema: getUnitByName.input,
          run: getUnitByName.run,
          status: 200,
          response: S.Unit,
          errors: { 404: [MESSAGES.unitNotFoundByName] },
        },
      },
    },
    {
      path: '/units/regions/',
      methods: {
        GET: {
          name: 'Regions',
          summary: 'Regions by id.',
          schema: listRegions.input,
          fields: PAGE,
          run: listRegions.run,
          status: 200,
          present: paged('regions'),
          response: S.RegionPage,
        },
      },
    },
    {
      path: '/telegram-chats/',
      methods: {
        GET: {
          name: 'Telegram chats',
          summary: 'Telegram chats in the order they were registered.',
          schema: listChats.input,
          fields: PAGE,
          run: listChats.run,
          status: 200,
          present: paged('telegram_chats', chatSummary),
          response: S.ChatPage,
        },
        POST: {
          name: 'Create Telegram chat',
          summary: 'Register a Telegram chat (a user or a group). `type` is case-sensitive; a new chat has no role.',
          schema: createChat.input,
          source: 'body',
          fields: ['chat_id', 'type', 'title', 'username'],
          run: createChat.run,
          status: 201,
          writes: true,
          errors: { 409: [MESSAGES.chatExists] },
        },
      },
    },
    {
      path: '/telegram-chats/chat-types/',
      methods: {
        GET: {
          name: 'Chat types',
          summary: 'The chat types a chat may be created with.',
          run: async () => CHAT_TYPES,
          database: false,
          status: 200,
          response: S.ChatTypes,
        },
      },
    },
    {
      path: '/telegram-chats/{chat_id:int}/',
      methods: {
        GET: {
          name: 'Telegram chat',
          summary: 'One chat by its Telegram chat id.',
          schema: getChat.input,
          notFound: MESSAGES.chatNotFound,
          run: getChat.run,
          status: 200,
          present: chatDetail,
          response: S.ChatDetail,
          errors: { 404: [MESSAGES.chatNotFound] },
        },
        PUT: {
          name: 'Update Telegram chat',
          summary: "Change the chat's title, and its username when the key is present (a missing key leaves it unchanged).",
          schema: updateChat.input,
          source: 'body',
          fields: ['title', 'username'],
          notFound: MESSAGES.chatNotFound,
          run: updateChat.run,
          status: 204,
          writes: true,
          errors: { 404: [MESSAGES.chatNotFound] },
        },
      },
    },
    {
      path: '/report-types/',
      methods: {
        GET: {
          name: 'Report types',
          summary: 'Active report types that are not statistics types; with `parent_id`, the active children of that type.',
          schema: listReportTypes.input,
          fields: ['parent_id', ...PAGE],
          fixed: { scope: 'default' },
          run: listReportTypes.run,
          status: 200,
          present: paged('report_types', reportType),
          response: S.ReportTypePage,
        },
      },
    },
    {
      path: '/report-types/statistics/',
      methods: {
        GET: {
          name: 'Statistics report types',
          summary: 'The active children of the report type STATISTICS.',
          schema: listReportTypes.input,
          fields: PAGE,
          fixed: { scope: 'statistics' },
          run: listReportTypes.run,
          status: 200,
          present: paged('report_types', reportType),
          response: S.ReportTypePage,
        },
      },
    },
    {
      path: '/report-types/names/{name}/',
      methods: {
        GET: {
          name: 'Report type by name',
          summary: 'One report type by its exact name, if it is active.',
          schema: getReportTypeByName.input,
          run: getReportTypeByName.run,
          status: 200,
          present: reportType,
          response: S.ReportType,
          errors: { 404: [MESSAGES.reportTypeNotFound] },
        },
      },
    },
    {
      path: '/report-routes/',
      methods: {
        POST: {
          name: 'Create report routes',
          summary:
            'Route reports of a type about units to a chat, as the acting user (`user_chat_id`, else the chat) may. ' +
            'Checks, first failure wins: body, acting user known, has a role, report type known, granted, units ' +
            'granted, receiving chat known, no route already there. All routes or none.',
          schema: createRoutes.input,
          source: 'body',
          fields: ['report_type_id', 'chat_id', 'unit_ids', 'user_chat_id'],
          run: createRoutes.run,
          status: 201,
          writes: true,
          actingChat: (input: { chat_id: number; user_chat_id?: number | null }) => input.user_chat_id ?? input.chat_id,
          errors: {
            404: [MESSAGES.chatNotFound, MESSAGES.reportTypeByIdNotFound],
            403: [MESSAGES.noRole, MESSAGES.reportTypeDenied, 'Permission to units {3, 999} denied'],
            409: [MESSAGES.routeExists],
          },
        },
        DELETE: {
          name: 'Delete report routes',
          summary:
            'Delete the routes of these units for this chat and report type. `unit_ids` repeats (or is one ' +
            'comma-separated value); without it nothing is deleted. `user_chat_id` is accepted and ignored.',
          schema: deleteRoutes.input,
          fields: ['chat_id', 'report_type_id', 'unit_ids', 'user_chat_id'],
          lists: ['unit_ids'],
          run: deleteRoutes.run,
          status: 204,
          writes: true,
          actingChat: (input: { user_chat_id?: unknown }) => integerOrUndefined(input.user_chat_id),
        },
      },
    },
    {
      path: '/report-routes/units/',
      methods: {
        GET: {
          name: 'Report route units',
          summary: 'Unit ids whose reports of this type go to this chat. Unknown chat or type: an empty list.',
          schema: listRouteUnits.input,
          fields: ['chat_id', 'report_type_id', ...PAGE],
          run: listRouteUnits.run,
          status: 200,
          present: paged('unit_ids'),
          response: S.UnitIdPage,
        },
      },
    },
    {
      path: '/report-routes/telegram-chats/',
      methods: {
        GET: {
          name: 'Report route chats',
          summary: 'Telegram chat ids that receive reports of this type about this unit (negative for groups).',
          schema: listRouteChats.input,
          fields: ['unit_id', 'report_type_id', ...PAGE],
          // The hot path: one handler call, answered from ctx.routeCache when the server has one.
          run: listRouteChats.run,
          status: 200,
          present: paged('chat_ids'),
          response: S.ChatIdPage,
        },
      },
    },
    { path: '/roles/users/{chat_id:int}/', methods: { PATCH: assignRole } },
    { path: '/roles/users/{chat_id:int}/units/', methods: roleUnits! },
    { path: '/roles/users/{chat_id:int}/regions/', methods: roleRegions! },
    { path: '/roles/users/{chat_id:int}/report-types/', methods: roleReportTypes! },
    // The seed README's paths for the same operations.
    { path: '/users/{chat_id:int}/access-code/', methods: { PATCH: assignRole }, aliasOf: '/roles/users/{chat_id}/' },
    { path: '/users/{chat_id:int}/units/', methods: roleUnits!, aliasOf: '/roles/users/{chat_id}/units/' },
    { path: '/users/{chat_id:int}/regions/', methods: roleRegions!, aliasOf: '/roles/users/{chat_id}/regions/' },
    { path: '/users/{chat_id:int}/report-types/', methods: roleReportTypes!, aliasOf: '/roles/users/{chat_id}/report-types/' },
    {
      path: '/healthz',
      methods: {
        GET: {
          name: 'Liveness',
          summary: 'The process is alive.',
          public: true,
          database: false,
          run: async () => OK,
          status: 200,
          response: S.Status,
        },
      },
    },
    {
      path: '/readyz',
      methods: {
        GET: {
          name: 'Readiness',
          summary: 'The database answers (else 503 `Database unavailable`).',
          public: true,
          run: ({ sql }) => ready(sql, deps.readyTimeoutMs),
          status: 200,
          response: S.Status,
        },
      },
    },
    {
      path: '/openapi.json',
      methods: {
        GET: { name: 'OpenAPI document', summary: 'This API as OpenAPI 3.1.', run: async () => deps.openapi(), status: 200, database: false },
      },
    },
  ];
}

const OK = { status: 'ok' } as const;

/** Resolves when the database answers `select 1` within `timeoutMs` (/readyz; the metrics' urdb_db_up). */
export async function ready(sql: Ctx['sql'], timeoutMs: number) {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new UnavailableError(`the database did not answer within ${timeoutMs} ms`)), timeoutMs);
  });
  const query = sql`select 1`;
  query.catch(() => undefined); // answered already when the timeout wins
  try {
    await Promise.race([query, timeout]);
    return OK;
  } finally {
    clearTimeout(timer);
  }
}

function integerOrUndefined(v: unknown): number | undefined {
  const n = typeof v === 'string' ? Number(v) : v;
  return typeof n === 'number' && Number.isSafeInteger(n) ? n : undefined;
}
