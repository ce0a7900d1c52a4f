/**
 * Shell completion: `urdb completion bash|zsh|fish` prints a script that asks `urdb __complete -- <words>` for the
 * candidates. Nouns, verbs and flags come from the commander tree itself (so they cannot drift from the commands);
 * names of regions, report types and roles come from the database when it answers within a second, and a server
 * that is down (or an embedded one not running: completion never starts or creates one) just means no names.
 */
import type { Command, Option } from 'commander';
import { action } from '../cli/runtime';
import { UsageError } from '../core/errors';

type NameKind = 'region' | 'report_type' | 'role';

/** Options and positional arguments whose values are names in the database. */
const OPTION_NAMES: Record<string, NameKind> = {
  '--region': 'region',
  '--regions': 'region',
  '--report': 'report_type',
  '--report-types': 'report_type',
  '--parent': 'report_type',
  '--role': 'role',
};
const ARGUMENT_NAMES: Record<string, NameKind> = { region: 'region', type: 'report_type', types: 'report_type', role: 'role' };

const SHELLS = ['bash', 'zsh', 'fish'] as const;

const BASH = `# urdb completion for bash: source it, or save it as ~/.local/share/bash-completion/completions/urdb
_urdb() {
  local line
  COMPREPLY=()
  while IFS= read -r line; do
    if [[ $line == *[[:space:]\\'\\"\\\\\\$\\\`\\(\\)\\&\\;\\|\\<\\>]* ]]; then COMPREPLY+=("$(printf '%q' "$line")"); else COMPREPLY+=("$line"); fi
  done < <(urdb __complete -- "\${COMP_WORDS[@]:1:COMP_CWORD}" 2>/dev/null)
}
complete -F _urdb urdb
`;

const ZSH = `#compdef urdb
# urdb completion for zsh: save it as _urdb in a directory of $fpath (or source it after compinit)
_urdb() {
  local -a candidates
  candidates=("\${(@f)$(urdb __complete -- "\${(@)words[2,CURRENT]}" 2>/dev/null)}")
  compadd -a candidates
}
if [[ $funcstack[1] == _urdb ]]; then _urdb "$@"; else compdef _urdb urdb; fi
`;

const FISH = `# urdb completion for fish: save it as ~/.config/fish/completions/urdb.fish
function __urdb_complete
  set -l tokens (commandline -opc) (commandline -ct)
  urdb __complete -- $tokens[2..-1] 2>/dev/null
end
complete -c urdb -f -a '(__urdb_complete)'
`;

export function registerCompletion(program: Command): void {
  program
    .command('completion')
    .description('print a shell completion script (nouns, verbs, flags, and names from the database)')
    .argument('<shell>', `the shell: ${SHELLS.join(', ')}`)
    .action(
      action(async (rt, _opts, [shell]) => {
        const script = { bash: BASH, zsh: ZSH, fish: FISH }[shell as (typeof SHELLS)[number]];
        if (!script) throw new UsageError(`no completion for the shell "${shell}"`, `give one of ${SHELLS.join(', ')}`);
        rt.out.data(script);
      }),
    );

  program
    .command('__complete', { hidden: true })
    .description('the candidates for the last word of a command line (used by the completion scripts)')
    .argument('[words...]', 'the words after urdb, the last one being completed (maybe empty)')
    .allowUnknownOption()
    .helpOption(false)
    .action(async (words: string[]) => {
      try {
        const { buildProgram } = await import('../cli');
        for (const c of await candidates(buildProgram(), words)) process.stdout.write(`${c}\n`);
      } catch {
        // Completion is best effort: nothing is better than an error in the middle of a command line.
      }
    });
}

const valueTaking = (o: Option) => o.required || o.optional;
const flagsOf = (cmd: Command) => cmd.options.filter((o) => !o.hidden && o.long).map((o) => o.long!);

/** The candidates for the last of `words`, given the command tree. */
export async function candidates(program: Command, words: string[]): Promise<string[]> {
  const current = (words.at(-1) ?? '').replace(/^["']/, '');
  const before = words.slice(0, -1);
  let cmd = program;
  let positional = 0;
  let pendingOption: Option | undefined;
  for (const word of before) {
    if (pendingOption) {
      pendingOption = undefined;
      continue;
    }
    if (word.startsWith('-')) {
      const option = [...cmd.options, ...program.options].find((o) => o.long === word || o.short === word);
      if (option && valueTaking(option) && !word.includes('=')) pendingOption = option;
      continue;
    }
    const sub = cmd.commands.find((c) => c.name() === word || c.aliases().includes(word));
    if (sub) cmd = sub;
    else positional++;
  }
  const matching = (list: string[]) => list.filter((c) => c.startsWith(current));
  if (pendingOption) {
    const kind = OPTION_NAMES[pendingOption.long ?? ''];
    return kind ? matching(await namesOf(kind, words)) : [];
  }
  if (current.startsWith('-')) return matching([...flagsOf(cmd), ...(cmd === program ? [] : flagsOf(program))]);
  const subs = cmd.commands.filter((c) => !(c as unknown as { _hidden?: boolean })._hidden).map((c) => c.name());
  if (subs.length > 0) return matching(subs);
  const arg = cmd.registeredArguments[Math.min(positional, cmd.registeredArguments.length - 1)];
  const kind = arg && ARGUMENT_NAMES[arg.name()];
  if (cmd.name() === 'completion') return matching([...SHELLS]);
  return kind ? matching(await namesOf(kind, words)) : [];
}

/** Names from the database, or none: a server gets one second; an embedded database is used only if running. */
async function namesOf(kind: NameKind, words: string[]): Promise<string[]> {
  const { resolveTarget, schemaName } = await import('../db/target');
  const { createClient } = await import('../db/client');
  const flag = words.indexOf('--database-url');
  const target = resolveTarget({ databaseUrl: flag >= 0 ? words[flag + 1] : undefined });
  const schema = schemaName();
  let client;
  if (target.kind === 'embedded') {
    const { embeddedPaths, runningServer, PORT } = await import('../db/embedded');
    const paths = embeddedPaths(target.home);
    if (!runningServer(paths)) return [];
    client = createClient({ socketDir: paths.runDir, port: PORT, schema, max: 1, connectTimeout: 1, onNotice: () => undefined });
  } else {
    client = createClient({ url: target.kind === 'url' ? target.url : undefined, schema, max: 1, connectTimeout: 1, onNotice: () => undefined });
  }
  let timer: NodeJS.Timeout | undefined;
  // postgres.js retries a connection that fails or hangs; completion waits a second at most, whatever happens.
  const giveUp = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('too slow')), 1000)));
  try {
    const rows = await Promise.race([client<{ name: string }[]>`select name from ${client(kind)} order by name`, giveUp]);
    return rows.map((r) => r.name);
  } catch {
    return [];
  } finally {
    clearTimeout(timer);
    await client.end({ timeout: 0 }).catch(() => undefined);
  }
}
