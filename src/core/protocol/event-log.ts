// The conversation's event log, shared by the panel (kept with setState) and the extension (kept in
// workspaceState). Streaming deltas are merged into the previous delta of the same stream so a long
// answer is one event, not thousands, and stored copies cut long tool results. Pure and DOM-free:
// the extension imports it too.
import type { EngineEvent, EventOf } from './events';
import { capDisplay } from '../tools/display';

type Delta = EventOf<'answer_delta'> | EventOf<'orchestrator_delta'> | EventOf<'tool_call_delta'>;

function deltaKey(e: EngineEvent): string | undefined {
  switch (e.type) {
    case 'answer_delta':
      return `a\u0000${e.taskId}`;
    case 'orchestrator_delta':
      return `o\u0000${e.taskId}\u0000${e.parentCallId ?? ''}\u0000${e.turn}`;
    case 'tool_call_delta':
      return `t\u0000${e.callId}`;
    default:
      return undefined;
  }
}

export class EventLog {
  readonly events: EngineEvent[] = [];
  /** Index in `events` of the last delta of each stream, so the next delta appends to it. */
  private readonly lastDelta = new Map<string, number>();
  /** Top-level tasks seen starting. */
  private readonly started = new Set<string>();

  static from(events: readonly EngineEvent[]): EventLog {
    const log = new EventLog();
    for (const e of events) log.append(e);
    return log;
  }

  append(e: EngineEvent): void {
    // A task that starts again (Resume) replaces what its earlier run showed.
    if (e.type === 'task_started' && !e.parentCallId && this.started.has(e.taskId)) this.dropTask(e.taskId);
    if (e.type === 'task_started' && !e.parentCallId) this.started.add(e.taskId);
    const key = deltaKey(e);
    if (key !== undefined) {
      const at = this.lastDelta.get(key);
      if (at !== undefined) {
        const prev = this.events[at] as Delta;
        // Copy rather than mutate: the caller may still hold the previous event object. A reset
        // answer delta replaces what came before it (see events.ts).
        const reset = e.type === 'answer_delta' && e.reset === true;
        const text = reset ? e.text : prev.text + (e as Delta).text;
        this.events[at] = reset
          ? { ...(prev as EventOf<'answer_delta'>), text, reset: true, seq: e.seq, time: e.time }
          : { ...prev, text, seq: e.seq, time: e.time };
        return;
      }
      this.lastDelta.set(key, this.events.length);
    }
    this.events.push({ ...e });
  }

  get length(): number {
    return this.events.length;
  }

  private dropTask(taskId: string): void {
    const kept = this.events.filter((e) => e.taskId !== taskId);
    this.events.length = 0;
    this.lastDelta.clear();
    this.started.clear();
    for (const e of kept) this.append(e);
  }
}

export interface StorageLimits {
  /** Tool results longer than this are cut (the preview stays whole). */
  maxResultChars: number;
}

/** A copy fit for storage: long tool results cut, live tool output dropped once the call finished. */
export function compactForStorage(events: readonly EngineEvent[], limits: StorageLimits): EngineEvent[] {
  const finished = new Set<string>();
  for (const e of events) if (e.type === 'tool_call_finished') finished.add(e.callId);
  const out: EngineEvent[] = [];
  for (const e of events) {
    if (e.type === 'tool_call_delta' && finished.has(e.callId)) continue;
    if (e.type === 'tool_call_finished' && e.result.length > limits.maxResultChars) {
      out.push({
        ...e,
        result: `${e.result.slice(0, limits.maxResultChars)}\n… (${e.result.length - limits.maxResultChars} more characters not kept in history)`,
        // What the card shows is kept to about the same size.
        ...(e.display ? { display: capDisplay(e.display, limits.maxResultChars) } : {}),
      });
      continue;
    }
    out.push(e);
  }
  return out;
}

export interface ConversationSummary {
  title: string;
  startedAt: number;
  dollars: number;
  taskCount: number;
}

/** Title, start time, spend and task count of a conversation, from its events. */
export function summarize(events: readonly EngineEvent[]): ConversationSummary {
  const subtasks = new Set<string>();
  const topTasks: string[] = [];
  let title = '';
  let startedAt = 0;
  const spent = new Map<string, number>();
  for (const e of events) {
    if (e.type === 'task_started') {
      if (e.parentCallId) {
        subtasks.add(e.taskId);
        continue;
      }
      if (!topTasks.includes(e.taskId)) topTasks.push(e.taskId);
      if (!title) title = e.question;
      if (!startedAt) startedAt = e.time;
    }
    if (subtasks.has(e.taskId)) continue;
    if (e.type === 'cost_update' || e.type === 'done' || e.type === 'error') spent.set(e.taskId, e.totals.dollars);
  }
  let dollars = 0;
  for (const [taskId, d] of spent) if (topTasks.includes(taskId)) dollars += d;
  return {
    title: title.replace(/\s+/g, ' ').trim().slice(0, 200),
    startedAt: startedAt || (events[0]?.time ?? 0),
    dollars,
    taskCount: topTasks.length,
  };
}
