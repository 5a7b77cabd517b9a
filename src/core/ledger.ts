// Every call of a task tree, accounted: tool, model, tokens in/out (reported or estimated), dollars,
// latency, state, and the call it ran under. Totals roll up from subtasks into their parents, so a
// delegated subtask's spend is never missing from the task total.
import type { CallState, Totals, UnpricedCalls, UnpricedKind, Usage } from './protocol/events';

/**
 * One model's share of a call: what it consumed and what that cost (the provider's reported cost when
 * it sent one, else tokens × its prices).
 */
export interface UsagePart {
  model: string;
  usage: Usage;
  dollars: number;
  /**
   * Set when a paid model was sent the request but nothing tells what it consumed (it timed out or
   * was cancelled before answering, or answered unreadably): the provider may still bill it. Such a
   * part counts 0 tokens and $0 but is marked estimated, so totals show "~$"/"partly estimated"
   * instead of a confident figure.
   */
  costUnknown?: true;
  /** The model's price is a subscription or unknown: `dollars` is 0 and says nothing about the bill. */
  pricing?: UnpricedKind;
}

/** The part of a paid attempt whose cost cannot be known (see `UsagePart.costUnknown`). */
export function unknownCostPart(model: string): UsagePart {
  return { model, usage: { inputTokens: 0, outputTokens: 0, estimated: true }, dollars: 0, costUnknown: true };
}

export interface LedgerEntry {
  callId: string;
  /** The call this one ran under (a subtask of a `delegate` call); undefined at the top level. */
  parentCallId?: string;
  tool: string;
  /** The model that served the call (the last one when a fallback happened). */
  model?: string;
  turn: number;
  state: CallState;
  parts: UsagePart[];
  usage?: Usage;
  dollars: number;
  latencyMs: number;
  /** Non-local hosts that received data for this call (failed attempts included). */
  remoteHosts: string[];
  startedAt: number;
  finishedAt: number;
  /** Why the call did not succeed, when it did not (a cut call, an unknown tool, a schema error…). */
  error?: string;
}

export function sumUsage(parts: UsagePart[]): Usage | undefined {
  if (!parts.length) return undefined;
  const cached = parts.reduce((s, p) => s + (p.usage.cachedInputTokens ?? 0), 0);
  // A reported cost stands for the call only when every part has one; otherwise the sum would pass
  // a partial figure off as the provider's bill.
  const reported = parts.every((p) => p.usage.reportedDollars !== undefined)
    ? parts.reduce((s, p) => s + (p.usage.reportedDollars ?? 0), 0)
    : undefined;
  return {
    inputTokens: parts.reduce((s, p) => s + p.usage.inputTokens, 0),
    outputTokens: parts.reduce((s, p) => s + p.usage.outputTokens, 0),
    estimated: parts.some((p) => p.usage.estimated),
    ...(cached > 0 ? { cachedInputTokens: cached } : {}),
    ...(reported !== undefined ? { reportedDollars: reported } : {}),
  };
}

export class Ledger {
  readonly entries: LedgerEntry[] = [];
  private readonly parents = new Map<string, string | undefined>();
  private readonly scopeStarted = new Map<string, number>();
  private readonly scopeFinished = new Map<string, number>();

  constructor(readonly startedAt = Date.now()) {}

  /** Declares a call before it runs, so totals of a scope include its children while they run. */
  link(callId: string, parentCallId: string | undefined): void {
    this.parents.set(callId, parentCallId);
  }

  /** Marks the start and end of a scope (a subtask), for its wall time. */
  openScope(callId: string, at = Date.now()): void {
    this.scopeStarted.set(callId, at);
  }
  closeScope(callId: string, at = Date.now()): void {
    this.scopeFinished.set(callId, at);
  }

  record(entry: LedgerEntry): void {
    this.link(entry.callId, entry.parentCallId);
    this.entries.push(entry);
  }

  /** True when `callId` is `scope` or runs (transitively) under it. */
  isWithin(callId: string | undefined, scope: string): boolean {
    const seen = new Set<string>();
    for (let c = callId; c !== undefined && !seen.has(c); c = this.parents.get(c)) {
      if (c === scope) return true;
      seen.add(c);
    }
    return false;
  }

  /** Totals of the whole task, or of one subtask scope (its calls and its sub-subtasks' calls). */
  totals(scope?: string, now = Date.now()): Totals {
    const picked = scope === undefined ? this.entries : this.entries.filter((e) => e.callId !== scope && this.isWithin(e.callId, scope));
    let dollars = 0;
    let inputTokens = 0;
    let outputTokens = 0;
    let estimated = false;
    const models = new Set<string>();
    const hosts = new Set<string>();
    const unpriced = new Map<string, UnpricedCalls>();
    for (const e of picked) {
      dollars += e.dollars;
      for (const p of e.parts) {
        inputTokens += p.usage.inputTokens;
        outputTokens += p.usage.outputTokens;
        if (p.usage.estimated) estimated = true;
        models.add(p.model);
        if (p.pricing) {
          const u = unpriced.get(p.model);
          if (u) u.calls++;
          else unpriced.set(p.model, { model: p.model, pricing: p.pricing, calls: 1 });
        }
      }
      if (e.model) models.add(e.model);
      for (const h of e.remoteHosts) hosts.add(h);
    }
    const start = scope === undefined ? this.startedAt : (this.scopeStarted.get(scope) ?? this.startedAt);
    const end = scope === undefined ? now : (this.scopeFinished.get(scope) ?? now);
    return {
      dollars,
      inputTokens,
      outputTokens,
      calls: picked.length,
      wallMs: Math.max(0, end - start),
      models: [...models],
      remoteHosts: [...hosts].sort(),
      estimated,
      ...(unpriced.size ? { unpriced: [...unpriced.values()] } : {}),
    };
  }
}
