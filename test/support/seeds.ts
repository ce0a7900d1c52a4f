/**
 * Seeds of the randomised tests (fuzz-api, fuzz-parsers, concurrency). `FUZZ_SEED=<n>` replays that seed alone.
 * Unset (CI, `npm test`), a file runs its regression seeds (every seed that ever failed there, kept for good), the
 * fixed seeds, and one random seed, printed: the run is reproducible and still explores. A file's run count is split
 * across its seeds, so more seeds do not mean a longer run; `FUZZ_RUNS=<factor>` scales it.
 */
import crypto from 'node:crypto';

/** Seeds every file runs besides its regression seeds. */
export const FIXED_SEEDS: readonly number[] = [1, 20261201];

export const SCALE = Number(process.env.FUZZ_RUNS ?? 1);

export function seedsFor(file: string, regressions: readonly number[]): number[] {
  const replay = process.env.FUZZ_SEED;
  if (replay !== undefined && replay !== '') {
    const seed = Number(replay);
    if (!Number.isSafeInteger(seed)) throw new Error(`FUZZ_SEED must be an integer, not ${JSON.stringify(replay)}`);
    console.log(`${file}: seed ${seed} (FUZZ_SEED)`);
    return [seed];
  }
  const random = crypto.randomInt(2 ** 31 - 1);
  console.log(`${file}: seeds ${[...regressions, ...FIXED_SEEDS].join(', ')} and random seed ${random} (replay one with FUZZ_SEED=<seed>)`);
  return [...new Set([...regressions, ...FIXED_SEEDS, random])];
}

/** One seed's share of `runs` runs (scaled by FUZZ_RUNS), at least one. */
export function share(runs: number, seeds: readonly number[]): number {
  return Math.max(1, Math.round((runs * SCALE) / seeds.length));
}
