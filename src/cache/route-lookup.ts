/**
 * The in-process cache behind the two route lookups (chats by unit and type: the hot path; units by chat and type).
 *
 * Correctness rules:
 * - a write through this process clears it before the write returns (read-your-writes);
 * - any other writer's change reaches it through LISTEN/NOTIFY (`notifications.ts`) and clears it;
 * - while the notification connection is down it is disabled: every lookup queries the database, nothing is stored,
 *   and it starts empty when the connection is back — it never answers from data it could not keep watching;
 * - a fill that started before a clear is not stored (epoch check), so a slow query cannot put old data back.
 * Invalidation is deliberately coarse: routes change rarely next to how often they are read, and a cleared cache
 * refills at one query per key.
 */

export class RouteLookupCache {
  private readonly chatsByUnit = new Map<string, readonly number[]>();
  private readonly unitsByChat = new Map<string, readonly number[]>();
  private epoch = 0;
  private enabled = false;
  hits = 0;
  misses = 0;
  clears = 0;

  constructor(readonly maxEntries = 100_000) {}

  get isEnabled(): boolean {
    return this.enabled;
  }

  /** The notification connection is listening: start caching, from empty. */
  enable(): void {
    this.clear();
    this.enabled = true;
  }

  /** The notification connection is lost: stop caching and forget everything. */
  disable(): void {
    this.enabled = false;
    this.clear();
  }

  clear(): void {
    this.epoch++;
    this.clears++;
    this.chatsByUnit.clear();
    this.unitsByChat.clear();
  }

  get size(): number {
    return this.chatsByUnit.size + this.unitsByChat.size;
  }

  /** Chat ids for (unit, report type), filling from `load` on a miss. */
  chats(unitId: number, reportTypeId: number, load: () => Promise<number[]>): Promise<readonly number[]> {
    return this.get(this.chatsByUnit, `${unitId}:${reportTypeId}`, load);
  }

  /** Unit ids for (Telegram chat id, report type), filling from `load` on a miss. */
  units(chatId: number, reportTypeId: number, load: () => Promise<number[]>): Promise<readonly number[]> {
    return this.get(this.unitsByChat, `${chatId}:${reportTypeId}`, load);
  }

  private async get(map: Map<string, readonly number[]>, key: string, load: () => Promise<number[]>) {
    if (this.enabled) {
      const hit = map.get(key);
      if (hit !== undefined) {
        this.hits++;
        return hit;
      }
    }
    this.misses++;
    const epoch = this.epoch;
    const value = await load();
    if (this.enabled && epoch === this.epoch) {
      if (map.size >= this.maxEntries) map.delete(map.keys().next().value!);
      map.set(key, value);
    }
    return value;
  }
}
