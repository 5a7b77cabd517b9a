// The Orchestra panel: header (engine, spend, Models, History, New), the conversation log, the composer (composer.ts).
// Messages from the extension are queued and applied once per animation frame; the conversation's
// event log is kept with setState (and by the extension) so it survives the panel being hidden,
// reloaded or VS Code restarting.
import type { EngineEvent } from '../../src/core/protocol/events';
import type {
  ConversationRecord,
  ConversationSummary,
  ExtensionToPanel,
  PanelApproval,
  PanelAttachment,
  PanelCommand,
  PanelStatus,
  PanelToExtension,
} from '../../src/protocol/panel';
import { Announcer } from './announcer';
import { renderBanners, renderEngineState } from './header';
import { ConversationView } from './conversation';
import { compactForStorage, EventLog } from '../../src/core/protocol/event-log';
import { formatDollars, formatTime, h } from './format';
import { renderHistory as drawHistory } from './history';
import { Composer } from './composer';
import { renderEmptyState, renderModelsPanel } from './models-panel';

interface VsCodeApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState<T>(state: T): T;
}
declare function acquireVsCodeApi(): VsCodeApi;

const STATE_VERSION = 2;
interface SavedState {
  version: number;
  current: { id: string; startedAt: number; events: EngineEvent[] };
  history: ConversationSummary[];
  draft: string;
  status?: PanelStatus;
}
const STORED_RESULT_CHARS = 16_000;

const vscode = acquireVsCodeApi();
function post(msg: PanelToExtension): void {
  vscode.postMessage(msg);
}

// ── state ──────────────────────────────────────────────────────────────────────────────────────

let log = new EventLog();
let conversationId = newId();
let conversationStartedAt = Date.now();
let history: ConversationSummary[] = [];
/** From the last restore: tasks with other answers to their place, and tasks that can be resumed. */
let branches: Record<string, { siblings: string[]; index: number }> = {};
let resumable: string[] = [];
let recorded = false;
let status: PanelStatus | undefined;
let view: ConversationView;
let viewing: ConversationRecord | undefined;
let historyOpen = false;
let modelsOpen = false;
const pendingApprovals = new Map<string, PanelApproval>();

function newId(): string {
  return `c-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}

// ── layout ─────────────────────────────────────────────────────────────────────────────────────

const spendEl = h('span', { class: 'session-spend', title: 'Spent in this session' });
const engineEl = h('span', { class: 'engine-state', role: 'status' });
const newButton = h(
  'button',
  {
    type: 'button',
    class: 'icon-button new-button',
    'aria-label': 'New conversation',
    title: 'New conversation (the current one goes to history)',
  },
  '+',
  h('span', { class: 'wide-only' }, ' New'),
);
const historyButton = h(
  'button',
  { type: 'button', class: 'icon-button', 'aria-expanded': 'false', title: 'Earlier conversations' },
  'History',
);
const modelsButton = h(
  'button',
  {
    type: 'button',
    class: 'icon-button models-toggle',
    'aria-expanded': 'false',
    'aria-controls': 'models-panel',
    title: 'The models Orchestra may call, and the local model files',
  },
  'Models',
);
// One line at any width (layout.css): the engine and its orchestrator shrink first, the buttons never wrap.
const header = h('header', { class: 'panel-header' }, engineEl, spendEl, modelsButton, historyButton, newButton);
const bannersEl = h('div', { class: 'banners' });
const logEl = h('main', { class: 'log', role: 'log', 'aria-live': 'polite', 'aria-label': 'Conversation', tabindex: '0' });
const emptyEl = h('div', { class: 'empty-state' });
const viewingBanner = h('div', { class: 'viewing-banner', role: 'status' });
const historyEl = h('section', { class: 'history', 'aria-label': 'Earlier conversations' });
historyEl.hidden = true;
const modelsEl = h('section', { class: 'models-panel', id: 'models-panel', 'aria-label': 'Models' });
modelsEl.hidden = true;
const pendingAskEl = h('div', { class: 'pending-ask', role: 'status' });
pendingAskEl.hidden = true;

/** The question shown as "Sending…", kept to give it back to the input box if it fails. */
let pendingQuestion = '';

const composer = new Composer({
  post,
  send: sendQuestion,
  stop: () => {
    const last = view.runningTaskIds.at(-1);
    if (last) post({ type: 'cancel', taskId: last });
  },
  changed: () => saveStateSoon(),
});

const app = document.getElementById('app') ?? document.body.appendChild(h('div', { id: 'app' }));
// Screen readers hear how the running task stands (announcer.ts); the region lives outside #app, which is re-rendered.
const announcer = new Announcer(document.body);
app.replaceChildren(header, bannersEl, modelsEl, historyEl, viewingBanner, logEl, composer.element);

// ── conversation view ─────────────────────────────────────────────────────────────────────────

const host = {
  cancel: (taskId: string) => post({ type: 'cancel', taskId }),
  cancelCall: (taskId: string, callId: string) => post({ type: 'cancelCall', taskId, callId }),
  openFile: (path: string, line?: number) => post({ type: 'openFile', path, ...(line ? { line } : {}) }),
  feedback: (taskId: string, verdict: 'up' | 'down' | 'none') => post({ type: 'feedback', taskId, verdict }),
  approve: (approvalId: string, approved: boolean) => {
    pendingApprovals.delete(approvalId);
    post({ type: 'approve', approvalId, approved });
  },
  ask: (question: string, editOf: string) => {
    post({ type: 'ask', question, attachments: [], editOf });
    showPending(question);
  },
  retry: (taskId: string, orchestratorModel?: string) => post({ type: 'retry', taskId, orchestratorModel }),
  selectBranch: (taskId: string) => post({ type: 'selectBranch', taskId }),
  resume: (taskId: string) => post({ type: 'resume', taskId }),
  orchestratorChoices: () => (status?.models ?? []).filter((m) => m.eligible).map((m) => m.id),
};

function mountConversation(events: readonly EngineEvent[], readOnly: boolean): ConversationView {
  const v = new ConversationView(host, readOnly);
  v.setScrollRoot(logEl);
  for (const e of events) v.apply(e);
  v.flush();
  logEl.replaceChildren(emptyEl, v.element, pendingAskEl);
  return v;
}

function showCurrent(): void {
  viewing = undefined;
  view = mountConversation(log.events, false);
  view.setBranches(branches);
  view.setResumable(recorded, resumable);
  for (const a of pendingApprovals.values()) view.addApproval(a);
  view.flush();
  renderChrome();
  scrollToBottom();
}

// ── frame scheduling ──────────────────────────────────────────────────────────────────────────

const inbox: ExtensionToPanel[] = [];
let frameRequested = false;

function schedule(): void {
  if (frameRequested) return;
  frameRequested = true;
  let done = false;
  const run = (): void => {
    if (done) return;
    done = true;
    frameRequested = false;
    frame();
  };
  requestAnimationFrame(run);
  // rAF does not fire while the panel is hidden; keep the model current anyway.
  setTimeout(run, 250);
}

function frame(): void {
  const atBottom = stickToBottom;
  const messages = inbox.splice(0);
  let changedEvents = false;
  for (const m of messages) changedEvents = handle(m) || changedEvents;
  const again = viewing ? false : view.flush();
  if (changedEvents) {
    saveStateSoon();
    renderChrome();
  }
  if (atBottom) scrollToBottom();
  if (again) schedule();
  ensureTicker();
}

function handle(m: ExtensionToPanel): boolean {
  switch (m.type) {
    case 'event':
      receiveEvent(m.event);
      return true;
    case 'events':
      for (const e of m.events) receiveEvent(e);
      return true;
    case 'status':
      status = m.status;
      renderChrome();
      renderModels();
      saveStateSoon();
      return false;
    case 'approval':
      pendingApprovals.set(m.approval.approvalId, m.approval);
      if (!viewing) view.addApproval(m.approval);
      return false;
    case 'approvalResolved':
      pendingApprovals.delete(m.approvalId);
      if (!viewing) view.resolveApproval(m.approvalId, m.approved);
      return false;
    case 'restore':
      conversationId = m.current.id;
      conversationStartedAt = m.current.startedAt;
      log = EventLog.from(m.current.events);
      history = m.history;
      branches = m.branches ?? {};
      resumable = m.resumable ?? [];
      recorded = m.recorded ?? false;
      // A question sent a moment ago stays shown as "Sending…" until its task starts.
      pendingAskEl.hidden = !pendingQuestion;
      if (viewing && !history.some((c) => c.id === viewing!.id)) viewing = undefined;
      if (!viewing) showCurrent();
      else renderChrome();
      renderHistory();
      return true;
    case 'conversation':
      openHistoryEntry(m.record);
      return false;
    case 'askFailed':
      // The question never became a task: drop its "Sending…", say why, and give the text back.
      pendingAskEl.hidden = true;
      composer.askFailed(m.message, pendingQuestion);
      pendingQuestion = '';
      renderChrome();
      saveStateSoon();
      return true;
    case 'revealTask':
      // The task lives in the current conversation; leave a history entry being viewed to show it.
      if (viewing) showCurrent();
      view.revealTask(m.taskId);
      return false;
    case 'compose':
      composer.compose(m.question, m.attachments ?? [], m.focus !== false);
      return false;
    case 'settingResult':
      composer.settingResult(m.ok, m.message);
      return false;
  }
}

function receiveEvent(e: EngineEvent): void {
  log.append(e);
  announcer.onEvent(e);
  if (e.type === 'task_started' && !e.parentCallId) {
    pendingAskEl.hidden = true;
    pendingQuestion = '';
  }
  if (e.type === 'approval_resolved') pendingApprovals.delete(e.approvalId);
  if (e.type === 'done' || e.type === 'error') {
    for (const [id, a] of pendingApprovals) if (a.taskId === e.taskId) pendingApprovals.delete(id);
  }
  if (viewing) return; // the current conversation is re-mounted when the user goes back to it
  view.apply(e);
}

window.addEventListener('message', (ev: MessageEvent) => {
  const m = ev.data as ExtensionToPanel | undefined;
  if (!m || typeof m !== 'object' || typeof (m as { type?: unknown }).type !== 'string') return;
  inbox.push(m);
  schedule();
});

// ── elapsed-time ticker (only while something runs) ─────────────────────────────────────────────

let ticker: ReturnType<typeof setInterval> | undefined;
function ensureTicker(): void {
  const running = !viewing && view.runningTaskIds.length > 0;
  if (running && !ticker) {
    ticker = setInterval(() => {
      if (viewing || !view.tick()) {
        clearInterval(ticker);
        ticker = undefined;
        renderChrome();
      }
    }, 1000);
  }
  if (!viewing) view.tick();
}

// ── scrolling: follow new content only when the user is already at the bottom ───────────────────

// Decided at the user's last scroll, not at render time: off-screen sections (content-visibility)
// settle their real height after layout, which moves scrollHeight without the user doing anything.
let stickToBottom = true;
logEl.addEventListener('scroll', () => (stickToBottom = isAtBottom()), { passive: true });

function isAtBottom(): boolean {
  return logEl.scrollHeight - logEl.scrollTop - logEl.clientHeight < 48;
}
function scrollToBottom(): void {
  logEl.scrollTop = logEl.scrollHeight;
  stickToBottom = true;
}

// ── persistence ───────────────────────────────────────────────────────────────────────────────

let saveTimer: ReturnType<typeof setTimeout> | undefined;
function saveStateSoon(): void {
  if (saveTimer) return;
  // Serialising the log is O(size); a few times a second is plenty.
  saveTimer = setTimeout(saveState, 400);
}
function saveState(): void {
  saveTimer = undefined;
  const state: SavedState = {
    version: STATE_VERSION,
    current: {
      id: conversationId,
      startedAt: conversationStartedAt,
      events: compactForStorage(log.events, { maxResultChars: STORED_RESULT_CHARS }),
    },
    history,
    draft: composer.input.value,
    status,
  };
  vscode.setState(state);
}
window.addEventListener('pagehide', saveState);

function loadState(): void {
  const s = vscode.getState() as Partial<SavedState> | undefined;
  if (!s || s.version !== STATE_VERSION || !s.current) return;
  conversationId = s.current.id;
  conversationStartedAt = s.current.startedAt;
  log = EventLog.from(s.current.events ?? []);
  history = Array.isArray(s.history) ? s.history : [];
  composer.input.value = s.draft ?? '';
  status = s.status;
}

// ── chrome: header, banners, empty state, composer ──────────────────────────────────────────────

function commandButton(label: string, command: PanelCommand, primary = false): HTMLButtonElement {
  const b = h('button', { type: 'button', class: primary ? 'primary' : 'secondary', 'data-command': command }, label);
  b.addEventListener('click', () => post({ type: 'runCommand', command }));
  return b;
}

function renderChrome(): void {
  if (status) {
    spendEl.replaceChildren(h('span', { class: 'wide-only' }, 'Session '), formatDollars(status.sessionDollars));
    renderEngineState(engineEl, status);
  }
  renderBanners(bannersEl, status, commandButton);

  // Empty state.
  const empty = !viewing && view.taskCount === 0 && pendingAskEl.hidden;
  emptyEl.hidden = !empty;
  if (empty) renderEmptyState(emptyEl, status, commandButton);

  // Viewing an earlier conversation.
  viewingBanner.hidden = !viewing;
  if (viewing) {
    const id = viewing.id;
    const back = h('button', { type: 'button', class: 'secondary' }, 'Back to current conversation');
    back.addEventListener('click', () => showCurrent());
    const cont = h(
      'button',
      { type: 'button', class: 'primary', title: 'Make it the current conversation and ask a follow-up' },
      'Continue it',
    );
    cont.addEventListener('click', () => post({ type: 'continueConversation', conversationId: id }));
    const exp = h('button', { type: 'button', class: 'secondary' }, 'Export Markdown');
    exp.addEventListener('click', () => post({ type: 'exportConversation', conversationId: id }));
    viewingBanner.replaceChildren(
      h('span', {}, `Earlier conversation from ${formatTime(viewing.startedAt)} (read only)`),
      h('span', { class: 'viewing-actions' }, cont, exp, back),
    );
  }

  composer.render({ status, running: viewing ? 0 : view.runningTaskIds.length });
  historyButton.setAttribute('aria-expanded', String(historyOpen));
  modelsButton.setAttribute('aria-expanded', String(modelsOpen));
  const pool = status?.models;
  modelsButton.replaceChildren(
    'Models',
    pool ? h('span', { class: 'wide-only' }, ` (${pool.filter((m) => m.eligible).length}/${pool.length})`) : '',
  );
  modelsButton.title = pool
    ? `${pool.filter((m) => m.eligible).length} of ${pool.length} models may be called now`
    : 'The models Orchestra may call, and the local model files';
  historyButton.replaceChildren('History', history.length ? h('span', { class: 'wide-only' }, ` (${history.length})`) : '');
}

function renderHistory(): void {
  historyEl.hidden = !historyOpen;
  if (!historyOpen) return;
  drawHistory(
    historyEl,
    history,
    { id: conversationId, taskCount: view.taskCount },
    {
      open: (id) => {
        toggleHistory(false);
        post({ type: 'openConversation', conversationId: id });
      },
      continue: (id) => {
        toggleHistory(false);
        post({ type: 'continueConversation', conversationId: id });
      },
      export: (id) => post({ type: 'exportConversation', conversationId: id }),
      delete: (id) => {
        history = history.filter((x) => x.id !== id);
        post({ type: 'deleteHistory', conversationId: id });
        saveState();
        renderHistory();
        renderChrome();
      },
      close: () => toggleHistory(false),
    },
  );
}

// ── models: the pool as the engine sees it, and the local GGUF files ───────────────────────────

function renderModels(): void {
  modelsEl.hidden = !modelsOpen;
  if (modelsOpen) renderModelsPanel(modelsEl, status, commandButton, () => toggleModels(false));
}

function toggleModels(open: boolean): void {
  modelsOpen = open;
  renderModels();
  renderChrome();
}

function toggleHistory(open: boolean): void {
  historyOpen = open;
  renderHistory();
  renderChrome();
  if (open) historyEl.querySelector<HTMLButtonElement>('.history-open')?.focus();
}

/** Shows an earlier conversation, read-only, with its cards (the extension sent it on `openConversation`). */
function openHistoryEntry(c: ConversationRecord): void {
  viewing = c;
  mountConversation(c.events, true);
  renderChrome();
  logEl.scrollTop = 0;
}

// ── user actions ──────────────────────────────────────────────────────────────────────────────

/** Shows a question at once as "Sending…"; the task's own section replaces it when the engine starts it. */
function showPending(question: string): void {
  pendingAskEl.replaceChildren(h('div', { class: 'question-text' }, question), h('div', { class: 'muted' }, 'Sending…'));
  pendingAskEl.hidden = false;
  pendingQuestion = question;
  composer.hideAskError();
  renderChrome();
  scrollToBottom();
}

/** A question from the composer: into the current conversation, shown as "Sending…" until its task starts. */
function sendQuestion(question: string, attachments: PanelAttachment[]): void {
  if (viewing) showCurrent();
  post({ type: 'ask', question, attachments });
  view.expectAttachments(attachments.map((a) => ({ kind: a.kind, path: a.path, startLine: a.startLine, endLine: a.endLine })));
  showPending(question);
  renderChrome();
  saveStateSoon();
  scrollToBottom();
}

newButton.addEventListener('click', () => {
  // The extension keeps the conversation in history and answers with the new, empty one.
  log = new EventLog();
  branches = {};
  resumable = [];
  conversationId = newId();
  conversationStartedAt = Date.now();
  pendingApprovals.clear();
  post({ type: 'newConversation' });
  showCurrent();
  saveState();
  renderHistory();
  composer.input.focus();
});
historyButton.addEventListener('click', () => toggleHistory(!historyOpen));
modelsButton.addEventListener('click', () => toggleModels(!modelsOpen));

// Links and code-block buttons inside rendered Markdown, handled in one place.
document.addEventListener('click', (e) => {
  const target = e.target as Element | null;
  const anchor = target?.closest('a');
  if (anchor) {
    e.preventDefault();
    const href = anchor.getAttribute('href');
    if (href && /^https?:\/\//i.test(href)) post({ type: 'openLink', url: href });
    return;
  }
  const action = target?.closest<HTMLButtonElement>('[data-code-action]');
  if (action) {
    const block = action.closest('.code-block');
    // A fenced block's text ends with the fence's newline; the code itself does not.
    const code = (block?.querySelector('pre')?.textContent ?? '').replace(/\n$/, '');
    const language = block?.getAttribute('data-language') ?? undefined;
    const kind = action.dataset.codeAction;
    if (kind === 'copy') post({ type: 'copy', text: code });
    else if (kind === 'insert') post({ type: 'insertCode', code, language });
    else if (kind === 'apply') post({ type: 'applyCode', code, language });
    const label = action.textContent;
    action.textContent = kind === 'copy' ? 'Copied' : 'Sent';
    setTimeout(() => (action.textContent = label), 1200);
  }
});

// ── start ─────────────────────────────────────────────────────────────────────────────────────

loadState();
showCurrent();
renderHistory();
post({ type: 'ready' });

// Test and diagnostics hook: counters only, nothing that can change state.
(window as unknown as { __orchestraPanel: unknown }).__orchestraPanel = {
  get stats() {
    return { ...view.stats };
  },
  /** Cards with their DOM now, of all cards (the virtual list's state). */
  get cards() {
    return view.cardCounts;
  },
};
