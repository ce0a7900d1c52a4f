/**
 * Long tables on a terminal go through a pager, as gh does: URDB_PAGER, else PAGER, else `less`; `LESS=FRX` when LESS
 * is unset (quit when it fits one screen, keep colours, leave the text on the screen). Never when stdout is not a
 * terminal; `--no-pager`, or a pager of `` or `cat`, turns it off. A pager that cannot be started is skipped.
 */
import { spawn } from 'node:child_process';

export function pagerCommand(flag: boolean | undefined, env: NodeJS.ProcessEnv): string[] | null {
  if (flag === false) return null;
  const cmd = (env.URDB_PAGER ?? env.PAGER ?? 'less').trim();
  if (cmd === '' || cmd === 'cat') return null;
  return cmd.split(/\s+/);
}

export interface Pager {
  stream: NodeJS.WritableStream;
  /** The pager has gone (the user quit it): stop writing. */
  gone(): boolean;
  /** Ends its input and waits until the user has quit it. */
  close(): Promise<void>;
}

export function startPager(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<Pager | null> {
  return new Promise((resolve) => {
    const child = spawn(argv[0]!, argv.slice(1), {
      stdio: ['pipe', 'inherit', 'inherit'],
      env: { ...env, LESS: env.LESS ?? 'FRX', LV: env.LV ?? '-c' },
    });
    let gone = false;
    const closed = new Promise<void>((done) => child.on('close', () => ((gone = true), done())));
    child.stdin.on('error', () => (gone = true)); // EPIPE: the user quit before the end
    child.once('error', () => resolve(null));
    child.once('spawn', () =>
      resolve({
        stream: child.stdin,
        gone: () => gone,
        async close() {
          child.stdin.end();
          await closed;
        },
      }),
    );
  });
}
