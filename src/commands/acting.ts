/**
 * `routes add|rm --as`: the API's role checks answer in the old service's words ("Chat by chat ID is not found"),
 * which the API must keep byte for byte. On the command line those words alone do not say which chat, which role or
 * what to do, so the CLI adds that: the API's text stays in parentheses, for people who know it.
 */
import { UrdbError } from '../core/errors';
import type { Ctx } from '../core/operation';
import { MESSAGES } from '../handlers/access';
import { quoted } from '../cli/text';

export interface ActingInput {
  user_chat_id?: number | null;
  chat_id: number;
  report_type_id: number;
  unit_ids: readonly number[];
}

function again(err: UrdbError, message: string, hint: string): UrdbError {
  return new UrdbError(err.kind, `${message} (${err.message})`, { hint, cause: err });
}

/** The error of an `--as` operation, said with the chat, role and command that fixes it; others unchanged. */
export async function explainActing(ctx: Ctx, err: unknown, input: ActingInput): Promise<unknown> {
  if (!(err instanceof UrdbError)) return err;
  const as = input.user_chat_id ?? input.chat_id;
  const [acting] = await ctx.sql<{ title: string; role: string | null }[]>`
    select c.title, r.name as role from telegram_chat c left join role r on r.id = c.role_id where c.chat_id = ${as}
  `;
  const [type] = await ctx.sql<{ name: string }[]>`select name from report_type where id = ${input.report_type_id}`;
  const who = acting ? `--as ${as} (chat ${quoted(acting.title)}${acting.role ? `, role ${quoted(acting.role)}` : ''})` : `--as ${as}`;
  switch (err.message) {
    case MESSAGES.chatNotFound: {
      const missing = acting ? input.chat_id : as;
      const flag = acting ? '--chat' : '--as';
      return again(err, `${flag} ${missing}: no chat has the Telegram chat id ${missing}`, `register it with \`urdb chats add --chat-id ${missing}\`, or pick one from \`urdb chats list\``);
    }
    case MESSAGES.noRole:
      return again(err, `${who} has no role, so it may route nothing`, `give it one: \`urdb roles assign ${as} --role <role>\` (roles: \`urdb roles list\`)`);
    case MESSAGES.reportTypeByIdNotFound:
      return again(err, `--report ${input.report_type_id}: no report type has that id`, 'list them with `urdb report-types list`');
    case MESSAGES.reportTypeDenied:
      return again(
        err,
        `${who}: its role does not grant report type ${type?.name ?? input.report_type_id}`,
        `grant it: \`urdb roles grant ${quoted(acting?.role ?? '<role>')} --report-types ${type?.name ?? input.report_type_id}\`, or leave out --as`,
      );
    case MESSAGES.routeExists:
      return again(
        err,
        `with --as the request is all or nothing, and some of these units already route ${type?.name ?? input.report_type_id} into chat ${input.chat_id}`,
        `see them with \`urdb routes list --chat ${input.chat_id} --report ${input.report_type_id}\` and leave them out, or leave out --as (existing routes are then counted)`,
      );
  }
  const denied = /^Permission to units \{([\d, ]+)\} denied$/.exec(err.message);
  if (denied) {
    const ids = denied[1]!.split(', ');
    return again(
      err,
      `${who}: its role does not grant ${ids.length === 1 ? 'unit' : 'units'} ${ids.join(', ')}`,
      `grant ${ids.length === 1 ? 'it' : 'them'}: \`urdb roles grant ${quoted(acting?.role ?? '<role>')} --units ${ids.join(',')}\`, or leave ${ids.length === 1 ? 'it' : 'them'} out`,
    );
  }
  return err;
}
