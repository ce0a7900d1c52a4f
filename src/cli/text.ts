/** Wording of the messages that say what a command did. */

/** `1 route`, `14 routes`, `0 units`. */
export const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;

/** `a`, `a and b`, `a, b and c`. */
export function andList(parts: readonly string[]): string {
  if (parts.length <= 1) return parts[0] ?? '';
  return `${parts.slice(0, -1).join(', ')} and ${parts[parts.length - 1]}`;
}

/** The non-zero counts as `2 units, 14 routes and 3 role grants`; null when all are zero. */
export function counted(counts: readonly [n: number, one: string, many?: string][]): string | null {
  const parts = counts.filter(([n]) => n > 0).map(([n, one, many]) => plural(n, one, many));
  return parts.length ? andList(parts) : null;
}

/** A name in messages: `"Москва 1"`. */
export const quoted = (s: string): string => JSON.stringify(s);
