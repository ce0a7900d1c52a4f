import { z } from 'zod';
import { ConflictError, NotFoundError, UsageError } from '../core/errors';
import { chatId, choice, text } from '../core/fields';
import { fetchLimit, listOperation, operation, toPage, write } from '../core/operation';
import { MESSAGES } from './access';
import { roleRef } from './refs';

export const CHAT_TYPES = ['PRIVATE', 'GROUP'] as const;
export type ChatType = (typeof CHAT_TYPES)[number];

export interface Chat {
  chat_id: number;
  type: ChatType;
  title: string;
  username: string | null;
  role_id: number | null;
  role: string | null;
  created_at: Date;
}

/** How the old API spells a chat's type in GET /telegram-chats/{chat_id}/. */
export const CHAT_TYPE_DISPLAY: Record<ChatType, string> = { PRIVATE: 'Private', GROUP: 'Group' };

const chatColumns = (sql: import('../db/client').Sql | import('../db/client').Tx) => sql`
  c.chat_id, c.type, c.title, c.username, c.role_id, r.name as role, c.created_at
`;

export const listChats = listOperation({
  name: 'chats.list',
  summary: 'Telegram chats by internal id (the order they were registered), optionally those of one role.',
  filters: { role: text({ max: 64 }).optional() },
  async run({ sql }, { role, limit, offset }) {
    const roleId = role === undefined ? undefined : (await roleRef(sql, role)).id;
    const rows = await sql<Chat[]>`
      select ${chatColumns(sql)}
      from telegram_chat c left join role r on r.id = c.role_id
      where ${roleId === undefined ? sql`true` : sql`c.role_id = ${roleId}`}
      order by c.id
      limit ${fetchLimit(limit)} offset ${offset}
    `;
    return toPage(rows, limit);
  },
});

export const getChat = operation({
  name: 'chats.get',
  summary: 'One chat by its Telegram chat id.',
  input: z.object({ chat_id: chatId() }),
  async run({ sql }, { chat_id }): Promise<Chat> {
    const [chat] = await sql<Chat[]>`
      select ${chatColumns(sql)} from telegram_chat c left join role r on r.id = c.role_id where c.chat_id = ${chat_id}
    `;
    if (!chat) throw new NotFoundError(MESSAGES.chatNotFound);
    return chat;
  },
});

export const createChatInput = z.object({
  chat_id: chatId(),
  type: choice(CHAT_TYPES),
  title: text({ max: 255 }),
  username: text({ max: 255, allowBlank: true }).nullable().optional(),
});

export const createChat = operation({
  name: 'chats.create',
  summary: 'Register a Telegram chat (user or group). A new chat has no role.',
  input: createChatInput,
  async run(ctx, { chat_id, type, title, username }): Promise<void> {
    await write(ctx, ['telegram_chat'], async (tx) => {
      const inserted = await tx`
        insert into telegram_chat (chat_id, type, title, username)
        values (${chat_id}, ${type}, ${title}, ${username ?? null})
        on conflict (chat_id) do nothing
        returning id
      `;
      if (inserted.count === 0) throw new ConflictError(MESSAGES.chatExists);
    });
  },
});

export const updateChat = operation({
  name: 'chats.update',
  summary: 'Change a chat\'s title and, when given, its username (a missing username key leaves it unchanged).',
  input: z.object({
    chat_id: chatId(),
    title: text({ max: 255 }),
    username: text({ max: 255, allowBlank: true }).nullable().optional(),
  }),
  async run(ctx, { chat_id, title, username }): Promise<void> {
    await write(ctx, ['telegram_chat'], async (tx) => {
      const updated =
        username === undefined
          ? await tx`update telegram_chat set title = ${title} where chat_id = ${chat_id} returning id`
          : await tx`update telegram_chat set title = ${title}, username = ${username} where chat_id = ${chat_id} returning id`;
      if (updated.count === 0) throw new NotFoundError(MESSAGES.chatNotFound);
    });
  },
});

// Administration (the CLI): references by chat id, @username or title; show, update, delete and move a chat.

type Q = import('../db/client').Sql | import('../db/client').Tx;

export interface ChatRef {
  /** telegram_chat.id (internal): what routes point at. */
  id: number;
  chat_id: number;
  type: ChatType;
  title: string;
  username: string | null;
  role_id: number | null;
}

const CHAT_ID_TEXT = /^\s*[+-]?\d{1,16}\s*$/;

/**
 * A chat by its Telegram chat id (a number, negative for groups), `@username`, or exact title (which must then be
 * unique). A number that is one chat's id and another's title is refused as ambiguous: `id:-100…` or `title:…`
 * (also `name:`) say which. With `lock` the row is locked FOR UPDATE (inside a write transaction).
 */
export async function chatRef(sql: Q, ref: string | number, opts: { lock?: boolean } = {}): Promise<ChatRef> {
  const raw = String(ref).trim();
  const lock = opts.lock ? sql`for update` : sql``;
  const idPrefixed = /^id:/i.test(raw);
  const titlePrefixed = /^(title|name):/i.test(raw);
  const text = idPrefixed || titlePrefixed ? raw.slice(raw.indexOf(':') + 1).trim() : raw;
  const select = sql`select id, chat_id, type, title, username, role_id from telegram_chat`;
  let rows: ChatRef[];
  if (!titlePrefixed && (typeof ref === 'number' || CHAT_ID_TEXT.test(text))) {
    const chatIdValue = Number(text);
    if (!Number.isSafeInteger(chatIdValue)) throw new NotFoundError(`chat ${text} not found`, 'list chats with `urdb chats list`');
    rows = await sql<ChatRef[]>`${select} where chat_id = ${chatIdValue} ${lock}`;
    if (!idPrefixed) {
      const titled = await sql<ChatRef[]>`${select} where title = ${text} and chat_id <> ${chatIdValue} order by id limit 1`;
      if (rows[0] && titled[0]) {
        throw new UsageError(
          `${JSON.stringify(text)} is ambiguous: the chat id of chat ${rows[0].chat_id} ${JSON.stringify(rows[0].title)} and the title of chat ${titled[0].chat_id}`,
          `say which: id:${text} or title:${text}`,
        );
      }
      if (!rows[0] && titled[0]) rows = await sql<ChatRef[]>`${select} where title = ${text} order by id limit 2 ${lock}`;
    }
  } else if (idPrefixed) {
    throw new UsageError(`${JSON.stringify(raw)}: after id: comes a chat id (a number)`, 'e.g. id:-1001234567890');
  } else if (!titlePrefixed && text.startsWith('@') && text.length > 1) {
    rows = await sql<ChatRef[]>`${select} where lower(username) = lower(${text.slice(1)}) order by id limit 2 ${lock}`;
  } else {
    rows = await sql<ChatRef[]>`${select} where title = ${text} order by id limit 2 ${lock}`;
  }
  if (!rows[0]) {
    throw new NotFoundError(`chat ${CHAT_ID_TEXT.test(raw) ? raw : JSON.stringify(raw)} not found`, 'list chats with `urdb chats list`');
  }
  if (rows.length > 1) {
    throw new UsageError(`more than one chat is ${text.startsWith('@') ? 'named' : 'titled'} ${JSON.stringify(text)}`, 'refer to the chat by its chat id');
  }
  return rows[0];
}

/** A chat reference as the CLI takes it: chat id, @username or title. */
export const chatRefField = () => text({ max: 256 });

export interface ChatDetail extends Chat {
  /** How many routes point at this chat. */
  routes: number;
}

export const showChat = operation({
  name: 'chats.show',
  summary: 'One chat (by chat id, @username or title) with its role and how many routes it receives.',
  input: z.object({ chat: chatRefField() }),
  async run({ sql }, { chat }): Promise<ChatDetail> {
    const found = await chatRef(sql, chat);
    const [row] = await sql<ChatDetail[]>`
      select ${chatColumns(sql)}, (select count(*)::int from report_route x where x.telegram_chat_id = c.id) as routes
      from telegram_chat c left join role r on r.id = c.role_id
      where c.id = ${found.id}
    `;
    return row!;
  },
});

export const updateChatAdmin = operation({
  name: 'chats.update-admin',
  summary: "Change a chat's title, username (null clears it) or type; what is not given stays.",
  input: z.object({
    chat: chatRefField(),
    title: text({ max: 255 }).optional(),
    username: text({ max: 255, allowBlank: true }).nullable().optional(),
    type: choice(CHAT_TYPES).optional(),
  }),
  async run(ctx, input): Promise<{ before: ChatRef; after: ChatRef }> {
    return write(ctx, ['telegram_chat'], async (tx) => {
      const before = await chatRef(tx, input.chat, { lock: true });
      const [after] = await tx<ChatRef[]>`
        update telegram_chat set
          title = ${input.title ?? before.title},
          username = ${input.username === undefined ? before.username : input.username},
          type = ${input.type ?? before.type}
        where id = ${before.id}
        returning id, chat_id, type, title, username, role_id
      `;
      return { before, after: after! };
    });
  },
});

export interface ChatRemoval {
  chat_id: number;
  title: string;
  /** Routes deleted with the chat (ON DELETE CASCADE). */
  routes: number;
  dry_run: boolean;
}

export const deleteChat = operation({
  name: 'chats.delete',
  summary: 'Delete a chat and the routes into it. dry_run: count what would go, change nothing.',
  input: z.object({ chat: chatRefField(), dry_run: z.boolean().default(false) }),
  async run(ctx, { chat, dry_run }): Promise<ChatRemoval> {
    return write(
      ctx,
      ['telegram_chat', 'report_route'],
      async (tx) => {
        const found = await chatRef(tx, chat, { lock: true });
        const [counted] = await tx<{ n: number }[]>`
          select count(*)::int as n from report_route where telegram_chat_id = ${found.id}
        `;
        await tx`delete from telegram_chat where id = ${found.id}`;
        return { chat_id: found.chat_id, title: found.title, routes: counted!.n, dry_run };
      },
      { dryRun: dry_run },
    );
  },
});

export interface ChatMove {
  old_chat_id: number;
  chat_id: number;
  title: string;
  role: string | null;
  routes: number;
}

/**
 * A Telegram group upgraded to a supergroup gets a new chat id. The chat row keeps its internal id, so its routes
 * and its role stay with it; only chat_id changes.
 */
export const moveChat = operation({
  name: 'chats.move',
  summary: "Give a chat a new Telegram chat id (a group upgraded to a supergroup); its routes and role stay.",
  input: z.object({ chat: chatRefField(), new_chat_id: chatId() }),
  async run(ctx, { chat, new_chat_id }): Promise<ChatMove> {
    return write(ctx, ['telegram_chat'], async (tx) => {
      const found = await chatRef(tx, chat, { lock: true });
      if (found.chat_id === new_chat_id) throw new UsageError(`chat ${JSON.stringify(found.title)} already has chat id ${new_chat_id}`);
      const [taken] = await tx<{ title: string; routes: number }[]>`
        select c.title, (select count(*)::int from report_route r where r.telegram_chat_id = c.id) as routes
        from telegram_chat c where c.chat_id = ${new_chat_id}
      `;
      const conflict = (title: string, routes: number) =>
        new ConflictError(
          `chat id ${new_chat_id} is already registered (${JSON.stringify(title)}, ${routes} route${routes === 1 ? '' : 's'})`,
          `if it is the same group, remove it first with \`urdb chats rm ${new_chat_id}\`, then move again`,
        );
      if (taken) throw conflict(taken.title, taken.routes);
      try {
        await tx`update telegram_chat set chat_id = ${new_chat_id} where id = ${found.id}`;
      } catch (err) {
        if ((err as { code?: string }).code === '23505') throw conflict('registered just now', 0);
        throw err;
      }
      const [info] = await tx<{ role: string | null; routes: number }[]>`
        select (select name from role where id = ${found.role_id}) as role,
               (select count(*)::int from report_route where telegram_chat_id = ${found.id}) as routes
      `;
      return { old_chat_id: found.chat_id, chat_id: new_chat_id, title: found.title, role: info!.role, routes: info!.routes };
    });
  },
});
