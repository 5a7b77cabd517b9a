// Shared by the engine tests: config building, a recording host, and a task runner that checks the
// event stream's invariants (schema, increasing seq, exactly one terminal event, last).
import assert from 'node:assert/strict';
import { after, before, beforeEach } from 'node:test';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { parseConfig, type OrchestraConfig, type OrchestraConfigInput, type ModelEntryInput } from '../../../src/core/config';
import { createEngine, type EngineOptions } from '../../../src/core/engine';
import type { Engine, EngineHost, TaskOutcome, TaskRequest } from '../../../src/core/engine-api';
import { EngineEvent, type EventOf } from '../../../src/core/protocol/events';
import { startModelServer, type ModelServer } from '../../support/model-server';

export const FAST_POOL: EngineOptions = { pool: { backoffBaseMs: 5, maxBackoffMs: 20 } };

export function model(id: string, baseUrl: string, extra: Partial<ModelEntryInput> = {}): ModelEntryInput {
  return { id, baseUrl, model: id, roles: ['general'], ...extra };
}

export function config(input: OrchestraConfigInput): OrchestraConfig {
  const { config: c, problems } = parseConfig({ requests: { timeoutSeconds: 20, retries: 0, stream: true }, ...input });
  assert.deepEqual(problems, [], 'test config must be valid');
  return c;
}

export interface RecordingHost extends EngineHost {
  approvals: Array<{ kind: string; title: string; detail: string }>;
  logs: string[];
}

export function recordingHost(
  opts: { approve?: boolean | ((kind: string) => boolean); secrets?: Record<string, string>; trusted?: boolean } = {},
): RecordingHost {
  const host: RecordingHost = {
    approvals: [],
    logs: [],
    workspaceTrusted: opts.trusted ?? true,
    async getSecret(ref) {
      return ref.env ? opts.secrets?.[ref.env] : undefined;
    },
    async requestApproval(req) {
      host.approvals.push({ kind: req.kind, title: req.title, detail: req.detail });
      const a = opts.approve ?? false;
      return typeof a === 'function' ? a(req.kind) : a;
    },
    log(level, message) {
      host.logs.push(`${level}: ${message}`);
    },
  };
  return host;
}

export interface TaskRun {
  outcome: TaskOutcome;
  events: EngineEvent[];
  of<T extends EngineEvent['type']>(type: T): Array<EventOf<T>>;
}

/** Runs a task and checks the stream: valid events, increasing seq, one done/error, and it is last. */
export async function runTask(
  engine: Engine,
  req: Partial<TaskRequest> & { question: string },
  opts: { onEvent?: (e: EngineEvent, engine: Engine) => void; signal?: AbortSignal } = {},
): Promise<TaskRun> {
  const events: EngineEvent[] = [];
  const outcome = await engine.ask(
    { workspace: req.workspace ?? tmpdir(), ...req },
    (e) => {
      events.push(e);
      opts.onEvent?.(e, engine);
    },
    opts.signal,
  );
  for (const e of events) {
    const parsed = EngineEvent.safeParse(e);
    assert.ok(parsed.success, `event ${e.type} must match the protocol: ${parsed.success ? '' : JSON.stringify(parsed.error.issues)}`);
  }
  events.forEach((e, i) => {
    if (i > 0) assert.ok(e.seq > events[i - 1].seq, 'seq must increase');
    assert.equal(e.taskId, outcome.taskId);
  });
  const terminal = events.filter((e) => e.type === 'done' || e.type === 'error');
  assert.equal(terminal.length, 1, 'exactly one done or error event');
  assert.equal(events[events.length - 1], terminal[0], 'the terminal event comes last');
  assert.equal(events[0].type, 'task_started');
  return { outcome, events, of: (type) => events.filter((e) => e.type === type) as never };
}

export function tempWorkspace(files: Record<string, string> = {}): { dir: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'orchestra-ws-'));
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, rel)), { recursive: true });
    writeFileSync(join(dir, rel), text);
  }
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * The usual engine suite, set up from inside `describe`: a scripted model server started before the
 * suite's tests, reset before each and closed after, and a workspace holding `files`, removed after.
 * `server` forwards to the started server, so tests use it as they would the server itself.
 */
export function scriptedServerSuite(files: Record<string, string>): { server: ModelServer; ws: { dir: string; cleanup(): void } } {
  const ws = tempWorkspace(files);
  let started: ModelServer | undefined;
  const server = new Proxy({} as ModelServer, {
    get(_target, key) {
      assert.ok(started, 'the model server is used before the suite started it');
      const value: unknown = Reflect.get(started, key, started);
      return typeof value === 'function' ? value.bind(started) : value;
    },
  });
  before(async () => {
    started = await startModelServer();
  });
  after(async () => {
    await started?.close();
    ws.cleanup();
  });
  beforeEach(() => started!.reset());
  return { server, ws };
}

export function newEngine(host: EngineHost, cfg: OrchestraConfig): Engine {
  return createEngine(host, cfg, FAST_POOL);
}

/** Two time intervals overlap. */
export function overlaps(a: { receivedAt: number; finishedAt?: number }, b: { receivedAt: number; finishedAt?: number }): boolean {
  assert.ok(a.finishedAt !== undefined && b.finishedAt !== undefined, 'both requests finished');
  return a.receivedAt < b.finishedAt && b.receivedAt < a.finishedAt;
}

/** The tool names the orchestrator was offered in a recorded request. */
export function toolNames(body: any): string[] {
  return (body.tools ?? []).map((t: any) => t.function.name);
}

export function lastUserOrToolText(body: any): string {
  return body.messages
    .filter((m: any) => m.role === 'tool' || m.role === 'user')
    .map((m: any) => (typeof m.content === 'string' ? m.content : JSON.stringify(m.content)))
    .join('\n');
}
