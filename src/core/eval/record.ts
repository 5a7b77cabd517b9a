// One line of an eval's results.jsonl: one task under one pool, how it ended, what it cost, which
// models did the work. Versioned and zod-checked when read back, so a later session (the quality
// estimates) can learn from past runs; `modelOutcomes` turns records into per-model evidence.
import { z } from 'zod';

export const EVAL_RECORD_VERSION = 1;

/** `passed`/`failed`: the task answered and the checker judged it; `error`: no answer, or the checker could not run. */
export const EvalStatus = z.enum(['passed', 'failed', 'error']);
export type EvalStatus = z.infer<typeof EvalStatus>;

/** A model call made while solving the task (a tool call that a model served). */
export const EvalModelCall = z.object({
  model: z.string(),
  /** The tool that called it: call_model, delegate, subtask… */
  tool: z.string(),
  /** The role it was asked for, when the call named one. */
  role: z.string().optional(),
  state: z.string(),
  dollars: z.number().nonnegative(),
  latencyMs: z.number().nonnegative(),
});
export type EvalModelCall = z.infer<typeof EvalModelCall>;

export const EvalRecord = z.object({
  version: z.literal(EVAL_RECORD_VERSION),
  /** One `orchestra eval` invocation. */
  runId: z.string(),
  /** The pool's name (its config file's name, or NAME of --pool NAME=FILE). */
  pool: z.string(),
  taskId: z.string(),
  /** Its line in the task file. */
  line: z.number().int().positive(),
  status: EvalStatus,
  checker: z.enum(['exact', 'regex', 'test']),
  /** What the checker saw or why it failed (exit code and output tail for `test`). */
  checkDetail: z.string().optional(),
  /** The final answer (at most 16,000 characters, `answerTruncated` when cut). */
  answer: z.string().optional(),
  answerTruncated: z.boolean().optional(),
  /** Why the task gave no answer (engine error code and message), or why the checker could not run. */
  error: z.object({ code: z.string(), message: z.string() }).optional(),
  /** Dollars by the configured prices (calls on subscription/unknown-price models are not in it: see unpricedCalls). */
  dollars: z.number().nonnegative(),
  unpricedCalls: z.number().int().nonnegative(),
  /** Wall time of the task, question to answer (the checker's time is not in it). */
  latencyMs: z.number().nonnegative(),
  inputTokens: z.number().int().nonnegative(),
  outputTokens: z.number().int().nonnegative(),
  /** The orchestrator model of the task. */
  orchestratorModel: z.string(),
  /** Every model used (the orchestrator included). */
  models: z.array(z.string()),
  modelCalls: z.array(EvalModelCall),
  /** Approval requests denied (run without --yes). */
  deniedApprovals: z.number().int().nonnegative(),
  startedAt: z.number(),
  finishedAt: z.number(),
});
export type EvalRecord = z.infer<typeof EvalRecord>;

export const MAX_ANSWER_CHARS = 16_000;

/** Reads a results.jsonl; lines that are not records of this version are reported, not guessed. */
export function readEvalRecords(text: string): { records: EvalRecord[]; problems: Array<{ line: number; message: string }> } {
  const records: EvalRecord[] = [];
  const problems: Array<{ line: number; message: string }> = [];
  text.split('\n').forEach((l, i) => {
    if (!l.trim()) return;
    try {
      const r = EvalRecord.safeParse(JSON.parse(l));
      if (r.success) records.push(r.data);
      else problems.push({ line: i + 1, message: r.error.issues.map((x) => `${x.path.join('.') || '(record)'}: ${x.message}`).join('; ') });
    } catch (err) {
      problems.push({ line: i + 1, message: `not valid JSON: ${(err as Error).message}` });
    }
  });
  return { records, problems };
}

/** Evidence about one model from one task: the role it played and whether the task passed. */
export interface ModelOutcome {
  model: string;
  /** `orchestrator`, the role a call asked for, else `general`. */
  role: string;
  pool: string;
  taskId: string;
  runId: string;
  /** The checker passed the task's answer. */
  passed: boolean;
  /** The task ended without a checked answer (counts as not passed; infrastructure failures look the same). */
  errored: boolean;
}

/**
 * Per-model outcomes of a run, for the quality estimates: for each record, the orchestrator and each
 * model a call used (once per model and role), with the task's result. Models that only served a
 * failed call still share the task's outcome: the eval judges the team, not the call.
 */
export function* modelOutcomes(records: Iterable<EvalRecord>): Generator<ModelOutcome> {
  for (const r of records) {
    const base = { pool: r.pool, taskId: r.taskId, runId: r.runId, passed: r.status === 'passed', errored: r.status === 'error' };
    const seen = new Set<string>();
    const pairs: Array<[string, string]> = [];
    if (r.orchestratorModel) pairs.push([r.orchestratorModel, 'orchestrator']);
    for (const c of r.modelCalls) pairs.push([c.model, c.role ?? (c.tool === 'subtask' ? 'orchestrator' : 'general')]);
    for (const [model, role] of pairs) {
      const key = `${model}\u0000${role}`;
      if (seen.has(key)) continue;
      seen.add(key);
      yield { model, role, ...base };
    }
  }
}
