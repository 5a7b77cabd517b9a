// What `orchestra models` adds under the pool table: each model's replicas with their circuit-breaker
// state and load.
import type { ModelInfo } from '../core/engine-api';

/** One line per address of a model with replicas (or with an address that is down); none otherwise. */
export function replicaLines(m: ModelInfo): string[] {
  if (!m.replicas?.length) return [];
  const now = Date.now();
  return [
    `  ${m.id}: ${m.replicas.length} ${m.replicas.length === 1 ? 'address' : 'replicas'}`,
    ...m.replicas.map((r) => {
      const state = r.state === 'closed' ? 'up' : r.state === 'open' ? 'DOWN (circuit open)' : 'checking (half-open)';
      const cooling = r.coolingUntil && r.coolingUntil > now ? `, waiting ${Math.ceil((r.coolingUntil - now) / 1000)} s (429)` : '';
      const last = r.lastError ? ` — last error: ${r.lastError}` : '';
      return `    ${r.url}  ${state}, ${r.inFlight} in flight, ${r.sent} sent${cooling}${last}`;
    }),
  ];
}
