// A streamed answer in the DOM. The conversation calls `update(text)` at most once per frame with the
// whole text so far and `finish(text)` once at the end; the core (markdown-incremental.ts) says what
// changed, and this applies it: committed segments are appended once, the open part is replaced, and
// long code or oversized text grows by appending only. No call does more than a frame's worth of work;
// what is left after `finish` continues on later frames by itself.
import { h } from './format';
import { capNotice } from './markdown-caps';
import { appendChunked, decorateCodeBlock, sanitizeMarkdownHtml } from './markdown-dom';
import { IncrementalMarkdown, type MarkdownStats, type StreamOp } from './markdown-incremental';

/** Main-thread time one call may spend rendering; the rest waits for the next frame. */
const FRAME_BUDGET_MS = 8;

type OpenView =
  | { kind: 'tail'; el: HTMLElement }
  | { kind: 'code'; el: HTMLElement; info: string; body: HTMLElement; shown: number }
  | { kind: 'plain'; el: HTMLElement; body: HTMLElement; shown: number };

/**
 * Children of `element`, in order: the committed segments, then the open part's view. A view that
 * becomes committed stays where it is: moving a long one would lay it all out again.
 */
export class StreamingMarkdown {
  readonly element: HTMLElement;
  private open: OpenView | undefined;
  private readonly segments = new Map<number, HTMLElement>();
  private readonly core: IncrementalMarkdown;
  private finalText: string | undefined;
  private continuation = false;

  constructor(className: string, stats: MarkdownStats) {
    this.core = new IncrementalMarkdown(stats);
    this.element = h('div', { class: `markdown ${className}` });
  }

  /** Renders what changed since the last call. Returns true when work is left for another frame. */
  update(text: string, _now?: number): boolean {
    if (this.finalText !== undefined) return false;
    return this.run(text, false);
  }

  /** The answer is complete: commits the open part (on later frames too if there is much left). */
  finish(text: string): void {
    if (this.finalText === text) return;
    this.finalText = text;
    if (this.run(text, true)) this.continueLater();
  }

  get isFinished(): boolean {
    return this.finalText !== undefined;
  }

  private run(text: string, final: boolean): boolean {
    const { ops, more } = this.core.step(text, final, performance.now() + FRAME_BUDGET_MS);
    for (const op of ops) this.apply(op);
    this.element.toggleAttribute('data-rendering', more || (final && !this.core.done));
    return more;
  }

  private continueLater(): void {
    if (this.continuation) return;
    this.continuation = true;
    let ran = false;
    const go = (): void => {
      if (ran) return;
      ran = true;
      this.continuation = false;
      if (this.finalText !== undefined && this.run(this.finalText, true)) this.continueLater();
    };
    requestAnimationFrame(go);
    // Frames do not run while the panel is hidden; the answer still completes.
    setTimeout(go, 100);
  }

  private apply(op: StreamOp): void {
    switch (op.op) {
      case 'reset':
        this.element.replaceChildren();
        this.segments.clear();
        this.open = undefined;
        return;
      case 'commit': {
        this.clearOpen();
        const seg = h('div', { class: 'md-segment' });
        seg.append(sanitizeMarkdownHtml(op.rendered));
        this.element.append(seg);
        this.segments.set(op.id, seg);
        return;
      }
      case 'rerender':
        this.segments.get(op.id)?.replaceChildren(sanitizeMarkdownHtml(op.rendered));
        return;
      case 'tail': {
        if (this.open?.kind !== 'tail') this.setOpen({ kind: 'tail', el: h('div', { class: 'md-segment' }) });
        const t0 = performance.now();
        this.open!.el.replaceChildren(sanitizeMarkdownHtml(op.rendered));
        // The open part is rendered again on later frames; what it cost here paces that.
        this.core.deferTail(2 * (performance.now() - t0));
        return;
      }
      case 'code': {
        let view = this.open;
        if (view?.kind !== 'code' || view.info !== op.info || op.text.length < view.shown) view = this.setOpen(codeView(op.info));
        if (view.kind === 'code') view.shown = appendChunked(view.body, op.text, view.shown, 'md-code-chunk');
        return;
      }
      case 'plain': {
        let view = this.open;
        if (view?.kind !== 'plain' || op.text.length < view.shown) view = this.setOpen(plainView());
        if (view.kind === 'plain') view.shown = appendChunked(view.body, op.text, view.shown, 'md-plain-chunk');
        return;
      }
      case 'keepOpen':
        if (this.open) this.segments.set(op.id, this.open.el);
        this.open = undefined;
        return;
    }
  }

  private setOpen(view: OpenView): OpenView {
    this.clearOpen();
    this.open = view;
    this.element.append(view.el);
    return view;
  }

  private clearOpen(): void {
    this.open?.el.remove();
    this.open = undefined;
  }
}

function codeView(info: string): OpenView {
  const language = info.split(/\s+/)[0]?.toLowerCase();
  const body = h('code', { class: language ? `language-${language}` : undefined });
  const pre = h('pre', { class: 'md-code-view' }, body);
  return { kind: 'code', el: decorateCodeBlock(pre), info, body, shown: 0 };
}

function plainView(): OpenView {
  const body = h('pre', { class: 'md-plain', tabindex: 0, 'aria-label': 'Plain text' });
  const el = h('div', { class: 'md-capped md-cap-size' }, h('p', { class: 'md-cap-notice' }, capNotice('size')), body);
  return { kind: 'plain', el, body, shown: 0 };
}
