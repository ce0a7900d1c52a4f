/**
 * stdout's failures as errors of a command: `urdb export > /dev/full` says `cannot write to stdout: no space left on
 * device` once, exit 1, and never a success message before it. A reader that went away (EPIPE: `| head -1`) is not
 * a failure: the process ends quietly, as other Unix tools do.
 */
import { FileError } from '../core/errors';

/** The error stdout failed with, if it did (set synchronously by the stream when a write fails). */
export function stdoutFailure(): Error | null {
  return (process.stdout as unknown as { errored?: Error | null }).errored ?? null;
}

/** Writes data; false once stdout has failed (stop producing more). */
export function writeStdout(chunk: string): boolean {
  if (stdoutFailure()) return false;
  process.stdout.write(chunk);
  return stdoutFailure() === null;
}

/** Resolves once everything written so far has reached stdout; throws a FileError if any of it could not. */
export async function flushStdout(): Promise<void> {
  let failure = stdoutFailure();
  if (!failure) {
    failure = await new Promise<Error | null>((resolve) => {
      try {
        process.stdout.write('', (err) => resolve(err ?? stdoutFailure()));
      } catch (err) {
        resolve(err as Error);
      }
    });
  }
  if (failure) throw new FileError('stdout', 'write', failure);
}

/** stdout's error events: EPIPE ends the process quietly; any other failure is reported by the command's flush. */
export function watchStdout(): void {
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  });
}
