// What a follow-up question carries of the conversation before it: each earlier question, its
// answer (or how it ended), and a compact record of the tool results it used — read from the task
// journals of the branch, and written as chat messages (general dialect) or as text (ToolOrchestra).
import type OpenAI from 'openai';
import type { EngineEvent } from '../protocol/events';
import type { ParsedJournal } from './journal';
import type { ConversationLibrary } from './library';

export interface PriorTurn {
  taskId: string;
  question: string;
  /** The answer, or a line saying why there is none. */
  answer: string;
  /** One line per tool call of the task's own turns: the call, its state and the start of its result. */
  toolRecords: string[];
}

/** At most this many tool records per earlier turn, each cut to RECORD_CHARS. */
const MAX_RECORDS = 12;
const RECORD_CHARS = 300;

function clip(text: string, n: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > n ? `${flat.slice(0, n - 1)}…` : flat;
}

/** The compact record of a task's tool calls (its own turns; subtasks are summed up by their delegate call). */
export function toolRecords(events: readonly EngineEvent[]): string[] {
  const started = new Map<string, { tool: string; args: unknown; parentCallId?: string }>();
  const out: string[] = [];
  for (const e of events) {
    if (e.type === 'tool_call_started') started.set(e.callId, { tool: e.tool, args: e.args, parentCallId: e.parentCallId });
    if (e.type !== 'tool_call_finished' || e.tool === 'answer') continue;
    const s = started.get(e.callId);
    if (!s || s.parentCallId) continue;
    const args = s.args === undefined ? '' : clip(JSON.stringify(s.args), 120);
    const result = clip(e.error && !e.result ? e.error : e.result, RECORD_CHARS);
    out.push(`${e.tool}${e.model ? ` [${e.model}]` : ''} ${args} → ${e.state}${result ? `: ${result}` : ''}`);
  }
  return out.length > MAX_RECORDS ? [...out.slice(0, MAX_RECORDS), `(${out.length - MAX_RECORDS} more tool calls not listed)`] : out;
}

export function priorTurnOf(j: ParsedJournal): PriorTurn | undefined {
  const h = j.header;
  if (!h) return undefined;
  const end = j.end;
  const answer = end?.ok
    ? (end.answer ?? '')
    : end?.error
      ? `(no answer: ${end.error.code === 'cancelled' ? 'stopped by the user' : end.error.message})`
      : '(no answer: the task was interrupted)';
  return { taskId: h.taskId, question: h.question, answer, toolRecords: toolRecords(j.events) };
}

/**
 * The turns before a follow-up to `parentTaskId`, oldest first, read from the library. Fails with a
 * clear message when a journal of the chain is missing: a follow-up is never sent without the
 * context the user sees.
 */
export function priorTurns(library: ConversationLibrary, conversationId: string, parentTaskId: string): PriorTurn[] {
  const chain: PriorTurn[] = [];
  const seen = new Set<string>();
  for (let id: string | undefined = parentTaskId; id;) {
    if (seen.has(id)) throw new Error(`the conversation ${conversationId} has a cycle at task ${id}`);
    seen.add(id);
    const j = library.journal(conversationId, id);
    const turn = j && priorTurnOf(j);
    if (!j || !turn)
      throw new Error(`cannot continue the conversation: the record of task ${id} is not in ${library.folder(conversationId)}`);
    chain.unshift(turn);
    id = j.header!.parentTaskId;
  }
  return chain;
}

function recordsBlock(t: PriorTurn): string {
  return t.toolRecords.length ? `[Tool results used for this answer]\n${t.toolRecords.map((r) => `- ${r}`).join('\n')}\n\n` : '';
}

/** Earlier turns as chat messages: the question, then the answer with its tool record before it. */
export function priorTurnMessages(turns: PriorTurn[]): OpenAI.Chat.ChatCompletionMessageParam[] {
  return turns.flatMap((t): OpenAI.Chat.ChatCompletionMessageParam[] => [
    { role: 'user', content: t.question },
    { role: 'assistant', content: `${recordsBlock(t)}${t.answer}` },
  ]);
}

/** Earlier turns as one text block (for a dialect that rebuilds its context every round). */
export function priorTurnsText(turns: PriorTurn[]): string {
  if (!turns.length) return '';
  const parts = turns.map((t, i) => `Question ${i + 1}: ${t.question}\n${recordsBlock(t)}Answer ${i + 1}: ${t.answer}`);
  return `Earlier in this conversation:\n\n${parts.join('\n\n')}`;
}
