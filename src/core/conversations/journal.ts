// A task's journal: one JSONL file per task, written while it runs, append-only. A header line, the
// task's events (streaming deltas merged), a record of every model call and tool call that finished
// (what Resume replays instead of asking again), and an end line. A crash or a window reload leaves
// every line written so far readable; a line cut by the crash is skipped when read back.
import { appendFileSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { EngineEvent, type CallDisplay, type Totals } from '../protocol/events';
import type { Attachment } from '../engine-api';
import type { PrivacyMode } from '../config';
import type { ChatResult } from '../pool';
import type { UsagePart } from '../ledger';

export const JOURNAL_VERSION = 1;

export interface JournalHeader {
  type: 'header';
  version: number;
  taskId: string;
  conversationId: string;
  /** The task this one follows in its conversation (its context); absent for the first question. */
  parentTaskId?: string;
  question: string;
  attachments: Attachment[];
  preferRole?: 'code' | 'math';
  /** The orchestrator model the user asked for (a retry with another model). */
  orchestratorModel?: string;
  /** The task's own stricter privacy mode and dollar cap, when it was asked with them (a Resume keeps them). */
  privacyMode?: PrivacyMode;
  maxDollars?: number;
  startedAt: number;
}

export interface JournalEventLine {
  type: 'event';
  event: EngineEvent;
}

/** A model call that answered, as Resume replays it (by its place in the task, `key`). */
export interface JournalModelRecord {
  type: 'model';
  key: string;
  modelId: string;
  result: Pick<
    ChatResult,
    'content' | 'reasoning' | 'toolCalls' | 'toolCallErrors' | 'finishReason' | 'usage' | 'latencyMs' | 'outputBytes'
  >;
  parts: UsagePart[];
  dollars: number;
  remoteHosts: string[];
  maxTokens: number;
  lowered: boolean;
  /** What failed attempts before it (retries, fallbacks) cost. */
  failedParts: UsagePart[];
}

/** A tool call that finished (its observation), as Resume replays it. */
export interface JournalToolRecord {
  type: 'tool';
  key: string;
  tool: string;
  state: string;
  output: string;
  error?: string;
  data?: unknown;
  /** The result as its card showed it (replayed calls show it the same way). */
  display?: CallDisplay;
  model?: string;
  parts: UsagePart[];
  remoteHosts: string[];
  latencyMs: number;
  /** Whether the tool ran (false: refused before it did). */
  ran: boolean;
  /** What ran under the call and is not in `parts` (failed model attempts). */
  belowDollars: number;
}

/** A later run of the same task (Resume) starts here; events before it belong to the run it resumes. */
export interface JournalResumeLine {
  type: 'resume';
  at: number;
}

export interface JournalEnd {
  type: 'end';
  ok: boolean;
  answer?: string;
  error?: { code: string; message: string };
  totals: Totals;
  endedAt: number;
}

export type JournalLine = JournalHeader | JournalEventLine | JournalModelRecord | JournalToolRecord | JournalResumeLine | JournalEnd;

/** Deltas of one stream are merged in the file as they are in the event log (see events.ts). */
function deltaKey(e: EngineEvent): string | undefined {
  switch (e.type) {
    case 'answer_delta':
      return 'a';
    case 'orchestrator_delta':
      return `o\u0000${e.parentCallId ?? ''}\u0000${e.turn}`;
    case 'tool_call_delta':
      return `t\u0000${e.callId}`;
    default:
      return undefined;
  }
}

/** How long written lines may wait in memory: a crash loses at most this much of the stream. */
const FLUSH_MS = 200;

/** Writes one task's journal. Never throws: a write failure is kept in `error` and writing stops. */
export class TaskJournal {
  private pending: string[] = [];
  private held: EngineEvent | undefined;
  private heldKey: string | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private failure: string | undefined;

  constructor(
    readonly path: string,
    /** Removes secrets from a serialised line before it is stored. */
    private readonly scrub: (line: string) => string = (s) => s,
    /** Why it cannot be written at all (then nothing is). */
    failure?: string,
  ) {
    this.failure = failure;
    if (failure) return;
    try {
      mkdirSync(dirname(path), { recursive: true });
    } catch (err) {
      this.failure = `cannot write the task record ${path}: ${(err as Error).message}`;
    }
  }

  get error(): string | undefined {
    return this.failure;
  }

  /** Header, records and the end are written at once; events may wait a moment (see FLUSH_MS). */
  write(line: Exclude<JournalLine, JournalEventLine>): void {
    this.releaseHeld();
    this.pending.push(this.scrub(JSON.stringify(line)));
    this.flush();
  }

  event(e: EngineEvent): void {
    const key = deltaKey(e);
    if (key !== undefined && this.held && this.heldKey === key && this.held.type === e.type) {
      const held = this.held as Extract<EngineEvent, { text: string }>;
      const reset = e.type === 'answer_delta' && e.reset === true;
      this.held = {
        ...held,
        text: reset ? (e as { text: string }).text : held.text + (e as { text: string }).text,
        seq: e.seq,
        time: e.time,
        ...(reset ? { reset: true } : {}),
      };
      this.schedule();
      return;
    }
    this.releaseHeld();
    if (key !== undefined) {
      this.held = { ...e };
      this.heldKey = key;
      this.schedule();
      return;
    }
    this.pending.push(this.scrub(JSON.stringify({ type: 'event', event: e } satisfies JournalEventLine)));
    if (e.type === 'done' || e.type === 'error' || e.type === 'tool_call_finished' || e.type === 'task_started') this.flush();
    else this.schedule();
  }

  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.releaseHeld();
    if (!this.pending.length || this.failure) {
      this.pending = [];
      return;
    }
    try {
      appendFileSync(this.path, this.pending.join('\n') + '\n');
    } catch (err) {
      this.failure = `cannot write the task record ${this.path}: ${(err as Error).message}`;
    }
    this.pending = [];
  }

  private releaseHeld(): void {
    if (!this.held) return;
    this.pending.push(this.scrub(JSON.stringify({ type: 'event', event: this.held } satisfies JournalEventLine)));
    this.held = undefined;
    this.heldKey = undefined;
  }

  private schedule(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => this.flush(), FLUSH_MS);
    this.timer.unref?.();
  }
}

export interface ParsedJournal {
  header?: JournalHeader;
  /** Events of the latest run (a resumed task's earlier runs are left out). */
  events: EngineEvent[];
  models: Map<string, JournalModelRecord>;
  tools: Map<string, JournalToolRecord>;
  /** How many times the task was resumed. */
  resumes: number;
  end?: JournalEnd;
  /** Lines that could not be read (a line cut by a crash is the usual one). */
  problems: Array<{ line: number; message: string }>;
}

/** Reads a journal's text; bad lines are reported, never fatal. */
export function parseJournal(text: string): ParsedJournal {
  const out: ParsedJournal = { events: [], models: new Map(), tools: new Map(), resumes: 0, problems: [] };
  const lines = text.split('\n');
  lines.forEach((raw, i) => {
    if (!raw.trim()) return;
    let obj: JournalLine;
    try {
      obj = JSON.parse(raw) as JournalLine;
    } catch {
      out.problems.push({ line: i + 1, message: 'not JSON (cut short?)' });
      return;
    }
    switch (obj?.type) {
      case 'header':
        if (obj.version !== JOURNAL_VERSION) out.problems.push({ line: i + 1, message: `journal version ${obj.version}` });
        out.header = obj;
        break;
      case 'event': {
        const parsed = EngineEvent.safeParse(obj.event);
        if (parsed.success) out.events.push(parsed.data);
        else out.problems.push({ line: i + 1, message: 'invalid event' });
        break;
      }
      case 'model':
        out.models.set(obj.key, obj);
        break;
      case 'tool':
        out.tools.set(obj.key, obj);
        break;
      case 'resume':
        out.resumes++;
        out.events = [];
        out.end = undefined;
        break;
      case 'end':
        out.end = obj;
        break;
      default:
        out.problems.push({ line: i + 1, message: 'unknown line' });
    }
  });
  return out;
}

export function readJournal(path: string): ParsedJournal | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
  return parseJournal(text);
}
