// The streaming Markdown core, pure (no DOM): fed the whole answer so far once per frame, it commits
// blocks that can no longer change (rendered once, never again), re-renders only the open part at the
// end, and does a bounded amount of work per call. Long fenced code streams into a code view that
// only appends; an open part past the size cap streams as plain text. The DOM side applies the ops.
import { cleanText } from './format';
import { MARKDOWN_CAPS } from './markdown-caps';
import { renderHtml, topLevelBlocks, type MarkdownEnv, type Rendered } from './markdown-engine';

/** Counters the tests and the panel's debug hook read to check streaming stays incremental. */
export interface MarkdownStats {
  /** Markdown parses done while streaming (committed blocks and the open part). */
  streamingRenders: number;
  /** Times a whole answer was rendered again from scratch (the final text did not extend the streamed one). */
  fullRenders: number;
  /** Largest source slice parsed by one render. */
  maxStreamingParseChars: number;
}

export type StreamOp =
  /** A new committed segment, rendered. */
  | { op: 'commit'; id: number; rendered: Rendered }
  /** A committed segment rendered again: a reference definition it uses arrived later. */
  | { op: 'rerender'; id: number; rendered: Rendered }
  /** The open part, rendered. */
  | { op: 'tail'; rendered: Rendered }
  /** The open part is a fenced code block still being written: its content so far (the view appends). */
  | { op: 'code'; info: string; text: string }
  /** The open part is over the size cap: its source so far, shown as text (the view appends). */
  | { op: 'plain'; text: string }
  /** The open code or plain view becomes committed segment `id` as it is. */
  | { op: 'keepOpen'; id: number }
  /** The text no longer extends what was rendered: everything shown is dropped. */
  | { op: 'reset' };

export interface StepResult {
  ops: StreamOp[];
  /** Work is left (the time budget ran out, or the open part waits for its next render slot). */
  more: boolean;
}

/** Committed at most this much source per render, so one render stays short. */
const COMMIT_CHUNK = 4_096;
/** A fenced block up to this size is rendered (highlighted) when it closes; a larger one keeps its plain code view. */
const FENCE_RENDER_CHARS = 65_536;
/** The open part is highlighted while streaming only when this small. */
const TAIL_HIGHLIGHT_CHARS = 4_000;
/** The open part is rendered again at most this often (ms). */
const TAIL_MIN_GAP_MS = 30;
/** A code or plain view grows by at most this much per call. */
const OPEN_APPEND_CHARS = 65_536;

const FENCE_OPEN = /^ {0,3}(`{3,}|~{3,})([^\n]*)$/;
const FENCE_CLOSE = /^ {0,3}(`{3,}|~{3,})[ \t]*$/;
const LIST_MARKER = /^(?:[-+*]|\d{1,9}[.)])(?:[ \t]|$)/;
// ANSI escapes start with one of these; a cleaned prefix never ends inside one (see cleanPartial).
const ESCAPE_START = /[\u001b\u009b][^\u001b\u009b]*$/;

interface FenceState {
  char: string;
  len: number;
  info: string;
  /** Offset (in src) of the first content line, and of the next line to scan for the closing fence. */
  contentStart: number;
  scanPos: number;
  /** Where the content ends and the closing line does, once found. */
  close?: { contentEnd: number; end: number };
}

interface PlainState {
  scanPos: number;
  blankBefore: boolean;
  fence?: { char: string; len: number };
  /** Where the oversized part ends, once found. */
  close?: number;
}

function fenceOpener(line: string): { char: string; len: number; info: string } | undefined {
  const m = FENCE_OPEN.exec(line);
  if (!m) return undefined;
  const info = m[2].trim();
  if (m[1][0] === '`' && info.includes('`')) return undefined;
  return { char: m[1][0], len: m[1].length, info };
}

function closesFence(line: string, fence: { char: string; len: number }): boolean {
  const m = FENCE_CLOSE.exec(line);
  return !!m && m[1][0] === fence.char && m[1].length >= fence.len;
}

export class IncrementalMarkdown {
  /** The raw text of the last call; only what extends it is read. */
  private raw = '';
  /** Raw characters turned into `src` (whole lines only, except after the final call). */
  private rawDone = 0;
  /** Cleaned text of the complete lines received. */
  private src = '';
  /** The cleaned partial last line, cached up to raw offset `partialRawEnd`. */
  private partialCache = '';
  private partialRawEnd = 0;
  private partial = '';
  /** Offset in src where the open part starts; everything before is committed. */
  private committed = 0;
  private mode: 'markdown' | 'code' | 'plain' = 'markdown';
  private fence: FenceState | undefined;
  private plain: PlainState | undefined;
  /** Characters the open code or plain view shows. */
  private openShown = 0;
  /** Commit points (offsets in src) found by the last block pass, and the src length it saw. */
  private points: number[] = [];
  private pointsFor = -1;
  private pointsFrom = -1;
  /** The last complete line is a blank one outside any block: a partial line after it starts a new block. */
  private freshLineAtEnd = false;
  private env: MarkdownEnv = {};
  /** Sources of committed segments that may hold reference links, by id. */
  private readonly refSegments = new Map<number, string>();
  private nextId = 0;
  private renderedTail: string | undefined;
  private nextTailAt = 0;
  private finished = false;
  private committedThisStep = false;

  constructor(
    private readonly stats: MarkdownStats,
    private readonly clock: () => number = () => performance.now(),
  ) {}

  /**
   * Advances the rendering to `text` (the whole answer so far). `final`: nothing more will come, so
   * the open part is committed too. Work stops once `deadline` (a clock time) has passed.
   */
  step(text: string, final: boolean, deadline: number): StepResult {
    const ops: StreamOp[] = [];
    if (!this.extendsRaw(text, final)) {
      this.resetState();
      this.stats.fullRenders++;
      ops.push({ op: 'reset' });
    }
    const seen = this.raw.length;
    this.raw = text;
    this.finished = final;
    this.ingest(text, final, seen);
    this.committedThisStep = false;
    let more = false;
    for (;;) {
      const r = this.mode === 'code' ? this.codeStep(ops) : this.mode === 'plain' ? this.plainStep(ops) : this.markdownStep(ops);
      if (r === 'committed' || r === 'switched') {
        if (r === 'committed') this.committedThisStep = true;
        if (this.clock() > deadline && !this.done) {
          more = true;
          this.showOpen(ops);
          break;
        }
        continue;
      }
      if (r === 'wait') more = true;
      break;
    }
    return { ops, more };
  }

  /** After the time ran out: the open part as it stands, so the view never shows a part twice or not at all. */
  private showOpen(ops: StreamOp[]): void {
    if (this.mode === 'code') this.showOpenText(ops, this.src.slice(this.fence!.contentStart) + this.partial);
    else if (this.mode === 'plain' || this.src.length - this.committed + this.partial.length > MARKDOWN_CAPS.blockChars) {
      if (this.mode !== 'plain') {
        this.mode = 'plain';
        this.plain = { scanPos: this.committed, blankBefore: false };
        this.openShown = 0;
      }
      this.showOpenText(ops, this.src.slice(this.committed) + this.partial);
    } else if (this.committedThisStep) this.renderTail(ops, true);
  }

  /** The view spent `ms` showing the open part: its next render waits accordingly. */
  deferTail(ms: number): void {
    this.nextTailAt = Math.max(this.nextTailAt, this.clock() + ms);
  }

  /** True once everything received is committed after a final step. */
  get done(): boolean {
    return this.finished && this.committed >= this.src.length && this.mode === 'markdown';
  }

  private extendsRaw(text: string, final: boolean): boolean {
    if (text.length < this.raw.length) return false;
    // Streaming only appends; a cheap probe suffices per frame, and the final text is checked in full once.
    if (final) return text.startsWith(this.raw);
    const from = Math.max(0, this.raw.length - 32);
    return text.slice(from, this.raw.length) === this.raw.slice(from);
  }

  private resetState(): void {
    this.raw = '';
    this.rawDone = 0;
    this.src = '';
    this.partialCache = '';
    this.partialRawEnd = 0;
    this.partial = '';
    this.committed = 0;
    this.mode = 'markdown';
    this.fence = undefined;
    this.plain = undefined;
    this.openShown = 0;
    this.points = [];
    this.pointsFor = -1;
    this.pointsFrom = -1;
    this.env = {};
    this.refSegments.clear();
    this.renderedTail = undefined;
    this.nextTailAt = 0;
  }

  /** Moves complete lines into `src` (cleaned, newlines normalised) and cleans the partial last line. */
  private ingest(text: string, final: boolean, seen: number): void {
    let lastNl = -1;
    // Only what arrived since the last call is searched: a long line is not scanned again every frame.
    for (let p = text.indexOf('\n', Math.max(this.rawDone, seen)); p >= 0; p = text.indexOf('\n', p + 1)) lastNl = p;
    if (final) lastNl = text.length - 1;
    if (lastNl >= this.rawDone) {
      this.src += clean(text.slice(this.rawDone, lastNl + 1));
      this.rawDone = lastNl + 1;
      this.partialCache = '';
      this.partialRawEnd = this.rawDone;
    }
    this.partial = this.cleanPartial(text);
  }

  /** The partial line, cleaned incrementally (a long line without newline is not cleaned again every frame). */
  private cleanPartial(text: string): string {
    if (this.partialRawEnd < this.rawDone) {
      this.partialRawEnd = this.rawDone;
      this.partialCache = '';
    }
    const fresh = text.slice(this.partialRawEnd);
    // An escape sequence may still be arriving: keep its start out of the cache so it is cleaned whole.
    const esc = ESCAPE_START.exec(fresh);
    const stable = esc ? fresh.slice(0, esc.index) : fresh;
    this.partialCache += clean(stable);
    this.partialRawEnd += stable.length;
    return esc ? this.partialCache + clean(fresh.slice(esc.index)) : this.partialCache;
  }

  private lineAt(offset: number): { line: string; end: number } | undefined {
    const nl = this.src.indexOf('\n', offset);
    if (nl < 0) return this.finished && offset < this.src.length ? { line: this.src.slice(offset), end: this.src.length } : undefined;
    return { line: this.src.slice(offset, nl), end: nl + 1 };
  }

  // ── markdown mode ──────────────────────────────────────────────────────────────────────────

  private markdownStep(ops: StreamOp[]): 'committed' | 'switched' | 'wait' | 'idle' {
    // Blank lines between blocks render nothing; skipping them lets a fence that follows open the code view.
    let first = this.lineAt(this.committed);
    while (first && first.line.trim() === '') {
      this.committed = first.end;
      first = this.lineAt(this.committed);
    }
    const opener = first && fenceOpener(first.line);
    if (first && opener) {
      this.mode = 'code';
      this.fence = { ...opener, contentStart: first.end, scanPos: first.end };
      this.openShown = 0;
      this.renderedTail = undefined;
      return 'switched';
    }
    const point = this.nextCommitPoint();
    if (point !== undefined) {
      this.commit(this.src.slice(this.committed, point), ops);
      this.committed = point;
      return 'committed';
    }
    const open = this.src.length - this.committed + this.partial.length;
    if (open > MARKDOWN_CAPS.blockChars) {
      this.mode = 'plain';
      this.plain = { scanPos: this.committed, blankBefore: false };
      this.openShown = 0;
      this.renderedTail = undefined;
      return 'switched';
    }
    if (this.finished) {
      if (this.committed >= this.src.length) return 'idle';
      this.commit(this.src.slice(this.committed), ops);
      this.committed = this.src.length;
      return 'committed';
    }
    return this.renderTail(ops, this.committedThisStep) ? 'idle' : 'wait';
  }

  /**
   * The next offset up to which the text can be committed: the start of a top-level block (per
   * markdown-it's own block pass over complete lines) that follows a blank line or directly follows
   * the previous block, taking at most COMMIT_CHUNK of source when there is a choice.
   */
  private nextCommitPoint(): number | undefined {
    while (this.points.length && this.points[0] <= this.committed) this.points.shift();
    // Again when more text arrived, or when the points of a window that did not reach the end are used up.
    if (this.pointsFor !== this.src.length || (!this.points.length && this.pointsFrom !== this.committed)) {
      this.findCommitPoints();
      while (this.points.length && this.points[0] <= this.committed) this.points.shift();
    }
    if (!this.points.length) {
      // The partial last line starts a new block for sure (after a blank line, at column 0, not a
      // list item): what precedes it can be committed before the line is complete (a long one may never be).
      const fresh = this.freshLineAtEnd && this.src.length > this.committed && /^[^\s\-+*\d]/.test(this.partial);
      return fresh ? this.src.length : undefined;
    }
    let best = this.points[0];
    for (const p of this.points) {
      if (p - this.committed > COMMIT_CHUNK) break;
      best = p;
    }
    return best;
  }

  private findCommitPoints(): void {
    this.pointsFor = this.src.length;
    this.pointsFrom = this.committed;
    this.points = [];
    this.freshLineAtEnd = false;
    let windowEnd = this.src.length;
    if (windowEnd - this.committed > MARKDOWN_CAPS.blockChars) {
      const cut = this.src.lastIndexOf('\n', this.committed + MARKDOWN_CAPS.blockChars - 1);
      windowEnd = cut >= this.committed ? cut + 1 : this.committed;
    }
    if (windowEnd <= this.committed) return;
    const window = this.src.slice(this.committed, windowEnd);
    const atEnd = this.finished && windowEnd === this.src.length;
    this.countParse(window.length);
    const blocks = topLevelBlocks(window);
    const starts = lineStarts(window);
    const blank = (line: number): boolean => {
      const a = starts[line];
      const b = line + 1 < starts.length ? starts[line + 1] : window.length;
      return window.slice(a, b).trim() === '';
    };
    for (let k = 1; k < blocks.length; k++) {
      const s = blocks[k].start;
      // A reference definition's title may continue on lines that look like a new block for now.
      const adjacent = blocks[k - 1].end === s && !blocks[k - 1].hasReference;
      if (atEnd || blank(s - 1) || adjacent) this.points.push(this.committed + starts[s]);
    }
    if (atEnd) this.points.push(this.src.length);
    const last = starts.length - 1;
    this.freshLineAtEnd = windowEnd === this.src.length && blank(last) && (!blocks.length || blocks[blocks.length - 1].end <= last);
  }

  private commit(source: string, ops: StreamOp[]): void {
    const id = this.nextId++;
    const before = Object.keys(this.env.references ?? {});
    this.countParse(source.length);
    ops.push({ op: 'commit', id, rendered: renderHtml(source, this.env, { highlight: true }) });
    if (source.includes('[')) this.refSegments.set(id, source);
    const after = Object.keys(this.env.references ?? {});
    if (after.length > before.length) {
      const known = new Set(before);
      const added = after.filter((l) => !known.has(l));
      // Reference definitions apply to the whole document: segments committed before them render again.
      for (const [segId, segSource] of this.refSegments) {
        if (segId === id) continue;
        const upper = segSource.toUpperCase();
        if (added.some((label) => upper.includes(label))) {
          this.countParse(segSource.length);
          ops.push({ op: 'rerender', id: segId, rendered: renderHtml(segSource, this.env, { highlight: true }) });
        }
      }
    }
    this.renderedTail = undefined;
  }

  /** Renders the open part unless unchanged, or (when not forced) too soon after its last costly render. Returns false when it waits. */
  private renderTail(ops: StreamOp[], force: boolean): boolean {
    const tail = this.src.slice(this.committed) + this.partial;
    if (tail === this.renderedTail) return true;
    const now = this.clock();
    if (!force && now < this.nextTailAt) return false;
    // Reference definitions in the open part apply to it, but stay out of the shared env until committed.
    const env: MarkdownEnv = { references: { ...this.env.references } };
    this.countParse(tail.length);
    ops.push({
      op: 'tail',
      rendered: tail ? renderHtml(tail, env, { highlight: tail.length <= TAIL_HIGHLIGHT_CHARS }) : { html: '', plain: [] },
    });
    this.renderedTail = tail;
    // At most about 30 times a second (smooth to the eye, half the work of every frame), and a large or
    // costly open part less often still: only its end changes.
    const gap = tail.length > 16_384 ? 250 : tail.length > 4_096 ? 60 : TAIL_MIN_GAP_MS;
    this.nextTailAt = now + Math.max(gap, (this.clock() - now) * 3);
    return true;
  }

  private countParse(chars: number): void {
    this.stats.streamingRenders++;
    this.stats.maxStreamingParseChars = Math.max(this.stats.maxStreamingParseChars, chars);
  }

  // ── code mode: an open fenced block at the start of the open part ─────────────────────────

  private codeStep(ops: StreamOp[]): 'committed' | 'idle' | 'wait' {
    const fence = this.fence!;
    for (let line = fence.close ? undefined : this.lineAt(fence.scanPos); line; line = this.lineAt(fence.scanPos)) {
      const start = fence.scanPos;
      fence.scanPos = line.end;
      if (closesFence(line.line, fence)) {
        fence.close = { contentEnd: start, end: line.end };
        break;
      }
    }
    if (!fence.close && !this.finished) return this.showOpenText(ops, this.src.slice(fence.contentStart) + this.partial) ? 'idle' : 'wait';
    // Closed, or the text ended inside it.
    const { contentEnd, end } = fence.close ?? { contentEnd: this.src.length, end: this.src.length };
    if (contentEnd - fence.contentStart <= FENCE_RENDER_CHARS) this.commit(this.src.slice(this.committed, end), ops);
    else {
      // Too long to highlight or render again: the code view shows exactly this once it has all of it.
      if (!this.showOpenText(ops, this.src.slice(fence.contentStart, contentEnd))) return 'wait';
      ops.push({ op: 'keepOpen', id: this.nextId++ });
    }
    this.committed = end;
    this.mode = 'markdown';
    this.fence = undefined;
    return 'committed';
  }

  // ── plain mode: an open part over the size cap ─────────────────────────────────────────────

  /**
   * Finds where the oversized part ends without parsing it: a line at column 0 after a blank line,
   * outside any fence, that cannot continue a list.
   */
  private plainStep(ops: StreamOp[]): 'committed' | 'idle' | 'wait' {
    const st = this.plain!;
    for (let line = st.close === undefined ? this.lineAt(st.scanPos) : undefined; line; line = this.lineAt(st.scanPos)) {
      const text = line.line;
      const at = st.scanPos;
      st.scanPos = line.end;
      if (st.fence) {
        if (closesFence(text, st.fence)) st.fence = undefined;
        st.blankBefore = false;
        continue;
      }
      if (text.trim() === '') {
        st.blankBefore = true;
        continue;
      }
      if (st.blankBefore && at > this.committed && /^\S/.test(text) && !LIST_MARKER.test(text)) {
        st.close = at;
        break;
      }
      const opener = fenceOpener(text);
      if (opener) st.fence = opener;
      st.blankBefore = false;
    }
    if (st.close === undefined && !this.finished)
      return this.showOpenText(ops, this.src.slice(this.committed) + this.partial) ? 'idle' : 'wait';
    const end = st.close ?? this.src.length;
    if (!this.showOpenText(ops, this.src.slice(this.committed, end))) return 'wait';
    ops.push({ op: 'keepOpen', id: this.nextId++ });
    this.committed = end;
    this.mode = 'markdown';
    this.plain = undefined;
    return 'committed';
  }

  /**
   * Shows `full` (the code or plain view's text) in the view, at most OPEN_APPEND_CHARS more than
   * already shown per call, so even a huge text never arrives in one frame. True once all is shown.
   */
  private showOpenText(ops: StreamOp[], full: string): boolean {
    const text = full.length > this.openShown + OPEN_APPEND_CHARS ? full.slice(0, this.openShown + OPEN_APPEND_CHARS) : full;
    if (this.mode === 'code') ops.push({ op: 'code', info: this.fence!.info, text });
    else ops.push({ op: 'plain', text });
    this.openShown = text.length;
    return text.length === full.length;
  }
}

function clean(s: string): string {
  return cleanText(s.includes('\r') ? s.replace(/\r\n?/g, '\n') : s);
}

function lineStarts(s: string): number[] {
  const starts = [0];
  for (let i = s.indexOf('\n'); i >= 0 && i + 1 < s.length; i = s.indexOf('\n', i + 1)) starts.push(i + 1);
  return starts;
}
