// The extension's copy of the panel's conversations: the current one (every engine event, deltas
// merged) and the history of earlier ones, kept in workspaceState so they survive reloads. The panel
// keeps its own copy with setState; on `ready` it is replaced by this one. No VS Code import: the
// store takes any key/value memento.
import type { EngineEvent } from '../../core/protocol/events';
import type { ConversationRecord } from '../../protocol/panel';
import { compactForStorage, EventLog, summarize } from '../../core/protocol/event-log';

/** The part of `vscode.Memento` the store uses. */
export interface KeyValueStore {
  get<T>(key: string): T | undefined;
  update(key: string, value: unknown): PromiseLike<void>;
}

export interface ConversationStoreOptions {
  /** Earlier conversations kept. */
  historyLimit?: number;
  /** Stored size cap in characters of JSON; the oldest history goes first when over. */
  maxStoredChars?: number;
  /**
   * Longest a change waits to be written while a task streams (default 10 s): the stored JSON may be
   * megabytes, and the extension host should not serialise it for every burst of tokens. A finished
   * task, a new conversation and a hidden or closed panel are written at once.
   */
  saveDelayMs?: number;
  now?: () => number;
}

const STORAGE_KEY = 'orchestra.panel.conversations.v1';
const CURRENT_RESULT_CHARS = 16_000;
const HISTORY_RESULT_CHARS = 4_000;

interface Stored {
  current: { id: string; startedAt: number; events: EngineEvent[] };
  history: ConversationRecord[];
}

export class ConversationStore {
  private currentId: string;
  private currentStartedAt: number;
  private log = new EventLog();
  private history: ConversationRecord[] = [];
  private saveTimer: ReturnType<typeof setTimeout> | undefined;
  private saving: Promise<void> = Promise.resolve();
  /** Changes not written yet. */
  private dirty = false;
  private readonly historyLimit: number;
  private readonly maxStoredChars: number;
  private readonly saveDelayMs: number;
  private readonly now: () => number;

  constructor(
    private readonly memento: KeyValueStore,
    opts: ConversationStoreOptions = {},
  ) {
    this.historyLimit = opts.historyLimit ?? 30;
    this.maxStoredChars = opts.maxStoredChars ?? 4_000_000;
    this.saveDelayMs = opts.saveDelayMs ?? 10_000;
    this.now = opts.now ?? Date.now;
    this.currentId = newConversationId(this.now());
    this.currentStartedAt = this.now();
    this.load();
  }

  private load(): void {
    const stored = this.memento.get<Stored>(STORAGE_KEY);
    if (!stored || typeof stored !== 'object' || !stored.current || !Array.isArray(stored.history)) return;
    this.currentId = String(stored.current.id);
    this.currentStartedAt = Number(stored.current.startedAt) || this.now();
    this.log = EventLog.from(Array.isArray(stored.current.events) ? stored.current.events : []);
    this.history = stored.history.slice(0, this.historyLimit);
  }

  append(e: EngineEvent): void {
    this.log.append(e);
    this.dirty = true;
    // A finished task is worth saving at once; streaming deltas wait for the burst to end.
    this.scheduleSave(e.type === 'done' || e.type === 'error' ? 0 : this.saveDelayMs);
  }

  /** Moves the current conversation (if it has anything) into history and starts an empty one. */
  newConversation(): void {
    if (this.log.length > 0) {
      const events = compactForStorage(this.log.events, { maxResultChars: HISTORY_RESULT_CHARS });
      const s = summarize(events);
      this.history.unshift({
        id: this.currentId,
        startedAt: s.startedAt || this.currentStartedAt,
        title: s.title || 'Untitled conversation',
        dollars: s.dollars,
        taskCount: s.taskCount,
        events,
      });
      this.history = this.history.slice(0, this.historyLimit);
    }
    this.log = new EventLog();
    this.currentStartedAt = this.now();
    this.currentId = newConversationId(this.currentStartedAt);
    this.dirty = true;
    this.scheduleSave(0);
  }

  deleteHistory(id: string): boolean {
    const before = this.history.length;
    this.history = this.history.filter((c) => c.id !== id);
    if (this.history.length === before) return false;
    this.dirty = true;
    this.scheduleSave(0);
    return true;
  }

  /** What the panel is sent on `ready`. */
  snapshot(): { current: ConversationRecord; history: ConversationRecord[] } {
    const events = this.log.events.slice();
    const s = summarize(events);
    return {
      current: { id: this.currentId, startedAt: this.currentStartedAt, title: s.title, dollars: s.dollars, taskCount: s.taskCount, events },
      history: this.history.slice(),
    };
  }

  /** Writes pending changes now (nothing when there are none). */
  flush(): Promise<void> {
    if (this.saveTimer) {
      clearTimeout(this.saveTimer);
      this.saveTimer = undefined;
    }
    return this.dirty ? this.save() : this.saving;
  }

  dispose(): Promise<void> {
    return this.flush();
  }

  private scheduleSave(delayMs: number): void {
    if (this.saveTimer) {
      if (delayMs > 0) return;
      clearTimeout(this.saveTimer);
    }
    this.saveTimer = setTimeout(() => {
      this.saveTimer = undefined;
      void this.save();
    }, delayMs);
  }

  private readonly sizes = new WeakMap<ConversationRecord, number>();
  private sizeOf(c: ConversationRecord): number {
    let n = this.sizes.get(c);
    if (n === undefined) {
      n = JSON.stringify(c).length;
      this.sizes.set(c, n);
    }
    return n;
  }

  private save(): Promise<void> {
    this.dirty = false;
    const stored: Stored = {
      current: {
        id: this.currentId,
        startedAt: this.currentStartedAt,
        events: compactForStorage(this.log.events, { maxResultChars: CURRENT_RESULT_CHARS }),
      },
      history: this.history,
    };
    // Keep workspaceState bounded: drop the oldest conversations until it fits. History entries do
    // not change, so their sizes are measured once.
    let size = JSON.stringify(stored.current).length;
    for (const c of stored.history) size += this.sizeOf(c);
    while (size > this.maxStoredChars && stored.history.length > 0) {
      size -= this.sizeOf(stored.history[stored.history.length - 1]);
      stored.history = stored.history.slice(0, -1);
    }
    this.history = stored.history;
    // Writes are chained so an older snapshot never lands after a newer one.
    this.saving = this.saving.then(
      () => this.memento.update(STORAGE_KEY, stored),
      () => this.memento.update(STORAGE_KEY, stored),
    );
    return this.saving;
  }
}

function newConversationId(now: number): string {
  return `c-${now.toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}
