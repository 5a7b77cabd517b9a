// Streaming deltas arrive one token at a time; sending each as its own JSON-RPC notification costs
// more than the token itself all the way to the panel. The coalescer merges the deltas of each
// stream into one event, sent a few milliseconds later or at once when anything else is sent, so
// each stream's order never changes, no delta passes another event, and `seq` stays increasing (a
// merged delta carries the seq and time of the last delta in it; see events.ts).
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

/** Which stream a delta belongs to: its kind, task, and turn or call. */
function streamKey(e: DeltaEvent): string {
  switch (e.type) {
    case 'answer_delta':
      return `a\0${e.taskId}`;
    case 'orchestrator_delta':
      return `o\0${e.taskId}\0${e.turn}\0${e.parentCallId ?? ''}`;
    case 'tool_call_delta':
      return `c\0${e.taskId}\0${e.callId}`;
  }
}

/**
 * One merged delta per stream is held at a time, so streams that interleave (an expert's output in
 * its card and, the same tokens, in the answer area) still merge. Held deltas are sent in the order
 * of their last seq, before anything else is sent: each stream keeps its order and seq keeps rising.
 */
export class DeltaCoalescer {
  private readonly held = new Map<string, DeltaEvent>();
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    /** Receives every event, merged deltas included, in order. */
    private readonly send: (e: EngineEvent) => void,
    private readonly delayMs = COALESCE_MS,
    private readonly maxChars = COALESCE_MAX_CHARS,
  ) {}

  push(e: EngineEvent): void {
    if (!isMergeableDelta(e)) {
      this.flush();
      this.send(e);
      return;
    }
    const key = streamKey(e);
    const held = this.held.get(key);
    if (held && e.seq > held.seq) {
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
    if (held) this.flush();
    // A copy: merging must not change the object the engine (or its trajectory) still holds.
    this.held.set(key, { ...e });
    this.timer ??= setTimeout(() => this.flush(), this.delayMs);
  }

  /** Sends the held deltas now, if any. */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.held.size) return;
    const held = [...this.held.values()].sort((x, y) => x.seq - y.seq);
    this.held.clear();
    for (const e of held) this.send(e);
  }
}
