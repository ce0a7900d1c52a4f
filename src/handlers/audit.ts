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
  actor: { via: string; user: string; token?: string; address?: string; userChatId?: number };
  entity: string;
  action: 'insert' | 'update' | 'delete';
  key: Record<string, unknown>;
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
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
    const chatFilter =
      chat === undefined
        ? sql`true`
        : sql`(
            (a.entity = 'telegram_chat' and (a.before ->> 'chat_id' = ${String(chat)} or a.after ->> 'chat_id' = ${String(chat)}))
            or (a.entity = 'report_route' and (a.key ->> 'telegram_chat_id')::int in (select id from telegram_chat where chat_id = ${chat}))
            or a.actor ->> 'userChatId' = ${String(chat)}
          )`;
    const rows = await sql<AuditEntry[]>`
      select a.id::int as id, a.at, a.actor, a.entity, a.action, a.key, a.before, a.after
      from audit_log a
      where ${since === undefined ? sql`true` : sql`a.at >= ${since}`}
        and ${entity === undefined ? sql`true` : sql`a.entity = ${entity}`}
        and ${chatFilter}
      order by a.id desc
      limit ${fetchLimit(limit)} offset ${offset}
    `;
    return toPage(rows, limit);
  },
});

/** `title: "Ops" → "Ops 2"` for updates; the row for inserts and deletes. */
export function describeChange(e: AuditEntry): string {
  if (e.action === 'update' && e.before && e.after) {
    const keys = new Set([...Object.keys(e.before), ...Object.keys(e.after)]);
    return [...keys]
      .filter((k) => JSON.stringify(e.before![k]) !== JSON.stringify(e.after![k]))
      .map((k) => (k === 'access_code_changed' ? 'access code changed' : `${k}: ${JSON.stringify(e.before![k])} → ${JSON.stringify(e.after![k])}`))
      .join(', ');
  }
  const row = e.after ?? e.before ?? {};
  return Object.entries(row)
    .filter(([k]) => !(k in e.key) && k !== 'created_at')
    .map(([k, v]) => `${k}: ${JSON.stringify(v)}`)
    .join(', ');
}

export function describeActor(a: AuditEntry['actor']): string {
  const parts = [a.via === 'sql' ? `sql:${a.user}` : `${a.via}:${a.user}`];
  if (a.token) parts.push(`token ${a.token}`);
  if (a.address) parts.push(`from ${a.address}`);
  if (a.userChatId !== undefined) parts.push(`as ${a.userChatId}`);
  return parts.join(' ');
}
