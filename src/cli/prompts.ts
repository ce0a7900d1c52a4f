/**
 * Prompts (@inquirer/prompts), loaded only when a terminal asks for one. They draw on stderr so that stdout stays
 * data; Ctrl-C rejects with ExitPromptError, which the runtime turns into exit 130 with nothing changed.
 *
 * Every helper takes the value the command line gave (a flag or an argument) and returns it untouched when there is
 * one; only a missing value is asked for, and only when `rt.interactive` (stdin and stdout are terminals, no
 * --no-input). Without a terminal a missing required value is a usage error (exit 2) that names the flag.
 */
import type { z } from 'zod';
import { NotFoundError, UsageError } from '../core/errors';
import type { RefChoice } from '../handlers/refs';
import type { Runtime } from './runtime';

const context = () => ({ output: process.stderr });
const prompts = () => import('./inquirer');
/** As many rows as the terminal shows, leaving room for the question and the help line. */
const pageSize = () => Math.max(5, Math.min(20, (process.stderr.rows || 24) - 6));

/** The usage error for a required value that was not given and cannot be asked for: `--name` or `<region>`. */
export function missingValue(flag: string): UsageError {
  return new UsageError(
    `${flag} is required`,
    flag.startsWith('-') ? `pass ${flag}, or run on a terminal to be asked` : 'give it as an argument, or run on a terminal to be asked',
  );
}

/** A yes/no question (default no). Without a terminal: a usage error saying that `flag` is required. */
export async function confirm(rt: Runtime, message: string, flag = '--yes'): Promise<boolean> {
  if (!rt.interactive) {
    throw new UsageError(`${message.replace(/\?$/, '')}: ${flag} required when not running interactively`);
  }
  const { confirm: ask } = await prompts();
  return ask({ message, default: false }, context());
}

/**
 * The gate of a destructive change: passes with `--yes`, else asks `message` on a terminal; "no" is exit 2
 * ("cancelled; nothing was changed"), no terminal is exit 2 ("--yes required…"). Call it before writing anything,
 * or inside the write transaction (a throw rolls it back).
 */
export async function confirmChange(rt: Runtime, message: string, yes: boolean | undefined): Promise<void> {
  if (yes) return;
  if (!(await confirm(rt, message))) throw new UsageError('cancelled; nothing was changed');
}

export interface TextQuestion {
  /** What the command line gave; returned as is when not undefined. */
  value: string | undefined;
  /** The flag (`--name`) or argument (`<name>`) that gives this value: named in the error without a terminal. */
  flag: string;
  message: string;
  /** The field's schema (src/core/fields.ts): the answer is checked as it is typed, with the same texts. */
  schema?: z.ZodType;
  /** Offered on the prompt (Enter keeps it); returned without a terminal when the value is optional. */
  default?: string;
  /** Optional values are asked for (when the command prompts) but never an error when missing. Default true. */
  required?: boolean;
  /**
   * A check against the database once the value is well-formed (a name or uuid already taken): its message keeps
   * the prompt open, so a mistake is said when it is typed, not after every other question.
   */
  check?: (value: string) => Promise<string | null>;
}

/** `Office manager account (optional)`: a prompt that may be left empty says so. */
const optionalLabel = (message: string) => (/\(optional\)$/.test(message) ? message : `${message} (optional)`);

/** A text value: the flag's, else typed at a prompt, else (no terminal) the default or a usage error. */
export async function askText(rt: Runtime, q: TextQuestion & { required?: true }): Promise<string>;
export async function askText(rt: Runtime, q: TextQuestion): Promise<string | undefined>;
export async function askText(rt: Runtime, q: TextQuestion): Promise<string | undefined> {
  if (q.value !== undefined) return q.value;
  const required = q.required ?? true;
  if (!rt.interactive) {
    if (required) throw missingValue(q.flag);
    return q.default;
  }
  const { input } = await prompts();
  const answer = await input(
    {
      message: required ? q.message : optionalLabel(q.message),
      default: q.default,
      required,
      validate: async (v: string) => {
        if (!required && v.trim() === '') return true;
        if (q.schema) {
          const r = q.schema.safeParse(v);
          if (!r.success) return r.error.issues[0]?.message ?? 'invalid value';
        }
        return (await q.check?.(v.trim())) ?? true;
      },
    },
    context(),
  );
  return answer;
}

export interface Choice<T> {
  name: string;
  value: T;
  description?: string;
}

/** One of a list read when needed (from the database): the flag's value, else a select list, else a usage error. */
export async function askSelect<T>(
  rt: Runtime,
  q: { value: string | undefined; flag: string; message: string; choices: () => Promise<Choice<T>[]>; none: string; hint?: string },
): Promise<string | T> {
  if (q.value !== undefined) return q.value;
  if (!rt.interactive) throw missingValue(q.flag);
  const choices = await q.choices();
  if (choices.length === 0) throw new NotFoundError(q.none, q.hint);
  const { select } = await prompts();
  return select({ message: q.message, choices, pageSize: pageSize(), loop: false }, context());
}

/** Several of a list read when needed, ticked in a checkbox list (at least one); no terminal: exit 2 naming `flag`. */
export async function askMany<T>(
  rt: Runtime,
  q: { flag: string; message: string; choices: () => Promise<Choice<T>[]>; none: string; hint?: string },
): Promise<T[]> {
  if (!rt.interactive) throw missingValue(q.flag);
  const choices = await q.choices();
  if (choices.length === 0) throw new NotFoundError(q.none, q.hint);
  const { checkbox } = await prompts();
  return checkbox({ message: q.message, choices, pageSize: pageSize(), loop: false, required: true }, context());
}

type RefKind = 'region' | 'department' | 'report_type' | 'role' | 'unit';

async function choicesOf(rt: Runtime, kind: RefKind): Promise<RefChoice[]> {
  const { refChoices } = await import('../handlers/refs');
  return refChoices((await rt.ctx()).sql, kind);
}

const label = (c: RefChoice) => `${c.name}  (${c.id}${c.detail ? `, ${c.detail}` : ''})`;

async function askRef(
  rt: Runtime,
  kind: RefKind,
  value: string | undefined,
  q: { flag: string; message: string; none: string; hint: string; default?: number },
): Promise<string> {
  if (value !== undefined) return value;
  if (!rt.interactive) throw missingValue(q.flag);
  const choices = await choicesOf(rt, kind);
  if (choices.length === 0) throw new NotFoundError(q.none, q.hint);
  const { select } = await prompts();
  const picked = await select(
    { message: q.message, choices: choices.map((c) => ({ name: label(c), value: c.id })), default: q.default, pageSize: pageSize(), loop: false },
    context(),
  );
  return String(picked);
}

/**
 * An optional reference, asked only when the command prompts anyway: "(none)" first, which answers null; null
 * without asking when there is nothing to choose.
 */
async function askOptionalRef(rt: Runtime, kind: RefKind, message: string, current: number | null = null): Promise<string | null> {
  const choices = await choicesOf(rt, kind);
  if (choices.length === 0) return null;
  const { select } = await prompts();
  const picked = await select<number | null>(
    {
      message: optionalLabel(message),
      choices: [{ name: '(none)', value: null }, ...choices.map((c) => ({ name: label(c), value: c.id }))],
      default: current,
      pageSize: pageSize(),
      loop: false,
    },
    context(),
  );
  return picked === null ? null : String(picked);
}

/** A unit's department while prompting for a unit: one of them or none. */
export function askOptionalDepartment(rt: Runtime, message = 'Department', current: number | null = null): Promise<string | null> {
  return askOptionalRef(rt, 'department', message, current);
}

/** A report type's parent while prompting for a report type: one of the types or none. */
export function askOptionalReportType(rt: Runtime, message = 'Parent report type', current: number | null = null): Promise<string | null> {
  return askOptionalRef(rt, 'report_type', message, current);
}

/** A region reference (id or name): the flag's, else picked from the regions, else exit 2 naming `flag`. */
export function askRegion(
  rt: Runtime,
  value: string | undefined,
  q: { flag?: string; message?: string; default?: number } = {},
): Promise<string> {
  return askRef(rt, 'region', value, {
    flag: q.flag ?? '--region',
    message: q.message ?? 'Region',
    none: 'there are no regions yet',
    hint: 'add one with `urdb regions add --name NAME`',
    default: q.default,
  });
}

/** A department reference (id or name), picked from the departments when missing. */
export function askDepartment(
  rt: Runtime,
  value: string | undefined,
  q: { flag?: string; message?: string; default?: number } = {},
): Promise<string> {
  return askRef(rt, 'department', value, {
    flag: q.flag ?? '--department',
    message: q.message ?? 'Department',
    none: 'there are no departments yet',
    hint: 'add one with `urdb departments add`',
    default: q.default,
  });
}

/** A report type reference (id or name), picked from every type (inactive ones marked) when missing. */
export function askReportType(
  rt: Runtime,
  value: string | undefined,
  q: { flag?: string; message?: string; default?: number } = {},
): Promise<string> {
  return askRef(rt, 'report_type', value, {
    flag: q.flag ?? '--report',
    message: q.message ?? 'Report type',
    none: 'there are no report types yet',
    hint: 'seed them with `urdb init report-types`',
    default: q.default,
  });
}

/** A role reference (id or name), picked from the roles when missing. */
export function askRole(
  rt: Runtime,
  value: string | undefined,
  q: { flag?: string; message?: string; default?: number } = {},
): Promise<string> {
  return askRef(rt, 'role', value, {
    flag: q.flag ?? '--role',
    message: q.message ?? 'Role',
    none: 'there are no roles yet',
    hint: 'add one with `urdb roles add --name NAME`',
    default: q.default,
  });
}

/** A unit reference (id or name): the value given, else searched by name or id as you type, else exit 2. */
export async function askUnit(rt: Runtime, value: string | undefined, q: { flag?: string; message?: string } = {}): Promise<string> {
  if (value !== undefined) return value;
  const flag = q.flag ?? '--unit';
  if (!rt.interactive) throw missingValue(flag);
  const units = await choicesOf(rt, 'unit');
  if (units.length === 0) throw new NotFoundError('there are no units yet', 'add one with `urdb units add`');
  const { search } = await prompts();
  const picked = await search<number>(
    {
      message: q.message ?? 'Unit (type to search)',
      pageSize: pageSize(),
      source: (term) => {
        const t = (term ?? '').trim().toLowerCase();
        return units
          .filter((u) => !t || u.name.toLowerCase().includes(t) || String(u.id).startsWith(t))
          .map((u) => ({ name: `${u.name}  (${u.id}, ${u.group})`, value: u.id }));
      },
    },
    context(),
  );
  return String(picked);
}

/**
 * Units ticked in a checkbox list grouped by region (for `routes add` without --units). `only` limits the list (a
 * role's units), `checked` pre-ticks some. At least one must be ticked. No terminal: exit 2 naming `flag`.
 */
export async function askUnits(
  rt: Runtime,
  q: { flag: string; message?: string; only?: readonly number[]; checked?: readonly number[] },
): Promise<number[]> {
  if (!rt.interactive) throw missingValue(q.flag);
  const only = q.only ? new Set(q.only) : null;
  const checked = new Set(q.checked ?? []);
  const units = (await choicesOf(rt, 'unit')).filter((u) => !only || only.has(u.id));
  if (units.length === 0) {
    throw new NotFoundError(only ? 'there are no units to choose from' : 'there are no units yet', only ? undefined : 'add one with `urdb units add`');
  }
  const { checkbox, Separator } = await prompts();
  const choices: (InstanceType<typeof Separator> | { name: string; value: number; checked: boolean })[] = [];
  let group: string | null = null;
  for (const u of units) {
    if (u.group !== group) {
      group = u.group;
      choices.push(new Separator(`── ${group} ──`));
    }
    choices.push({ name: `${u.name} (${u.id})`, value: u.id, checked: checked.has(u.id) });
  }
  return checkbox(
    { message: q.message ?? 'Units', choices, pageSize: pageSize(), loop: false, required: true },
    context(),
  );
}
