// Dialect 2, general: a multi-turn tool-calling loop for any model that calls tools (natively or as
// text the pool parses). Tools are the workspace tools plus call_model, delegate and answer; several
// calls in one turn run concurrently; every result goes back with its state; bad calls (cut, unknown
// tool, arguments that fail the schema) become error results the orchestrator can recover from, and
// only after several bad turns in a row does another model take over (bad-turns.ts).
import type OpenAI from 'openai';
import type { Attachment } from '../engine-api';
import type { PoolModel } from '../pool';
import type { Tool } from '../tools/tool';
import { modelVerdict, preferenceInstructions, toolVerdict } from '../preferences';
import { NUDGE_EMPTY_REPLY, generalOrchestratorSystem, unparseableCallObservation } from '../prompts';
import { newId } from '../ids';
import { Scope, TaskFailure, abortFailure, observationText, toOpenAITools } from './runtime';
import type { ChoiceFields } from '../routing/choice';
import { TurnStream } from './turn-stream';
import { fitContext } from './context-fit';
import { priorTurnMessages, type PriorTurn } from '../conversations/context';
import {
  callableModels,
  chooseForRole,
  choiceForNamed,
  createAnswerTool,
  createCallModelTool,
  createDelegateTool,
  modelLine,
  stripThinking,
  type SubtaskOutcome,
  type SubtaskRunner,
} from './model-tools';
import type { CallState } from '../protocol/events';
import type { ParsedToolCall } from '../toolcalls';
import { LiveCalls } from './live-calls';
import { BadTurns, isBadTurn } from './bad-turns';

/** Sub-orchestrations may delegate once more; deeper nesting is refused (runaway recursion). */
export const MAX_DELEGATION_DEPTH = 2;

export interface GeneralOptions {
  question: string;
  orchestrator: PoolModel;
  /** Workspace, editor and MCP tools (before rule filtering). */
  baseTools: Tool[];
  attachments?: Attachment[];
  preferRole?: string;
  subtask?: boolean;
  /** Extra guidance for a subtask led by a specialist (its role prompt). */
  roleHint?: string;
  /** The conversation's earlier turns (a follow-up question). */
  earlier?: PriorTurn[];
}

/** Runs the loop to an answer; throws TaskFailure when it cannot finish. */
export async function runGeneral(scope: Scope, o: GeneralOptions): Promise<{ answer: string; turns: number }> {
  const tree = scope.tree;
  const config = scope.config;
  // Tools that break a hard rule are never offered (and would be denied if called anyway).
  const offered = o.baseTools.filter((t) => toolVerdict(t, config).eligible);
  const answerTool = createAnswerTool();
  const modelTools: Tool[] = [];
  const experts = callableModels(scope, o.preferRole).filter((m) => m.id !== o.orchestrator.id || callableModels(scope).length === 1);
  if (experts.length) modelTools.push(createCallModelTool(scope, o.preferRole));
  if (scope.depth < MAX_DELEGATION_DEPTH) modelTools.push(createDelegateTool(scope, subtaskRunner(scope, o)));
  const allTools = [...offered, ...modelTools.filter((t) => toolVerdict(t, config).eligible), answerTool];
  const toolMap = new Map(allTools.map((t) => [t.name, t]));
  const toolDefs = toOpenAITools(allTools);
  const lastTurnDefs = toOpenAITools([answerTool]);

  const system = generalOrchestratorSystem({
    modelList: experts.map(modelLine).join('\n'),
    preferences: [preferenceInstructions(config, o.preferRole), o.roleHint ?? ''].filter(Boolean).join('\n'),
    subtask: !!o.subtask,
    toolNames: allTools.map((t) => t.name),
  });
  const earlier = priorTurnMessages(o.earlier ?? []);
  const messages: OpenAI.Chat.ChatCompletionMessageParam[] = [
    { role: 'system', content: system },
    ...earlier,
    { role: 'user', content: questionWithAttachments(o.question, o.attachments) },
  ];
  // Where the earlier turns sit, for fitting the context window (they may be summarised).
  const history = { start: 1, end: 1 + earlier.length, summarized: false };

  let orchestrator = o.orchestrator;
  const badTurns = new BadTurns(scope, orchestrator);
  let nudged = false;
  for (let turn = 1; ; turn++) {
    scope.checkAlive();
    if (turn > scope.maxTurns) throw new TaskFailure('turns', `stopped at the turn limit (${scope.maxTurns} turns) without an answer`);
    const lastTurn = turn === scope.maxTurns;
    if (lastTurn && turn > 1)
      messages.push({
        role: 'user',
        content: `This is your last turn (turn limit ${scope.maxTurns}). Give your final answer now with the answer tool.`,
      });
    scope.turnsUsed = turn;
    const turnTools = lastTurn ? lastTurnDefs : toolDefs;
    const context = await fitContext(scope, { model: orchestrator, messages, tools: turnTools, turn, history });
    tree.emit({
      type: 'turn_started',
      turn,
      parentCallId: scope.parentCallId,
      contextTokens: context.tokens,
      contextWindow: context.window,
    });

    const callId = newId('turn');
    tree.ledger.link(callId, scope.parentCallId);
    const t0 = Date.now();
    const live = new LiveCalls(scope, turn);
    // A sub-orchestrator's own turn is model work like any tool call, so it takes a concurrency slot
    // (only for the model call: its tool calls take their own, so nothing waits on itself).
    let release: (() => void) | undefined;
    if (scope.depth > 0) {
      try {
        release = await tree.limiter.acquire(scope.signal);
      } catch {
        throw tree.signal.aborted ? abortFailure(tree.signal) : abortFailure(scope.signal);
      }
    }
    let outcome: Awaited<ReturnType<Scope['callModel']>>;
    const stream = new TurnStream(tree, turn, scope.parentCallId, scope.depth === 0);
    try {
      outcome = await scope.callModel(
        orchestrator.id,
        { messages: [...messages], tools: turnTools, toolChoice: 'auto' },
        {
          callId,
          key: scope.turnKey(turn),
          turn,
          purpose: 'orchestrator',
          signal: scope.signal,
          fallback: true,
          // The reply streams into the answer area (top level) or the reasoning row (see TurnStream); calls get their cards as they are written.
          onDelta: (d) => {
            stream.onDelta(d);
            if (d.toolCall) live.update(d.toolCall);
          },
          onRetry: () => stream.onRetry(),
        },
      );
    } finally {
      release?.();
    }
    scope.recordTurn(callId, turn, outcome, Date.now() - t0);
    if (!outcome.ok) {
      stream.end();
      live.settle([], `not run: the turn ended without a reply (${outcome.message})`);
      throw failureFromOutcome(outcome.state, outcome.message, tree.signal.aborted ? tree.signal : scope.signal);
    }
    const reply = outcome.result;
    stream.settle(reply);
    const content = reply.content ?? '';
    // Markup no call could be read from (or calls in another format than the model's setting) is the user's to know too.
    for (const e of reply.toolCallErrors) tree.host.log?.('warn', `${outcome.model.id}, turn ${turn}: ${e}`);

    if (reply.toolCalls.length === 0) {
      live.settle([]);
      if (reply.toolCallErrors.length) {
        // Markup no call could be read from: said back to the model, which writes the call again.
        if (lastTurn) {
          const text = stripThinking(content);
          if (text) return { answer: text, turns: turn };
          throw new TaskFailure(
            'model_failed',
            `the orchestrator's last turn held no usable tool call: ${reply.toolCallErrors.join('; ')}`,
          );
        }
        orchestrator = badTurns.record(orchestrator, true, reply.toolCallErrors);
        messages.push({ role: 'assistant', content: content || '(a tool call that could not be read)' });
        messages.push({ role: 'user', content: unparseableCallObservation(reply.toolCallErrors, [...toolMap.keys()]) });
        continue;
      }
      // Plain text with no tool call is the answer: no "you did not use a tool" loop.
      const text = stripThinking(content);
      if (text) return { answer: text, turns: turn };
      if (nudged || lastTurn) throw new TaskFailure('model_failed', `the orchestrator (${orchestrator.id}) returned an empty reply twice`);
      nudged = true;
      messages.push({ role: 'assistant', content: '' });
      messages.push({ role: 'user', content: NUDGE_EMPTY_REPLY });
      continue;
    }
    nudged = false;

    // An answer ends the task; other calls of that turn are not run.
    const answerCall = reply.toolCalls.find((c) => c.name === 'answer' && !c.problem);
    const calls = answerCall ? [answerCall] : lastTurn ? reply.toolCalls.filter((c) => c.name === 'answer') : reply.toolCalls;
    const callIds = live.settle(
      calls,
      answerCall ? 'not run: the answer in the same turn ended the task' : 'not run: only the answer tool can be called in the last turn',
    );
    if (calls.length === 0) {
      const text = stripThinking(content);
      if (text) return { answer: text, turns: turn };
      throw new TaskFailure(
        'turns',
        `stopped at the turn limit (${scope.maxTurns} turns): the orchestrator still called ${reply.toolCalls.map((c) => c.name).join(', ')} instead of answering`,
      );
    }
    const observations = await scope.executeCalls(calls, turn, lastTurn ? new Map([['answer', answerTool]]) : toolMap, { callIds });
    scope.checkAlive();
    const answered = observations.find((ob) => ob.tool === 'answer' && ob.state === 'ok');
    if (answered) return { answer: answered.output, turns: turn };
    orchestrator = badTurns.record(
      orchestrator,
      isBadTurn(observations, reply.toolCallErrors),
      observations.map((ob) => ob.error ?? ob.state),
    );

    const named = calls.filter((c) => c.name);
    messages.push({
      role: 'assistant',
      content: content || (named.length ? null : '(tool calls that could not be read)'),
      ...(named.length
        ? {
            tool_calls: named.map((c) => ({
              id: c.id,
              type: 'function' as const,
              function: { name: c.name, arguments: historyArguments(c) },
            })),
          }
        : {}),
    });
    const unnamed: string[] = [];
    observations.forEach((ob, k) => {
      if (calls[k].name) messages.push({ role: 'tool', tool_call_id: ob.modelCallId, content: observationText(ob) });
      else unnamed.push(ob.error ?? 'a tool call that could not be read');
    });
    const turnErrors = [...reply.toolCallErrors, ...unnamed];
    if (turnErrors.length) messages.push({ role: 'user', content: unparseableCallObservation(turnErrors, [...toolMap.keys()]) });
    if (answerCall && reply.toolCalls.length > 1) {
      messages.push({
        role: 'user',
        content:
          'Your other tool calls of that turn were not run because you answered in the same turn; answer alone once you have what you need.',
      });
    }
  }
}

/** A call's arguments as sent back in the history: as written when that is JSON, else re-encoded. */
function historyArguments(c: ParsedToolCall): string {
  if (c.problem) return '{}';
  const raw = c.rawArguments.trim();
  if (raw) {
    try {
      JSON.parse(raw);
      return raw;
    } catch {
      // written loosely (single quotes, XML): sent as the JSON it was read as
    }
  }
  return JSON.stringify(c.arguments ?? {});
}

export function failureFromOutcome(state: CallState, message: string, treeSignal: AbortSignal): TaskFailure {
  switch (state) {
    case 'over_budget':
      return new TaskFailure('budget', `the budget cannot cover the orchestrator's next turn: ${message}`);
    case 'denied':
      return new TaskFailure('no_model', message);
    case 'cancelled':
      return abortFailure(treeSignal);
    default:
      if (treeSignal.aborted) return abortFailure(treeSignal);
      return new TaskFailure('model_failed', `the orchestrator model failed: ${message}`);
  }
}

export function questionWithAttachments(question: string, attachments?: Attachment[]): string {
  if (!attachments?.length) return question;
  const blocks = attachments.map((a) => {
    const where = a.startLine !== undefined ? `${a.path} lines ${a.startLine}-${a.endLine ?? a.startLine}` : a.path;
    return `Attached ${a.kind} (${where}):\n\`\`\`${a.language ?? ''}\n${a.text}\n\`\`\``;
  });
  return `${question}\n\n${blocks.join('\n\n')}`;
}

/** Runs each delegated subtask as a sub-orchestration under its own `subtask` call. */
function subtaskRunner(scope: Scope, parent: GeneralOptions): SubtaskRunner {
  const tree = scope.tree;
  return async (spec, o): Promise<SubtaskOutcome> => {
    const callId = newId('sub');
    const started = Date.now();
    tree.ledger.link(callId, o.delegateCallId);
    tree.ledger.openScope(callId, started);
    tree.subtasks.push({ callId, parentCallId: o.delegateCallId, task: spec.task });

    let leader: PoolModel | undefined;
    let refusal: { state: CallState; error: string } | undefined;
    let choice: ChoiceFields | undefined;
    if (spec.model) {
      leader = tree.pool.get(spec.model);
      if (!leader) refusal = { state: 'error', error: `unknown model "${spec.model}"` };
      else {
        const v = modelVerdict(leader, tree.config);
        if (!v.eligible) refusal = { state: 'denied', error: `denied by rule ${v.rule}: ${v.reason}` };
        else choice = choiceForNamed(scope, leader, spec.role);
      }
    } else if (spec.role) {
      const chosen = chooseForRole(scope, spec.role);
      leader = chosen?.model;
      choice = chosen?.choice;
      if (!leader) refusal = { state: 'error', error: `no eligible model has the role "${spec.role}"` };
    } else leader = parent.orchestrator;

    tree.emit({
      type: 'tool_call_started',
      callId,
      turn: o.turn,
      tool: 'subtask',
      model: leader?.id,
      args: spec,
      state: 'running',
      parentCallId: o.delegateCallId,
    });
    if (choice) tree.emit({ type: 'model_choice', callId, turn: o.turn, parentCallId: o.delegateCallId, ...choice });
    const finish = (state: CallState, answer: string | undefined, error: string | undefined, turns: number): SubtaskOutcome => {
      tree.ledger.closeScope(callId);
      const totals = tree.ledger.totals(callId);
      const text = state === 'ok' ? (answer ?? '') : (error ?? 'failed');
      tree.emit({
        type: 'tool_call_finished',
        callId,
        tool: 'subtask',
        model: leader?.id,
        state,
        preview: text.slice(0, 500),
        result: text.slice(0, 64 * 1024),
        error: state === 'ok' ? undefined : error,
        usage:
          totals.inputTokens || totals.outputTokens
            ? { inputTokens: totals.inputTokens, outputTokens: totals.outputTokens, estimated: totals.estimated }
            : undefined,
        dollars: totals.dollars,
        latencyMs: Date.now() - started,
      });
      return {
        callId,
        task: spec.task,
        model: leader?.id,
        state,
        answer,
        error,
        dollars: totals.dollars,
        latencyMs: Date.now() - started,
        turns,
      };
    };
    if (refusal || !leader) return finish(refusal?.state ?? 'error', undefined, refusal?.error ?? 'no model to run the subtask', 0);

    // The subtask stops with its delegate call (and so with the task), or alone when the user stops it.
    const controller = new AbortController();
    const onParentAbort = () => controller.abort(o.signal.reason);
    if (o.signal.aborted) onParentAbort();
    else o.signal.addEventListener('abort', onParentAbort, { once: true });
    const untrack = tree.trackCall(callId, controller);
    const child = new Scope(tree, {
      budget: scope.budget.child(o.budgetDollars),
      maxTurns: o.maxTurns,
      depth: scope.depth + 1,
      parentCallId: callId,
      signal: controller.signal,
      key: o.key,
    });
    tree.emit({
      type: 'task_started',
      question: spec.task,
      dialect: 'general',
      orchestratorModel: leader.id,
      privacyMode: tree.config.privacyMode,
      budgetDollars: child.budget.limit,
      parentCallId: callId,
    });
    try {
      const r = await runGeneral(child, {
        question: spec.task,
        orchestrator: leader,
        baseTools: parent.baseTools,
        subtask: true,
        roleHint: spec.role ? `You lead this subtask as a ${spec.role} specialist.` : undefined,
      });
      return finish('ok', r.answer, undefined, r.turns);
    } catch (err) {
      if (!(err instanceof TaskFailure)) return finish('error', undefined, `subtask failed: ${(err as Error).message}`, child.turnsUsed);
      const state: CallState =
        err.code === 'budget'
          ? 'over_budget'
          : err.code === 'cancelled' || err.code === 'interrupted'
            ? 'cancelled'
            : err.code === 'wall_time'
              ? 'timeout'
              : err.code === 'no_model'
                ? 'denied'
                : 'error';
      return finish(state, undefined, err.message, child.turnsUsed);
    } finally {
      o.signal.removeEventListener('abort', onParentAbort);
      untrack();
    }
  };
}
