// The Orchestra panel: header (privacy, budget, spend, engine), the conversation log, the question box.
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
  PanelLocalModel,
  PanelModel,
  PanelStatus,
  PanelToExtension,
} from '../../src/protocol/panel';
import { Announcer } from './announcer';
import { renderEngineState } from './header';
import { ConversationView } from './conversation';
import { compactForStorage, EventLog } from '../../src/core/protocol/event-log';
import { formatBytes, formatDollars, formatMs, formatTime, h } from './format';
import { renderHistory as drawHistory } from './history';

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
let composeAttachments: PanelAttachment[] = [];
const pendingApprovals = new Map<string, PanelApproval>();

function newId(): string {
  return `c-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}

// ── layout ─────────────────────────────────────────────────────────────────────────────────────

const privacySelect = h(
  'select',
  { id: 'privacy', class: 'privacy-select', title: 'Where data may go: any model, open-weights models only, or this machine only' },
  h('option', { value: 'any' }, 'Any model'),
  h('option', { value: 'open-weights-only' }, 'Open weights'),
  h('option', { value: 'local-only' }, 'Local only'),
);
const budgetInput = h('input', {
  id: 'budget',
  class: 'budget-input',
  type: 'number',
  min: '0',
  step: '0.05',
  inputmode: 'decimal',
  title: 'Maximum dollars per task',
});
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

/** Why the last question could not be sent; cleared by the next one. */
const askErrorEl = h('div', { class: 'ask-error', role: 'alert' });
askErrorEl.hidden = true;
/** The question shown as "Sending…", kept to give it back to the input box if it fails. */
let pendingQuestion = '';

const chipsEl = h('div', { class: 'compose-chips', 'aria-label': 'Attached context' });
const questionInput = h('textarea', {
  class: 'question-input',
  rows: 3,
  placeholder: 'Ask a coding question… (Enter to send, Shift+Enter for a new line)',
  'aria-label': 'Question',
});
const sendButton = h('button', { type: 'button', class: 'primary send-button' }, 'Send');
const stopButton = h('button', { type: 'button', class: 'secondary stop-all', title: 'Stop the running task' }, 'Stop');
const composer = h(
  'footer',
  { class: 'composer' },
  askErrorEl,
  chipsEl,
  questionInput,
  h(
    'div',
    { class: 'composer-actions' },
    h('label', { class: 'field', for: 'privacy' }, h('span', { class: 'field-label sr-narrow' }, 'Privacy'), privacySelect),
    h(
      'label',
      { class: 'field', for: 'budget' },
      h('span', { class: 'field-label' }, h('span', { class: 'wide-only' }, 'Budget '), '$'),
      budgetInput,
    ),
    h('span', { class: 'spacer' }),
    stopButton,
    sendButton,
  ),
  h('div', { class: 'composer-hint' }),
);

const app = document.getElementById('app') ?? document.body.appendChild(h('div', { id: 'app' }));
// Screen readers hear how the running task stands (announcer.ts); the region lives outside #app, which is re-rendered.
const announcer = new Announcer(document.body);
app.replaceChildren(header, bannersEl, modelsEl, historyEl, viewingBanner, logEl, composer);

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
      askErrorEl.replaceChildren(h('strong', {}, 'Not sent: '), m.message);
      askErrorEl.hidden = false;
      if (!questionInput.value.trim() && pendingQuestion) questionInput.value = pendingQuestion;
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
      if (m.question !== undefined) questionInput.value = m.question;
      composeAttachments = [...(m.attachments ?? [])];
      renderChips();
      if (m.focus !== false) questionInput.focus();
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
    draft: questionInput.value,
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
  questionInput.value = s.draft ?? '';
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
    if (document.activeElement !== privacySelect) privacySelect.value = status.privacyMode;
    if (document.activeElement !== budgetInput) budgetInput.value = String(status.budgetDollars);
    spendEl.replaceChildren(h('span', { class: 'wide-only' }, 'Session '), formatDollars(status.sessionDollars));
    renderEngineState(engineEl, status);
    composer.dataset.privacy = status.privacyMode;
  }
  // Banners: engine down, settings problems.
  const banners: HTMLElement[] = [];
  if (status?.engine.state === 'down') {
    banners.push(
      h(
        'div',
        { class: 'banner error', role: 'alert' },
        h(
          'div',
          { class: 'banner-text' },
          h('strong', {}, 'The engine is not running. '),
          status.engine.message ?? 'It stopped and was not restarted.',
        ),
        commandButton('Retry', 'retryEngine', true),
      ),
    );
  }
  if (status && status.problems.length) {
    // Invalid settings stop every task (fail closed): an error, not a warning, and Send is off.
    const blocked = status.settingsInvalid === true;
    banners.push(
      h(
        'div',
        { class: `banner ${blocked ? 'error settings-invalid' : 'warning'}`, role: blocked ? 'alert' : 'status' },
        h(
          'div',
          { class: 'banner-text' },
          h('strong', {}, blocked ? 'Orchestra will not run until these settings are fixed: ' : 'Settings problems: '),
          h('ul', {}, ...status.problems.slice(0, 8).map((p) => h('li', {}, h('code', {}, problemPath(p)), ' — ', p.message))),
        ),
        commandButton(status.problems[0]?.source ? 'Open orchestra.json' : 'Open settings', 'openSettings', blocked),
      ),
    );
  }
  bannersEl.replaceChildren(...banners);

  // Empty state.
  const empty = !viewing && view.taskCount === 0 && pendingAskEl.hidden;
  emptyEl.hidden = !empty;
  if (empty) {
    if (status && status.modelCount === 0) {
      const unusable = (status.localModels ?? []).filter((m) => m.problem);
      emptyEl.replaceChildren(
        h('h2', {}, 'No model configured yet'),
        h(
          'p',
          {},
          'Orchestra can run a model itself, with nothing else to install: download a recommended one or use a GGUF file you already have. Local models keep your code on this machine.',
        ),
        h(
          'div',
          { class: 'empty-actions' },
          commandButton('Download a recommended model', 'downloadLocalModel', true),
          commandButton('Use a GGUF file on disk', 'useLocalModelFile'),
        ),
        ...(unusable.length
          ? [
              h(
                'div',
                { class: 'local-problems', role: 'status' },
                h('p', {}, 'These local models cannot run:'),
                h('ul', { class: 'local-model-list' }, ...unusable.map(localModelItem)),
              ),
            ]
          : []),
        h(
          'p',
          { class: 'empty-more' },
          'Or use a model server already running here (Ollama, LM Studio, llama.cpp, vLLM), or any OpenAI-compatible endpoint:',
        ),
        h('div', { class: 'empty-actions' }, commandButton('Discover local servers', 'discover'), commandButton('Add model', 'addModel')),
      );
    } else if (status?.engine.state === 'starting') {
      emptyEl.replaceChildren(h('h2', {}, 'Starting the engine…'), h('p', {}, 'You can type your question already.'));
    } else {
      emptyEl.replaceChildren(
        h('h2', {}, 'Ask Orchestra'),
        h(
          'p',
          {},
          'A small orchestrator model picks tools and models for your question. Every call shows up here live, with its model, cost and latency.',
        ),
        h(
          'ul',
          { class: 'hints' },
          h('li', {}, 'Select code in the editor and use “Ask about selection” to attach it.'),
          h('li', {}, 'Switch privacy to “Local only” to keep everything on this machine.'),
        ),
      );
    }
  }

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

  // Composer.
  const running = viewing ? [] : view.runningTaskIds;
  stopButton.hidden = running.length === 0;
  const noModel = status !== undefined && status.modelCount === 0;
  const invalid = status?.settingsInvalid === true;
  sendButton.disabled = noModel || invalid;
  const hint = composer.querySelector('.composer-hint');
  if (hint)
    hint.textContent = invalid
      ? 'Fix the settings above to ask.'
      : noModel
        ? 'Add a model to start.'
        : running.length
          ? 'A task is running; a new question starts another.'
          : '';
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

/** Where a settings problem is, as the user finds it: `orchestra.budget.maxTurns` or `orchestra.json: budget.maxTurns`. */
function problemPath(p: { path: string; source?: string }): string {
  return p.source ? `${p.source.split(/[\\/]/).pop()}: ${p.path}` : `orchestra.${p.path}`;
}

function renderChips(): void {
  chipsEl.replaceChildren(
    ...composeAttachments.map((a, i) => {
      const remove = h('button', { type: 'button', class: 'chip-remove', 'aria-label': `Remove ${a.path}` }, '✕');
      remove.addEventListener('click', () => {
        composeAttachments.splice(i, 1);
        renderChips();
        questionInput.focus();
      });
      const lines = a.startLine !== undefined ? `:${a.startLine}${a.endLine !== undefined ? `-${a.endLine}` : ''}` : '';
      return h('span', { class: `chip chip-${a.kind}`, title: a.path }, `${a.path.split('/').pop() ?? a.path}${lines}`, remove);
    }),
  );
  chipsEl.hidden = composeAttachments.length === 0;
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

function priceText(m: PanelModel): string {
  if (m.inputPricePerMillion === 0 && m.outputPricePerMillion === 0) return 'free';
  return `$${m.inputPricePerMillion}/$${m.outputPricePerMillion} per M tokens`;
}

function poolModelItem(m: PanelModel): HTMLElement {
  return h(
    'li',
    { class: 'pool-model', 'data-model-id': m.id, 'data-eligible': String(m.eligible) },
    h(
      'div',
      { class: 'model-line' },
      h('code', { class: 'model-id' }, m.id),
      h('span', { class: `badge ${m.local ? 'local' : 'remote'}` }, m.local ? 'local' : 'remote'),
      m.openWeights ? h('span', { class: 'badge open' }, 'open weights') : null,
    ),
    h(
      'div',
      { class: 'model-meta' },
      h('span', { class: 'model-price' }, priceText(m)),
      ' · ',
      h('span', { class: 'model-latency' }, m.latencyMs !== undefined ? `${formatMs(m.latencyMs)} measured` : 'latency not measured yet'),
      m.roles.length ? ` · ${m.roles.join(', ')}` : '',
      m.toolCallFormat ? ` · tool calls: ${m.toolCallFormat}${m.detectedToolCallFormat ? ` (${m.detectedToolCallFormat})` : ''}` : '',
    ),
    h(
      'div',
      { class: `model-eligibility ${m.eligible ? 'ok' : 'no'}` },
      m.eligible ? '✓ may be called' : `✕ ${m.ineligibleReason ?? 'not eligible'}`,
    ),
  );
}

function localModelItem(m: PanelLocalModel): HTMLElement {
  const facts = [
    m.sizeBytes !== undefined ? formatBytes(m.sizeBytes) : undefined,
    [m.architecture, m.parameterLabel, m.quantization].filter(Boolean).join(' ') || undefined,
    m.trainedContextLength ? `trained context ${m.trainedContextLength.toLocaleString('en-US')} tokens` : undefined,
  ].filter(Boolean);
  const name = m.file.split(/[\\/]/).pop() ?? m.file;
  return h(
    'li',
    { class: 'local-model', 'data-file': m.file, 'data-served': String(m.served) },
    h(
      'div',
      { class: 'model-line' },
      h('code', { class: 'model-id', title: m.file }, name),
      m.served ? h('span', { class: 'badge local' }, 'serving') : null,
    ),
    facts.length ? h('div', { class: 'model-meta' }, facts.join(' · ')) : null,
    m.memorySummary ? h('div', { class: `model-memory ${m.fits === false ? 'no' : 'ok'}` }, `Memory: ${m.memorySummary}`) : null,
    m.problem ? h('div', { class: 'model-problem' }, `✕ ${m.problem}`) : null,
  );
}

function renderModels(): void {
  modelsEl.hidden = !modelsOpen;
  if (!modelsOpen) return;
  const close = h('button', { type: 'button', class: 'icon-button', 'aria-label': 'Close models' }, '✕');
  close.addEventListener('click', () => toggleModels(false));
  const pool = status?.models;
  const local = status?.localModels ?? [];
  modelsEl.replaceChildren(
    h('div', { class: 'history-head' }, h('h2', {}, 'Models'), close),
    pool === undefined
      ? h('p', { class: 'muted' }, 'The engine has not reported its models yet.')
      : pool.length
        ? h('ul', { class: 'pool-model-list' }, ...pool.map(poolModelItem))
        : h('p', { class: 'muted' }, 'No model is configured.'),
    ...(local.length ? [h('h3', {}, 'Local model files'), h('ul', { class: 'local-model-list' }, ...local.map(localModelItem))] : []),
    h(
      'div',
      { class: 'empty-actions' },
      commandButton('Download a model', 'downloadLocalModel'),
      commandButton('Use a GGUF file', 'useLocalModelFile'),
      commandButton('Add model', 'addModel'),
    ),
  );
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
  askErrorEl.hidden = true;
  renderChrome();
  scrollToBottom();
}

function send(): void {
  const question = questionInput.value.trim();
  if (!question || sendButton.disabled) return;
  if (viewing) showCurrent();
  const attachments = composeAttachments;
  post({ type: 'ask', question, attachments });
  view.expectAttachments(attachments.map((a) => ({ kind: a.kind, path: a.path, startLine: a.startLine, endLine: a.endLine })));
  showPending(question);
  questionInput.value = '';
  composeAttachments = [];
  renderChips();
  renderChrome();
  saveStateSoon();
  scrollToBottom();
}

sendButton.addEventListener('click', send);
questionInput.addEventListener('keydown', (e) => {
  if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
    e.preventDefault();
    send();
  }
});
questionInput.addEventListener('input', saveStateSoon);
stopButton.addEventListener('click', () => {
  const running = view.runningTaskIds;
  const last = running[running.length - 1];
  if (last) post({ type: 'cancel', taskId: last });
});
privacySelect.addEventListener('change', () => {
  const mode = privacySelect.value as PanelStatus['privacyMode'];
  post({ type: 'setPrivacyMode', mode });
});
budgetInput.addEventListener('change', () => {
  const dollars = Number(budgetInput.value);
  if (!Number.isFinite(dollars) || dollars < 0) {
    budgetInput.setCustomValidity('Enter a dollar amount of 0 or more');
    budgetInput.reportValidity();
    return;
  }
  budgetInput.setCustomValidity('');
  post({ type: 'setBudget', dollars });
});
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
  questionInput.focus();
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
renderChips();
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
