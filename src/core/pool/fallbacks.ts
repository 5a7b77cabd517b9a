// The order in which the pool tries other models when one fails: the model's own `fallbacks`, in the
// user's order, when it lists them; otherwise the other models sharing one of its roles, those that are
// down (every replica's breaker open) and those that keep failing last.

export interface FallbackCandidate {
  id: string;
  roles: readonly string[];
  /** Consecutive failed calls. */
  failures: number;
  fallbacks?: readonly string[];
}

/** The chain after `primary`: whom to try next, in order. `eligible` is the caller's rules (privacy, budget, context). */
export function fallbackChain<M extends FallbackCandidate>(
  primary: M,
  all: readonly M[],
  eligible: (m: M) => boolean,
  isDown: (m: M) => boolean,
): M[] {
  if (primary.fallbacks?.length) {
    const out: M[] = [];
    for (const id of primary.fallbacks) {
      const m = all.find((x) => x.id === id);
      if (m && m !== primary && !out.includes(m) && eligible(m)) out.push(m);
    }
    return out;
  }
  return all
    .map((m, i) => ({ m, i }))
    .filter(({ m }) => m !== primary && m.roles.some((r) => primary.roles.includes(r)) && eligible(m))
    .sort((a, b) => Number(isDown(a.m)) - Number(isDown(b.m)) || a.m.failures - b.m.failures || a.i - b.i)
    .map((x) => x.m);
}
