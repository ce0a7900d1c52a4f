/**
 * The audit log (sql/migrations/0003_audit_log.sql): every change, who made it, before and after.
 */
import { z } from 'zod';
import { UsageError } from '../core/errors';
import { chatId, text } from '../core/fields';
import { fetchLimit, listOperation, toPage } from '../core/operation';

export interface AuditEntry {
  id: number;
  at: Date;
  /**
   * Who the writer claimed to be (the urdb.actor setting, as given): urdb writes `{via, user, token?, address?,
   * userChatId?}`, but any client can set anything, so it may be any JSON value (`{"unparsed": text}` when the
   * setting was not JSON).
   */
  actor: unknown;
  /** The database role that made the change (current_user, session_user): not settable; null before migration 6. */
  db_user: string | null;
  db_session_user: string | null;
  entity: string;
  action: 'insert' | 'update' | 'delete';
  key: Record<string, unknown>;
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
  /** The Telegram chat of a chat or route change (from the chat now, else from its last audit row). */
  chat: { chat_id: number | null; title: string | null } | null;
  /** The report type's name, for a route change. */
  report_type: string | null;
}

const ENTITY_ALIASES: Record<string, string> = {
  chat: 'telegram_chat',
  chats: 'telegram_chat',
  route: 'report_route',
  routes: 'report_route',
  'report-type': 'report_type',
  'report-types': 'report_type',
  units: 'unit',
  regions: 'region',
  roles: 'role',
  departments: 'department',
};

export const ENTITIES = [
  'region',
  'department',
  'unit',
  'report_type',
  'role',
  'role_unit',
  'role_report_type',
  'telegram_chat',
  'report_route',
  'account_role',
] as const;

/** `90s`, `15m`, `2h`, `7d`, or an ISO 8601 date/time. */
export function parseSince(value: string, now = Date.now()): Date {
  const m = /^(\d+)\s*(s|m|h|d|w)$/.exec(value.trim());
  if (m) {
    const unit = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 }[m[2] as 's' | 'm' | 'h' | 'd' | 'w'];
    return new Date(now - Number(m[1]) * unit * 1000);
  }
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) {
    throw new UsageError(`--since ${JSON.stringify(value)} is neither a duration (30m, 2h, 7d) nor a date (2026-11-23T08:00)`);
  }
  return d;
}

export const listAudit = listOperation({
  name: 'audit.list',
  summary: 'Changes, newest first: optionally since a time, of one entity, or concerning one Telegram chat.',
  filters: {
    since: z.date().optional(),
    entity: z
      .preprocess((v) => (typeof v === 'string' ? ENTITY_ALIASES[v] ?? v.replace(/-/g, '_') : v), z.enum(ENTITIES, {
        error: (iss) => `"${String(iss.input)}" is not a valid choice (one of ${ENTITIES.join(', ')}).`,
      }))
      .optional(),
    chat: chatId().optional(),
    user: text({ max: 255 }).optional(),
  },
  async run({ sql }, { since, entity, chat, limit, offset }) {
    // Compared as text: a row inserted into audit_log by hand may hold anything, and must not break the log.
    const chatFilter =
      chat === undefined
        ? sql`true`
        : sql`(
            (a.entity = 'telegram_chat' and (a.before ->> 'chat_id' = ${String(chat)} or a.after ->> 'chat_id' = ${String(chat)}))
            or (a.entity = 'report_route' and a.key ->> 'telegram_chat_id' in (
              select id::text from telegram_chat where chat_id = ${chat}
              union
              select h.key ->> 'id' from audit_log h
              where h.entity = 'telegram_chat' and (h.before ->> 'chat_id' = ${String(chat)} or h.after ->> 'chat_id' = ${String(chat)})
            ))
            or (jsonb_typeof(a.actor) = 'object' and a.actor ->> 'userChatId' = ${String(chat)})
          )`;
    const rows = await sql<AuditEntry[]>`
      select a.id::int as id, a.at, a.actor, a.db_user, a.db_session_user, a.entity, a.action, a.key, a.before, a.after,
        case when a.entity = 'telegram_chat' then jsonb_build_object(
               'chat_id', coalesce(a.after, a.before) -> 'chat_id', 'title', coalesce(a.after, a.before) -> 'title')
             else route.chat end as chat,
        route.report_type
      from audit_log a
      left join lateral (
        select
          coalesce(
            (select jsonb_build_object('chat_id', c.chat_id, 'title', c.title) from telegram_chat c where c.id::text = r.chat),
            (select jsonb_build_object('chat_id', coalesce(h.after, h.before) -> 'chat_id', 'title', coalesce(h.after, h.before) -> 'title')
             from audit_log h where h.entity = 'telegram_chat' and h.key ->> 'id' = r.chat order by h.id desc limit 1)
          ) as chat,
          (select t.name::text from report_type t where t.id::text = r.report_type) as report_type
        from (select a.key ->> 'telegram_chat_id' as chat, a.key ->> 'report_type_id' as report_type) r
        where a.entity = 'report_route'
      ) route on true
      where ${since === undefined ? sql`true` : sql`a.at >= ${since}`}
        and ${entity === undefined ? sql`true` : sql`a.entity = ${entity}`}
        and ${chatFilter}
      order by a.id desc
      limit ${fetchLimit(limit)} offset ${offset}
    `;
    return toPage(rows, limit);
  },
});

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Longest claimed text shown (the setting may be megabytes); --json has it whole. */
const SHOWN = 120;

/** A value from the log as one safe line: control characters escaped, long text cut. */
function shown(v: unknown): string {
  const text = typeof v === 'string' ? v : JSON.stringify(v) ?? String(v);
  const safe = text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
  return [...safe].length > SHOWN ? `${[...safe].slice(0, SHOWN).join('')}…` : safe;
}

const shownJson = (v: unknown): string => shown(JSON.stringify(v) ?? 'undefined');

/** `title: "Ops" → "Ops 2"` for updates; the row for inserts and deletes. */
export function describeChange(e: AuditEntry): string {
  const before = isObject(e.before) ? e.before : null;
  const after = isObject(e.after) ? e.after : null;
  const key = isObject(e.key) ? e.key : {};
  if (e.action === 'update' && before && after) {
    const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
    return [...keys]
      .filter((k) => JSON.stringify(before[k]) !== JSON.stringify(after[k]))
      .map((k) => (k === 'access_code_changed' ? 'access code changed' : `${shown(k)}: ${shownJson(before[k])} → ${shownJson(after[k])}`))
      .join(', ');
  }
  const row = after ?? before ?? {};
  return Object.entries(row)
    .filter(([k]) => !(k in key) && k !== 'created_at')
    .map(([k, v]) => `${shown(k)}: ${shownJson(v)}`)
    .join(', ');
}

/** The changed row's key, with Telegram chat ids and names instead of urdb's internal chat ids. */
export function describeKey(e: AuditEntry): string {
  const chat = e.chat && e.chat.chat_id !== null ? `chat ${e.chat.chat_id}${e.chat.title === null ? '' : ` ${shownJson(e.chat.title)}`}` : null;
  const key = isObject(e.key) ? e.key : null;
  if (!key) return shown(e.key);
  if (e.entity === 'telegram_chat' && chat) return chat;
  if (e.entity === 'report_route') {
    const type = e.report_type ?? `report type ${shown(key.report_type_id)}`;
    return `unit ${shown(key.unit_id)}, ${type}, ${chat ?? `chat (internal id ${shown(key.telegram_chat_id)})`}`;
  }
  return Object.values(key).map(shown).join('/');
}

/**
 * The claimed actor (`api:api token bot from 10.0.0.5 as 42`), then the database role that made the change when
 * it is not the claimed user: `(db role urdb_app)`, `(db role app, session postgres)` after a SET ROLE.
 */
export function describeActor(e: Pick<AuditEntry, 'actor' | 'db_user' | 'db_session_user'>): string {
  const a = e.actor;
  let claimed: string;
  let user: unknown;
  if (isObject(a) && typeof a.via === 'string' && typeof a.user === 'string') {
    user = a.user;
    const parts = [`${shown(a.via)}:${shown(a.user)}`];
    if (a.token !== undefined) parts.push(`token ${shown(a.token)}`);
    if (a.address !== undefined) parts.push(`from ${shown(a.address)}`);
    if (a.userChatId !== undefined) parts.push(`as ${shown(a.userChatId)}`);
    const extra = Object.keys(a).filter((k) => !['via', 'user', 'token', 'address', 'userChatId'].includes(k));
    if (extra.length) parts.push(`+${shown(JSON.stringify(Object.fromEntries(extra.map((k) => [k, a[k]]))))}`);
    claimed = parts.join(' ');
  } else {
    claimed = isObject(a) && typeof a.unparsed === 'string' && Object.keys(a).length === 1 ? `claimed (not JSON): ${shown(a.unparsed)}` : `claimed: ${shownJson(a)}`;
  }
  if (e.db_user === null) return claimed;
  const session = e.db_session_user !== null && e.db_session_user !== e.db_user ? `, session ${shown(e.db_session_user)}` : '';
  if (user === e.db_user && !session) return claimed;
  return `${claimed} (db role ${shown(e.db_user)}${session})`;
}
