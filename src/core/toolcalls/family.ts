// What a format family gives the scanner (stream.ts): the literal tokens that open its calls, and for
// each opening a Region that finds its own end (resumably, so streaming stays linear), reports calls
// as their names become known, and finally reads them. Shared helpers for reading call objects and
// for saying why a call was cut live here too.
import type { CallProblem, ToolCallFormat } from './types';
import { JsonExtent, escapeRegExp, excerpt, jsonExtent, isPlainObject, parseJsonLoose } from './json-scan';
import { JsonCallsProgress, type RegionProgress } from './progress';

export type { RegionProgress } from './progress';

export interface OpenContext {
  /** Nothing visible (text or a call) came before this point of the reply. */
  atStart: boolean;
  /** No more text will come. */
  final: boolean;
  /** The format the model is known to write (explicit setting or hint), if any. */
  hint?: ToolCallFormat;
}

export interface FinishContext {
  schemas: Record<string, unknown>;
  /** `length` when the reply hit the max-token limit. */
  finishReason?: string;
  maxTokens?: number;
}

/** A call as a region read it (ids and order are assigned by the scanner). */
export interface RawCall {
  name: string;
  args: Record<string, unknown>;
  raw: string;
  id?: string;
  format: ToolCallFormat;
  problem?: CallProblem;
}

export interface RegionOutcome {
  calls: RawCall[];
  /** Problems that belong to no call (the region held no readable call). */
  errors?: string[];
  /** Not a call after all (prose that mentions the token): the opener is given back as text. */
  notACall?: boolean;
  /** Text the region carries that the user may see (what follows the calls inside it). */
  text?: string;
  /** Text to read again as a reply of its own (a whole reply wrapped in a code fence). */
  inner?: string;
}

export interface Region {
  /** Where the markup starts (the opener). */
  readonly start: number;
  /** Index just past the region in `text` (closing token included), or -1 while it is open. */
  scan(text: string): number;
  /** Streaming: what became known since the last call (names, argument text). Must stay cheap. */
  progress?(text: string): RegionProgress | undefined;
  /** Reads the calls. `end` is where the region ended (text.length when the text ran out first). */
  finish(text: string, end: number, closed: boolean, ctx: FinishContext): RegionOutcome;
}

export type Opening =
  /** More text is needed to tell. */
  | { kind: 'wait' }
  /** Not an opening here: the token is text. */
  | { kind: 'text' }
  /** Markup without content (a header, a marker): dropped up to `end`. */
  | { kind: 'drop'; end: number }
  /** Reasoning follows from `end` until one of `closers` (consumed). */
  | { kind: 'reasoning'; end: number; closers: readonly string[] }
  | { kind: 'call'; region: Region };

export interface Family {
  /** For messages and tests. */
  readonly name: string;
  /** The formats this family reads (an explicit `toolCallFormat` enables only the families that list it). */
  readonly formats: readonly ToolCallFormat[];
  /** Literal tokens that may open one of its calls. */
  readonly openers: readonly string[];
  /** Its openers can end reasoning that was never closed (special tokens no prose contains). */
  readonly endsReasoning?: boolean;
  open(text: string, at: number, opener: string, ctx: OpenContext): Opening;
}

/** Finds the first of `closers` from a cursor that only moves forward (linear over a streamed region). */
export class CloserSearch {
  private from: number;
  /** Which closer matched. */
  matched = '';
  private readonly longest: number;
  private readonly re: RegExp;
  constructor(from: number, closers: readonly string[]) {
    this.from = from;
    this.longest = Math.max(...closers.map((c) => c.length));
    // One pass for all closers: searching each alone would read to the end for every absent one.
    this.re = closerPattern(closers);
  }
  /** Index where the earliest closer starts, or -1. */
  find(text: string): number {
    this.re.lastIndex = this.from;
    const m = this.re.exec(text);
    if (!m) {
      this.from = Math.max(this.from, text.length - this.longest + 1);
      return -1;
    }
    this.matched = m[0];
    return m.index;
  }
  /** The text it searches lost its first `delta` characters (the scanner dropped what it had read). */
  rebase(delta: number): void {
    this.from = Math.max(0, this.from - delta);
  }
}

const patterns = new Map<string, RegExp>();

/** A global pattern matching any of `tokens` (longest first), built once per set. */
export function closerPattern(tokens: readonly string[]): RegExp {
  const key = tokens.length === 1 ? tokens[0] : tokens.join('\u0000');
  let re = patterns.get(key);
  if (!re) {
    const alts = [...tokens].sort((a, b) => b.length - a.length).map(escapeRegExp);
    re = new RegExp(alts.join('|'), 'g');
    patterns.set(key, re);
  }
  return re;
}

/** The message a cut call gets, said to the model and shown on its card. */
export function cutProblem(ctx: FinishContext, what: string): CallProblem {
  const why =
    ctx.finishReason === 'length'
      ? `the reply reached the max-token limit${ctx.maxTokens ? ` (${ctx.maxTokens} tokens)` : ''} in the middle of ${what}`
      : `the reply ended before ${what} was closed`;
  return {
    kind: 'cut',
    message: `not run: ${why}, so the call is incomplete. Write the call again in full${ctx.finishReason === 'length' ? ', with shorter arguments (split large content over several calls)' : ''}.`,
  };
}

export function unreadable(message: string): CallProblem {
  return { kind: 'unreadable', message: `not run: ${message}` };
}

/** Whether an unclosed region must count as cut: the token limit was hit, or the content is not whole. */
export function isCut(closed: boolean, whole: boolean, ctx: FinishContext): boolean {
  return !closed && (ctx.finishReason === 'length' || !whole);
}

const NAME_KEYS = ['name', 'tool_name', 'function_name', 'tool'];
const ARG_KEYS = ['arguments', 'parameters', 'args', 'input'];

/**
 * A call from a JSON object: `{name, arguments|parameters}` (also `tool_name`, OpenAI's
 * `{type: "function", function: {...}}`, double-encoded argument strings), with its id if it has one.
 * Returns a message when the object is call-shaped but unusable, undefined when it is not call-shaped.
 */
export function callFromObject(
  obj: unknown,
): { name: string; args: Record<string, unknown>; id?: string; problem?: CallProblem } | undefined {
  if (!isPlainObject(obj)) return undefined;
  let o = obj;
  const id = typeof o.id === 'string' ? o.id : typeof o.tool_call_id === 'string' ? o.tool_call_id : undefined;
  if (isPlainObject(o.function)) o = o.function;
  const nameKey = NAME_KEYS.find((k) => typeof o[k] === 'string' && o[k]);
  if (!nameKey) return undefined;
  const name = o[nameKey] as string;
  const argKey = ARG_KEYS.find((k) => k in o);
  let args: unknown = argKey ? o[argKey] : {};
  if (typeof args === 'string') {
    const inner = args.trim() ? parseJsonLoose(args) : { value: {} };
    if (!inner || !isPlainObject(inner.value))
      return {
        name,
        args: {},
        id,
        problem: unreadable(`the arguments of "${name}" are a string that is not a JSON object: ${excerpt(args)}`),
      };
    args = inner.value;
  }
  if (args === null || args === undefined) args = {};
  if (!isPlainObject(args))
    return {
      name,
      args: {},
      id,
      problem: unreadable(`the arguments of "${name}" are not a JSON object: ${excerpt(JSON.stringify(args))}`),
    };
  return { name, args, id };
}

/** Whether a parsed JSON value is shaped like one call or a list of calls (for bare JSON, strict). */
export function looksLikeCalls(v: unknown): boolean {
  if (Array.isArray(v)) return v.length > 0 && v.every(looksLikeCall);
  return looksLikeCall(v);
}

function looksLikeCall(v: unknown): boolean {
  if (!isPlainObject(v)) return false;
  if (v.type === 'function' && isPlainObject(v.function)) return looksLikeCall(v.function);
  const keys = Object.keys(v);
  const named = NAME_KEYS.some((k) => typeof v[k] === 'string');
  const withArgs = ARG_KEYS.some((k) => k in v);
  // Only call keys: an object with other data that happens to have a "name" is data.
  return named && withArgs && keys.every((k) => NAME_KEYS.includes(k) || ARG_KEYS.includes(k) || k === 'id' || k === 'type');
}

/** Calls from a JSON value that holds one call or an array of calls; problems for items that are not calls. */
export function callsFromValue(value: unknown, format: ToolCallFormat): { calls: RawCall[]; errors: string[] } {
  const items = Array.isArray(value) ? value : [value];
  const calls: RawCall[] = [];
  const errors: string[] = [];
  for (const item of items) {
    const c = callFromObject(item);
    if (!c) {
      errors.push(`${format}: a tool call needs a "name" and its "arguments": ${excerpt(JSON.stringify(item) ?? String(item))}`);
      continue;
    }
    calls.push({
      name: c.name,
      args: c.args,
      id: c.id,
      format,
      problem: c.problem,
      // The arguments as read, re-encoded: what the model wrote around them was markup.
      raw: JSON.stringify(c.args),
    });
  }
  return { calls, errors };
}

/** The name in a call object's text that could not be parsed, so its error can still be addressed. */
export function nameInBrokenJson(text: string): string | undefined {
  return /["']?(?:name|tool_name)["']?\s*:\s*["']([^"'\n]{1,200})["']/.exec(text.slice(0, 2000))?.[1];
}

/** A call cut before its name was written: it still gets a card and a result, under no name. */
export function cutBeforeName(ctx: FinishContext, format: ToolCallFormat): RegionOutcome {
  return { calls: [{ name: '', args: {}, raw: '', format, problem: cutProblem(ctx, 'a tool call, before its name') }] };
}

interface ProgressView {
  update(text: string, limit: number): RegionProgress | undefined;
}

/** The region between an opening token and the first of its closing tokens; the body is read at the end. */
export class TaggedRegion implements Region {
  private readonly search: CloserSearch;
  private bodyEnd = -1;

  constructor(
    readonly start: number,
    readonly bodyStart: number,
    closers: readonly string[],
    private readonly read: (body: string, closed: boolean, ctx: FinishContext) => RegionOutcome,
    private readonly makeView?: () => ProgressView,
  ) {
    this.search = new CloserSearch(bodyStart, closers);
  }
  /** Made on first use: a reply read whole never asks. */
  private view?: ProgressView;

  scan(text: string): number {
    const k = this.search.find(text);
    if (k < 0) return -1;
    this.bodyEnd = k;
    return k + this.search.matched.length;
  }

  progress(text: string): RegionProgress | undefined {
    this.view ??= this.makeView?.();
    return this.view?.update(text, this.bodyEnd >= 0 ? this.bodyEnd : text.length);
  }

  finish(text: string, end: number, closed: boolean, ctx: FinishContext): RegionOutcome {
    return this.read(text.slice(this.bodyStart, closed ? this.bodyEnd : end), closed, ctx);
  }
}

/**
 * The region of one JSON object or array that starts right after the opener (no closing token:
 * `[TOOL_CALLS][…]`, `functools[…]`, `<|tool_call|>[…]`). Optional `closers` are consumed after it.
 */
export class ExtentRegion implements Region {
  private readonly extent: JsonExtent;
  private valueEnd = -1;
  private bad = false;

  constructor(
    readonly start: number,
    readonly bodyStart: number,
    private readonly read: (body: string, closed: boolean, ctx: FinishContext) => RegionOutcome,
    private readonly trailing: readonly string[] = [],
  ) {
    this.extent = new JsonExtent(bodyStart);
  }
  /** Made on first use: a reply read whole never asks. */
  private view?: ProgressView;

  scan(text: string): number {
    if (this.valueEnd < 0) {
      const e = this.extent.scan(text);
      if (e === -1) return -1;
      if (e === -2) {
        this.bad = true;
        return this.bodyStart;
      }
      this.valueEnd = e;
    }
    // A closing token that follows (after spaces) belongs to the region; wait while it may be arriving.
    let i = this.valueEnd;
    while (i < text.length && /\s/.test(text[i])) i++;
    for (const t of this.trailing) {
      if (text.startsWith(t, i)) return i + t.length;
      if (i < text.length && t.startsWith(text.slice(i, i + t.length)) && text.length - i < t.length) return -1;
    }
    return this.valueEnd;
  }

  progress(text: string): RegionProgress | undefined {
    if (this.bad) return undefined;
    this.view ??= new JsonCallsProgress(this.bodyStart);
    return this.view.update(text, this.valueEnd >= 0 ? this.valueEnd : text.length);
  }

  finish(text: string, end: number, closed: boolean, ctx: FinishContext): RegionOutcome {
    if (this.bad) return this.read('', true, ctx);
    return this.read(text.slice(this.bodyStart, closed ? this.valueEnd : end), closed, ctx);
  }
}

/** Reads a JSON body of calls: an object or an array; unreadable or cut JSON gets a call with a problem. */
export function jsonCallsOutcome(body: string, closed: boolean, ctx: FinishContext, format: ToolCallFormat): RegionOutcome {
  const t = body.trim();
  if (!t) return closed ? { calls: [], notACall: true } : cutBeforeName(ctx, format);
  const parsed = closed || ctx.finishReason !== 'length' ? parseJsonLoose(stripFence(t)) : undefined;
  if (parsed) {
    const { calls, errors } = callsFromValue(parsed.value, format);
    return calls.length || errors.length ? { calls, errors } : { calls: [], notACall: true };
  }
  if (!closed && ctx.finishReason !== 'length') {
    // The closing token never came, but a whole value did, and prose after it: the calls are whole.
    const e = jsonExtent(t, 0);
    const head = e > 0 ? parseJsonLoose(t.slice(0, e)) : undefined;
    if (head) {
      const { calls, errors } = callsFromValue(head.value, format);
      if (calls.length) return { calls, errors, text: t.slice(e) };
    }
  }
  const name = nameInBrokenJson(t) ?? '';
  if (!closed)
    return { calls: [{ name, args: {}, raw: t, format, problem: cutProblem(ctx, name ? `the call to "${name}"` : 'a tool call') }] };
  if (!/^[[{]/.test(t)) return { calls: [], notACall: true };
  return { calls: [{ name, args: {}, raw: t, format, problem: unreadable(`the call's JSON could not be read: ${excerpt(t)}`) }] };
}

/** A body wrapped in a Markdown code fence, unwrapped. */
export function stripFence(t: string): string {
  const m = /^```[\w-]*[ \t]*\r?\n([\s\S]*?)\r?\n?[ \t]*```$/.exec(t);
  return m ? m[1].trim() : t;
}
