// A conversation written out as Markdown (the panel's "Export" and `orchestra history ID`): each
// question of the branch shown, the tool calls it made with their state and cost, and its answer.
import type { EngineEvent } from '../protocol/events';
import { fmtDollars } from '../budget';
import type { ConversationLibrary, TaskSummary } from './library';
import { branchOf, summarizeConversation } from './library';

function quote(text: string): string {
  return text
    .split('\n')
    .map((l) => `> ${l}`)
    .join('\n');
}

function callLines(events: readonly EngineEvent[]): string[] {
  const started = new Map<string, { args: unknown; parentCallId?: string }>();
  const depth = new Map<string, number>();
  const out: string[] = [];
  for (const e of events) {
    if (e.type === 'tool_call_started') {
      started.set(e.callId, { args: e.args, parentCallId: e.parentCallId });
      depth.set(e.callId, e.parentCallId ? (depth.get(e.parentCallId) ?? 0) + 1 : 0);
    }
    if (e.type !== 'tool_call_finished' || e.tool === 'answer') continue;
    const s = started.get(e.callId);
    const args = s?.args === undefined ? '' : JSON.stringify(s.args);
    const shown = args.length > 160 ? `${args.slice(0, 159)}…` : args;
    const indent = '  '.repeat(depth.get(e.callId) ?? 0);
    out.push(
      `${indent}- ${e.tool}${e.model ? ` (${e.model})` : ''}${shown ? ` \`${shown.replace(/`/g, "'")}\`` : ''} — ${e.state} · $${fmtDollars(e.dollars)} · ${(e.latencyMs / 1000).toFixed(1)} s`,
    );
  }
  return out;
}

function outcomeLine(t: TaskSummary): string {
  const parts = [t.orchestratorModel, `$${fmtDollars(t.dollars)}`, t.state === 'done' ? '' : t.state].filter(Boolean);
  return parts.join(' · ');
}

/** The branch ending at `tipTaskId` (the newest line by default) of a conversation, as Markdown. */
export function conversationMarkdown(library: ConversationLibrary, conversationId: string, tipTaskId?: string): string {
  const journals = library.journals(conversationId);
  const tasks = library.tasks(conversationId);
  if (!tasks.length) throw new Error(`no conversation "${conversationId}" in ${library.dir}`);
  const byId = new Map(journals.map((j) => [j.header!.taskId, j]));
  const summary = summarizeConversation(conversationId, tasks);
  const branch = branchOf(tasks, tipTaskId);
  const out = [
    `# ${summary.title}`,
    '',
    `${new Date(summary.startedAt).toISOString()} · ${branch.length} question${branch.length === 1 ? '' : 's'} · $${fmtDollars(branch.reduce((s, t) => s + t.dollars, 0))}${summary.models.length ? ` · models: ${summary.models.join(', ')}` : ''}`,
  ];
  branch.forEach((t, i) => {
    const events = byId.get(t.taskId)?.events ?? [];
    out.push('', `## ${i + 1}. ${t.question.split('\n')[0].slice(0, 120)}`, '', quote(t.question));
    const calls = callLines(events);
    if (calls.length) out.push('', '**Tool calls**', '', ...calls);
    out.push('', `**Answer** (${outcomeLine(t)})`, '');
    if (t.answer) out.push(t.answer);
    else if (t.error) out.push(`_${t.state === 'stopped' ? 'Stopped' : 'No answer'}: ${t.error.message}_`);
    else out.push('_No answer: the task was interrupted._');
  });
  return `${out.join('\n')}\n`;
}
