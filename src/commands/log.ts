import type { Command } from 'commander';
import { action } from '../cli/runtime';
import { pageInput, pageOptions, printPageHint } from './common';

export function registerLog(program: Command): void {
  pageOptions(
    program
      .command('log')
      .description('the audit log: every change, newest first, with who made it (CLI user, API token and chat, or SQL user)')
      .option('--since <when>', 'only changes since a duration ago (30m, 2h, 7d) or a date (2026-11-23T08:00)')
      .option('--entity <entity>', 'only changes of one entity (unit, region, chat, route, role, report-type, …)')
      .option('--chat <chat_id>', 'only changes concerning one Telegram chat (the chat, its routes, its actions)'),
  ).action(
    action(async (rt, opts) => {
      const { listAudit, parseSince, describeActor, describeChange } = await import('../handlers/audit');
      const input = rt.validate(listAudit.cliInput, {
        since: opts.since === undefined ? undefined : parseSince(String(opts.since)),
        entity: opts.entity,
        chat: opts.chat,
        ...pageInput(rt, opts),
      });
      const page = await listAudit.run(await rt.ctx(), input);
      await rt.out.list(page.items, [
        { header: 'ID', value: (e) => e.id },
        { header: 'AT', value: (e) => e.at.toISOString() },
        { header: 'WHO', value: (e) => describeActor(e.actor) },
        { header: 'ENTITY', value: (e) => e.entity },
        { header: 'ACTION', value: (e) => e.action },
        { header: 'KEY', value: (e) => Object.values(e.key).join('/') },
        { header: 'CHANGE', value: (e) => describeChange(e) },
      ]);
      await printPageHint(rt, page, input, 'audit entries', async (all) => listAudit.run(await rt.ctx(), all));
    }),
  );
}
