/**
 * Seeds of the randomised tests (fuzz-api, fuzz-parsers, concurrency). `FUZZ_SEED=<n>` replays that seed alone,
 * `FUZZ_SEED=<n>,<m>,…` a whole run (concurrency shares its seeds among its clients: replay it with its list).
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
    const seeds = replay.split(',').map((part) => Number(part.trim()));
    if (!seeds.every(Number.isSafeInteger)) throw new Error(`FUZZ_SEED takes an integer or a list of them, not ${JSON.stringify(replay)}`);
    console.log(`${file}: seeds ${seeds.join(', ')} (FUZZ_SEED)`);
    return seeds;
  }
  const seeds = [...new Set([...regressions, ...FIXED_SEEDS, crypto.randomInt(2 ** 31 - 1)])];
  console.log(`${file}: seeds ${seeds.join(', ')}, the last one random (replay with FUZZ_SEED=${seeds.join(',')}, or one of them)`);
  return seeds;
}

/** One seed's share of `runs` runs (scaled by FUZZ_RUNS), at least one. */
export function share(runs: number, seeds: readonly number[]): number {
  return Math.max(1, Math.round((runs * SCALE) / seeds.length));
}
