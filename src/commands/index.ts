import type { Command } from 'commander';
import { registerBundle } from './bundle';
import { registerChats } from './chats';
import { registerDb } from './db';
import { registerDepartments } from './departments';
import { registerImportDjango } from './import-django';
import { registerInit } from './init';
import { registerLog } from './log';
import { registerMigrate } from './migrate';
import { registerRegions } from './regions';
import { registerReportTypes } from './report-types';
import { registerRoles } from './roles';
import { registerRoutes } from './routes';
import { registerUnits } from './units';
import { registerServe } from './serve';
import { registerCompletion } from './completion';

/** Every top-level command, with the function that defines it and its subcommands. */
const COMMANDS: [names: string[], register: (program: Command) => void][] = [
  [['init'], registerInit],
  [['migrate'], registerMigrate],
  [['db'], registerDb],
  [['regions'], registerRegions],
  [['departments'], registerDepartments],
  [['units'], registerUnits],
  [['report-types'], registerReportTypes],
  [['chats'], registerChats],
  [['roles'], registerRoles],
  [['routes'], registerRoutes],
  [['import', 'export'], registerBundle],
  [['import-django'], registerImportDjango],
  [['log'], registerLog],
  [['serve'], registerServe],
  [['completion', '__complete'], registerCompletion],
];

/** Global options that take a value (so that their value is not taken for the command's name). */
const VALUE_OPTIONS = new Set(['--database-url']);

/** The command named on the command line, if any. */
export function requestedCommand(args: readonly string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (VALUE_OPTIONS.has(a)) i++;
    else if (!a.startsWith('-')) return a;
  }
  return undefined;
}

/**
 * Defines the commands. With `args`, only the command they name is defined in full (the others by name only, which
 * is all commander needs to route and to suggest): a command does not pay for defining forty others. Help for the
 * whole program, or an unknown name, defines everything.
 */
export function registerCommands(program: Command, args?: readonly string[]): void {
  const wanted = args && requestedCommand(args);
  const known = wanted !== undefined && COMMANDS.some(([names]) => names.includes(wanted));
  for (const [names, register] of COMMANDS) {
    if (!known || names.includes(wanted!)) register(program);
    else for (const name of names) program.command(name);
  }
}
