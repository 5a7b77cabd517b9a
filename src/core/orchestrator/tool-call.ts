// One tool call of an orchestrator turn, start to finish: validation against the tool's schema, the
// hard rules, approval, a concurrency slot, its time limit, stopping by the user, and the events and
// ledger entry that say how it went. Nothing here throws for a bad call: it becomes an observation.
import { setMaxListeners } from 'node:events';
import type { OrchestraConfig } from '../config';
import { CallDisplay, type CallState, type Totals, type UnpricedKind, type Usage } from '../protocol/events';
import { capDisplay } from '../tools/display';
import type { Tool, ToolContext, ToolResult } from '../tools/tool';
import type { ParsedToolCall } from '../toolcalls';
import { sumUsage, type UsagePart } from '../ledger';
import { destinationOf } from '../preferences';
import { newId } from '../ids';
import { TaskFailure, UNNAMED_CALL, abortFailure, raceAbort, type TaskTree } from './task-tree';
import type { Observation } from './observations';
import { formatZodError } from './schemas';
import { charge, replayable, replayFailedAttempts } from './replay';
import type { Budget } from '../budget';
import type { JournalToolRecord } from '../conversations/journal';
import { WholeTokens } from './whole-tokens';

const RESULT_EVENT_CAP = 64 * 1024;
const PREVIEW_CHARS = 500;
/** How long a stopped model-backed call may take to settle what it consumed (a tokenize request at most). */
const SETTLE_GRACE_MS = 10_000;

/** What a tool call needs of the scope it runs in (Scope implements it). */
export interface ToolCallScope {
  readonly tree: TaskTree;
  readonly budget: Budget;
  readonly parentCallId?: string;
  readonly signal: AbortSignal;
  meter(callId: string): { parts: UsagePart[]; remoteHosts: Set<string>; model?: string; turn?: number; key?: string };
  dropMeter(callId: string): void;
}

type Meter = ReturnType<ToolCallScope['meter']>;

/** One tool call while it runs: what its start said and what its end records. */
interface CallInFlight {
  scope: ToolCallScope;
  call: ParsedToolCall;
  tool?: Tool;
  callId: string;
  /** The name shown and recorded (a call cut before its name was written gets UNNAMED_CALL). */
  toolName: string;
  turn: number;
  /** The call's place in the task (see ScopeOptions.key). */
  key: string;
  started: number;
  meter: Meter;
  argModel?: string;
  /** Whether the tool was run (not refused, replayed or stopped before it started). */
  ran: boolean;
  /** What the running tool reports as it goes, in whole tokens (secrets are scrubbed event by event). */
  progress?: WholeTokens;
}

export async function executeToolCall(
  scope: ToolCallScope,
  call: ParsedToolCall,
  turn: number,
  tools: Map<string, Tool>,
  /** The call's place in the task (see ScopeOptions.key). */
  key: string,
  /** The call's card was shown while the model wrote it (live-calls.ts): its id. */
  presetId?: string,
): Promise<Observation> {
  const tree = scope.tree;
  const callId = presetId ?? newId('call');
  tree.ledger.link(callId, scope.parentCallId);
  const tool = tools.get(call.name);
  const willWait = !!tool && tool.kind !== 'agent' && !tree.limiter.free;
  const meter = scope.meter(callId);
  meter.turn = turn;
  meter.key = key;
  const c: CallInFlight = {
    scope,
    call,
    tool,
    callId,
    toolName: call.name || UNNAMED_CALL,
    turn,
    key,
    started: Date.now(),
    meter,
    argModel: modelArgOf(call.arguments),
    ran: false,
  };
  emitStarted(c, willWait && !call.problem ? 'queued' : 'running');

  // A call cut by the token limit or unreadable never runs; the model reads why and writes it again.
  if (call.problem) return finish(c, 'error', '', { error: call.problem.message });
  if (!tool) {
    return finish(c, 'error', '', {
      error: `not run: unknown tool "${call.name}"; the tools you can call are: ${[...tools.keys()].join(', ')}`,
    });
  }
  const parsed = tool.schema.safeParse(call.arguments ?? {});
  if (!parsed.success) {
    return finish(c, 'error', '', { error: `not run: invalid arguments for ${tool.name}: ${formatZodError(parsed.error)}` });
  }
  const args = parsed.data;
  // Finished in an earlier run of this task (Resume): its recorded result, not a second run.
  const rec = replayable(tool) ? tree.replay?.tools.get(key) : undefined;
  if (rec && rec.tool === call.name) return replayed(c, rec);
  const verdict = tree.toolVerdict(tool, args);
  if (!verdict.eligible) return finish(c, 'denied', '', { error: `denied by rule ${verdict.rule}: ${verdict.reason}` });
  return run(c, tool, args, willWait);
}

function emitStarted(c: CallInFlight, state: 'queued' | 'running'): void {
  c.scope.tree.emit({
    type: 'tool_call_started',
    callId: c.callId,
    turn: c.turn,
    tool: c.toolName,
    model: c.argModel,
    args: c.call.arguments,
    state,
    parentCallId: c.scope.parentCallId,
  });
}

/** A call finished in an earlier run: its cost charged and recorded as then, its result given again. */
function replayed(c: CallInFlight, rec: JournalToolRecord): Observation {
  const { scope, meter, call } = c;
  meter.parts.push(...rec.parts);
  for (const h of rec.remoteHosts) meter.remoteHosts.add(h);
  meter.model = rec.model;
  c.ran = rec.ran;
  if (rec.belowDollars > 0)
    replayFailedAttempts(
      scope.tree.ledger,
      [{ model: rec.model ?? call.name, usage: { inputTokens: 0, outputTokens: 0, estimated: true }, dollars: rec.belowDollars }],
      {
        callId: c.callId,
        purpose: call.name,
        turn: c.turn,
        remoteHost: () => undefined,
      },
    );
  charge(scope.budget, rec.parts.reduce((s, p) => s + p.dollars, 0) + rec.belowDollars);
  return finish(c, rec.state as CallState, rec.output, {
    error: rec.error,
    data: rec.data,
    latencyMs: rec.latencyMs,
    display: recordedDisplay(rec.display),
  });
}

/** Runs an admitted call: approval, a concurrency slot, its time limit, stopping by the user. */
async function run(c: CallInFlight, tool: Tool, args: unknown, willWait: boolean): Promise<Observation> {
  const { scope, callId, meter } = c;
  const tree = scope.tree;
  // Each call gets its own controller: cancelling the task (or the subtask this scope runs) aborts
  // it, and so do its own timeout and the user stopping this one call.
  const controller = new AbortController();
  const scopeSignal = scope.signal;
  const onTreeAbort = () => controller.abort(scopeSignal.reason);
  if (scopeSignal.aborted) onTreeAbort();
  else {
    // Every call of the scope listens here, and a turn may run up to `concurrency` (32) at once: more
    // than the 10 at which Node warns of a leak. Each listener goes when its call ends.
    setMaxListeners(0, scopeSignal);
    scopeSignal.addEventListener('abort', onTreeAbort, { once: true });
  }
  const untrack = tree.trackCall(callId, controller);
  let timer: NodeJS.Timeout | undefined;
  let timedOut = false;
  let release: (() => void) | undefined;
  try {
    const approval = tool.needsApproval?.(args);
    if (approval) {
      const approved = await tree.requestApproval(callId, approval, controller.signal);
      if (!approved) {
        if (controller.signal.aborted) return finish(c, 'cancelled', '', { error: cancelledText(tree, controller.signal) });
        return finish(c, 'denied', '', { error: `denied: the user did not approve (${approval.title})` });
      }
    }
    if (tool.kind !== 'agent') {
      release = await tree.limiter.acquire(controller.signal);
      if (willWait) emitStarted(c, 'running');
    }
    const timeoutMs = harnessTimeoutMs(tool, tree.config);
    if (timeoutMs) {
      timer = setTimeout(() => {
        timedOut = true;
        controller.abort(new TaskFailure('internal', `${tool.name} ran past its ${Math.round(timeoutMs / 1000)} s limit`));
      }, timeoutMs);
    }
    // Model-backed tools report the hosts their model calls really reached; others go where they say.
    const dest = tool.kind === 'model' || tool.kind === 'agent' ? undefined : destinationOf(tool, args);
    if (dest && dest !== 'local') meter.remoteHosts.add(dest.host);
    const progress = (c.progress = new WholeTokens((text) => tree.emit({ type: 'tool_call_delta', callId, text })));
    const ctx: ToolContext = {
      workspace: tree.workspace,
      signal: controller.signal,
      callId,
      requestApproval: (req) => tree.requestApproval(callId, req, controller.signal),
      progress: (text) => progress.push(text),
    };
    c.ran = true;
    // A stopped call answers at once; what the tool still does until it notices is waited for before the task ends.
    const running = tree.hold(tool.run(args, ctx));
    const result: ToolResult = await raceAbort(running, controller.signal).catch(async (err: unknown) => {
      // A model call stopped midway is still settled (what arrived is charged) as it returns: wait
      // for that, so its dollars land in this call's ledger entry instead of after it was recorded.
      if (controller.signal.aborted && (tool.kind === 'model' || tool.kind === 'agent'))
        await Promise.race([running.catch(() => undefined), new Promise((r) => setTimeout(r, SETTLE_GRACE_MS).unref?.())]);
      throw err;
    });
    const state: CallState = result.state ?? (result.ok ? 'ok' : 'error');
    return finish(c, state, result.output ?? '', {
      error: result.ok ? undefined : (result.error ?? 'failed'),
      data: result.data,
      display: result.display,
    });
  } catch (err) {
    if (timedOut) return finish(c, 'timeout', '', { error: `timeout: ${tool.name} ran past its time limit and was stopped` });
    if (controller.signal.aborted) return finish(c, 'cancelled', '', { error: cancelledText(tree, controller.signal) });
    return finish(c, 'error', '', { error: `${tool.name} failed: ${(err as Error).message}` });
  } finally {
    if (timer) clearTimeout(timer);
    scopeSignal.removeEventListener('abort', onTreeAbort);
    untrack();
    release?.();
  }
}

/**
 * Ends the call: its ledger entry, its finished event (with what ran under it), its journal record
 * for a later Resume, and the observation the orchestrator gets. `extra.latencyMs` marks a replayed call.
 */
function finish(
  c: CallInFlight,
  state: CallState,
  output: string,
  extra: { error?: string; data?: unknown; latencyMs?: number; display?: CallDisplay } = {},
): Observation {
  const { scope, call, callId, meter, turn } = c;
  const tree = scope.tree;
  // What the tool reported last is whole now, and shown before its card says it finished.
  c.progress?.end();
  scope.dropMeter(callId);
  const latencyMs = extra.latencyMs ?? Date.now() - c.started;
  const usage = sumUsage(meter.parts);
  const dollars = meter.parts.reduce((s, p) => s + p.dollars, 0);
  // Agent calls (delegate, subtasks) spend through their children; their own entry holds no money.
  tree.ledger.record({
    callId,
    parentCallId: scope.parentCallId,
    tool: c.toolName,
    model: meter.model,
    turn,
    state,
    parts: meter.parts,
    usage,
    dollars,
    latencyMs,
    remoteHosts: [...meter.remoteHosts],
    startedAt: c.started,
    finishedAt: Date.now(),
    ...(extra.error ? { error: extra.error } : {}),
  });
  // What ran under this call (a subtask's calls, failed model attempts) is part of its cost.
  const below = tree.ledger.totals(callId);
  const shownDollars = dollars + below.dollars;
  const shownUsage = below.calls ? rolledUsage(addUsage(below, usage)) : usage;
  const pricing = unpricedKind(meter.parts, below);
  const fullText = extra.error && !output ? extra.error : output;
  tree.emit({
    type: 'tool_call_finished',
    callId,
    tool: c.toolName,
    model: meter.model ?? c.argModel,
    state,
    preview: fullText.slice(0, PREVIEW_CHARS),
    result: fullText.length > RESULT_EVENT_CAP ? fullText.slice(0, RESULT_EVENT_CAP) : fullText,
    error: extra.error,
    usage: shownUsage,
    dollars: shownDollars,
    ...(pricing ? { pricing } : {}),
    latencyMs,
    ...(extra.display ? { display: capDisplay(extra.display, RESULT_EVENT_CAP) } : {}),
  });
  tree.emitCost();
  // Recorded for a later Resume, unless the task itself was stopped under it (then it is interrupted work).
  if (c.tool && replayable(c.tool) && !tree.signal.aborted && extra.latencyMs === undefined)
    tree.journal?.write({
      type: 'tool',
      key: c.key,
      tool: call.name,
      state,
      output,
      error: extra.error,
      data: extra.data,
      ...(extra.display ? { display: capDisplay(extra.display, RESULT_EVENT_CAP) } : {}),
      model: meter.model,
      parts: meter.parts,
      remoteHosts: [...meter.remoteHosts],
      latencyMs,
      ran: c.ran,
      belowDollars: below.dollars,
    });
  return {
    callId,
    modelCallId: call.id,
    tool: c.toolName,
    state,
    output,
    error: extra.error,
    data: extra.data,
    model: meter.model ?? c.argModel,
    usage: shownUsage,
    dollars: shownDollars,
    ...(pricing ? { pricing } : {}),
    latencyMs,
    args: call.arguments,
    ran: c.ran,
  };
}

/** A call (or anything under it) on a subscription or unknown-price model: its dollars leave that out. */
function unpricedKind(parts: UsagePart[], below: Totals): UnpricedKind | undefined {
  const unpriced = [...parts.map((p) => p.pricing), ...(below.unpriced ?? []).map((u) => u.pricing)].filter((p) => p !== undefined);
  return unpriced.includes('unknown') ? 'unknown' : unpriced[0];
}

function modelArgOf(args: unknown): string | undefined {
  return args && typeof args === 'object' && typeof (args as { model?: unknown }).model === 'string'
    ? (args as { model: string }).model
    : undefined;
}

function addUsage(t: Totals, u: Usage | undefined): Totals {
  return u
    ? {
        ...t,
        inputTokens: t.inputTokens + u.inputTokens,
        outputTokens: t.outputTokens + u.outputTokens,
        estimated: t.estimated || u.estimated,
      }
    : t;
}

function rolledUsage(t: Totals): Usage | undefined {
  return t.inputTokens || t.outputTokens ? { inputTokens: t.inputTokens, outputTokens: t.outputTokens, estimated: t.estimated } : undefined;
}

/** Model-backed and agent tools are bounded by the pool's own timeouts and by turn limits. */
function harnessTimeoutMs(tool: Tool, config: OrchestraConfig): number | undefined {
  if (tool.kind === 'agent' || tool.kind === 'model') return undefined;
  const seconds = tool.name === 'run_code' ? config.tools.runCode.timeoutSeconds + 15 : Math.max(config.requests.timeoutSeconds, 30);
  return seconds * 1000;
}

/** Why a call was cancelled: the task's reason when the task stopped, else this call's (or its subtask's). */
function cancelledText(tree: TaskTree, callSignal: AbortSignal): string {
  if (tree.signal.aborted) return abortFailure(tree.signal).message;
  const failure = abortFailure(callSignal);
  return failure.code === 'cancelled' ? `${failure.message}: this call was stopped and is not run again` : failure.message;
}

/** A recorded display read back from a journal file: used only when it still has the shape the panel expects. */
function recordedDisplay(d: unknown): CallDisplay | undefined {
  const parsed = CallDisplay.safeParse(d);
  return parsed.success ? parsed.data : undefined;
}
