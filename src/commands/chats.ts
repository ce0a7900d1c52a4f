import type { Command } from 'commander';
import type { Column } from '../cli/output';
import { action } from '../cli/runtime';
import { CHAT_FIELDS } from '../handlers/resource-fields';
import { fieldColumns } from './columns';
import { counted, plural, quoted } from '../cli/text';
import { ConflictError, UsageError } from '../core/errors';
import type { Chat } from '../handlers/chats';
import { capitalised, deletionOptions, pageInput, pageOptions, printPageHint, proceedWithDeletion, requireFlags } from './common';
import { reportChange } from './ref-options';

const CHAT_COLUMNS: Column<Chat>[] = [
  ...fieldColumns(CHAT_FIELDS, ['chat_id', 'type', 'title', 'username']),
  { header: 'ROLE', value: (c) => c.role },
  { header: 'CREATED AT', value: (c) => c.created_at.toISOString() },
];

/** `chat -1001234567890 "Ops"` */
const chatName = (c: { chat_id: number; title: string }) => `chat ${c.chat_id} ${quoted(c.title)}`;

const withoutAt = (name: string | undefined) => (name === undefined ? undefined : name.replace(/^@/, ''));

export function registerChats(program: Command): void {
  const chats = program.command('chats').description('Telegram chats (people and groups) that receive reports');

  pageOptions(
    chats
      .command('list')
      .description('chats in the order they were registered')
      .option('--role <role>', 'only the chats holding this role (id or name)'),
  ).action(
    action(async (rt, opts) => {
      const { listChats } = await import('../handlers/chats');
      const input = rt.validate(listChats.cliInput, { role: opts.role, ...pageInput(rt, opts) });
      const page = await listChats.run(await rt.ctx(), input);
      await rt.out.list(page.items, CHAT_COLUMNS);
      await printPageHint(rt, page, input, 'chats', async (all) => listChats.run(await rt.ctx(), all));
    }),
  );

  chats
    .command('show')
    .description('one chat: its type, title, username, role and how many routes it receives')
    .argument('[chat]', 'its Telegram chat id, @username or title')
    .action(
      action(async (rt, _opts, [ref]) => {
        const { showChat } = await import('../handlers/chats');
        const { askChat } = await import('../cli/prompts-admin');
        const chat = await askChat(rt, ref, { flag: '<chat>' });
        const detail = await showChat.run(await rt.ctx(), rt.validate(showChat.input, { chat }, { chat: '<chat>' }));
        rt.out.object({ ...detail, created_at: detail.created_at.toISOString() });
      }),
    );

  chats
    .command('add')
    .description('register a Telegram chat (it has no role until `urdb roles assign`)')
    .option('--chat-id <id>', 'its Telegram chat id (negative for groups)')
    .option('--type <type>', 'PRIVATE or GROUP (default: GROUP for a negative chat id, else PRIVATE)')
    .option('--title <title>', "its title: the group's name, or the person's name")
    .option('--username <name>', 'its @username, if it has one')
    .action(
      action(async (rt, opts) => {
        const { createChat, createChatInput, getChat } = await import('../handlers/chats');
        const { askText } = await import('../cli/prompts');
        requireFlags(rt, [['--chat-id', opts.chatId], ['--title', opts.title]]);
        const asking = opts.chatId === undefined || opts.title === undefined;
        const chatIdText = await askText(rt, {
          value: opts.chatId,
          flag: '--chat-id',
          message: 'Telegram chat id (negative for groups)',
          schema: createChatInput.shape.chat_id,
        });
        const title = await askText(rt, { value: opts.title, flag: '--title', message: 'Title', schema: createChatInput.shape.title });
        const username = asking
          ? await askText(rt, { value: opts.username, flag: '--username', message: 'Username (optional)', required: false })
          : opts.username;
        const type = opts.type === undefined ? (/^\s*-/.test(chatIdText) ? 'GROUP' : 'PRIVATE') : String(opts.type).toUpperCase();
        const input = rt.validate(createChatInput, {
          chat_id: chatIdText,
          type,
          title,
          username: username === undefined || username.trim() === '' ? undefined : withoutAt(username),
        });
        const ctx = await rt.ctx();
        try {
          await createChat.run(ctx, input);
        } catch (err) {
          if (err instanceof ConflictError) {
            throw new ConflictError(`chat ${input.chat_id} is already registered`, `see it with \`urdb chats show ${input.chat_id}\``);
          }
          throw err;
        }
        const chat = await getChat.run(ctx, { chat_id: input.chat_id });
        reportChange(rt, `registered ${chat.type} ${chatName(chat)}`, { ...chat, created_at: chat.created_at.toISOString() });
      }),
    );

  chats
    .command('update')
    .description("change a chat's title, username or type")
    .argument('[chat]', 'its Telegram chat id, @username or title')
    .option('--title <title>', 'its new title')
    .option('--username <name>', 'its new @username')
    .option('--no-username', 'it has no username (any more)')
    .option('--type <type>', 'PRIVATE or GROUP')
    .action(
      action(async (rt, opts, [ref]) => {
        const { updateChatAdmin } = await import('../handlers/chats');
        const { askChat } = await import('../cli/prompts-admin');
        if (opts.title === undefined && opts.username === undefined && opts.type === undefined) {
          throw new UsageError('nothing to change', 'give --title, --username, --no-username or --type');
        }
        const chat = await askChat(rt, ref, { flag: '<chat>', message: 'Chat to update' });
        const input = rt.validate(
          updateChatAdmin.input,
          {
            chat,
            title: opts.title,
            username: opts.username === false || opts.username?.trim() === '' ? null : withoutAt(opts.username),
            type: opts.type === undefined ? undefined : String(opts.type).toUpperCase(),
          },
          { chat: '<chat>' },
        );
        const { before, after } = await updateChatAdmin.run(await rt.ctx(), input);
        const at = (u: string | null) => (u ? `@${u}` : 'none');
        const changes = [
          before.title !== after.title ? `title ${quoted(before.title)} → ${quoted(after.title)}` : null,
          before.username !== after.username ? `username ${at(before.username)} → ${at(after.username)}` : null,
          before.type !== after.type ? `type ${before.type} → ${after.type}` : null,
        ].filter((c): c is string => c !== null);
        reportChange(
          rt,
          changes.length ? `updated ${chatName(before)}: ${changes.join(', ')}` : `${chatName(before)} already is so; nothing changed`,
          after,
        );
      }),
    );

  deletionOptions(
    chats
      .command('rm')
      .description('delete a chat and the routes into it (asks first)')
      .argument('[chat]', 'its Telegram chat id, @username or title'),
  ).action(
      action(async (rt, opts, [ref]) => {
        const { deleteChat } = await import('../handlers/chats');
        const { askChat } = await import('../cli/prompts-admin');
        const chat = await askChat(rt, ref, { flag: '<chat>', message: 'Chat to delete' });
        const input = rt.validate(deleteChat.input, { chat }, { chat: '<chat>' });
        const ctx = await rt.ctx();
        const impact = await deleteChat.run(ctx, { ...input, dry_run: true });
        const along = (n: number) => (n ? ` and its ${plural(n, 'route')}` : '');
        const sentence = `delete ${chatName(impact)}${along(impact.routes)}`;
        if (!(await proceedWithDeletion(rt, opts, `${capitalised(sentence)}?`, sentence, impact))) return;
        const deleted = await deleteChat.run(ctx, { chat: String(impact.chat_id), dry_run: false });
        reportChange(rt, `deleted ${chatName(deleted)}${along(deleted.routes)}`, deleted);
      }),
    );

  chats
    .command('move')
    .description('give a chat its new Telegram chat id (a group upgraded to a supergroup): its routes and role stay')
    .argument('[old-chat-id]', 'its current chat id (or @username or title)')
    .argument('[new-chat-id]', 'its new chat id')
    .action(
      action(async (rt, _opts, [ref, newId]) => {
        const { moveChat } = await import('../handlers/chats');
        const { askChat } = await import('../cli/prompts-admin');
        const { askText } = await import('../cli/prompts');
        const chat = await askChat(rt, ref, { flag: '<old-chat-id>', message: 'Chat to move' });
        const newChatId = await askText(rt, {
          value: newId,
          flag: '<new-chat-id>',
          message: 'Its new Telegram chat id',
          schema: moveChat.input.shape.new_chat_id,
        });
        const input = rt.validate(moveChat.input, { chat, new_chat_id: newChatId }, { chat: '<old-chat-id>', new_chat_id: '<new-chat-id>' });
        const moved = await moveChat.run(await rt.ctx(), input);
        const kept = counted([[moved.routes, 'route']]);
        const stays = [kept ? `its ${kept}` : null, moved.role ? `its role ${quoted(moved.role)}` : null].filter(Boolean);
        reportChange(
          rt,
          `moved chat ${quoted(moved.title)} from ${moved.old_chat_id} to ${moved.chat_id}${stays.length ? `; ${stays.join(' and ')} stay with it` : ''}`,
          moved,
        );
      }),
    );
}
