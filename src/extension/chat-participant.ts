// `@orchestra` in VS Code's Chat view: a question runs as an Orchestra task with the user's own
// settings; its tool calls and subtasks show as progress, the answer streams as Markdown with the
// files it used as references, a button opens the task's full tree in the Orchestra panel, and
// follow-ups offer the next step. `/local` keeps one question on local models and tools; `/budget`
// gives one question its own dollar cap.
import { join } from 'node:path';
import * as vscode from 'vscode';
import { fmtDollars } from '../core/budget';
import type { Attachment } from '../core/engine-api';
import { costSummary } from '../core/protocol/cost-text';
import type { EngineEvent, Totals } from '../core/protocol/events';
import type { Orchestra } from './orchestra';
import { filesTouched, runTask, type TaskEnd } from './task-run';

export const PARTICIPANT_ID = 'orchestra.chat';
/** How much of earlier turns a follow-up question carries. */
const HISTORY_TURNS = 3;
const HISTORY_CHARS = 1500;

/** What a turn remembers for its follow-ups. */
interface TurnMetadata {
  taskId?: string;
  question?: string;
  remote?: boolean;
  failedCode?: string;
  maxDollars?: number;
}

/** `/budget 0.25 question` → the cap and the question; a clear refusal for anything else. */
export function parseBudget(prompt: string): { maxDollars: number; question: string } | { error: string } {
  const m = /^\s*\$?(\d+(?:\.\d+)?|\.\d+)\s+([\s\S]+)$/.exec(prompt);
  if (!m) return { error: 'Give the cap first, then the question: `@orchestra /budget 0.25 How do I …?`' };
  const maxDollars = Number(m[1]);
  if (!Number.isFinite(maxDollars) || maxDollars < 0 || maxDollars > 1000)
    return { error: `"${m[1]}" is not a dollar cap from 0 to 1000.` };
  return { maxDollars, question: m[2].trim() };
}

/** A tool call as one progress line, in words. */
function progressLine(e: EngineEvent): string | undefined {
  if (e.type === 'task_started') {
    return e.parentCallId
      ? `Subtask led by ${e.orchestratorModel}`
      : `Orchestrator ${e.orchestratorModel || '(none)'} · privacy ${e.privacyMode} · budget $${fmtDollars(e.budgetDollars)}`;
  }
  if (e.type === 'approval_requested') return `Waiting for your approval: ${e.title}`;
  if (e.type !== 'tool_call_started') return undefined;
  const a = (e.args ?? {}) as Record<string, unknown>;
  const str = (v: unknown) => (typeof v === 'string' ? v.replace(/\s+/g, ' ').slice(0, 80) : '');
  const prefix = e.parentCallId ? 'Subtask · ' : '';
  switch (e.tool) {
    case 'search_workspace':
      return `${prefix}Searching the workspace for “${str(a.query)}”`;
    case 'read_file':
      return `${prefix}Reading ${str(a.path)}`;
    case 'list_files':
      return `${prefix}Listing ${str(a.path) || 'the workspace'}`;
    case 'run_code':
      return `${prefix}Running ${str(a.language) || 'code'}`;
    case 'web_search':
      return `${prefix}Searching the web for “${str(a.query)}”`;
    case 'call_model':
      return `${prefix}Asking ${e.model ?? (str(a.model) || str(a.role) || 'a model')}: ${str(a.task)}`;
    case 'delegate': {
      const n = Array.isArray(a.subtasks) ? a.subtasks.length : 0;
      return `${prefix}Delegating ${n} subtask${n === 1 ? '' : 's'}`;
    }
    case 'answer':
      return undefined;
    default:
      return `${prefix}${e.tool}${e.model ? ` (${e.model})` : ''}`;
  }
}

function totalsLine(t: Totals): string {
  const where = t.remoteHosts.length ? `data sent to ${t.remoteHosts.join(', ')}` : 'nothing left this machine';
  return `Orchestra · ${costSummary(t, (d) => `$${fmtDollars(d)}`)} · ${t.calls} call${t.calls === 1 ? '' : 's'} · models ${t.models.join(', ') || 'none'} · ${where}`;
}

/** Earlier turns with @orchestra, so a follow-up question stands on its own for the orchestrator. */
function withHistory(question: string, history: vscode.ChatContext['history']): string {
  const turns: string[] = [];
  for (const turn of history) {
    if (turn.participant !== PARTICIPANT_ID) continue;
    if (turn instanceof vscode.ChatRequestTurn) turns.push(`User: ${turn.prompt.slice(0, HISTORY_CHARS)}`);
    else if (turn instanceof vscode.ChatResponseTurn) {
      const text = turn.response
        .map((p) => (p instanceof vscode.ChatResponseMarkdownPart ? p.value.value : ''))
        .join('')
        // Orchestra's own totals line is for the user, not the orchestrator.
        .replace(/\n*\*Orchestra · [^\n]*\*\s*$/, '')
        .trim();
      if (text) turns.push(`Orchestra: ${text.slice(0, HISTORY_CHARS)}`);
    }
  }
  const recent = turns.slice(-HISTORY_TURNS * 2);
  return recent.length ? `Earlier in this conversation:\n${recent.join('\n\n')}\n\nNow: ${question}` : question;
}

/** The files and selections the user attached with #, as the engine's attachments. */
async function attachmentsOf(references: readonly vscode.ChatPromptReference[], workspace: string): Promise<Attachment[]> {
  const out: Attachment[] = [];
  for (const ref of references) {
    const value = ref.value;
    const uri = value instanceof vscode.Uri ? value : value instanceof vscode.Location ? value.uri : undefined;
    if (!uri || uri.scheme !== 'file') continue;
    try {
      const doc = await vscode.workspace.openTextDocument(uri);
      const range = value instanceof vscode.Location ? value.range : undefined;
      const rel = vscode.workspace.asRelativePath(uri, false);
      out.push({
        kind: range ? 'selection' : 'file',
        path: rel.startsWith('/') ? uri.fsPath.replace(`${workspace}/`, '') : rel,
        text: doc.getText(range),
        language: doc.languageId,
        ...(range ? { startLine: range.start.line + 1, endLine: range.end.line + 1 } : {}),
      });
    } catch {
      // Not a text file: left out.
    }
  }
  return out;
}

export class OrchestraChatParticipant {
  constructor(private readonly o: Orchestra) {}

  async handle(
    request: vscode.ChatRequest,
    context: vscode.ChatContext,
    stream: vscode.ChatResponseStream,
    token: vscode.CancellationToken,
  ): Promise<vscode.ChatResult> {
    let question = request.prompt.trim();
    let maxDollars: number | undefined;
    if (request.command === 'budget') {
      const b = parseBudget(question);
      if ('error' in b) {
        stream.markdown(
          `${b.error}\n\nYour cap per question is **$${fmtDollars(this.o.settings.config.budget.maxDollarsPerTask)}** (\`orchestra.budget.maxDollarsPerTask\`).`,
        );
        return { metadata: {} satisfies TurnMetadata };
      }
      ({ maxDollars, question } = b);
    }
    if (!question) {
      stream.markdown('Ask a coding question, e.g. `@orchestra why does this test fail?` — add `/local` to keep it on this machine.');
      return { metadata: {} satisfies TurnMetadata };
    }
    const privacyMode = request.command === 'local' ? ('local-only' as const) : undefined;
    const workspace = this.o.workspacePath();
    stream.progress('Orchestra is starting…');
    let streamed = false;
    let run: { taskId: string; end: TaskEnd; events: EngineEvent[] };
    try {
      run = await runTask(
        this.o,
        {
          question: withHistory(question, context.history),
          attachments: await attachmentsOf(request.references, workspace),
          workspace,
          privacyMode,
          maxDollars,
        },
        token,
        (e) => {
          if (e.type === 'answer_delta') {
            streamed = true;
            stream.markdown(e.text);
            return;
          }
          const line = progressLine(e);
          if (line) stream.progress(line);
        },
      );
    } catch (err) {
      const message = `Orchestra could not start the task: ${err instanceof Error ? err.message : String(err)}`;
      stream.markdown(message);
      return { errorDetails: { message }, metadata: {} satisfies TurnMetadata };
    }
    const { taskId, end, events } = run;
    for (const path of filesTouched(events)) stream.reference(vscode.Uri.file(join(workspace, path)));
    const metadata: TurnMetadata = { taskId, question, remote: end.totals.remoteHosts.length > 0, maxDollars };
    if (end.type === 'done') {
      if (!streamed) stream.markdown(end.answer);
      stream.markdown(`\n\n*${totalsLine(end.totals)}*`);
    } else {
      metadata.failedCode = end.code;
      stream.markdown(`${streamed ? '\n\n' : ''}**Orchestra could not answer:** ${end.message}\n\n*${totalsLine(end.totals)}*`);
    }
    stream.button({ command: 'orchestra.showTask', title: 'Open the task tree in Orchestra', arguments: [taskId] });
    return end.type === 'done' || end.code === 'cancelled' ? { metadata } : { errorDetails: { message: end.message }, metadata };
  }

  /** What to ask next: a local-only retry when data left the machine, a larger budget after running out. */
  followups(result: vscode.ChatResult): vscode.ChatFollowup[] {
    const m = (result.metadata ?? {}) as TurnMetadata;
    if (!m.question) return [];
    const out: vscode.ChatFollowup[] = [];
    if (m.failedCode === 'budget') {
      const next = Math.max(0.05, 2 * (m.maxDollars ?? this.o.settings.config.budget.maxDollarsPerTask));
      out.push({ prompt: `${fmtDollars(next)} ${m.question}`, command: 'budget', label: `Try again with a $${fmtDollars(next)} budget` });
    }
    if (m.remote) out.push({ prompt: m.question, command: 'local', label: 'Ask again with local models only' });
    if (!m.failedCode) out.push({ prompt: 'Explain that step by step, with the code it is about.', label: 'Explain step by step' });
    return out;
  }
}
