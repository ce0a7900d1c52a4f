/**
 * The prompts urdb uses, named one by one: a dynamic import of '@inquirer/prompts' itself would keep every prompt
 * in the bundle (the editor prompt alone brings half a megabyte of character-set tables).
 *
 * Each is wrapped so that what it draws from the database (the question, the choices' names, a default, the echoed
 * answer) shows control characters visibly (`\e`, `\x07`), as everything else urdb prints on a terminal: a chat title
 * sent through the API must not drive the administrator's terminal. The values returned are untouched.
 */
import * as inquirer from '@inquirer/prompts';
import { visible } from './text';

export { Separator } from '@inquirer/prompts';

type Config = { message: string; choices?: unknown; source?: (...a: any[]) => Promise<unknown>; theme?: object };

const theme = {
  style: { answer: (t: string) => visible(t), defaultAnswer: (t: string) => `(${visible(t)})` },
};

function cleanChoices(choices: unknown): unknown {
  if (!Array.isArray(choices)) return choices;
  return choices.map((c) => (c && typeof c === 'object' && typeof c.name === 'string' ? { ...c, name: visible(c.name) } : c));
}

function clean<C extends Config>(config: C): C {
  const out: Config = { ...config, message: visible(config.message), theme: { ...theme, ...config.theme } };
  if ('choices' in config) out.choices = cleanChoices(config.choices);
  const source = config.source;
  if (source) out.source = async (...a: unknown[]) => cleanChoices(await source(...a));
  return out as C;
}

const wrap = <F extends (config: any, context?: any) => any>(prompt: F): F =>
  ((config: Config, context?: unknown) => prompt(clean(config), context)) as F;

export const checkbox = wrap(inquirer.checkbox);
export const confirm = wrap(inquirer.confirm);
export const input = wrap(inquirer.input);
export const password = wrap(inquirer.password);
export const search = wrap(inquirer.search);
export const select = wrap(inquirer.select);
