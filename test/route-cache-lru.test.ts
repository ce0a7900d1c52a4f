// The route cache's memory bound (bytes, not entries) and its eviction order (least recently used). Correctness
// tests of the data structure, no database and no timing.
import { describe, expect, it } from 'vitest';
import { RouteLookupCache } from '../src/cache/route-lookup';
// @ts-expect-error: a plain ES module of the bench (the seeded generator the load uses)
import { random } from './bench/requests.mjs';

const ids = (n: number) => Array.from({ length: n }, (_, i) => i);
/** Fills (unit, type 1) with `n` chat ids; resolves whether the load ran (a miss). */
async function fill(c: RouteLookupCache, unit: number, n = 1): Promise<boolean> {
  let loaded = false;
  await c.chats(unit, 1, async () => ((loaded = true), ids(n)));
  return loaded;
}

describe('route cache bound', () => {
  it('evicts the least recently used entry, not the oldest', async () => {
    const probe = new RouteLookupCache();
    probe.enable();
    await fill(probe, 1);
    const one = probe.bytes; // what one entry of one id costs
    const c = new RouteLookupCache(3 * one);
    c.enable();
    for (const unit of [1, 2, 3]) expect(await fill(c, unit)).toBe(true);
    expect(await fill(c, 1)).toBe(false); // a hit: 1 is now the most recently used
    expect(await fill(c, 4)).toBe(true); // evicts 2, the least recently used
    expect(c.size).toBe(3);
    expect(c.evictions).toBe(1);
    expect(await fill(c, 1)).toBe(false);
    expect(await fill(c, 3)).toBe(false);
    expect(await fill(c, 4)).toBe(false);
    expect(await fill(c, 2)).toBe(true); // was evicted
  });

  it('counts bytes: a long id list weighs more than a short one, and never more than the bound is kept', async () => {
    const c = new RouteLookupCache(64 * 1024);
    c.enable();
    await fill(c, 1, 1);
    const small = c.bytes;
    await fill(c, 2, 1000);
    expect(c.bytes - small).toBeGreaterThan(1000 * 8);
    const seed = Number(process.env.URDB_TEST_SEED ?? 14);
    console.log(`route cache bound: seed ${seed} (URDB_TEST_SEED)`);
    const next = random(seed);
    for (let i = 0; i < 5000; i++) {
      await fill(c, Math.floor(next() * 2000), Math.floor(next() * 200));
      expect(c.bytes).toBeLessThanOrEqual(c.maxBytes);
    }
    expect(c.size).toBeGreaterThan(10);
    expect(c.evictions).toBeGreaterThan(0);
  });

  it('charges prepared answers to their entry, and keeps nothing larger than the bound', async () => {
    const c = new RouteLookupCache(4096);
    c.enable();
    await fill(c, 1);
    const before = c.bytes;
    const answer = c.prepared('chats', 1, 1, '100:0', (list) => ({ bytes: 500, list }));
    expect(answer?.list).toEqual([0]);
    expect(c.bytes).toBeGreaterThan(before + 500);
    expect(c.prepared('chats', 1, 1, '100:0', () => ({ bytes: 1, list: [] }))).toBe(answer); // built once
    expect(c.prepared('chats', 9, 1, '100:0', () => ({ bytes: 1 }))).toBeUndefined(); // a miss
    expect(await fill(c, 2, 10_000)).toBe(true); // 80 kB of ids: answered, not kept
    expect(await fill(c, 2, 10_000)).toBe(true);
    expect(c.bytes).toBeLessThanOrEqual(4096);
    expect(await fill(c, 1)).toBe(false); // and it evicted nothing to try
  });

  it('a fill that raced with a clear is not stored, and bytes go back to zero on clear', async () => {
    const c = new RouteLookupCache();
    c.enable();
    await fill(c, 1, 50);
    expect(c.bytes).toBeGreaterThan(0);
    c.clear();
    expect(c.bytes).toBe(0);
    expect(c.size).toBe(0);
  });
});
