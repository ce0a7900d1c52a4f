/**
 * The role checks of the API: who is acting (a chat, by Telegram chat id) and what its role grants.
 * Messages are the old service's, byte for byte.
 */
import { ForbiddenError, NotFoundError } from '../core/errors';
import type { Sql, Tx } from '../db/client';

export const MESSAGES = {
  chatNotFound: 'Chat by chat ID is not found',
  noRole: 'User has no any role',
  reportTypeNotFound: 'Report type is not found',
  reportTypeByIdNotFound: 'Report type by ID is not found',
  roleNotFound: 'Role is not found',
  reportTypeDenied: 'Permission to report type denied',
  unitNotFoundByName: 'Unit by name is not found',
  chatExists: 'Chat with provided chat ID already exists',
  routeExists: 'Unit route already exists',
  unitsDenied: (ids: readonly number[]) => `Permission to units {${[...ids].sort((a, b) => a - b).join(', ')}} denied`,
} as const;

export interface ActingChat {
  /** telegram_chat.id (internal). */
  id: number;
  role_id: number;
}

/** The chat acting on its own behalf: 404 when unknown, 403 when it has no role. */
export async function actingChat(sql: Sql | Tx, chatId: number, opts: { lock?: boolean } = {}): Promise<ActingChat> {
  const [chat] = opts.lock
    ? await sql<{ id: number; role_id: number | null }[]>`select id, role_id from telegram_chat where chat_id = ${chatId} for share`
    : await sql<{ id: number; role_id: number | null }[]>`select id, role_id from telegram_chat where chat_id = ${chatId}`;
  if (!chat) throw new NotFoundError(MESSAGES.chatNotFound);
  if (chat.role_id === null) throw new ForbiddenError(MESSAGES.noRole);
  return { id: chat.id, role_id: chat.role_id };
}
