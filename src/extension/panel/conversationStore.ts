// The panel's conversations on the extension side. The conversations themselves are the task
// journals the engine writes as tasks run (src/core/conversations): history, branches and Markdown
// are read from there, so a reloaded window or a restarted engine shows every task as it was. Kept
// here: which conversation is current and which branch of it is shown (workspaceState), and the
// events of that branch in memory — loaded from the journals, then followed live. No VS Code import:
// the store takes any key/value memento.
import type { EngineEvent } from '../../core/protocol/events';
import type { BranchInfo, ConversationRecord, ConversationSummary } from '../../protocol/panel';
import { emptyTotals } from '../../protocol/engine-rpc';
import {
  ConversationLibrary,
  branchOf,
  newConversationId,
  newestTipUnder,
  summarizeConversation,
  type TaskSummary,
} from '../../core/conversations/library';
import { conversationMarkdown } from '../../core/conversations/markdown';
import { compactForStorage, EventLog, summarize } from '../../core/protocol/event-log';

/** The part of `vscode.Memento` the store uses. */
export interface KeyValueStore {
  get<T>(key: string): T | undefined;
  update(key: string, value: unknown): PromiseLike<void>;
}

export interface ConversationStoreOptions {
  /** Where the engine records conversations; without one, only the current conversation is kept, in memory. */
  library?: ConversationLibrary;
  /** Whether the engine is running a task now (a task without an end that is not running was interrupted). */
  isRunning?: (taskId: string) => boolean;
  now?: () => number;
}

const STORAGE_KEY = 'orchestra.panel.conversations.v2';
/** Tool results sent to the panel are cut to this; the journal keeps them whole. */
const RESULT_CHARS = 16_000;

interface Stored {
  currentId: string;
  startedAt: number;
  /** The task each conversation is shown down to (its branch), by conversation id. */
  tips: Record<string, string>;
}

/** Where the next question goes: its conversation and the task it follows. */
export interface AskPlace {
  conversationId: string;
  parentTaskId?: string;
}

export class ConversationStore {
  private currentId: string;
  private startedAt: number;
  private tips: Record<string, string> = {};
  private log = new EventLog();
  /** The conversation of every task asked in this session (events of other conversations are not shown here). */
  private readonly taskConversation = new Map<string, string>();
  /** Top-level task ids of the current branch, in order. */
  private branch: string[] = [];
  private readonly now: () => number;

  constructor(
    private readonly memento: KeyValueStore,
    private readonly opts: ConversationStoreOptions = {},
  ) {
    this.now = opts.now ?? Date.now;
    this.currentId = newConversationId(this.now());
    this.startedAt = this.now();
    const stored = memento.get<Stored>(STORAGE_KEY);
    if (stored && typeof stored.currentId === 'string' && stored.tips && typeof stored.tips === 'object') {
      this.currentId = stored.currentId;
      this.startedAt = Number(stored.startedAt) || this.now();
      this.tips = { ...stored.tips };
    }
    this.reload();
  }

  get currentConversationId(): string {
    return this.currentId;
  }

  get library(): ConversationLibrary | undefined {
    return this.opts.library;
  }

  /** Where a new question goes: after the branch's last task, or — for an edited question — beside `editOf`. */
  placeFor(editOf?: string): AskPlace {
    if (editOf) return { conversationId: this.currentId, parentTaskId: this.parentOf(editOf) };
    return { conversationId: this.currentId, parentTaskId: this.branch.at(-1) };
  }

  /** The task `taskId` follows in the current conversation (undefined for a first question). */
  parentOf(taskId: string): string | undefined {
    const i = this.branch.indexOf(taskId);
    if (i >= 0) return i > 0 ? this.branch[i - 1] : undefined;
    return this.tasks().find((t) => t.taskId === taskId)?.parentTaskId;
  }

  /** A task is being asked at `place`: its events belong here, and the branch shown now ends with it. */
  expect(taskId: string, place: AskPlace): void {
    this.taskConversation.set(taskId, place.conversationId);
    if (place.conversationId !== this.currentId) return;
    const parentAt = place.parentTaskId ? this.branch.indexOf(place.parentTaskId) : -1;
    if (parentAt < this.branch.length - 1) {
      // A new branch: what followed the parent is no longer shown.
      const keep = new Set(this.branch.slice(0, parentAt + 1));
      this.log = EventLog.from(this.log.events.filter((e) => keep.has(e.taskId)));
      this.branch = this.branch.slice(0, parentAt + 1);
    }
    this.branch.push(taskId);
    this.tips[this.currentId] = taskId;
    this.save();
  }

  /** The asked task never started (the engine refused it): it leaves the branch again. */
  forget(taskId: string): void {
    this.taskConversation.delete(taskId);
    if (this.branch.at(-1) === taskId) this.branch.pop();
    if (this.tips[this.currentId] === taskId) {
      const last = this.branch.at(-1);
      if (last) this.tips[this.currentId] = last;
      else delete this.tips[this.currentId];
    }
    this.save();
  }

  append(e: EngineEvent): void {
    const owner = this.taskConversation.get(e.taskId);
    if (owner !== undefined && owner !== this.currentId) return;
    if (owner === undefined && !this.branch.includes(e.taskId)) {
      // A task this store did not ask for (a command, another extension): it joins the current conversation.
      if (e.type === 'task_started' && !e.parentCallId) this.branch.push(e.taskId);
    }
    this.log.append(e);
  }

  newConversation(): void {
    this.currentId = newConversationId(this.now());
    this.startedAt = this.now();
    this.log = new EventLog();
    this.branch = [];
    this.save();
  }

  /** Shows the branch through `taskId`, down to its newest follow-up. */
  selectBranch(taskId: string): boolean {
    const tasks = this.tasks();
    if (!tasks.some((t) => t.taskId === taskId)) return false;
    this.tips[this.currentId] = newestTipUnder(tasks, taskId);
    this.reload();
    this.save();
    return true;
  }

  /** Makes an earlier conversation the current one. */
  continueConversation(id: string): boolean {
    if (!this.opts.library?.has(id)) return false;
    this.currentId = id;
    this.startedAt = this.tasks()[0]?.startedAt ?? this.now();
    this.reload();
    this.save();
    return true;
  }

  deleteConversation(id: string): boolean {
    let deleted: boolean;
    try {
      deleted = this.opts.library?.delete(id) ?? false;
    } catch {
      deleted = false;
    }
    delete this.tips[id];
    if (id === this.currentId) {
      this.newConversation();
      return true;
    }
    this.save();
    return deleted;
  }

  /** An earlier conversation's shown branch with its events, for reading. */
  record(id: string): ConversationRecord | undefined {
    const library = this.opts.library;
    if (!library?.has(id)) return undefined;
    const tasks = library.tasks(id);
    if (!tasks.length) return undefined;
    const shown = branchOf(tasks, this.tips[id]);
    const events = this.eventsOf(library, id, shown);
    return { ...summarizeConversation(id, shown), events: compactForStorage(events, { maxResultChars: RESULT_CHARS }) };
  }

  markdown(id: string): string {
    const library = this.opts.library;
    if (!library) throw new Error('conversations are not recorded in this window (no storage folder)');
    return conversationMarkdown(library, id, this.tips[id]);
  }

  /** What the panel is sent on `ready` and after every change of conversation or branch. */
  snapshot(): {
    current: ConversationRecord;
    history: ConversationSummary[];
    branches: Record<string, BranchInfo>;
    resumable: string[];
    recorded: boolean;
  } {
    const events = compactForStorage(this.log.events, { maxResultChars: RESULT_CHARS });
    const s = summarize(events);
    const tasks = this.tasks();
    const branches: Record<string, BranchInfo> = {};
    const resumable: string[] = [];
    if (tasks.length) {
      for (const t of branchOf(tasks, this.tips[this.currentId])) {
        if (t.siblings.length > 1) branches[t.taskId] = { siblings: t.siblings, index: t.siblings.indexOf(t.taskId) };
        if ((t.state === 'interrupted' || t.state === 'stopped') && !this.opts.isRunning?.(t.taskId)) resumable.push(t.taskId);
      }
    }
    const models = [...new Set(tasks.flatMap((t) => t.models))];
    return {
      current: {
        id: this.currentId,
        startedAt: this.startedAt,
        title: s.title,
        dollars: s.dollars,
        taskCount: s.taskCount,
        models,
        events,
      },
      history: (this.opts.library?.list() ?? []).filter((c) => c.id !== this.currentId),
      branches,
      resumable,
      recorded: this.opts.library !== undefined,
    };
  }

  /** Writes the small state (current conversation, branches shown) now. */
  flush(): Promise<void> {
    return Promise.resolve(this.memento.update(STORAGE_KEY, this.stored()));
  }

  dispose(): Promise<void> {
    return this.flush();
  }

  private stored(): Stored {
    return { currentId: this.currentId, startedAt: this.startedAt, tips: this.tips };
  }

  private save(): void {
    void Promise.resolve(this.memento.update(STORAGE_KEY, this.stored())).then(undefined, () => undefined);
  }

  private tasks(): TaskSummary[] {
    try {
      return this.opts.library?.tasks(this.currentId) ?? [];
    } catch {
      return [];
    }
  }

  /** Loads the current branch from the journals (the truth after a reload or an engine restart). */
  private reload(): void {
    const library = this.opts.library;
    const tasks = this.tasks();
    if (!library || !tasks.length) {
      this.log = new EventLog();
      this.branch = [];
      return;
    }
    const shown = branchOf(tasks, this.tips[this.currentId]);
    this.branch = shown.map((t) => t.taskId);
    this.log = EventLog.from(this.eventsOf(library, this.currentId, shown));
  }

  /**
   * The events of these tasks as their journals hold them. A task whose record has no end and that
   * is not running was interrupted: it gets a closing `interrupted` event, so it is not shown as
   * running forever, with what it had spent.
   */
  private eventsOf(library: ConversationLibrary, conversationId: string, tasks: TaskSummary[]): EngineEvent[] {
    const out: EngineEvent[] = [];
    for (const t of tasks) {
      const j = library.journal(conversationId, t.taskId);
      if (!j) continue;
      out.push(...j.events);
      const ended = j.events.some((e) => (e.type === 'done' || e.type === 'error') && e.taskId === t.taskId);
      if (ended || this.opts.isRunning?.(t.taskId)) continue;
      const last = j.events.at(-1);
      const totals = [...j.events].reverse().find((e) => e.type === 'cost_update');
      out.push({
        type: 'error',
        taskId: t.taskId,
        seq: (last?.seq ?? -1) + 1,
        time: last?.time ?? t.startedAt,
        code: 'interrupted',
        message: 'the task did not finish: the window was reloaded or the engine stopped while it ran',
        totals: totals?.type === 'cost_update' ? totals.totals : emptyTotals(),
      });
    }
    return out;
  }
}
