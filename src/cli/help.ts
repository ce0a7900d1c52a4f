/**
 * Help and parser errors for the whole command tree, applied once it is built: examples under each command's help,
 * global options shown only by `urdb --help`, `urdb help <noun> <verb>`, and commander's errors as one `urdb:` line
 * plus the command's usage.
 */
import type { Command } from 'commander';
import { EXAMPLES } from './help-examples';
import { visible } from './text';

/** `routes add` for the command `urdb routes add`. */
export function commandPath(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c?.parent; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

export function everyCommand(root: Command): Command[] {
  return root.commands.flatMap((c) => [c, ...everyCommand(c)]);
}

/** commander's `error: unknown option '--x'` (and a suggestion on the next line) as one line, then the usage. */
function parserError(cmd: Command) {
  return (text: string, write: (s: string) => void) => {
    // The text quotes what was typed: its control characters are shown, never sent to the terminal.
    const message = visible(text.replace(/^error: /, '').trim().split('\n').map((l) => l.trim()).join(' '));
    const name = ['urdb', commandPath(cmd)].filter(Boolean).join(' ');
    write(`urdb: ${message}\nusage: ${name} ${cmd.usage()} (see \`${name} --help\`)\n`);
  };
}

export function finishHelp(program: Command): void {
  program.configureOutput({ outputError: parserError(program) });
  for (const cmd of everyCommand(program)) {
    const path = commandPath(cmd);
    // A command named only so that commander can route to it (commands/index.ts defines the one run in full).
    if (!cmd.description()) continue;
    cmd.configureOutput({ outputError: parserError(cmd) });
    cmd.showHelpAfterError(false);
    if (cmd.commands.length > 0) cmd.helpCommand(false); // `urdb help routes add` is the one help command
    const examples = EXAMPLES[path];
    const text = [
      examples ? `\nExamples:\n${examples.map((e) => `  $ urdb ${e}`).join('\n')}` : '',
      '\nGlobal options (--database-url, --json, --no-input, --quiet, --debug, …): see `urdb --help`.',
    ].join('\n');
    cmd.addHelpText('after', text);
  }
  program
    .command('help')
    .description('show help for a command: urdb help routes add')
    .argument('[command...]', 'the command, as typed after urdb')
    .action((words: string[]) => {
      let cmd = program;
      for (const word of words) {
        const next = cmd.commands.find((c) => c.name() === word || c.aliases().includes(word));
        if (!next) {
          program.error(`unknown command '${words.join(' ')}'`, { exitCode: 2, code: 'urdb.unknownHelp' });
        }
        cmd = next!;
      }
      cmd.outputHelp();
    });
}
