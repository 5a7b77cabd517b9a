// A whole reply that is a call with no markup: a JSON object or array of calls (Llama 3.x JSON, xLAM,
// any model under constrained decoding), a pythonic list (`[f(a=1), g()]`), or either inside one code
// fence. Only the start of a reply can be that: JSON or code further into prose is an example, not a call.
import type { FinishContext, Region, RegionOutcome, RegionProgress } from '../family';
import { callsFromValue, cutProblem, looksLikeCalls, nameInBrokenJson, unreadable } from '../family';
import { JsonExtent, excerpt, parseJsonLoose, skipSpace } from '../json-scan';
import { JsonCallsProgress } from '../progress';
import { looksPythonic } from '../python-calls';
import type { ToolCallFormat } from '../types';
import { PythonProgress, pythonCallsOutcome } from './pythonic';

const JSON_HEAD = /^(?:\[\s*)?\{\s*["']?(?:name|type|function|tool_name)["']?\s*:/;
/** How much of the reply is looked at before deciding it is not a call. */
const DECIDE_CHARS = 48;
const FENCE = /^```([\w-]*)[ \t]*\r?\n/;
const FENCE_LANGS = new Set(['', 'json', 'jsonc', 'json5', 'xml', 'tool_call', 'tool_calls', 'python', 'py']);

export class BareRegion implements Region {
  private readonly kind: 'json' | 'python' | 'fence';
  private extent?: JsonExtent;
  private valuesEnd = -1;
  private decided = false;
  private notCall = false;
  private fenceClose = -1;
  private readonly view?: { update(text: string, limit: number): RegionProgress | undefined };

  constructor(
    readonly start: number,
    kind: 'json' | 'python' | 'fence',
    private readonly hint?: ToolCallFormat,
  ) {
    this.kind = kind;
    if (kind !== 'fence') {
      this.extent = new JsonExtent(start);
      this.view = kind === 'json' ? new JsonCallsProgress(start) : new PythonProgress(start);
    }
  }

  scan(text: string): number {
    if (this.notCall) return this.start;
    const head = text.slice(this.start, this.start + DECIDE_CHARS + 16);
    if (!this.decided) {
      const ok =
        this.kind === 'json' ? JSON_HEAD.test(head) : this.kind === 'python' ? looksPythonic(text, this.start) : this.fenceOk(head);
      if (!ok) {
        if (head.length < DECIDE_CHARS && !head.includes('\n\n')) return -1;
        this.notCall = true;
        return this.start;
      }
      this.decided = true;
    }
    if (this.kind === 'fence') return this.scanFence(text);
    // Values follow one another (`{…}; {…}`) until something else does.
    for (;;) {
      if (this.valuesEnd < 0) {
        const e = this.extent!.scan(text);
        if (e < 0) return -1;
        this.valuesEnd = e;
      }
      let i = skipSpace(text, this.valuesEnd);
      while (text[i] === ';') i = skipSpace(text, i + 1);
      if (i >= text.length) return -1;
      if (this.kind === 'json' && text[i] === '{') {
        this.extent = new JsonExtent(i);
        this.valuesEnd = -1;
        continue;
      }
      return this.valuesEnd;
    }
  }

  private fenceOk(head: string): boolean {
    const m = FENCE.exec(head);
    if (!m) return false;
    return FENCE_LANGS.has(m[1].toLowerCase());
  }

  private scanFence(text: string): number {
    if (this.fenceClose < 0) {
      const open = FENCE.exec(text.slice(this.start, this.start + 64))!;
      const k = text.indexOf('```', this.start + open[0].length);
      if (k < 0) return -1;
      this.fenceClose = k + 3;
    }
    // The fence is a call only as the whole reply: anything after it makes it an example.
    if (skipSpace(text, this.fenceClose) < text.length) {
      this.notCall = true;
      return this.start;
    }
    return -1;
  }

  progress(text: string): RegionProgress | undefined {
    return this.decided && !this.notCall ? this.view?.update(text, this.valuesEnd >= 0 ? this.valuesEnd : text.length) : undefined;
  }

  finish(text: string, end: number, closed: boolean, ctx: FinishContext): RegionOutcome {
    if (this.notCall || !this.decided) return { calls: [], notACall: true };
    if (this.kind === 'fence') {
      if (this.fenceClose < 0) return { calls: [], notACall: true };
      const open = FENCE.exec(text.slice(this.start, this.start + 64))!;
      return { calls: [], inner: text.slice(this.start + open[0].length, this.fenceClose - 3) };
    }
    const body = text.slice(this.start, this.valuesEnd >= 0 ? this.valuesEnd : end);
    if (this.kind === 'python') {
      const out = pythonCallsOutcome(body, this.valuesEnd >= 0, ctx, this.hint === 'llama4_pythonic' ? 'llama4_pythonic' : 'pythonic');
      return out.calls.some((c) => !c.problem) || this.valuesEnd < 0 ? out : { calls: [], notACall: true };
    }
    return this.finishJson(body, ctx);
  }

  private finishJson(body: string, ctx: FinishContext): RegionOutcome {
    const values: unknown[] = [];
    let i = 0;
    for (;;) {
      i = skipSpace(body, i);
      while (body[i] === ';') i = skipSpace(body, i + 1);
      if (i >= body.length) break;
      const e = new JsonExtent(i).scan(body);
      const chunk = body.slice(i, e > 0 ? e : body.length);
      // A value whose brackets closed is whole, even at the token limit.
      const parsed = e > 0 ? parseJsonLoose(chunk) : undefined;
      if (!parsed) {
        const name = nameInBrokenJson(chunk) ?? '';
        const problem =
          e < 0
            ? cutProblem(ctx, name ? `the call to "${name}"` : 'a tool call')
            : unreadable(`the call's JSON could not be read: ${excerpt(chunk)}`);
        const prior = values.length ? callsFromValue(values, this.jsonFormat(values)).calls : [];
        return { calls: [...prior, { name, args: {}, raw: chunk, format: this.jsonFormat(values), problem }] };
      }
      values.push(parsed.value);
      i = e;
    }
    if (!values.length || !values.every(looksLikeCalls)) return { calls: [], notACall: true };
    const flat = values.flatMap((v): unknown[] => (Array.isArray(v) ? (v as unknown[]) : [v]));
    const format = this.jsonFormat(values);
    return callsFromValue(flat.length === 1 && !Array.isArray(values[0]) ? flat[0] : flat, format);
  }

  private jsonFormat(values: unknown[]): ToolCallFormat {
    if (this.hint === 'llama3_json' || this.hint === 'json_array' || this.hint === 'xlam') return this.hint;
    return values.some(Array.isArray) ? 'json_array' : 'llama3_json';
  }
}

/** The bare candidate at the reply's first visible character, if it starts like one. */
export function bareAt(text: string, at: number, final: boolean, hint?: ToolCallFormat): BareRegion | 'wait' | undefined {
  const c = text[at];
  if (c === '{') return new BareRegion(at, 'json', hint);
  if (c === '[') {
    // `[{` is JSON, `[name(` pythonic; wait for the character that tells.
    const j = skipSpace(text, at + 1);
    if (j >= text.length) return final ? undefined : 'wait';
    return new BareRegion(at, text[j] === '{' ? 'json' : 'python', hint);
  }
  if (c === '`') {
    if (text.length - at < 3 && !final && '```'.startsWith(text.slice(at))) return 'wait';
    if (text.startsWith('```', at) && !text.startsWith('```tool_code', at)) return new BareRegion(at, 'fence', hint);
  }
  return undefined;
}
