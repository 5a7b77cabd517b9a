// Dialect 1, ToolOrchestra-native: the protocol Nemotron-Orchestrator-8B was trained on. Each round is
// a fresh two-message chat; the harness keeps the state (documents, code and outputs, earlier
// attempts) and rebuilds the context each round. Three tools — search, enhance_reasoning, answer —
// each take one `model` argument naming an alias of an eligible pool model.
import type OpenAI from 'openai';
import { z } from 'zod';
import type { Attachment } from '../engine-api';
import type { PoolModel } from '../pool';
import { defineTool, type Tool, type ToolContext, type ToolResult } from '../tools/tool';
import { preferenceInstructions, rankModels, toolVerdict } from '../preferences';
import { estimateTokens } from '../pool';
import {
  TOOLORCHESTRA_SYSTEM,
  TOOLORCHESTRA_TOOL_DESCRIPTIONS,
  answerPrompt,
  codeWriterPrompt,
  queryWriterPrompt,
  toolOrchestraUser,
} from '../prompts';
import { newId } from '../ids';
import { Scope, TaskFailure, formatZodError } from './runtime';
import { TaggedAnswerReader } from './streaming-readers';
import { choiceForNamed, outcomeState, stripThinking } from './model-tools';
import { failureFromOutcome, questionWithAttachments } from './general';
import { priorTurnsText, type PriorTurn } from '../conversations/context';
import { modelVerdict } from '../preferences';
import type { ParsedToolCall } from '../toolcalls';
import { LiveCalls } from './live-calls';
import { WholeTokens } from './whole-tokens';
import { BadTurns, isBadTurn } from './bad-turns';

export type AliasKind = 'search' | 'reasoner' | 'answer' | 'answer-math';
export interface Alias {
  alias: string;
  kind: AliasKind;
  model: PoolModel;
}
export type ToolOrchestraToolName = 'search' | 'enhance_reasoning' | 'answer';

const DEFAULT_CAPABILITY: Record<AliasKind, string> = {
  search: 'Writes focused search queries.',
  reasoner: 'Writes code to compute and check intermediate results.',
  answer: 'Answers from the collected context.',
  'answer-math': 'Solves math problems; answers in \\boxed{}.',
};

/** The role each kind of alias serves, for the reasons shown with a model the orchestrator picked. */
const ALIAS_ROLE: Record<AliasKind, string> = { search: 'search-query', reasoner: 'reasoning', answer: 'answer', 'answer-math': 'math' };

/** Each document is cut to this many characters; the whole context to a token budget. */
const DOC_CHARS = 3000;
const CONTEXT_TOKENS = 24_000;

/** Aliases from eligible pool models by role, each list in preference order. */
export function buildAliases(models: PoolModel[], scope: Scope): Alias[] {
  const config = scope.config;
  const eligible = rankModels(
    models.filter((m) => modelVerdict(m, config).eligible),
    config,
    undefined,
    scope.tree.quality,
  );
  const out: Alias[] = [];
  const add = (kind: AliasKind, prefix: string, pick: (m: PoolModel) => boolean) => {
    eligible.filter(pick).forEach((model, i) => out.push({ alias: `${prefix}-${i + 1}`, kind, model }));
  };
  add('search', 'search', (m) => m.roles.includes('search-query') || m.roles.includes('general'));
  add('reasoner', 'reasoner', (m) => m.roles.includes('code') || m.roles.includes('reasoning'));
  add('answer', 'answer', (m) => m.roles.includes('general') || m.roles.includes('answer'));
  add('answer-math', 'answer-math', (m) => m.roles.includes('math'));
  return out;
}

/** A price cell; a subscription or unknown price is said as such, never as $0. */
function priceCell(m: PoolModel, dollars: number): string {
  return m.pricing === 'subscription' ? 'subscription' : m.pricing === 'unknown' ? 'unknown' : `$${dollars}`;
}

function latencyText(m: PoolModel): string {
  return m.latencyMs !== undefined ? `${(m.latencyMs / 1000).toFixed(1)}s` : 'not measured yet';
}

/** The `model` argument's description: aliases with capability sentences, then the price/latency table. */
export function modelArgDescription(aliases: Alias[]): string {
  const lines = [`Choose one of these models: ${aliases.map((a) => a.alias).join(', ')}.`];
  for (const a of aliases) lines.push(`${a.alias}: ${a.model.description || DEFAULT_CAPABILITY[a.kind]}`);
  lines.push('', '| Model | price per million input tokens | price per million output tokens | average latency |', '|---|---|---|---|');
  for (const a of aliases)
    lines.push(
      `| ${a.alias} | ${priceCell(a.model, a.model.inputPricePerMillion)} | ${priceCell(a.model, a.model.outputPricePerMillion)} | ${latencyText(a.model)} |`,
    );
  return lines.join('\n');
}

export function toolOrchestraDefs(
  byTool: Map<ToolOrchestraToolName, Alias[]>,
  names: ToolOrchestraToolName[],
): OpenAI.Chat.ChatCompletionTool[] {
  return names.map((name) => ({
    type: 'function',
    function: {
      name,
      description: TOOLORCHESTRA_TOOL_DESCRIPTIONS[name],
      parameters: {
        type: 'object',
        properties: { model: { type: 'string', description: modelArgDescription(byTool.get(name) ?? []) } },
        required: ['model'],
      },
    },
  }));
}

/** Keeps the end of `text` within `tokens` (the reference harness cuts the context from the front). */
export function cutFront(text: string, tokens: number): string {
  if (estimateTokens(text) <= tokens) return text;
  const chars = Math.max(0, tokens * 4);
  return `[earlier context cut]\n${text.slice(text.length - chars)}`;
}

/** The last \boxed{...} with balanced braces. */
export function lastBoxed(text: string): string | undefined {
  const at = text.lastIndexOf('\\boxed{');
  if (at < 0) return undefined;
  let depth = 0;
  for (let i = at + 6; i < text.length; i++) {
    if (text[i] === '{') depth++;
    else if (text[i] === '}' && --depth === 0) return text.slice(at + 7, i).trim();
  }
  return undefined;
}

export function extractAnswer(text: string, math: boolean): string | undefined {
  if (math) {
    const boxed = lastBoxed(text);
    if (boxed) return boxed;
  }
  const tagged = /<answer>([\s\S]*?)(?:<\/answer>|$)/i.exec(text);
  if (tagged && tagged[1].trim()) return tagged[1].trim();
  const plain = stripThinking(text);
  return plain || undefined;
}

function extractQuery(text: string): string | undefined {
  const m = /<query>([\s\S]*?)<\/query>/i.exec(text);
  const q =
    (m
      ? m[1]
      : stripThinking(text)
          .split('\n')
          .find((l) => l.trim())) ?? '';
  return (
    q
      .trim()
      .replace(/^["'`]|["'`]$/g, '')
      .trim() || undefined
  );
}

function extractPython(text: string): string | undefined {
  const blocks = [...text.matchAll(/```(?:python|py)?[ \t]*\n([\s\S]*?)```/g)].map((m) => m[1]);
  return blocks.length ? blocks[blocks.length - 1].trim() || undefined : undefined;
}

/** An expert's reply followed as it streams (the answer tool's, into the answer area). */
interface ExpertStream {
  piece(text: string): void;
  restart(): void;
}

interface EpisodeState {
  documents: string[];
  code: Array<{ alias: string; code: string; output: string }>;
  attempts: Array<{ alias: string; answer: string }>;
  notes: string[];
  answer?: string;
}

export function buildContext(s: EpisodeState, tokens: number): string {
  const parts: string[] = [];
  if (s.documents.length)
    parts.push(
      'Documents:\n' + s.documents.map((d, i) => `Doc ${i + 1}: ${d.length > DOC_CHARS ? d.slice(0, DOC_CHARS) + ' …' : d}`).join('\n'),
    );
  for (const c of s.code) parts.push('```python\n' + c.code + '\n```\n\n```output\n' + (c.output || '(no output)') + '\n```');
  s.attempts.forEach((a, i) => parts.push(`Attempt${i + 1} answer by ${a.alias}: ${a.answer}`));
  return cutFront(parts.join('\n\n'), tokens);
}

export interface ToolOrchestraOptions {
  question: string;
  orchestrator: PoolModel;
  baseTools: Tool[];
  attachments?: Attachment[];
  /** The conversation's earlier turns (a follow-up question). */
  earlier?: PriorTurn[];
}

/** The problem as the protocol's prompts state it: the question, after the conversation so far (cut from the front to fit). */
function problemText(o: ToolOrchestraOptions): string {
  const question = questionWithAttachments(o.question, o.attachments);
  const earlier = priorTurnsText(o.earlier ?? []);
  if (!earlier) return question;
  const tokens = Math.min(8000, Math.floor(o.orchestrator.contextWindow / 4));
  return `${cutFront(earlier, tokens)}\n\nThe question now: ${question}`;
}

// One schema object per list of model aliases, reused by every task with the same pool, so its JSON
// schema is converted once (runtime.ts jsonSchemaOf). Pools change rarely; the cap bounds a churn.
function buildModelChoiceSchema(names: string[]) {
  return z.object({ model: z.enum(names as [string, ...string[]], { message: `model must be one of: ${names.join(', ')}` }) });
}
type ModelChoiceSchema = ReturnType<typeof buildModelChoiceSchema>;
const modelChoiceSchemas = new Map<string, ModelChoiceSchema>();
function modelChoiceSchema(names: string[]): ModelChoiceSchema {
  const key = names.join('\u0000');
  let schema = modelChoiceSchemas.get(key);
  if (!schema) {
    if (modelChoiceSchemas.size >= 64) modelChoiceSchemas.clear();
    schema = buildModelChoiceSchema(names);
    modelChoiceSchemas.set(key, schema);
  }
  return schema;
}

export async function runToolOrchestra(scope: Scope, o: ToolOrchestraOptions): Promise<{ answer: string; turns: number }> {
  const tree = scope.tree;
  const config = scope.config;
  const problem = problemText(o);
  const aliases = buildAliases(tree.pool.all(), scope);
  const byTool = new Map<ToolOrchestraToolName, Alias[]>([
    ['search', aliases.filter((a) => a.kind === 'search')],
    ['enhance_reasoning', aliases.filter((a) => a.kind === 'reasoner')],
    ['answer', aliases.filter((a) => a.kind === 'answer' || a.kind === 'answer-math')],
  ]);
  if (!byTool.get('answer')!.length)
    throw new TaskFailure(
      'no_model',
      'no eligible model can answer (none has the general, answer or math role under the current preferences)',
    );

  const eligibleBase = o.baseTools.filter((t) => toolVerdict(t, config).eligible);
  const webSearch = eligibleBase.find((t) => t.name === 'web_search');
  const searchTool = webSearch ?? eligibleBase.find((t) => t.name === 'search_workspace');
  const runCodeTool = eligibleBase.find((t) => t.name === 'run_code');
  const state: EpisodeState = { documents: [], code: [], attempts: [], notes: [] };
  const contextTokens = Math.max(1000, Math.min(CONTEXT_TOKENS, o.orchestrator.contextWindow - o.orchestrator.maxOutputTokens - 2000));
  const expertContext = (m: PoolModel) =>
    buildContext(state, Math.max(500, Math.min(CONTEXT_TOKENS, m.contextWindow - m.maxOutputTokens - 1500)));

  const resolve = (name: ToolOrchestraToolName, alias: string) => byTool.get(name)!.find((a) => a.alias === alias)!;
  /** `stream` follows the expert's reply piece by piece; `restart` says a retry or fallback starts it over. */
  const expertCall = async (a: Alias, prompt: string, ctx: ToolContext, purpose: string, stream?: ExpertStream) => {
    const meter = scope.meter(ctx.callId);
    meter.model = a.model.id;
    scope.tree.emit({
      type: 'model_choice',
      callId: ctx.callId,
      turn: meter.turn ?? 0,
      parentCallId: scope.parentCallId,
      ...choiceForNamed(scope, a.model, ALIAS_ROLE[a.kind]),
    });
    const outcome = await scope.callModel(
      a.model.id,
      { messages: [{ role: 'user', content: prompt }] },
      {
        callId: ctx.callId,
        turn: meter.turn ?? 0,
        purpose,
        signal: ctx.signal,
        fallback: true,
        onDelta: (d) => {
          if (!d.content) return;
          ctx.progress(d.content);
          stream?.piece(d.content);
        },
        onRetry: () => stream?.restart(),
      },
    );
    meter.parts.push(...outcome.parts);
    for (const h of outcome.remoteHosts) meter.remoteHosts.add(h);
    if (outcome.model) meter.model = outcome.model.id;
    return outcome;
  };
  const schemaFor = (name: ToolOrchestraToolName) => modelChoiceSchema(byTool.get(name)!.map((a) => a.alias));

  let answerTool!: Tool;
  const tools: Record<ToolOrchestraToolName, Tool | undefined> = {
    search:
      byTool.get('search')!.length && searchTool
        ? defineTool({
            name: 'search',
            description: TOOLORCHESTRA_TOOL_DESCRIPTIONS.search,
            schema: schemaFor('search'),
            kind: 'model',
            destination: () => 'local',
            restartOnResume: true,
            async run(args, ctx): Promise<ToolResult> {
              const a = resolve('search', args.model);
              const target = searchTool.name === 'web_search' ? 'web' : 'workspace';
              const outcome = await expertCall(a, queryWriterPrompt(problem, expertContext(a.model), target), ctx, 'search');
              if (!outcome.ok) return { ok: false, state: outcomeState(outcome), output: '', error: outcome.message };
              const query = extractQuery(outcome.result.content);
              if (!query) return { ok: false, state: 'error', output: '', error: `${a.alias} wrote no query` };
              const parsed = searchTool.schema.safeParse({ query });
              if (!parsed.success)
                return {
                  ok: false,
                  state: 'error',
                  output: '',
                  error: `query "${query}" is not valid for ${searchTool.name}: ${formatZodError(parsed.error)}`,
                };
              const verdict = tree.toolVerdict(searchTool, parsed.data);
              if (!verdict.eligible)
                return { ok: false, state: 'denied', output: '', error: `denied by rule ${verdict.rule}: ${verdict.reason}` };
              const dest = searchTool.destination(parsed.data);
              if (dest !== 'local') scope.meter(ctx.callId).remoteHosts.add(dest.host);
              const result = await searchTool.run(parsed.data, ctx);
              if (!result.ok)
                return { ok: false, state: result.state ?? 'error', output: `Query: ${query}`, error: result.error ?? 'search failed' };
              state.documents.push(`(${searchTool.name} "${query}") ${result.output}`);
              return { ok: true, output: `Query: ${query}\n${result.output}` };
            },
          })
        : undefined,
    enhance_reasoning: byTool.get('enhance_reasoning')!.length
      ? defineTool({
          name: 'enhance_reasoning',
          description: TOOLORCHESTRA_TOOL_DESCRIPTIONS.enhance_reasoning,
          schema: schemaFor('enhance_reasoning'),
          kind: 'model',
          destination: () => 'local',
          restartOnResume: true,
          async run(args, ctx): Promise<ToolResult> {
            const a = resolve('enhance_reasoning', args.model);
            const outcome = await expertCall(a, codeWriterPrompt(problem, expertContext(a.model)), ctx, 'enhance_reasoning');
            if (!outcome.ok) return { ok: false, state: outcomeState(outcome), output: '', error: outcome.message };
            const code = extractPython(outcome.result.content);
            if (!code) {
              // Reasoning without code still helps: keep it as a document.
              const text = stripThinking(outcome.result.content);
              if (text) state.documents.push(`(reasoning by ${a.alias}) ${text}`);
              return {
                ok: true,
                output: text ? `${a.alias} wrote no code; its reasoning was kept:\n${text}` : `${a.alias} wrote neither code nor reasoning`,
              };
            }
            if (!runCodeTool) {
              const why =
                toolVerdictReason(o.baseTools, config) ??
                'code execution is not available (tools.runCode.enabled is off, or the workspace is not trusted)';
              state.code.push({ alias: a.alias, code, output: `(not run: ${why})` });
              return { ok: false, state: 'denied', output: '```python\n' + code + '\n```', error: `not run: ${why}` };
            }
            const runArgs = runCodeTool.schema.safeParse({ language: 'python', code });
            if (!runArgs.success) return { ok: false, state: 'error', output: code, error: formatZodError(runArgs.error) };
            const approval = runCodeTool.needsApproval?.(runArgs.data);
            if (approval && !(await ctx.requestApproval(approval))) {
              state.code.push({ alias: a.alias, code, output: '(not run: the user did not approve)' });
              return {
                ok: false,
                state: 'denied',
                output: '```python\n' + code + '\n```',
                error: 'denied: the user did not approve running this code',
              };
            }
            // The run_code tool applies tools.runCode.timeoutSeconds (default 60 s, as the reference harness).
            const result = await runCodeTool.run(runArgs.data, ctx);
            const data = result.data as { stdout?: string; stderr?: string } | undefined;
            const output =
              data?.stdout !== undefined ? (data.stdout + (data.stderr ? `\n[stderr]\n${data.stderr}` : '')).trim() : result.output;
            state.code.push({ alias: a.alias, code, output });
            return { ok: result.ok, state: result.state, output: '```python\n' + code + '\n```\n' + result.output, error: result.error };
          },
        })
      : undefined,
    answer: (answerTool = defineTool({
      name: 'answer',
      description: TOOLORCHESTRA_TOOL_DESCRIPTIONS.answer,
      schema: schemaFor('answer'),
      kind: 'model',
      destination: () => 'local',
      // Running it builds the episode's state (documents, code, attempts); its model calls are still replayed.
      restartOnResume: true,
      async run(args, ctx): Promise<ToolResult> {
        const a = resolve('answer', args.model);
        const math = a.kind === 'answer-math';
        // The task's answer streams from inside the <answer> tags (a math answer is the last \boxed{}
        // and is only known at the end).
        let reader = new TaggedAnswerReader();
        const stream: ExpertStream | undefined =
          scope.depth === 0 && !math
            ? {
                piece: (text) => tree.answerStream.extend(reader.push(text)),
                restart: () => {
                  reader = new TaggedAnswerReader();
                  tree.answerStream.retract();
                },
              }
            : undefined;
        const outcome = await expertCall(a, answerPrompt(problem, expertContext(a.model), math), ctx, 'answer', stream);
        if (!outcome.ok) return { ok: false, state: outcomeState(outcome), output: '', error: outcome.message };
        const answer = extractAnswer(outcome.result.content, math);
        if (!answer) {
          state.attempts.push({ alias: a.alias, answer: '(no answer)' });
          return { ok: false, state: 'error', output: outcome.result.content, error: `${a.alias} gave no answer` };
        }
        state.answer = answer;
        return { ok: true, output: answer };
      },
    })),
  };

  // Tools on the deny list are never offered (and would be denied if called anyway). Without the
  // answer tool the protocol cannot end an episode, so that is a configuration error.
  for (const name of Object.keys(tools) as ToolOrchestraToolName[]) {
    const tool = tools[name];
    if (tool && !tree.toolVerdict(tool).eligible) tools[name] = undefined;
  }
  if (!tools.answer) {
    const v = tree.toolVerdict(answerTool);
    throw new TaskFailure('config', `the ToolOrchestra dialect needs its answer tool: ${v.eligible ? 'it is not available' : v.reason}`);
  }
  // Soft preferences (weights, preferred models, the user's own words) go with every round's context.
  const preferences = preferenceInstructions(config);

  const history: Array<Set<string>> = [];
  let noCallRounds = 0;
  let orchestrator = o.orchestrator;
  const badTurns = new BadTurns(scope, orchestrator);
  for (let round = 1; ; round++) {
    tree.checkAlive();
    if (round > scope.maxTurns) throw new TaskFailure('turns', `stopped at the turn limit (${scope.maxTurns} rounds) without an answer`);
    const lastRound = round === scope.maxTurns;
    // A tool used in both of the last two rounds sits this round out (the reference harness's rule).
    const removed: string[] = history.length >= 2 ? [...history[history.length - 1]].filter((t) => history[history.length - 2].has(t)) : [];
    const names = (Object.keys(tools) as ToolOrchestraToolName[]).filter(
      (n) => tools[n] && (lastRound ? n === 'answer' : !removed.includes(n) || n === 'answer'),
    );

    const toolMap = new Map<string, Tool>(names.map((n) => [n, tools[n]!]));
    scope.turnsUsed = round;

    const notes = state.notes.splice(0);
    const context = [buildContext(state, contextTokens), ...notes, preferences ? `Preferences:\n${preferences}` : '']
      .filter(Boolean)
      .join('\n\n');
    const messages: OpenAI.Chat.ChatCompletionMessageParam[] = [
      { role: 'system', content: TOOLORCHESTRA_SYSTEM },
      { role: 'user', content: toolOrchestraUser(problem, context) },
    ];
    const defs = toolOrchestraDefs(byTool, names);
    tree.emit({
      type: 'turn_started',
      turn: round,
      parentCallId: scope.parentCallId,
      contextTokens: tree.tokenCounter.count(orchestrator, messages, defs),
      contextWindow: orchestrator.contextWindow,
    });
    const callId = newId('turn');
    tree.ledger.link(callId, scope.parentCallId);
    const t0 = Date.now();
    const live = new LiveCalls(scope, round);
    // Its text goes out in whole tokens: secrets are scrubbed event by event.
    const thinking = new WholeTokens((text) =>
      tree.emit({ type: 'orchestrator_delta', turn: round, text, parentCallId: scope.parentCallId }),
    );
    const outcome = await scope.callModel(
      orchestrator.id,
      { messages, tools: defs, toolChoice: 'auto' },
      {
        callId,
        key: scope.turnKey(round),
        turn: round,
        purpose: 'orchestrator',
        signal: tree.signal,
        fallback: true,
        onDelta: (d) => {
          // The orchestrator's own text is reasoning here: the answer comes from the answer tool's expert.
          thinking.push((d.reasoning ?? '') + (d.content ?? ''));
          if (d.toolCall) live.update(d.toolCall);
        },
      },
    );
    thinking.flush();
    scope.recordTurn(callId, round, outcome, Date.now() - t0);
    if (!outcome.ok) {
      live.settle([], `not run: the round ended without a reply (${outcome.message})`);
      throw failureFromOutcome(outcome.state, outcome.message, tree.signal);
    }
    const reply = outcome.result;

    if (reply.toolCalls.length === 0) {
      live.settle([]);
      if (reply.toolCallErrors.length && !lastRound) {
        // Markup no call could be read from: the next round is told why.
        orchestrator = badTurns.record(orchestrator, true, reply.toolCallErrors);
        state.notes.push(
          `Note: the previous round's tool call could not be used (${reply.toolCallErrors.join('; ')}). Call exactly one of: ${names.join(', ')}.`,
        );
        history.push(new Set());
        continue;
      }
      noCallRounds++;
      const text = stripThinking(reply.content);
      if (noCallRounds >= 2 || lastRound) {
        if (text && !reply.toolCallErrors.length) return { answer: text, turns: round };
        throw new TaskFailure(
          'model_failed',
          `the orchestrator called no tool in ${noCallRounds} rounds${reply.toolCallErrors.length ? `: ${reply.toolCallErrors.join('; ')}` : ''}`,
        );
      }
      state.notes.push(`Note: the previous round called no tool. Call exactly one of: ${names.join(', ')}.`);
      history.push(new Set());
      continue;
    }
    noCallRounds = 0;
    if (reply.toolCallErrors.length)
      state.notes.push(`Note: part of the previous reply could not be used: ${reply.toolCallErrors.join('; ')}`);

    // At most one call per tool per round (a usable one before one that cannot run); an answer ends
    // the episode, so it runs alone.
    const byName = new Map<string, ParsedToolCall>();
    for (const c of reply.toolCalls) {
      const prior = byName.get(c.name);
      if (!prior || (prior.problem && !c.problem)) byName.set(c.name, c);
    }
    const calls = reply.toolCalls.filter((c) => byName.get(c.name) === c);
    if (calls.length < reply.toolCalls.length)
      state.notes.push('Note: only one call per tool is run each round; extra calls were skipped.');
    const answerCall = calls.find((c) => c.name === 'answer' && !c.problem);
    const run = answerCall ? [answerCall] : calls;
    const callIds = live.settle(
      run,
      answerCall ? 'not run: the answer in the same round ended the episode' : 'not run: only one call per tool is run each round',
    );
    const observations = await scope.executeCalls(run, round, toolMap, { callIds });
    tree.checkAlive();
    history.push(new Set(observations.filter((ob) => ob.ran).map((ob) => ob.tool)));
    for (const ob of observations) {
      if (ob.state !== 'ok')
        state.notes.push(`Note: ${ob.tool} (${JSON.stringify(ob.args ?? {})}) ended with state ${ob.state}: ${ob.error ?? ''}`.trim());
    }
    const answered = observations.find((ob) => ob.tool === 'answer' && ob.state === 'ok');
    if (answered && state.answer) return { answer: state.answer, turns: round };
    orchestrator = badTurns.record(
      orchestrator,
      isBadTurn(observations, reply.toolCallErrors),
      observations.map((ob) => ob.error ?? ob.state),
    );
  }
}

function toolVerdictReason(baseTools: Tool[], config: Scope['config']): string | undefined {
  const t = baseTools.find((x) => x.name === 'run_code');
  if (!t) return undefined;
  const v = toolVerdict(t, config);
  return v.eligible ? undefined : v.reason;
}
