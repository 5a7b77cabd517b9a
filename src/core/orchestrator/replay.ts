// Resume without paying twice. Every model call that answered and every tool call that finished is
// recorded in the task's journal under its place in the task (its key: scope, turn, call, model call
// — the same in every run). A resumed run answers those from the record instead of asking again:
// same reply, same cost (charged to the budget and the ledger as it was then), same events; only
// what was interrupted runs for real.
import type { JournalModelRecord, JournalToolRecord } from '../conversations/journal';
import type { ChatDelta, ChatResult, ModelPool } from '../pool';
import { Reservation, type Budget } from '../budget';
import type { Ledger, UsagePart } from '../ledger';
import type { Tool } from '../tools/tool';
import { newId } from '../ids';

/** What an earlier run of the task left: its records by key. */
export interface ReplaySource {
  models: Map<string, JournalModelRecord>;
  tools: Map<string, JournalToolRecord>;
}

/** Charges what a replayed call cost when it ran (it was paid then; it counts against this run's budget too). */
export function charge(budget: Budget, dollars: number): void {
  if (dollars > 0) new Reservation(0, budget).settle(dollars);
}

/** Tools whose results are replayed: not agents (their subtasks replay call by call, so their cards come back), not tools that change their dialect's own state. */
export function replayable(tool: Tool): boolean {
  return tool.kind !== 'agent' && !tool.restartOnResume;
}

/** Failed attempts before a recorded reply (retries, fallbacks) go back into the ledger as they were. */
export function replayFailedAttempts(
  ledger: Ledger,
  parts: UsagePart[],
  o: { callId: string; purpose: string; turn: number; remoteHost: (modelId: string) => string | undefined },
): void {
  const now = Date.now();
  for (const part of parts) {
    const host = o.remoteHost(part.model);
    ledger.record({
      callId: newId('try'),
      parentCallId: o.callId,
      tool: o.purpose,
      model: part.model,
      turn: o.turn,
      state: 'error',
      parts: [part],
      usage: part.usage,
      dollars: part.dollars,
      latencyMs: 0,
      remoteHosts: host ? [host] : [],
      startedAt: now,
      finishedAt: now,
    });
  }
}

/** The recorded reply as the pool would have returned it, with its deltas replayed to `onDelta`. */
export function replayedResult(rec: JournalModelRecord, onDelta?: (d: ChatDelta) => void): ChatResult {
  if (onDelta) {
    if (rec.result.reasoning) onDelta({ reasoning: rec.result.reasoning });
    if (rec.result.content) onDelta({ content: rec.result.content });
    // Each call at its stream position, so its card is shown and then taken over as when it was written (live-calls.ts).
    rec.result.toolCalls.forEach((c, index) =>
      onDelta({
        toolCall: {
          index: c.streamIndex ?? index,
          origin: c.source === 'native' ? 'native' : 'text',
          name: c.name,
          arguments: c.rawArguments || JSON.stringify(c.arguments ?? {}),
        },
      }),
    );
  }
  const r = rec.result;
  // The reply as counted for billing; a replayed call is charged as recorded, never counted again.
  const reply = {
    content: r.content,
    reasoning: r.reasoning ?? '',
    toolCalls: r.toolCalls.map((c) => ({ name: c.name, arguments: c.rawArguments || JSON.stringify(c.arguments ?? {}) })),
  };
  return { ...r, modelId: rec.modelId, rawContent: r.content, attempts: [], reply };
}

export function remoteHostOf(pool: ModelPool): (modelId: string) => string | undefined {
  return (id) => {
    const m = pool.get(id);
    return m && !m.local ? m.host : undefined;
  };
}
