/**
 * Unique violations (SQLSTATE 23505) turned into conflicts that say which value is taken. Checking first and then
 * inserting would race with another writer; the constraint is the one place that knows, so its name picks the message.
 */
import { ConflictError } from '../core/errors';

/** By constraint name: the message, or the message and a hint (what to do). */
export type ConflictMessages = Record<string, string | [message: string, hint: string]>;

export function conflictOf(err: unknown, messages: ConflictMessages): unknown {
  const e = err as { code?: string; constraint_name?: string } | null;
  if (e?.code !== '23505' || !e.constraint_name) return err;
  const known = messages[e.constraint_name];
  if (known === undefined) return err;
  return typeof known === 'string' ? new ConflictError(known) : new ConflictError(known[0], known[1]);
}

/** Runs `fn`, rethrowing a unique violation named in `messages` as a ConflictError. */
export async function mapConflicts<T>(messages: ConflictMessages, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw conflictOf(err, messages);
  }
}
