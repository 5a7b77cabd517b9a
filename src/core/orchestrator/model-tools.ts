// The general dialect's model tools, registered through the same Tool interface as workspace tools
// (Agent-as-Tool): `call_model` sends a self-contained subtask to one model, `delegate` runs several
// subtasks as concurrent sub-orchestrations, `answer` ends the task.
import { z } from 'zod';
import { MODEL_ROLES, type ModelRole } from '../config';
import { defineTool, type Tool, type ToolResult } from '../tools/tool';
import { priceLabel, type PoolModel } from '../pool';
import { modelVerdict, rankModels } from '../preferences';
import { fmtDollars } from '../budget';
import { rolePromptFor } from '../prompts';
import type { Scope, ModelCallOutcome } from './runtime';
import type { CallState } from '../protocol/events';
import { scoreModels } from '../routing/score';
import { namedChoice, rankedChoice, type ChoiceFields } from '../routing/choice';

export const EXPERT_ROLES = MODEL_ROLES.filter((r): r is Exclude<ModelRole, 'orchestrator'> => r !== 'orchestrator');
const ExpertRole = z.enum(EXPERT_ROLES as [string, ...string[]]);

/** The most subtasks one `delegate` call may start. */
export const MAX_SUBTASKS = 8;

/** Models an orchestrator may hand work to: eligible, and not only an orchestrator. */
export function callableModels(scope: Scope, preferRole?: string): PoolModel[] {
  const config = scope.config;
  const models = scope.tree.pool.all().filter((m) => modelVerdict(m, config).eligible && m.roles.some((r) => r !== 'orchestrator'));
  return rankModels(models, config, preferRole, scope.tree.quality);
}

/**
 * The best eligible model for a role by the routing score (docs/ROUTING.md), with why: its reasons
 * and the runner-up. With `preferences.explore`, qualities are drawn from their estimates (Thompson
 * sampling), so a model whose quality is uncertain gets tried now and then.
 */
export function chooseForRole(
  scope: Scope,
  role: string | undefined,
  preferRole?: string,
): { model: PoolModel; choice: ChoiceFields } | undefined {
  const wanted = role ?? preferRole;
  const callable = callableModels(scope);
  // A role asked for is a requirement; without one, general models first, then any.
  const ofRole = wanted ? callable.filter((m) => (m.roles as string[]).includes(wanted)) : [];
  const general = callable.filter((m) => m.roles.includes('general'));
  const candidates = ofRole.length || role ? ofRole : general.length ? general : callable;
  if (!candidates.length) return undefined;
  const scoredRole = role ?? (ofRole.length ? wanted : 'general');
  const ranked = scoreModels(candidates, scope.config, {
    role: scoredRole,
    quality: scope.tree.quality,
    sample: scope.config.preferences.explore,
  });
  return { model: ranked[0].model, choice: rankedChoice(ranked, ranked[0], scoredRole) };
}

/** The best eligible model for a role (see chooseForRole), without the reasons. */
export function pickModelForRole(scope: Scope, role: string | undefined, preferRole?: string): PoolModel | undefined {
  return chooseForRole(scope, role, preferRole)?.model;
}

/** Why a model the orchestrator named serves a call: its standing among the callable models of the role. */
export function choiceForNamed(scope: Scope, model: PoolModel, role?: string): ChoiceFields {
  const served = role ?? model.roles.find((r) => r !== 'orchestrator') ?? 'general';
  const candidates = callableModels(scope).filter((m) => (m.roles as string[]).includes(served) || m.id === model.id);
  const ranked = scoreModels(candidates, scope.config, { role: served, quality: scope.tree.quality });
  return namedChoice(ranked, model.id, served);
}

export function modelLine(m: PoolModel): string {
  const latency = m.latencyMs !== undefined ? `${(m.latencyMs / 1000).toFixed(1)} s` : 'latency not measured yet';
  const where = m.local ? 'local' : m.host;
  return `- ${m.id} — ${m.roles.join(', ')} — ${priceLabel(m)} — ${latency} — ${where}${m.openWeights ? ', open weights' : ''}${m.description ? ` — ${m.description}` : ''}`;
}

/** Strips reasoning markup an expert may leave in its content. */
export function stripThinking(text: string): string {
  return text
    .replace(/<think>[\s\S]*?<\/think>/g, '')
    .replace(/^[\s\S]*?<\/think>/, '')
    .trim();
}

export function outcomeState(o: ModelCallOutcome): NonNullable<ToolResult['state']> {
  return o.ok ? 'ok' : o.state;
}

const CallModelArgs = z
  .object({
    model: z.string().min(1).optional().describe('Model id from the list; omit to pick by role'),
    role: ExpertRole.optional().describe('Pick the best eligible model of this role instead of naming one'),
    task: z.string().min(1, 'task must not be empty').describe('A self-contained task: the model sees nothing else'),
    context: z.string().optional().describe('Code, facts or documents the model needs for the task'),
  })
  .strict();

export function createCallModelTool(scope: Scope, preferRole?: string): Tool {
  return defineTool({
    name: 'call_model',
    description:
      'Send one self-contained subtask to a model from the pool (by id, or by role) and get its reply. The model sees only `task` and `context`, so include everything it needs.',
    schema: CallModelArgs,
    kind: 'model',
    destination: (args) => {
      const m = args.model ? scope.tree.pool.get(args.model) : undefined;
      return m && !m.local ? { host: m.host } : 'local';
    },
    async run(args, ctx): Promise<ToolResult> {
      const meter = scope.meter(ctx.callId);
      let model: PoolModel | undefined;
      let choice: ChoiceFields | undefined;
      if (args.model) {
        model = scope.tree.pool.get(args.model);
        if (!model) {
          const ids = callableModels(scope).map((m) => m.id);
          return {
            ok: false,
            state: 'error',
            output: '',
            error: `unknown model "${args.model}"; models you can call: ${ids.join(', ') || 'none'}`,
          };
        }
        if (modelVerdict(model, scope.config).eligible) choice = choiceForNamed(scope, model, args.role);
      } else {
        const chosen = chooseForRole(scope, args.role, preferRole);
        model = chosen?.model;
        choice = chosen?.choice;
        if (!model) {
          return {
            ok: false,
            state: 'error',
            output: '',
            error: args.role ? `no eligible model has the role "${args.role}"` : 'no eligible model to call',
          };
        }
      }
      meter.model = model.id;
      if (choice)
        scope.tree.emit({ type: 'model_choice', callId: ctx.callId, turn: meter.turn ?? 0, parentCallId: scope.parentCallId, ...choice });
      const roles = args.role ? [args.role] : model.roles;
      const user = args.context ? `${args.task}\n\nContext:\n${args.context}` : args.task;
      const outcome = await scope.callModel(
        model.id,
        {
          messages: [
            { role: 'system', content: rolePromptFor(roles) },
            { role: 'user', content: user },
          ],
        },
        {
          callId: ctx.callId,
          turn: meter.turn ?? 0,
          purpose: 'call_model',
          signal: ctx.signal,
          fallback: true,
          onDelta: (d) => d.content && ctx.progress(d.content),
        },
      );
      meter.parts.push(...outcome.parts);
      for (const h of outcome.remoteHosts) meter.remoteHosts.add(h);
      if (outcome.model) meter.model = outcome.model.id;
      if (!outcome.ok) return { ok: false, state: outcomeState(outcome), output: '', error: outcome.message };
      const notes: string[] = [];
      if (outcome.result.fellBackFrom)
        notes.push(
          `[note: ${outcome.result.fellBackFrom} failed (${outcome.result.attempts.map((a) => a.error).join('; ')}); ${outcome.model.id} answered instead]`,
        );
      if (outcome.lowered) notes.push(`[note: max tokens lowered to ${outcome.maxTokens} to stay within the budget]`);
      if (outcome.result.finishReason === 'length') notes.push('[note: the reply was cut at the max-token limit]');
      const text = stripThinking(outcome.result.content) || '(the model returned no text)';
      return {
        ok: true,
        output: [...notes, text].join('\n'),
        display: { kind: 'markdown', text, ...(notes.length ? { notes } : {}) },
        data: {
          model: outcome.model.id,
          usage: outcome.result.usage,
          fellBackFrom: outcome.result.fellBackFrom,
          maxTokens: outcome.maxTokens,
        },
      };
    },
  });
}

const SubtaskSpec = z
  .object({
    task: z.string().min(1, 'task must not be empty').describe('A self-contained subtask'),
    role: ExpertRole.optional().describe('Run it with the best eligible model of this role'),
    model: z.string().min(1).optional().describe('Or name the model that runs it'),
  })
  .strict();
export type SubtaskSpec = z.infer<typeof SubtaskSpec>;

const DelegateArgs = z
  .object({
    subtasks: z.array(SubtaskSpec).min(1, 'give at least one subtask').max(MAX_SUBTASKS, `at most ${MAX_SUBTASKS} subtasks per call`),
  })
  .strict();

export interface SubtaskOutcome {
  callId: string;
  task: string;
  model?: string;
  state: CallState;
  answer?: string;
  error?: string;
  dollars: number;
  latencyMs: number;
  turns: number;
}

export type SubtaskRunner = (
  spec: SubtaskSpec,
  o: {
    delegateCallId: string;
    turn: number;
    budgetDollars: number;
    maxTurns: number;
    signal: AbortSignal;
    /** The subtask's place in the task (under its delegate call's), for recording its calls. */
    key: string;
  },
) => Promise<SubtaskOutcome>;

export function createDelegateTool(scope: Scope, runSubtask: SubtaskRunner): Tool {
  return defineTool({
    name: 'delegate',
    description: `Run up to ${MAX_SUBTASKS} independent subtasks at the same time. Each runs as its own sub-orchestration (with tools and models, its own share of the budget and turn limit) led by the model you name or the best model of the role you give. Results come back in the order given, each with its state and cost.`,
    schema: DelegateArgs,
    kind: 'agent',
    destination: () => 'local',
    async run(args, ctx): Promise<ToolResult> {
      const n = args.subtasks.length;
      const config = scope.config;
      const share = (scope.budget.left * config.budget.subtaskShare) / n;
      const maxTurns = Math.max(2, Math.ceil(scope.maxTurns * config.budget.subtaskShare));
      const meter = scope.meter(ctx.callId);
      const turn = meter.turn ?? 0;
      const results = await Promise.all(
        args.subtasks.map((spec, i) =>
          runSubtask(spec, {
            delegateCallId: ctx.callId,
            turn,
            budgetDollars: share,
            maxTurns,
            signal: ctx.signal,
            key: `${meter.key ?? ctx.callId}/s${i}`,
          }),
        ),
      );
      const blocks = results.map((r, i) => {
        const head = [
          `state: ${r.state}`,
          r.model ? `model: ${r.model}` : '',
          `cost: $${fmtDollars(r.dollars)}`,
          `latency: ${(r.latencyMs / 1000).toFixed(1)} s`,
          `turns: ${r.turns}`,
        ]
          .filter(Boolean)
          .join(' | ');
        const body = r.state === 'ok' ? (r.answer ?? '') : `${r.error ?? 'failed'}${r.answer ? `\nPartial result: ${r.answer}` : ''}`;
        return `Subtask ${i + 1} [${head}]\nTask: ${r.task}\n${body}`;
      });
      const failed = results.filter((r) => r.state !== 'ok').length;
      const output = blocks.join('\n\n');
      if (ctx.signal.aborted) return { ok: false, state: 'cancelled', output, error: 'cancelled' };
      if (failed === 0) return { ok: true, output, data: results };
      return { ok: false, state: 'error', output, error: `${failed} of ${n} subtasks did not finish`, data: results };
    },
  });
}

// One schema object for every task, so its JSON schema is converted once (see jsonSchemaOf).
const AnswerArgs = z.object({ answer: z.string().min(1, 'answer must not be empty').describe('The complete final answer') });

export function createAnswerTool(): Tool {
  return defineTool({
    name: 'answer',
    description: 'Give the final answer to the user. This ends the task; the answer is shown as written (Markdown).',
    schema: AnswerArgs,
    kind: 'local',
    destination: () => 'local',
    run(args) {
      return Promise.resolve({ ok: true, output: args.answer });
    },
  });
}
