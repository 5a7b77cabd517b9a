// The conversations of one workspace, as task journals in a folder: `<dir>/<conversationId>/<taskId>.jsonl`.
// A conversation is a tree of tasks (each names the task it follows), so an edited question or a
// retried answer is a branch. Listing, reading, branches, deleting — the extension's history and the
// CLI's `orchestra history` both read it here; the engine writes it (journal.ts).
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Totals } from '../protocol/events';
import { readJournal, type ParsedJournal } from './journal';

/** Conversation and task ids name folders and files: plain characters only, never a path. */
const SAFE_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$/;

export function isSafeId(id: string): boolean {
  return SAFE_ID.test(id) && !id.includes('..');
}

export function newConversationId(now = Date.now()): string {
  return `c-${now.toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}

export type TaskOutcomeState = 'running' | 'done' | 'failed' | 'stopped' | 'interrupted';

export interface TaskSummary {
  taskId: string;
  parentTaskId?: string;
  question: string;
  startedAt: number;
  endedAt?: number;
  /** `interrupted`: no end was written (the engine or the window went away mid-task); `running` is the caller's to say. */
  state: TaskOutcomeState;
  answer?: string;
  error?: { code: string; message: string };
  dollars: number;
  models: string[];
  orchestratorModel?: string;
}

export interface ConversationSummary {
  id: string;
  title: string;
  startedAt: number;
  updatedAt: number;
  dollars: number;
  models: string[];
  taskCount: number;
}

/** The latest totals a journal holds: its end, else the last event that carried totals. */
function totalsOf(j: ParsedJournal): Totals | undefined {
  if (j.end) return j.end.totals;
  for (let i = j.events.length - 1; i >= 0; i--) {
    const e = j.events[i];
    if (e.type === 'cost_update' || e.type === 'done' || e.type === 'error') return e.totals;
  }
  return undefined;
}

export function summarizeTask(j: ParsedJournal): TaskSummary | undefined {
  const h = j.header;
  if (!h) return undefined;
  const totals = totalsOf(j);
  const end = j.end;
  const started = j.events.find((e) => e.type === 'task_started' && !e.parentCallId);
  const state: TaskOutcomeState = !end
    ? 'interrupted'
    : end.ok
      ? 'done'
      : end.error?.code === 'cancelled'
        ? 'stopped'
        : end.error?.code === 'engine_down' || end.error?.code === 'interrupted'
          ? 'interrupted'
          : 'failed';
  return {
    taskId: h.taskId,
    parentTaskId: h.parentTaskId,
    question: h.question,
    startedAt: h.startedAt,
    endedAt: end?.endedAt,
    state,
    answer: end?.answer,
    error: end?.error,
    dollars: totals?.dollars ?? 0,
    models: totals?.models ?? [],
    orchestratorModel: started?.type === 'task_started' ? started.orchestratorModel : h.orchestratorModel,
  };
}

export class ConversationLibrary {
  constructor(readonly dir: string) {}

  folder(conversationId: string): string {
    if (!isSafeId(conversationId)) throw new Error(`invalid conversation id "${conversationId}"`);
    return join(this.dir, conversationId);
  }

  journalPath(conversationId: string, taskId: string): string {
    if (!isSafeId(taskId)) throw new Error(`invalid task id "${taskId}"`);
    return join(this.folder(conversationId), `${taskId.replace(/:/g, '_')}.jsonl`);
  }

  has(conversationId: string): boolean {
    return isSafeId(conversationId) && existsSync(this.folder(conversationId));
  }

  journal(conversationId: string, taskId: string): ParsedJournal | undefined {
    return readJournal(this.journalPath(conversationId, taskId));
  }

  /** Every task of a conversation, read from its journals, oldest first. */
  journals(conversationId: string): ParsedJournal[] {
    const folder = this.folder(conversationId);
    let names: string[];
    try {
      names = readdirSync(folder).filter((n) => n.endsWith('.jsonl'));
    } catch {
      return [];
    }
    const out: ParsedJournal[] = [];
    for (const n of names) {
      const j = readJournal(join(folder, n));
      if (j?.header) out.push(j);
    }
    return out.sort((a, b) => a.header!.startedAt - b.header!.startedAt);
  }

  tasks(conversationId: string): TaskSummary[] {
    return this.journals(conversationId)
      .map(summarizeTask)
      .filter((t): t is TaskSummary => !!t);
  }

  /** All conversations, most recently active first. */
  list(): ConversationSummary[] {
    let ids: string[];
    try {
      ids = readdirSync(this.dir).filter((n) => isSafeId(n) && statSync(join(this.dir, n)).isDirectory());
    } catch {
      return [];
    }
    const out: ConversationSummary[] = [];
    for (const id of ids) {
      const tasks = this.tasks(id);
      if (!tasks.length) continue;
      out.push(summarizeConversation(id, tasks));
    }
    return out.sort((a, b) => b.updatedAt - a.updatedAt);
  }

  /** The most recently active conversation, if any. */
  latest(): ConversationSummary | undefined {
    return this.list()[0];
  }

  /** Removes a conversation and every record of it. False when there was none. */
  delete(conversationId: string): boolean {
    const folder = this.folder(conversationId);
    if (!existsSync(folder)) return false;
    rmSync(folder, { recursive: true, force: true });
    return true;
  }
}

export function summarizeConversation(id: string, tasks: TaskSummary[]): ConversationSummary {
  const models = new Set<string>();
  for (const t of tasks) for (const m of t.models) models.add(m);
  const first = tasks[0];
  return {
    id,
    title: first.question.replace(/\s+/g, ' ').trim().slice(0, 200),
    startedAt: first.startedAt,
    updatedAt: Math.max(...tasks.map((t) => t.endedAt ?? t.startedAt)),
    dollars: tasks.reduce((s, t) => s + t.dollars, 0),
    models: [...models],
    taskCount: tasks.length,
  };
}

/**
 * The branch of a conversation that ends at `tipTaskId` (or, without one, the newest line): its
 * tasks from the first question on. Each task lists the other answers to its place (siblings:
 * edited questions, retries) so a reader can switch between them.
 */
export function branchOf(tasks: TaskSummary[], tipTaskId?: string): Array<TaskSummary & { siblings: string[] }> {
  const byId = new Map(tasks.map((t) => [t.taskId, t]));
  let tip = tipTaskId ? byId.get(tipTaskId) : undefined;
  if (!tip) {
    // Follow the newest child from the newest root.
    const children = childrenIndex(tasks);
    const roots = tasks.filter((t) => !t.parentTaskId || !byId.has(t.parentTaskId));
    tip = roots[roots.length - 1];
    while (tip && children.get(tip.taskId)?.length) tip = children.get(tip.taskId)!.at(-1);
  }
  const chain: TaskSummary[] = [];
  for (let t = tip; t && !chain.includes(t); t = t.parentTaskId ? byId.get(t.parentTaskId) : undefined) chain.unshift(t);
  const children = childrenIndex(tasks);
  return chain.map((t) => {
    const key = t.parentTaskId && byId.has(t.parentTaskId) ? t.parentTaskId : '';
    return { ...t, siblings: (children.get(key) ?? []).map((s) => s.taskId) };
  });
}

/** Tasks by the task they follow ('' for first questions), oldest first. */
function childrenIndex(tasks: TaskSummary[]): Map<string, TaskSummary[]> {
  const byId = new Set(tasks.map((t) => t.taskId));
  const out = new Map<string, TaskSummary[]>();
  for (const t of tasks) {
    const key = t.parentTaskId && byId.has(t.parentTaskId) ? t.parentTaskId : '';
    const list = out.get(key) ?? [];
    list.push(t);
    out.set(key, list);
  }
  return out;
}

/**
 * The newest task at the end of the line through `taskId`: switching to a branch shows it down to its
 * latest follow-up.
 */
export function newestTipUnder(tasks: TaskSummary[], taskId: string): string {
  const children = childrenIndex(tasks);
  let tip = taskId;
  for (let next = children.get(tip)?.at(-1); next; next = children.get(tip)?.at(-1)) tip = next.taskId;
  return tip;
}
