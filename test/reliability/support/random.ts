// Seeded randomness for the reliability suite. The seed comes from ORCHESTRA_SEED or is drawn at
// random, and is printed, so a failing run is reproduced with `ORCHESTRA_SEED=<seed> npm run test:stress`.

/** True for `npm run test:stress` (ORCHESTRA_STRESS=1): hundreds of runs instead of dozens. */
export const STRESS = process.env.ORCHESTRA_STRESS === '1';

export function suiteSeed(suite: string): number {
  const fromEnv = process.env.ORCHESTRA_SEED;
  const seed = fromEnv !== undefined && fromEnv !== '' ? Number(fromEnv) >>> 0 : (Math.random() * 2 ** 32) >>> 0;
  if (fromEnv !== undefined && fromEnv !== '' && !Number.isFinite(Number(fromEnv)))
    throw new Error(`ORCHESTRA_SEED must be a number, got "${fromEnv}"`);
  console.log(`[${suite}] seed ${seed} (reproduce with ORCHESTRA_SEED=${seed})`);
  return seed;
}

/** mulberry32: small, fast and good enough to pick faults and configurations. */
export class Rng {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)];
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  /** A derived generator, so one task's draws do not shift another's. */
  fork(): Rng {
    return new Rng((this.next() * 2 ** 32) >>> 0);
  }
}

/** Fails with a clear message when `p` has not settled within `ms` (a hang is a failure, not a stall). */
export async function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`hang: ${what} did not finish within ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
