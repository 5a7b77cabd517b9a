// Orchestra's tools for other agents in VS Code (`vscode.lm.registerTool`, declared under
// `languageModelTools`): `orchestra_delegate` hands a subtask to Orchestra's orchestrator under the
// user's privacy and budget rules, after a confirmation; `orchestra_search_workspace` searches the
// workspace with ripgrep and Orchestra's exclusions (.env, keys, .git). A caller can make the rules
// stricter (local only, a lower cap), never looser.
import * as vscode from 'vscode';
import { z } from 'zod';
import { fmtDollars } from '../core/budget';
import { matchesAny } from '../core/preferences';
import { costSummary } from '../core/protocol/cost-text';
import { SearchArgs, formatSearch, searchWorkspace } from '../core/tools/search';
import { findRipgrep } from '../core/tools/ripgrep';
import type { Orchestra } from './orchestra';
import { runTask } from './task-run';

export const DELEGATE_TOOL = 'orchestra_delegate';
export const SEARCH_TOOL = 'orchestra_search_workspace';

const DelegateInput = z
  .object({
    task: z.string().trim().min(1, 'task is empty').max(100_000),
    context: z.string().max(200_000).optional(),
    localOnly: z.boolean().optional(),
    maxDollars: z.number().nonnegative().optional(),
  })
  .strict();
type DelegateInput = z.infer<typeof DelegateInput>;

function parseInput<S extends z.ZodType>(schema: S, input: unknown, tool: string): z.infer<S> {
  const r = schema.safeParse(input ?? {});
  if (r.success) return r.data;
  throw new Error(`${tool}: invalid input: ${r.error.issues.map((i) => `${i.path.join('.') || '(input)'}: ${i.message}`).join('; ')}`);
}

function text(...parts: string[]): vscode.LanguageModelToolResult {
  return new vscode.LanguageModelToolResult(parts.map((p) => new vscode.LanguageModelTextPart(p)));
}

export class OrchestraTools {
  constructor(private readonly o: Orchestra) {}

  /** The rules this delegation runs under, or why it is refused (a caller cannot loosen them). */
  private limits(input: DelegateInput): { privacy: string; cap: number } {
    const config = this.o.settings.config;
    if (input.maxDollars !== undefined && input.maxDollars > config.budget.maxDollarsPerTask)
      throw new Error(
        `${DELEGATE_TOOL}: maxDollars $${input.maxDollars} is above the user's cap of $${fmtDollars(config.budget.maxDollarsPerTask)} per task; it can only be lowered`,
      );
    return { privacy: input.localOnly ? 'local-only' : config.privacyMode, cap: input.maxDollars ?? config.budget.maxDollarsPerTask };
  }

  delegate: vscode.LanguageModelTool<DelegateInput> = {
    prepareInvocation: (options) => {
      const input = parseInput(DelegateInput, options.input, DELEGATE_TOOL);
      const { privacy, cap } = this.limits(input);
      const message = new vscode.MarkdownString();
      message.appendMarkdown('Orchestra will work on this with its own models and tools:\n\n');
      message.appendCodeblock(input.task.slice(0, 2000), 'text');
      message.appendMarkdown(
        `\nPrivacy **${privacy}**, budget up to **$${fmtDollars(cap)}**. It may read and search the workspace; running code still asks you first.`,
      );
      return {
        invocationMessage: 'Orchestra is working on the subtask',
        confirmationMessages: { title: 'Delegate this subtask to Orchestra?', message },
      };
    },
    invoke: async (options, token) => {
      const input = parseInput(DelegateInput, options.input, DELEGATE_TOOL);
      this.limits(input);
      const question = input.context ? `${input.task}\n\nContext:\n${input.context}` : input.task;
      const { taskId, end } = await runTask(
        this.o,
        { question, privacyMode: input.localOnly ? 'local-only' : undefined, maxDollars: input.maxDollars },
        token,
      );
      const summary = `[Orchestra task ${taskId} · ${costSummary(end.totals, (d) => `$${fmtDollars(d)}`)} · models ${end.totals.models.join(', ') || 'none'} · ${end.totals.remoteHosts.length ? `data sent to ${end.totals.remoteHosts.join(', ')}` : 'nothing left this machine'}]`;
      if (end.type === 'error') throw new Error(`Orchestra could not finish the subtask (${end.code}): ${end.message} ${summary}`);
      return text(end.answer, summary);
    },
  };

  search: vscode.LanguageModelTool<z.input<typeof SearchArgs>> = {
    prepareInvocation: (options) => ({
      invocationMessage: `Searching the workspace for “${String(options.input?.query ?? '').slice(0, 80)}”`,
    }),
    invoke: async (options, token) => {
      const config = this.o.settings.config;
      if (matchesAny(config.preferences.deniedTools, ['search_workspace', SEARCH_TOOL]))
        throw new Error(`${SEARCH_TOOL}: denied by the user's settings (orchestra.preferences.deniedTools)`);
      const args = parseInput(SearchArgs, options.input, SEARCH_TOOL);
      const rgPath = findRipgrep(vscode.env.appRoot);
      if (!rgPath) throw new Error(`${SEARCH_TOOL}: ripgrep was not found in VS Code or on PATH`);
      const controller = new AbortController();
      const sub = token.onCancellationRequested(() => controller.abort());
      try {
        const r = await searchWorkspace(args, { workspace: this.o.workspacePath(), rgPath, signal: controller.signal });
        return text(formatSearch(args, r));
      } finally {
        sub.dispose();
      }
    },
  };
}
