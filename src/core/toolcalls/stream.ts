// The scanner: reads a reply as it streams and splits it into visible text, reasoning and calls, in
// one forward pass. Text streams out as soon as it cannot be the start of a call or of markup (the
// tokens that open a call never show); a call is announced once its name is known and its argument
// text streams after it. Reading a whole reply is one push and `end`, so streaming and batch parsing
// give the same result by construction.
import type { EndInfo, ParseOptions, ParseResult, ParsedToolCall, StreamEvent, ToolCallFormat } from './types';
import { CloserSearch, type FinishContext, type Region, type RegionOutcome } from './family';
import { select, type Selection } from './registry';
import { bareAt } from './formats/bare';
import { functionaryStart } from './formats/functionary';
import { matcher, matchersFor, type Handler, type Matcher } from './matchers';
import { skipSpace } from './json-scan';
import { newToolCallId } from './ids';

/** A call region is looked at again once it grew by 1/REGION_STEP of its length. */
const REGION_STEP = 64;

type State =
  | { kind: 'text' }
  | { kind: 'reasoning'; search: CloserSearch; closers: readonly string[] }
  | { kind: 'fence'; search: CloserSearch }
  | { kind: 'region'; region: Region; opener: string; bare: boolean; first: number; announced: number };

export class ToolCallStream {
  private text = '';
  private pos = 0;
  /** Characters pushed into an open call since the scanner last looked (see `push`). */
  private unread = 0;
  private state: State = { kind: 'text' };
  private textParts: string[] = [];
  private readonly reasoningBlocks: string[] = [];
  private reasoningOpen = false;
  private readonly calls: ParsedToolCall[] = [];
  private readonly errors: string[] = [];
  private readonly formats: ToolCallFormat[] = [];
  private readonly ids = new Set<string>();
  private events: StreamEvent[] = [];
  /** Nothing visible yet and no call. */
  private atStart = true;
  /** Nothing visible since the start or since the last call. */
  private quiet = true;
  private sawReasoning = false;
  private startTried = false;
  private removedMarkup = false;
  private nextIndex = 0;
  private readonly selection: Selection;
  /** Shared between streams of the same selection until this one drops an opener (copied then). */
  private handlers: Map<string, Handler>;
  private main: Matcher;
  /** Openers that end unclosed reasoning (special tokens no prose contains). */
  private readonly reasoningEnders: Matcher | undefined;
  private finishCtx: FinishContext;

  /** Whether events are kept (a whole reply read at once has no one to tell). */
  private readonly recording: boolean;

  constructor(
    private readonly options: ParseOptions = {},
    { events = true }: { events?: boolean } = {},
  ) {
    this.recording = events;
    this.selection = select(options);
    const built = matchersFor(this.selection);
    this.handlers = built.handlers;
    this.main = built.main;
    this.reasoningEnders = built.enders;
    this.finishCtx = { schemas: options.schemas ?? {} };
  }

  /** Feeds more of the reply; returns what became known. */
  push(chunk: string): StreamEvent[] {
    if (!chunk) return this.take();
    this.text += chunk;
    const s = this.state;
    if (s.kind === 'region') {
      // Every look at the text flattens it, so a long call is looked at again only once it grew by
      // a fraction of itself: total work stays linear, and a name (near the start) is still seen at once.
      this.unread += chunk.length;
      if (this.unread * REGION_STEP < this.text.length - s.region.start) return this.take();
    } else if (this.pos > 0) {
      // Outside a call nothing before `pos` is needed again: drop it, so the text looked at stays short.
      const delta = this.pos;
      this.text = this.text.slice(delta);
      this.pos = 0;
      if (s.kind !== 'text') s.search.rebase(delta);
    }
    this.unread = 0;
    this.run(false);
    return this.take();
  }

  /** The reply is complete: everything left is decided. `events` holds what the last pieces revealed. */
  end(info: EndInfo = {}): ParseResult & { events: StreamEvent[] } {
    this.finishCtx = { ...this.finishCtx, finishReason: info.finishReason, maxTokens: info.maxTokens };
    this.run(true);
    this.closeReasoning();
    let text = this.textParts.join('');
    if (this.removedMarkup) text = text.replace(/\n{3,}/g, '\n\n');
    return {
      calls: this.calls,
      text: text.trim(),
      reasoning: this.reasoningBlocks
        .map((b) => b.trim())
        .filter(Boolean)
        .join('\n\n'),
      errors: this.errors,
      formats: this.formats,
      events: this.take(),
    };
  }

  private pushEvent(e: StreamEvent): void {
    if (this.recording) this.events.push(e);
  }

  private take(): StreamEvent[] {
    const out = this.events;
    this.events = [];
    return out;
  }

  private emitText(s: string): void {
    if (!s) return;
    this.textParts.push(s);
    if (this.recording) this.events.push({ type: 'text', text: s });
    if (/\S/.test(s)) this.atStart = this.quiet = false;
  }

  private emitReasoning(s: string): void {
    if (!s) return;
    if (!this.reasoningOpen) {
      this.reasoningBlocks.push('');
      this.reasoningOpen = true;
    }
    this.reasoningBlocks[this.reasoningBlocks.length - 1] += s;
    if (this.recording) this.events.push({ type: 'reasoning', text: s });
  }

  private closeReasoning(): void {
    this.reasoningOpen = false;
  }

  /** Characters at the end that may start a token of `m` (held back until the next piece). */
  private holdBack(m: Matcher, from: number): number {
    const max = Math.min(m.longest - 1, this.text.length - from);
    for (let k = max; k > 0; k--) if (m.prefixes.has(this.text.slice(this.text.length - k))) return k;
    return 0;
  }

  private run(final: boolean): void {
    for (let guard = 0; guard < 1_000_000; guard++) {
      const s = this.state;
      const more =
        s.kind === 'text'
          ? this.stepText(final)
          : s.kind === 'reasoning'
            ? this.stepReasoning(s, final)
            : s.kind === 'fence'
              ? this.stepFence(s, final)
              : this.stepRegion(s, final);
      if (!more) return;
    }
    throw new Error('tool-call scanner made no progress');
  }

  /** Returns whether to keep going (false: wait for more text, or done). */
  private stepText(final: boolean): boolean {
    const text = this.text;
    if (this.atStart && !this.startTried && (this.selection.bare || this.selection.functionaryStart)) {
      const i = skipSpace(text, this.pos);
      // Markup first (reasoning, a marked call): the reply's first visible character comes after it.
      const markup = this.tokenAt(i, final);
      if (markup === false) return false;
      // A code fence here may hold the whole reply's calls: that is the bare reading's to decide.
      if (markup && this.main.handlers.get(markup)?.kind !== 'fence') return this.takeToken(markup, i, final);
      if (i >= text.length) {
        // Only whitespace so far: nothing to decide yet.
        if (final) {
          this.emitText(text.slice(this.pos));
          this.pos = text.length;
        }
        return false;
      }
      this.emitText(text.slice(this.pos, i));
      this.pos = i;
      if (this.selection.functionaryStart) {
        const op = functionaryStart(text, i, final);
        if (op.kind === 'wait') return false;
        if (op.kind === 'drop') {
          this.pos = op.end;
          this.removedMarkup = true;
        } else if (op.kind === 'call') {
          this.startTried = true;
          this.enterRegion(op.region, '', false);
          return true;
        }
      }
      if (this.selection.bare) {
        const r = bareAt(text, skipSpace(text, this.pos), final, this.selection.known);
        if (r === 'wait') return false;
        this.startTried = true;
        if (r) {
          this.enterRegion(r, '', true);
          return true;
        }
      }
      this.startTried = true;
    }
    const m = this.main;
    m.re.lastIndex = this.pos;
    const found = m.re.exec(text);
    // A longer token may still be arriving where (or before) the one found starts: wait for it.
    // (Only a token found near the end can be one: the check is skipped elsewhere, to stay cheap.)
    const near = !found || found.index > text.length - m.longest;
    const safe = final || !near ? text.length : text.length - this.holdBack(m, this.pos);
    if (!found || (!final && safe <= found.index)) {
      this.emitText(text.slice(this.pos, safe));
      this.pos = Math.max(this.pos, safe);
      return false;
    }
    this.emitText(text.slice(this.pos, found.index));
    return this.takeToken(found[0], found.index, final);
  }

  /** The token that starts exactly at `i`, `false` when one may still be arriving there, else undefined. */
  private tokenAt(i: number, final: boolean): string | false | undefined {
    const m = this.main;
    m.re.lastIndex = i;
    const found = m.re.exec(this.text);
    if (found && found.index === i) {
      if (!final && this.text.length - this.holdBack(m, i) <= i) return false;
      return found[0];
    }
    if (!final && i < this.text.length && m.prefixes.has(this.text.slice(i))) return false;
    return undefined;
  }

  /** Handles the markup token at `at` (the text before it was shown). Returns whether to go on. */
  private takeToken(token: string, at: number, final: boolean): boolean {
    const text = this.text;
    const m = this.main;
    this.pos = at;
    const h = m.handlers.get(token)!;
    switch (h.kind) {
      case 'special':
        this.pos = at + token.length;
        this.removedMarkup = true;
        return true;
      case 'fence':
        this.emitText(token);
        this.pos = at + token.length;
        this.state = { kind: 'fence', search: new CloserSearch(this.pos, ['```']) };
        return true;
      case 'reasoning':
        if (!this.quiet) {
          this.emitText(token);
          this.pos = at + token.length;
          return true;
        }
        this.enterReasoning(at + token.length, [h.close]);
        return true;
      case 'reasoning_end':
        // The prompt opened the reasoning: what came before is reasoning. Later, a stray token is dropped.
        if (!this.sawReasoning && !this.calls.length && this.nextIndex === 0) {
          const before = this.textParts.join('');
          this.textParts = [];
          this.atStart = this.quiet = true;
          this.sawReasoning = true;
          this.reasoningBlocks.push(before);
          this.closeReasoning();
        }
        this.pos = at + token.length;
        this.removedMarkup = true;
        return true;
      case 'family': {
        // `<tool_call>` in backticks is prose about the token, not a call.
        if (text[at - 1] === '`' && !token.startsWith('`')) {
          const after = at + token.length;
          if (after >= text.length && !final) return false;
          if (text[after] === '`') {
            this.emitText(token);
            this.pos = after;
            return true;
          }
        }
        const op = h.family.open(text, at, token, { atStart: this.atStart, final, hint: this.selection.known });
        switch (op.kind) {
          case 'wait':
            if (!final) return false;
            this.emitText(token);
            this.pos = at + token.length;
            return true;
          case 'text':
            this.emitText(token);
            this.pos = at + token.length;
            return true;
          case 'drop':
            this.pos = op.end;
            this.removedMarkup = true;
            return true;
          case 'reasoning':
            this.enterReasoning(op.end, op.closers);
            return true;
          case 'call':
            this.enterRegion(op.region, token, false);
            return true;
        }
      }
    }
  }

  private enterReasoning(from: number, closers: readonly string[]): void {
    this.pos = from;
    this.sawReasoning = true;
    this.removedMarkup = true;
    this.closeReasoning();
    this.state = { kind: 'reasoning', search: new CloserSearch(from, closers), closers };
  }

  private stepReasoning(s: { search: CloserSearch; closers: readonly string[] }, final: boolean): boolean {
    const text = this.text;
    const k = s.search.find(text);
    let ender = -1;
    if (this.reasoningEnders) {
      this.reasoningEnders.re.lastIndex = this.pos;
      const m = this.reasoningEnders.re.exec(text);
      if (m && (k < 0 || m.index < k)) ender = m.index;
    }
    if (k < 0 && ender < 0) {
      let safe = text.length;
      if (!final) safe -= Math.max(this.closerHold(s.closers), this.reasoningEnders ? this.holdBack(this.reasoningEnders, this.pos) : 0);
      this.emitReasoning(text.slice(this.pos, safe));
      this.pos = Math.max(this.pos, safe);
      if (final) {
        this.closeReasoning();
        this.state = { kind: 'text' };
      }
      return false;
    }
    if (ender >= 0) {
      this.emitReasoning(text.slice(this.pos, ender));
      this.pos = ender;
    } else {
      this.emitReasoning(text.slice(this.pos, k));
      this.pos = k + s.search.matched.length;
    }
    this.closeReasoning();
    this.state = { kind: 'text' };
    return true;
  }

  /** Held back at the end of reasoning: what may be the start of its closing token. */
  private closerHold(closers: readonly string[]): number {
    let best = 0;
    for (const c of closers)
      for (let k = Math.min(c.length - 1, this.text.length - this.pos); k > best; k--)
        if (this.text.endsWith(c.slice(0, k))) {
          best = k;
          break;
        }
    return best;
  }

  private stepFence(s: { search: CloserSearch }, final: boolean): boolean {
    const k = s.search.find(this.text);
    if (k < 0) {
      const safe = final ? this.text.length : this.text.length - (this.text.endsWith('``') ? 2 : this.text.endsWith('`') ? 1 : 0);
      this.emitText(this.text.slice(this.pos, safe));
      this.pos = Math.max(this.pos, safe);
      if (final) this.state = { kind: 'text' };
      return false;
    }
    this.emitText(this.text.slice(this.pos, k + 3));
    this.pos = k + 3;
    this.state = { kind: 'text' };
    return true;
  }

  private enterRegion(region: Region, opener: string, bare: boolean): void {
    this.pos = region.start;
    this.state = { kind: 'region', region, opener, bare, first: this.nextIndex, announced: 0 };
  }

  private stepRegion(s: Extract<State, { kind: 'region' }>, final: boolean): boolean {
    const end = s.region.scan(this.text);
    if (end < 0 && !final) {
      const p = s.region.progress?.(this.text);
      if (p) {
        for (const n of p.names)
          this.pushEvent({ type: 'call_start', index: s.first + s.announced++, name: n.name, ...(n.id ? { id: n.id } : {}) });
        for (const d of p.deltas) if (d.text) this.pushEvent({ type: 'call_delta', index: s.first + d.index, text: d.text });
      }
      this.nextIndex = Math.max(this.nextIndex, s.first + s.announced);
      return false;
    }
    const closed = end >= 0;
    const stop = closed ? end : this.text.length;
    this.state = { kind: 'text' };
    this.takeOutcome(s, s.region.finish(this.text, stop, closed, this.finishCtx), closed, stop);
    return true;
  }

  private takeOutcome(s: Extract<State, { kind: 'region' }>, out: RegionOutcome, closed: boolean, stop: number): void {
    if (out.inner !== undefined) {
      const sub = new ToolCallStream(this.options, { events: false });
      sub.push(out.inner);
      const r = sub.end(this.finishCtx);
      if (!r.calls.length) out = { calls: [], notACall: true };
      else return this.takeInner(r, stop);
    }
    if (out.notACall) {
      if (s.bare) {
        // Not a call after all: the reply is read again from its start, as text.
        this.pos = s.region.start;
        return;
      }
      this.emitText(this.text.slice(s.region.start, s.region.start + s.opener.length));
      this.pos = s.region.start + s.opener.length;
      // An opener that never closed is prose; later ones cannot close either.
      if (!closed && this.handlers.has(s.opener)) {
        this.handlers = new Map(this.handlers);
        this.handlers.delete(s.opener);
        this.main = matcher(this.handlers);
      }
      return;
    }
    this.removedMarkup = true;
    this.pos = stop;
    out.errors?.forEach((e) => this.errors.push(e));
    out.calls.forEach((c, k) => {
      const index = s.first + k;
      if (k >= s.announced) this.pushEvent({ type: 'call_start', index, name: c.name, ...(c.id ? { id: c.id } : {}) });
      this.calls.push({
        id: this.uniqueId(c.id),
        name: c.name,
        // A call that cannot run carries nothing to run with; what was written stays in rawArguments.
        arguments: c.problem ? {} : c.args,
        rawArguments: c.raw,
        source: c.format,
        streamIndex: index,
        ...(c.problem ? { problem: c.problem } : {}),
      });
      if (!this.formats.includes(c.format)) this.formats.push(c.format);
    });
    this.nextIndex = Math.max(this.nextIndex, s.first + Math.max(s.announced, out.calls.length));
    if (out.calls.length) this.atStart = false;
    this.quiet = true;
    if (out.text?.trim()) this.emitText(out.text);
  }

  /** A whole reply inside a code fence, read as a reply of its own: its calls and text join this one. */
  private takeInner(r: ParseResult, stop: number): void {
    this.removedMarkup = true;
    this.pos = stop;
    this.atStart = false;
    this.quiet = true;
    for (const c of r.calls) {
      const index = this.nextIndex++;
      this.pushEvent({ type: 'call_start', index, name: c.name, ...(c.id ? { id: c.id } : {}) });
      this.calls.push({ ...c, id: this.uniqueId(c.id), streamIndex: index });
      if (!this.formats.includes(c.source as ToolCallFormat)) this.formats.push(c.source as ToolCallFormat);
    }
    this.errors.push(...r.errors);
    if (r.text) this.emitText(r.text);
    if (r.reasoning) this.reasoningBlocks.push(r.reasoning);
  }

  /** The model's id when it gave one (made unique within the reply), else a fresh one. */
  private uniqueId(given: string | undefined): string {
    // Fresh ids are unique by construction; only the model's own can repeat.
    if (!given || !given.trim()) return newToolCallId();
    let id = given.trim();
    if (this.ids.has(id)) id = `${id}_${this.ids.size}`;
    this.ids.add(id);
    return id;
  }
}
