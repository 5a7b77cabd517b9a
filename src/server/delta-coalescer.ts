// Streaming deltas arrive one token at a time; sending each as its own JSON-RPC notification costs
// more than the token itself all the way to the panel. The coalescer merges consecutive deltas of
// one stream into one event, sent a few milliseconds later or at once when anything else is sent, so
// the order of events never changes and `seq` stays increasing (a merged delta carries the seq and
// time of the last delta in it; see events.ts).
import type { EngineEvent, EventOf } from '../core/protocol/events';

export type DeltaEvent = EventOf<'answer_delta'> | EventOf<'orchestrator_delta'> | EventOf<'tool_call_delta'>;

/** Held deltas are sent after this long at most. */
export const COALESCE_MS = 5;
/** A merged delta is sent at once when its text reaches this size. */
export const COALESCE_MAX_CHARS = 32 * 1024;

/**
 * Whether `e` is a delta the coalescer may hold: the right type with the fields merging relies on.
 * Anything else (a malformed delta too) passes straight through to full validation.
 */
export function isMergeableDelta(e: EngineEvent): e is DeltaEvent {
  const t = e.type;
  if (t !== 'answer_delta' && t !== 'orchestrator_delta' && t !== 'tool_call_delta') return false;
  const d = e;
  return (
    typeof d.text === 'string' && typeof d.taskId === 'string' && Number.isSafeInteger(d.seq) && d.seq >= 0 && typeof d.time === 'number'
  );
}

/** Whether `next` continues the stream of `held`: same kind, task, and turn or call. */
function sameStream(held: DeltaEvent, next: DeltaEvent): boolean {
  if (held.type !== next.type || held.taskId !== next.taskId || next.seq <= held.seq) return false;
  switch (held.type) {
    case 'answer_delta':
      return true;
    case 'orchestrator_delta': {
      const n = next as EventOf<'orchestrator_delta'>;
      return held.turn === n.turn && held.parentCallId === n.parentCallId;
    }
    case 'tool_call_delta':
      return held.callId === (next as EventOf<'tool_call_delta'>).callId;
  }
}

export class DeltaCoalescer {
  private held: DeltaEvent | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    /** Receives every event, merged deltas included, in order. */
    private readonly send: (e: EngineEvent) => void,
    private readonly delayMs = COALESCE_MS,
    private readonly maxChars = COALESCE_MAX_CHARS,
  ) {}

  push(e: EngineEvent): void {
    if (isMergeableDelta(e)) {
      const held = this.held;
      if (held && sameStream(held, e)) {
        // A reset answer delta replaces the text before it; the merged delta still resets.
        if (e.type === 'answer_delta' && e.reset) {
          held.text = e.text;
          (held as EventOf<'answer_delta'>).reset = true;
        } else held.text += e.text;
        held.seq = e.seq;
        held.time = e.time;
        if (held.text.length >= this.maxChars) this.flush();
        return;
      }
      this.flush();
      // A copy: merging must not change the object the engine (or its trajectory) still holds.
      this.held = { ...e };
      this.timer = setTimeout(() => this.flush(), this.delayMs);
      return;
    }
    this.flush();
    this.send(e);
  }

  /** Sends the held delta now, if any. */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const held = this.held;
    if (!held) return;
    this.held = undefined;
    this.send(held);
  }
}
