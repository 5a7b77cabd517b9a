// How cost reads when part of it has no dollar figure: calls on models a subscription covers, or whose
// price nobody states (VS Code language models). Shared by the CLI, the panel, the Chat view and MCP,
// so a price that is not known is never shown as $0 anywhere.
import type { Totals, UnpricedCalls, UnpricedKind } from './events';

/** "2 calls covered by a subscription (lm:copilot:gpt-4o)"; empty when every call had a price. */
export function unpricedText(unpriced: readonly UnpricedCalls[] | undefined): string {
  if (!unpriced?.length) return '';
  const out: string[] = [];
  for (const kind of ['subscription', 'unknown'] as const) {
    const of = unpriced.filter((u) => u.pricing === kind);
    if (!of.length) continue;
    const calls = of.reduce((n, u) => n + u.calls, 0);
    const what = kind === 'subscription' ? 'covered by a subscription' : 'of unknown price';
    out.push(`${calls} call${calls === 1 ? '' : 's'} ${what} (${of.map((u) => u.model).join(', ')})`);
  }
  return out.join('; ');
}

/** One call's cost marker instead of "$0": what the card or line shows for an unpriced call. */
export function unpricedLabel(pricing: UnpricedKind): string {
  return pricing === 'subscription' ? 'subscription' : 'price unknown';
}

/** `dollars` in words with the unpriced calls after it: "$0.0012 + 2 calls covered by a subscription (…)". */
export function costSummary(t: Pick<Totals, 'dollars' | 'estimated' | 'unpriced'>, dollars: (d: number) => string): string {
  const extra = unpricedText(t.unpriced);
  const priced = `${t.estimated ? '~' : ''}${dollars(t.dollars)}`;
  if (!extra) return priced;
  return t.dollars > 0 ? `${priced} + ${extra}` : extra;
}
