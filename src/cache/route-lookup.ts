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
 *
 * Memory is bounded by bytes, not entries (an entry for a unit with many chats weighs more than one with none): each
 * entry is charged an estimate of what it keeps alive (the key, the ids, the prepared pages), and the least recently
 * used entries are evicted until the total fits. A Map keeps insertion order, so "used" is delete + set and the
 * eviction candidate is the first key: every operation is O(1).
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
  /** An estimate of the heap the entries hold now, bytes. */
  readonly bytes: number;
  /** The bound on `bytes`. */
  readonly maxBytes: number;
}

/** What the cache keeps per (lookup, key): the complete ordered id list, and the answers already prepared from it. */
interface Entry {
  ids: readonly number[];
  /** Prepared answers by page (`limit:offset`), built on first use. */
  pages: Map<string, Prepared> | null;
  bytes: number;
}

/** Something prepared from an entry's ids (a serialised HTTP answer), with the bytes it keeps alive. */
export interface Prepared {
  readonly bytes: number;
}

/** Default bound: peak RSS of `urdb serve` under the bench's load and random-key lookups stays under 150 MB. */
export const DEFAULT_CACHE_BYTES = 16 * 1024 * 1024;

// Estimates of V8's cost beyond the payload: a Map slot, the entry object, the array header; a page's Map slot.
const ENTRY_OVERHEAD = 160;
const PAGE_OVERHEAD = 64;
const BYTES_PER_ID = 8;

export type Lookup = 'chats' | 'units';

export class RouteLookupCache implements RouteCacheStats {
  /** Both lookups in one LRU: `c<unit>:<type>` and `u<chat>:<type>`. */
  private readonly entries = new Map<string, Entry>();
  private epoch = 0;
  private enabled = false;
  private used = 0;
  hits = 0;
  misses = 0;
  clears = 0;
  evictions = 0;

  constructor(readonly maxBytes = DEFAULT_CACHE_BYTES) {}

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
    this.entries.clear();
    this.used = 0;
  }

  /** Entries kept (both lookups). */
  get size(): number {
    return this.entries.size;
  }

  /** Bytes charged for what is kept (an estimate of the heap it holds), never above `maxBytes`. */
  get bytes(): number {
    return this.used;
  }

  /** Chat ids for (unit, report type), filling from `load` on a miss. */
  chats(unitId: number, reportTypeId: number, load: () => Promise<number[]>): Promise<readonly number[]> {
    return this.get(keyOf('chats', unitId, reportTypeId), load);
  }

  /** Unit ids for (Telegram chat id, report type), filling from `load` on a miss. */
  units(chatId: number, reportTypeId: number, load: () => Promise<number[]>): Promise<readonly number[]> {
    return this.get(keyOf('units', chatId, reportTypeId), load);
  }

  /**
   * A cache hit answered without the handler: the answer prepared for this page of the entry (built by `prepare`
   * from the ids on first use, then kept with the entry), or undefined on a miss (the caller takes the full path,
   * which fills the entry).
   */
  prepared<P extends Prepared>(lookup: Lookup, a: number, reportTypeId: number, page: string, prepare: (ids: readonly number[]) => P): P | undefined {
    if (!this.enabled) return undefined;
    const key = keyOf(lookup, a, reportTypeId);
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    this.hits++;
    this.touch(key, entry);
    const pages = (entry.pages ??= new Map());
    let answer = pages.get(page) as P | undefined;
    if (answer === undefined) {
      answer = prepare(entry.ids);
      pages.set(page, answer);
      const cost = answer.bytes + page.length * 2 + PAGE_OVERHEAD;
      entry.bytes += cost;
      this.used += cost;
      this.evict();
    }
    return answer;
  }

  private async get(key: string, load: () => Promise<number[]>): Promise<readonly number[]> {
    if (this.enabled) {
      const hit = this.entries.get(key);
      if (hit !== undefined) {
        this.hits++;
        this.touch(key, hit);
        return hit.ids;
      }
    }
    this.misses++;
    const epoch = this.epoch;
    const ids = await load();
    if (this.enabled && epoch === this.epoch) this.store(key, ids);
    return ids;
  }

  private store(key: string, ids: readonly number[]): void {
    const old = this.entries.get(key);
    if (old !== undefined) {
      // Two concurrent misses of one key: the later fill replaces the earlier (both read after the last clear).
      this.entries.delete(key);
      this.used -= old.bytes;
    }
    const entry: Entry = { ids, pages: null, bytes: ENTRY_OVERHEAD + key.length * 2 + ids.length * BYTES_PER_ID };
    if (entry.bytes > this.maxBytes) return; // never kept: it would evict everything and still not fit
    this.entries.set(key, entry);
    this.used += entry.bytes;
    this.evict();
  }

  /** Most recently used: moved to the end of the Map's order. */
  private touch(key: string, entry: Entry): void {
    this.entries.delete(key);
    this.entries.set(key, entry);
  }

  /** Least recently used first, until the total fits (the entry just stored or grown is the most recent: last). */
  private evict(): void {
    while (this.used > this.maxBytes) {
      const oldest = this.entries.entries().next();
      if (oldest.done) break;
      const [key, entry] = oldest.value;
      this.entries.delete(key);
      this.used -= entry.bytes;
      this.evictions++;
    }
  }
}

function keyOf(lookup: Lookup, a: number, reportTypeId: number): string {
  return `${lookup === 'chats' ? 'c' : 'u'}${a}:${reportTypeId}`;
}
