/** Access-code lockouts, for whoever counts them (the server's metrics). */
export type LockoutScope = 'chat' | 'source';
type Listener = (scope: LockoutScope) => void;
const listeners: Listener[] = [];
export function onLockout(fn: Listener): void {
  listeners.push(fn);
}
export function reportLockout(scope: LockoutScope): void {
  for (const fn of listeners) fn(scope);
}
