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

/**
 * What the server's metrics read from the cache at each scrape (nothing on the lookup path): counters since start
 * and the current size. Whatever bounds or reshapes the cache keeps these meanings.
 */
export interface RouteCacheStats {
  readonly hits: number;
  readonly misses: number;
  /** Times it was emptied: a write through this process, a change notification, the listener lost or back. */
  readonly clears: number;
  /** Entries held now. */
  readonly size: number;
  /** An estimate of the heap the entries hold now, bytes (see entryBytes). */
  readonly bytes: number;
}

/**
 * The heap one entry holds, estimated: measured on Node 20 (`--expose-gc`, 100,000 entries of 0–50 ids) as about
 * 104 bytes for the Map slot, key string and array headers, plus a byte per key character and 8 per id.
 */
export function entryBytes(key: string, ids: readonly number[]): number {
  return 104 + key.length + 8 * ids.length;
}

export class RouteLookupCache implements RouteCacheStats {
  private readonly chatsByUnit = new Map<string, readonly number[]>();
  private readonly unitsByChat = new Map<string, readonly number[]>();
  private epoch = 0;
  private enabled = false;
  hits = 0;
  misses = 0;
  clears = 0;
  bytes = 0;

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
    this.bytes = 0;
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
      if (map.size >= this.maxEntries) this.evictOldest(map);
      const old = map.get(key); // a parallel miss of the same key stored it meanwhile
      if (old !== undefined) this.bytes -= entryBytes(key, old);
      map.set(key, value);
      this.bytes += entryBytes(key, value);
    }
    return value;
  }

  private evictOldest(map: Map<string, readonly number[]>) {
    const [key, ids] = map.entries().next().value!;
    map.delete(key);
    this.bytes -= entryBytes(key, ids);
  }
}
