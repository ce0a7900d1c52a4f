/**
 * Guessing protection of the role switch by access code (PATCH /roles/users/{chat_id}/, `roles assign
 * --access-code`). Wrong codes are counted per chat and per source (the API token's name, else the peer address;
 * the OS user for the CLI) over a sliding window; reaching either limit refuses every attempt of that chat or
 * source, the right code included, until enough wrong codes have aged out. A right code erases nothing.
 * See sql/migrations/0005_access_code_limits.sql for why the journal stays small.
 */
import { reportLockout, type LockoutScope } from '../core/lockouts';
import type { Actor, Ctx } from '../core/operation';
import type { Sql, Tx } from '../db/client';

/** Per chat: this many wrong codes within the window lock the chat out. */
export const CODE_ATTEMPTS = { max: 5, windowMinutes: 10 } as const;

/** Per source, across all chats (`urdb serve --code-guesses-per-source`, URDB_CODE_GUESSES_PER_SOURCE). */
export const DEFAULT_SOURCE_LIMIT = 50;

let sourceLimit = DEFAULT_SOURCE_LIMIT;

/** Set once per process by `urdb serve` (a process-wide policy, like the tokens). */
export function setSourceGuessLimit(limit: number): void {
  sourceLimit = limit;
}

export function sourceGuessLimit(): number {
  return sourceLimit;
}

/** Whose guesses are counted together. */
export function guessSource(actor: Actor): string {
  if (actor.token !== undefined) return `token ${actor.token}`;
  if (actor.address !== undefined) return `address ${actor.address}`;
  return `${actor.via} ${actor.user}`;
}

type Query = Sql | Tx;

/** Wrong codes within the window: of this chat, and of this source. */
async function wrongCodes(q: Query, chatId: number, source: string): Promise<{ chat: number; source: number; chatExists: boolean }> {
  const window = CODE_ATTEMPTS.windowMinutes;
  const [n] = await q<{ chat: number; source: number; chatExists: boolean }[]>`
    select
      (select count(*)::int from access_code_attempt where chat_id = ${chatId} and at > now() - make_interval(mins => ${window})) as chat,
      (select count(*)::int from access_code_attempt where source = ${source} and at > now() - make_interval(mins => ${window})) as source,
      exists (select 1 from telegram_chat where chat_id = ${chatId}) as "chatExists"
  `;
  return n!;
}

const locked = (n: { chat: number; source: number }) => n.chat >= CODE_ATTEMPTS.max || n.source >= sourceGuessLimit();

/**
 * Before any transaction: is this chat or source locked out already? One read, no lock and no commit to flush, so
 * a flood of refused attempts costs the database little. (Counts only shrink with time, so refusing on this
 * reading is refusing at this instant.) False for an unknown chat, which must be told so first.
 */
export async function alreadyLockedOut(sql: Sql, chatId: number, source: string): Promise<boolean> {
  const n = await wrongCodes(sql, chatId, source);
  return n.chatExists && locked(n);
}

export type GuessCheck = { refused: true } | { refused: false; record: () => Promise<LockoutScope[]> };

/**
 * Inside the switch's transaction, with the chat row locked (which serialises one chat's attempts): takes the
 * source's lock (which serialises one source's attempts across chats), then says whether the attempt is refused,
 * or gives `record` to call when the code is wrong, which returns the lockouts that wrong code begins.
 */
export async function checkGuess(tx: Tx, chatId: number, source: string): Promise<GuessCheck> {
  await tx`select pg_advisory_xact_lock(hashtext(${'urdb access code source ' + source}))`;
  const n = await wrongCodes(tx, chatId, source);
  if (locked(n)) return { refused: true };
  return {
    refused: false,
    async record() {
      // Expired rows go with every wrong code; rows another attempt is deleting are left to it (no lock waits).
      await tx`
        delete from access_code_attempt where id in (
          select id from access_code_attempt where at <= now() - make_interval(mins => ${CODE_ATTEMPTS.windowMinutes}) for update skip locked
        )
      `;
      await tx`insert into access_code_attempt (chat_id, source) values (${chatId}, ${source})`;
      const begun: LockoutScope[] = [];
      if (n.chat + 1 === CODE_ATTEMPTS.max) begun.push('chat');
      if (n.source + 1 === sourceGuessLimit()) begun.push('source');
      return begun;
    },
  };
}

/** The server log: every wrong code (bounded by the limits), and each lockout once, when it begins. */
export function announceWrongCode(ctx: Ctx, chatId: number, source: string, begun: LockoutScope[]): void {
  ctx.log?.('wrong access code', { chat_id: chatId, source });
  for (const scope of begun) {
    const limit = scope === 'chat' ? `${CODE_ATTEMPTS.max} wrong codes for this chat` : `${sourceGuessLimit()} wrong codes from this source`;
    ctx.log?.(`access code lockout: ${limit} within ${CODE_ATTEMPTS.windowMinutes} minutes; its attempts are refused until they age out`, {
      scope,
      chat_id: chatId,
      source,
    });
    reportLockout(scope);
  }
}
