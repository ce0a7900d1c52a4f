/**
 * Prompts of the chats, roles and routes commands, beside the shared ones in ./prompts: a chat searched as you type,
 * optional checkbox lists (a role may be created without units), report types ticked, and access codes (a secret:
 * typed masked, or read from stdin, never required in a flag).
 */
import { NotFoundError, UsageError } from '../core/errors';
import type { RefChoice } from '../handlers/refs';
import { missingValue } from './prompts';
import type { Runtime } from './runtime';

const context = () => ({ output: process.stderr });
const prompts = () => import('./inquirer');
const pageSize = () => Math.max(5, Math.min(20, (process.stderr.rows || 24) - 6));

/** A chat reference: the value given, else searched by title, @username or chat id as you type, else exit 2. */
export async function askChat(rt: Runtime, value: string | undefined, q: { flag: string; message?: string }): Promise<string> {
  if (value !== undefined) return value;
  if (!rt.interactive) throw missingValue(q.flag);
  const { listChats } = await import('../handlers/chats');
  const chats = (await listChats.run(await rt.ctx(), { limit: null, offset: 0 })).items;
  if (chats.length === 0) throw new NotFoundError('there are no chats yet', 'register one with `urdb chats add`');
  const { search } = await prompts();
  const picked = await search<number>(
    {
      message: q.message ?? 'Chat (type to search)',
      pageSize: pageSize(),
      source: (term) => {
        const t = (term ?? '').trim().toLowerCase();
        return chats
          .filter(
            (c) =>
              !t ||
              c.title.toLowerCase().includes(t) ||
              (c.username ?? '').toLowerCase().includes(t.replace(/^@/, '')) ||
              String(c.chat_id).startsWith(t),
          )
          .map((c) => ({
            name: `${c.title}  (${c.chat_id}, ${c.type.toLowerCase()}${c.username ? `, @${c.username}` : ''}${c.role ? `, role ${c.role}` : ''})`,
            value: c.chat_id,
          }));
      },
    },
    context(),
  );
  return String(picked);
}

async function choicesOf(rt: Runtime, kind: 'unit' | 'report_type'): Promise<RefChoice[]> {
  const { refChoices } = await import('../handlers/refs');
  return refChoices((await rt.ctx()).sql, kind);
}

type CheckboxChoice = { name: string; value: number; checked: boolean };

/**
 * Units ticked in a checkbox list grouped by region, where ticking none is an answer (a role without units yet).
 * `only` limits the list; an empty list is not asked and answers [].
 */
export async function pickUnits(rt: Runtime, q: { message: string; only?: readonly number[] }): Promise<number[]> {
  const only = q.only ? new Set(q.only) : null;
  const units = (await choicesOf(rt, 'unit')).filter((u) => !only || only.has(u.id));
  if (units.length === 0) return [];
  const { checkbox, Separator } = await prompts();
  const choices: (InstanceType<typeof Separator> | CheckboxChoice)[] = [];
  let group: string | null = null;
  for (const u of units) {
    if (u.group !== group) {
      group = u.group;
      choices.push(new Separator(`── ${group} ──`));
    }
    choices.push({ name: `${u.name} (${u.id})`, value: u.id, checked: false });
  }
  return checkbox({ message: q.message, choices, pageSize: pageSize(), loop: false }, context());
}

/** Report types ticked in a checkbox list (inactive ones marked); ticking none is an answer. */
export async function pickReportTypes(rt: Runtime, q: { message: string; only?: readonly number[] }): Promise<number[]> {
  const only = q.only ? new Set(q.only) : null;
  const types = (await choicesOf(rt, 'report_type')).filter((t) => !only || only.has(t.id));
  if (types.length === 0) return [];
  const { checkbox } = await prompts();
  return checkbox(
    {
      message: q.message,
      choices: types.map((t) => ({ name: `${t.name}  (${t.id}${t.detail ? `, ${t.detail}` : ''})`, value: t.id, checked: false })),
      pageSize: pageSize(),
      loop: false,
    },
    context(),
  );
}

async function firstLineOfStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8').split(/\r?\n/)[0] ?? '';
}

/**
 * An access code. `--access-code CODE` is accepted as cli.md lists it, but a code in a flag ends up in the shell
 * history and in `ps`: `--access-code -` reads it from stdin, and `--access-code` alone asks for it masked on a
 * terminal (or reads stdin when piped). `undefined` (flag absent) stays undefined.
 */
export async function askSecret(rt: Runtime, value: string | boolean | undefined, q: { flag: string; message: string }): Promise<string | undefined> {
  if (value === undefined || value === false) return undefined;
  if (typeof value === 'string' && value.trim() === '') {
    throw new UsageError(`${q.flag} is empty`, `give the code, ${q.flag} - to read it from stdin, or ${q.flag} alone to type it on a terminal`);
  }
  if (typeof value === 'string' && value !== '-') return value;
  if (value === true && rt.interactive) {
    const { password } = await prompts();
    return password({ message: q.message, mask: '*', validate: (v: string) => v.trim() !== '' || 'This field may not be blank.' }, context());
  }
  if (value === true && process.stdin.isTTY) {
    throw new UsageError(`${q.flag} needs a value`, `give it, pipe it on stdin with ${q.flag} -, or run on a terminal to type it`);
  }
  const line = await firstLineOfStdin();
  if (line.trim() === '') {
    // The flag alone, off a terminal, reads stdin too: say what was given, not `-`.
    if (value === '-') throw new UsageError(`${q.flag} -: stdin held no access code`, 'pipe the code as the first line');
    throw new UsageError(
      `${q.flag} (without a value, not on a terminal): stdin held no access code`,
      `give it (${q.flag} CODE), or pipe the code as the first line of stdin with ${q.flag} -`,
    );
  }
  return line;
}
