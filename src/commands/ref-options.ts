/** Options that name several rows: `--units 1,2,3`, repeated or comma-separated, ids or names. */
import { UsageError } from '../core/errors';

/** commander's option parser: every value of every occurrence, split on commas, blanks dropped. */
export function collectList(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), ...value.split(',').map((s) => s.trim()).filter((s) => s !== '')];
}

/** A list option that was given must name something: `--units ""` is a mistake, not "no units". */
export function nonEmpty(list: string[] | undefined, flag: string): string[] | undefined {
  if (list !== undefined && list.length === 0) {
    throw new UsageError(`${flag} is empty`, 'give ids or names separated by commas');
  }
  return list;
}

/** The --json / message split of a change: the result as JSON on stdout with --json, the sentence on stderr always. */
export function reportChange(rt: import('../cli/runtime').Runtime, sentence: string, result: unknown): void {
  rt.out.say(sentence);
  if (rt.out.opts.json) rt.out.json(result);
}
