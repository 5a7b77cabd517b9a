// One tool call's card: a single line (icon, tool, model, a short summary of the arguments, status,
// tokens, cost, latency) that expands to the arguments in full and the result drawn for its kind.
// The card keeps its own model (state, live output, result), so its DOM can be dropped while it is
// far off screen and built again when it comes back (virtual-list.ts): a shell with the measured
// height stays in place. Streaming cards, cards waiting for an approval or holding focus stay built.
// Building is kept cheap because a fling builds several cards a frame: only the line is built, the
// parts a finished card does not show (Stop, live output, error, the opened body) when it needs them,
// and an opened body, once drawn, is kept with the card and put back as it was when the card returns.
import type { EventOf } from '../../src/core/protocol/events';
import { argsSummary, cleanText, formatMs, h } from './format';
import type { MarkdownStats } from './markdown';
import { nameEl, setName } from './names';
import { argsView, metaParts, resultView, type OpenFile } from './card-results';

export type CallState = EventOf<'tool_call_started'>['state'];
export const TERMINAL: ReadonlySet<CallState> = new Set(['ok', 'error', 'timeout', 'denied', 'over_budget', 'cancelled']);
export const STATE_LABEL: Record<CallState, string> = {
  writing: 'writing',
  queued: 'queued',
  running: 'running',
  ok: 'done',
  error: 'failed',
  timeout: 'timed out',
  denied: 'denied',
  over_budget: 'over budget',
  cancelled: 'stopped',
};
/** A running call with no output for this long is flagged as stalled (users asked to see it). */
const STALLED_MS = 60_000;
/** Streamed tool output kept on screen while a call runs; the full result replaces it at the end. */
const LIVE_OUTPUT_CHARS = 8_000;
/** The arguments that say most about a call, put first in its one-line summary. */
const TELLING_ARGS = ['query', 'path', 'question', 'prompt', 'task', 'url', 'code'];

export interface CardHost {
  /** Stops this call alone; absent on read-only conversations. */
  cancelCall?(callId: string): void;
  openFile?: OpenFile;
  stats: MarkdownStats;
}

/** The DOM of a built card; absent while the card is a placeholder. Parts it does not show yet are made when needed. */
interface CardParts {
  stateEl: HTMLElement;
  modelEl: HTMLElement;
  summaryEl: HTMLElement;
  metaEl: HTMLElement;
  toggle: HTMLButtonElement;
  errorEl?: HTMLElement;
  live?: { el: HTMLPreElement; text: Text };
  stopButton?: HTMLButtonElement;
}

/** An opened card's arguments and result, kept across rebuilds: drawn again only when what it shows changes. */
interface CardBody {
  el: HTMLElement;
  /** What it was drawn for: the call's arguments, its result, or 'writing'. */
  for?: unknown;
}

let bodyIds = 0;

export class CallCard {
  readonly el: HTMLElement;
  /** Approvals asked for this call: kept across rebuilds (their buttons carry the user's answer). */
  readonly approvalsEl = h('div', { class: 'card-approvals' });
  /** Why its model was chosen (shown expanded) and each fallback step (always shown): model_choice events. */
  readonly routesEl = h('div', { class: 'card-routes' });
  /** A delegate call's subtasks, nested in its card. */
  childrenEl?: HTMLElement;
  model?: string;
  state: CallState;
  args: unknown;
  lastActivity: number;
  finished?: EventOf<'tool_call_finished'>;
  /** Text arrived since the last render (arguments while `writing`, then the call's output). */
  livePending = '';
  stalled = false;
  expanded = false;
  /** Near the viewport, as the virtual list last saw it. */
  near = false;
  private live = '';
  private stopping = false;
  private parts?: CardParts;
  /** Made the first time the card is opened; survives the card's DOM being dropped. */
  private body?: CardBody;
  /** The one-line summary of `args`, worked out once per arguments object. */
  private summary?: { args: unknown; text: string };

  constructor(
    readonly callId: string,
    readonly tool: string,
    readonly startedAt: number,
    /** The top-level task whose tree it belongs to. */
    readonly taskId: string,
    e: EventOf<'tool_call_started'>,
    private readonly host: CardHost,
  ) {
    this.model = e.model;
    this.state = e.state;
    this.args = e.args;
    this.lastActivity = e.time;
    this.el = h('article', { class: 'card', 'data-call-id': callId, 'data-tool': tool, 'data-kind': toolIcon(tool), tabindex: '-1' });
    if (tool === 'delegate') this.el.classList.add('card--delegate');
  }

  get built(): boolean {
    return this.parts !== undefined;
  }

  get terminal(): boolean {
    return TERMINAL.has(this.state);
  }

  /** Must stay built: it streams, waits for the user, holds subtasks or has keyboard focus. */
  get pinned(): boolean {
    return !this.terminal || this.childrenEl !== undefined || awaitingApproval(this) || this.el.contains(document.activeElement);
  }

  /** The arguments are whole now (the model finished writing the call): the live area starts over. */
  argsComplete(args: unknown): void {
    this.args = args;
    this.live = '';
    this.livePending = '';
    if (this.parts?.live) this.parts.live.text.data = '';
  }

  /** Builds the card's DOM (again) from its model: the line, and the parts it shows now. */
  build(now: number): void {
    if (this.parts) return;
    const stateEl = h('span', { class: 'card-state' });
    const modelEl = nameEl(this.model ?? '', 'card-model');
    const summaryEl = h('span', { class: 'card-summary' });
    const metaEl = h('span', { class: 'card-meta' });
    const toggle = h(
      'button',
      {
        type: 'button',
        class: 'card-toggle',
        'aria-expanded': String(this.expanded),
        'aria-controls': this.body?.el.id,
        title: 'Show the arguments and the result',
      },
      h('i', { class: `codicon codicon-${this.expanded ? 'chevron-down' : 'chevron-right'} card-chevron`, 'aria-hidden': 'true' }),
      h('i', { class: `codicon codicon-${toolIcon(this.tool)} card-icon`, 'aria-hidden': 'true' }),
      nameEl(this.tool, 'card-tool'),
      modelEl,
      summaryEl,
    );
    toggle.addEventListener('click', () => {
      this.expanded = !this.expanded;
      this.renderBody();
    });
    this.el.style.height = '';
    this.el.classList.remove('card--placeholder');
    this.el.replaceChildren(
      h('header', { class: 'card-head' }, toggle, stateEl, metaEl),
      this.routesEl,
      this.approvalsEl,
      ...(this.body ? [this.body.el] : []),
      ...(this.childrenEl ? [this.childrenEl] : []),
    );
    this.parts = { stateEl, modelEl, summaryEl, metaEl, toggle };
    this.render(now, true);
  }

  /** Drops the card's DOM, leaving a shell of `height` px where it was. */
  unbuild(height: number): void {
    if (!this.parts) return;
    this.parts = undefined;
    this.placeholder(height);
    this.el.replaceChildren();
  }

  /** Holds `height` px for the card while it has no DOM (its measured height, or an estimate before it was ever built). */
  placeholder(height: number): void {
    if (this.parts) return;
    this.el.classList.add('card--placeholder');
    // Set through the CSSOM: the panel's CSP allows no inline style attribute.
    this.el.style.height = `${Math.max(0, Math.round(height))}px`;
  }

  private stopButton(): HTMLButtonElement {
    const stop = h(
      'button',
      {
        type: 'button',
        class: 'card-stop',
        'aria-label': `Stop ${this.tool}`,
        title: `Stop this ${this.tool === 'subtask' || this.tool === 'delegate' ? 'subtask and everything under it' : 'call'}; the task goes on`,
      },
      h('i', { class: 'codicon codicon-debug-stop', 'aria-hidden': 'true' }),
      h('span', { class: 'card-stop-text' }, this.stopping ? 'Stopping…' : 'Stop'),
    );
    stop.disabled = this.stopping;
    stop.addEventListener('click', () => {
      this.stopping = true;
      stop.disabled = true;
      stop.lastElementChild!.textContent = 'Stopping…';
      this.host.cancelCall?.(this.callId);
    });
    return stop;
  }

  /** Writes the model to the DOM: the shell's attributes always, the rest when it is built. */
  render(now: number, all = false): void {
    const el = this.el;
    el.dataset.state = this.state;
    el.toggleAttribute('data-has-model', !!this.model);
    el.setAttribute('aria-label', `${this.tool}${this.model ? ` on ${this.model}` : ''}: ${STATE_LABEL[this.state]}`);
    this.takeLive();
    const p = this.parts;
    if (!p) return;
    if (all || p.modelEl.title !== (this.model ?? '')) setName(p.modelEl, this.model ?? '');
    p.summaryEl.textContent = this.state === 'writing' ? '' : this.summaryText();
    p.summaryEl.title = p.summaryEl.textContent;
    this.renderStop(p);
    this.renderLive(p, all);
    const f = this.finished;
    p.stateEl.textContent = this.terminal ? STATE_LABEL[this.state] : liveStateLabel(this, now);
    p.stateEl.title = this.terminal && f?.error ? cleanText(f.error) : '';
    p.metaEl.replaceChildren(...(f ? metaParts(f.usage, f.dollars, f.latencyMs, f.pricing) : []));
    if (f?.error && !p.errorEl) this.routesEl.before((p.errorEl = h('div', { class: 'card-error' })));
    if (p.errorEl) {
      p.errorEl.hidden = !f?.error;
      p.errorEl.textContent = f?.error ? cleanText(f.error) : '';
    }
    el.classList.toggle('stalled', this.stalled);
    this.renderBody();
  }

  private summaryText(): string {
    if (!this.summary || this.summary.args !== this.args)
      this.summary = { args: this.args, text: oneLineArgs(this.args) || '(no arguments)' };
    return this.summary.text;
  }

  /** Stop, on a call that can still be stopped (made then: a finished card never needs one). */
  private renderStop(p: CardParts): void {
    if (!p.stopButton && !this.terminal && this.host.cancelCall && this.tool !== 'answer') {
      p.stopButton = this.stopButton();
      p.metaEl.after(p.stopButton);
    }
    if (p.stopButton) p.stopButton.hidden = this.terminal;
  }

  /** The live output while the call runs (made when there is some). */
  private renderLive(p: CardParts, all: boolean): void {
    const show = !this.terminal && !!this.live;
    if (show && !p.live) {
      const text = document.createTextNode(this.live);
      p.live = { el: h('pre', { class: 'card-live', 'aria-label': 'Live output', tabindex: 0 }, text), text };
      this.approvalsEl.after(p.live.el);
    } else if (p.live && all) p.live.text.data = this.live;
    if (!p.live) return;
    p.live.el.hidden = !show;
    if (show) p.live.el.scrollTop = p.live.el.scrollHeight;
  }

  /** Moves pending live text into the model (capped) and, when built, onto the screen. */
  private takeLive(): void {
    if (!this.livePending) return;
    const add = cleanText(this.livePending);
    this.livePending = '';
    this.live += add;
    const live = this.parts?.live;
    if (this.live.length > LIVE_OUTPUT_CHARS * 2) {
      // Keep only the recent output while streaming; the full result comes at the end.
      this.live = `…${this.live.slice(-LIVE_OUTPUT_CHARS)}`;
      if (live) live.text.data = this.live;
    } else if (live) live.text.appendData(add);
  }

  /** The opened part: made the first time the card is opened, drawn again only when what it shows has changed. */
  private renderBody(): void {
    const p = this.parts;
    if (!p) return;
    p.toggle.setAttribute('aria-expanded', String(this.expanded));
    p.toggle.firstElementChild!.className = `codicon codicon-${this.expanded ? 'chevron-down' : 'chevron-right'} card-chevron`;
    this.el.classList.toggle('expanded', this.expanded);
    if (!this.body) {
      if (!this.expanded) return;
      this.body = { el: h('div', { class: 'card-body', id: `card-body-${++bodyIds}` }) };
      (p.live?.el ?? this.approvalsEl).after(this.body.el);
      p.toggle.setAttribute('aria-controls', this.body.el.id);
    }
    const body = this.body;
    body.el.hidden = !this.expanded;
    const key = this.state === 'writing' ? 'writing' : (this.finished ?? this.args);
    if (!this.expanded || body.for === key) return;
    body.for = key;
    const result = this.finished ? resultView(this.finished, this.host.stats, this.host.openFile) : [];
    body.el.replaceChildren(
      this.state === 'writing'
        ? h('div', { class: 'card-note' }, 'The model is still writing the arguments.')
        : argsView(this.tool, this.args),
      h('div', { class: 'card-result' }, ...result),
    );
  }

  /** Once a second while it runs: elapsed time and the stalled flag. */
  tick(now: number): void {
    const stalled = this.state === 'running' && now - this.lastActivity > STALLED_MS && !awaitingApproval(this);
    const p = this.parts;
    if (p) p.stateEl.textContent = liveStateLabel(this, now);
    if (stalled === this.stalled) return;
    this.stalled = stalled;
    this.el.classList.toggle('stalled', stalled);
    if (p) p.stateEl.title = stalled ? `No output for ${formatMs(now - this.lastActivity)}` : '';
  }
}

/** The codicon for a tool, by what it does. */
export function toolIcon(tool: string): string {
  if (tool === 'delegate' || tool === 'subtask') return 'organization';
  if (tool.includes('__')) return 'plug'; // MCP tools are named server__tool
  if (/web|fetch|url/.test(tool)) return 'globe';
  if (/search|grep|find/.test(tool)) return 'search';
  if (/code|run|exec|shell/.test(tool)) return 'terminal';
  if (tool === 'list_files') return 'list-tree';
  if (/file|read|write|edit|symbol/.test(tool)) return 'file';
  if (/model|answer|reason|expert|ask/.test(tool)) return 'hubot';
  return 'tools';
}

/** The arguments on one line, the telling ones first; the model is already on the line by name. */
function oneLineArgs(args: unknown): string {
  if (!args || typeof args !== 'object' || Array.isArray(args)) return argsSummary(args);
  const a = args as Record<string, unknown>;
  const keys = Object.keys(a).filter((k) => k !== 'model');
  keys.sort((x, y) => rank(x) - rank(y));
  return argsSummary(Object.fromEntries(keys.map((k) => [k, a[k]])));
}

function rank(key: string): number {
  const i = TELLING_ARGS.indexOf(key);
  return i < 0 ? TELLING_ARGS.length : i;
}

/** A call waiting for the user says so: "running" would suggest the engine is busy. */
export function awaitingApproval(call: { approvalsEl: HTMLElement }): boolean {
  return call.approvalsEl.querySelector('.approval.pending') !== null;
}

function liveStateLabel(call: CallCard, now: number): string {
  if (awaitingApproval(call)) return `awaiting approval · ${formatMs(now - call.startedAt)}`;
  return call.state === 'running' ? `running · ${formatMs(now - call.startedAt)}` : call.state === 'writing' ? 'writing…' : 'queued';
}
