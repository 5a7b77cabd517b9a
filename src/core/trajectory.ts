// JSONL trajectories: one task as a header line, one line per event, model call and message, and a
// final line with the totals. Documented in docs/TRAJECTORY.md; `readTrajectory` turns a file back
// into the same events the engine emitted (for `orchestra replay` and for training data).
import { appendFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { EngineEvent, type Totals } from './protocol/events';
import type { ModelInfo } from './engine-api';

export const TRAJECTORY_VERSION = 1;

/** A pool model as `listModels` describes it, less its address and measured latency. */
export type TrajectoryPoolEntry = Omit<ModelInfo, 'baseUrl' | 'latencyMs'>;

export interface TrajectoryHeader {
  type: 'header';
  version: number;
  taskId: string;
  question: string;
  attachments: Array<{ kind: string; path: string; startLine?: number; endLine?: number; chars: number }>;
  startedAt: number;
  dialect: 'general' | 'toolorchestra';
  orchestratorModel: string;
  privacyMode: string;
  preferences: unknown;
  budget: unknown;
  concurrency: number;
  pool: TrajectoryPoolEntry[];
  tools: Array<{ name: string; kind: string; description: string }>;
}

/** One request to a model and what came back: the raw material for training orchestrators. */
export interface TrajectoryModelCall {
  type: 'model_call';
  callId: string;
  parentCallId?: string;
  turn: number;
  /** 'orchestrator' for the orchestrator's own turns; else the tool that called the model. */
  purpose: string;
  model: string;
  messages: unknown[];
  tools?: unknown[];
  maxTokens?: number;
  response: {
    content: string;
    reasoning?: string;
    toolCalls: Array<{ id: string; name: string; arguments: unknown; source: string }>;
    toolCallErrors: string[];
    finishReason: string;
  };
  usage?: unknown;
  dollars: number;
  latencyMs: number;
}

export interface TrajectoryEventLine {
  type: 'event';
  event: EngineEvent;
}

export interface TrajectoryEnd {
  type: 'end';
  ok: boolean;
  answer?: string;
  error?: { code: string; message: string };
  totals: Totals;
  /** Per subtask (`subtask` call id) totals, rolled up. */
  subtasks: Array<{ callId: string; parentCallId?: string; task: string; totals: Totals }>;
}

export type TrajectoryLine = TrajectoryHeader | TrajectoryModelCall | TrajectoryEventLine | TrajectoryEnd;

/**
 * Collects the lines of one task in memory (for `Engine.trajectory`) and, when a path is given,
 * appends them to the file in batches so a long task leaves a readable file even if it crashes.
 */
export class TrajectoryWriter {
  private readonly lines: string[] = [];
  private flushedUpTo = 0;
  private fileError?: string;

  constructor(
    private readonly path: string | undefined,
    /** Removes secrets from a serialised line before it is stored anywhere. */
    private readonly scrub: (line: string) => string = (s) => s,
  ) {
    if (path) {
      try {
        mkdirSync(dirname(path), { recursive: true });
        writeFileSync(path, '');
      } catch (err) {
        this.fileError = `cannot write trajectory ${path}: ${(err as Error).message}`;
      }
    }
  }

  get error(): string | undefined {
    return this.fileError;
  }

  write(line: TrajectoryLine): void {
    this.lines.push(this.scrub(JSON.stringify(line)));
    if (this.lines.length - this.flushedUpTo >= 64) this.flush();
  }

  flush(): void {
    if (!this.path || this.fileError || this.flushedUpTo >= this.lines.length) return;
    try {
      appendFileSync(this.path, this.lines.slice(this.flushedUpTo).join('\n') + '\n');
      this.flushedUpTo = this.lines.length;
    } catch (err) {
      this.fileError = `cannot write trajectory ${this.path}: ${(err as Error).message}`;
    }
  }

  text(): string {
    return this.lines.length ? this.lines.join('\n') + '\n' : '';
  }
}

export interface ParsedTrajectory {
  header?: TrajectoryHeader;
  events: EngineEvent[];
  modelCalls: TrajectoryModelCall[];
  end?: TrajectoryEnd;
  /** Lines that could not be read, with their 1-based line number. */
  problems: Array<{ line: number; message: string }>;
}

/** Reads a JSONL trajectory back; bad lines are reported, never fatal. */
export function readTrajectory(text: string): ParsedTrajectory {
  const out: ParsedTrajectory = { events: [], modelCalls: [], problems: [] };
  const lines = text.split('\n');
  lines.forEach((raw, i) => {
    const line = raw.trim();
    if (!line) return;
    let obj: Record<string, unknown>;
    try {
      const value: unknown = JSON.parse(line);
      if (!value || typeof value !== 'object' || Array.isArray(value)) throw new Error('a line must be a JSON object');
      obj = value as Record<string, unknown>;
    } catch (err) {
      out.problems.push({ line: i + 1, message: `not JSON: ${(err as Error).message}` });
      return;
    }
    switch (obj.type) {
      case 'header':
        if (obj.version !== TRAJECTORY_VERSION)
          out.problems.push({
            line: i + 1,
            message: `trajectory version ${JSON.stringify(obj.version)}, this reader knows ${TRAJECTORY_VERSION}`,
          });
        out.header = obj as unknown as TrajectoryHeader;
        break;
      case 'event': {
        const parsed = EngineEvent.safeParse(obj.event);
        if (parsed.success) out.events.push(parsed.data);
        else out.problems.push({ line: i + 1, message: `invalid event: ${parsed.error.issues[0]?.message ?? 'unknown'}` });
        break;
      }
      case 'model_call':
        out.modelCalls.push(obj as unknown as TrajectoryModelCall);
        break;
      case 'end':
        out.end = obj as unknown as TrajectoryEnd;
        break;
      default:
        out.problems.push({ line: i + 1, message: `unknown line type ${JSON.stringify(obj.type)}` });
    }
  });
  if (!out.header) out.problems.unshift({ line: 0, message: 'no header line: not an Orchestra trajectory' });
  return out;
}
