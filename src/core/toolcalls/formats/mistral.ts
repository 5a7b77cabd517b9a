// Mistral's `[TOOL_CALLS]` token, in the three forms its tokenizers produced: before v11 a JSON array
// (`[TOOL_CALLS][{"name", "arguments", "id"}]`), from v11 the name then the JSON arguments
// (`[TOOL_CALLS]NAME{…}`), and from v13 with `[ARGS]` and an optional `[CALL_ID]`
// (`[TOOL_CALLS]NAME[CALL_ID]ID[ARGS]{…}`), one token per call. Magistral thinks in `[THINK]…[/THINK]`.
import type { Family, FinishContext, Region, RegionOutcome, RegionProgress } from '../family';
import { ExtentRegion, cutBeforeName, cutProblem, jsonCallsOutcome, unreadable } from '../family';
import { JsonExtent, excerpt, isPlainObject, parseJsonLoose, skipSpace } from '../json-scan';
import type { ToolCallFormat } from '../types';

const NAMED = /([A-Za-z0-9_.:-]{1,200})(?:\[CALL_ID\]([A-Za-z0-9_-]{0,64}))?(\[ARGS\])?\s*/y;

/** `[TOOL_CALLS]NAME…{args}`: the name is read first, then the JSON arguments' extent. */
class NamedRegion implements Region {
  private head?: { name: string; id?: string; format: ToolCallFormat; argsAt: number };
  private extent?: JsonExtent;
  private end = -1;
  private announced = false;
  private emitted = 0;

  constructor(
    readonly start: number,
    private readonly bodyStart: number,
  ) {}

  scan(text: string): number {
    if (!this.head) {
      NAMED.lastIndex = this.bodyStart;
      const m = NAMED.exec(text);
      // The name is complete once something follows it.
      if (!m || m.index + m[0].length >= text.length) return -1;
      const argsAt = m.index + m[0].length;
      // `[CALL_ID]` or `[ARGS]` still arriving after the name.
      const tail = text.slice(argsAt, argsAt + 9);
      if (tail.length < 9 && tail.startsWith('[') && ('[CALL_ID]'.startsWith(tail) || '[ARGS]'.startsWith(tail))) return -1;
      if (text[argsAt] !== '{') {
        this.end = argsAt;
        return argsAt;
      }
      this.head = { name: m[1], id: m[2] || undefined, format: m[3] ? 'mistral_args' : 'mistral_v11', argsAt };
      this.extent = new JsonExtent(argsAt);
      this.emitted = argsAt;
    }
    const e = this.extent!.scan(text);
    if (e >= 0) this.end = e;
    return e >= 0 ? e : -1;
  }

  progress(text: string): RegionProgress | undefined {
    if (!this.head) return undefined;
    const out: RegionProgress = { names: [], deltas: [] };
    if (!this.announced) {
      this.announced = true;
      out.names.push({ name: this.head.name, id: this.head.id });
    }
    const upto = this.end >= 0 ? this.end : text.length;
    if (upto > this.emitted) {
      out.deltas.push({ index: 0, text: text.slice(this.emitted, upto) });
      this.emitted = upto;
    }
    return out;
  }

  finish(text: string, end: number, closed: boolean, ctx: FinishContext): RegionOutcome {
    if (!this.head) {
      if (!closed) return cutBeforeName(ctx, 'mistral_args');
      return {
        calls: [],
        errors: ['mistral: [TOOL_CALLS] is followed by neither a JSON list of calls nor a name with JSON arguments'],
      };
    }
    const { name, id, format, argsAt } = this.head;
    const raw = text.slice(argsAt, closed ? this.end : end);
    if (!closed) return { calls: [{ name, id, args: {}, raw, format, problem: cutProblem(ctx, `the call to "${name}"`) }] };
    const parsed = parseJsonLoose(raw);
    if (!parsed || !isPlainObject(parsed.value))
      return {
        calls: [
          { name, id, args: {}, raw, format, problem: unreadable(`the arguments of "${name}" are not a JSON object: ${excerpt(raw)}`) },
        ],
      };
    return { calls: [{ name, id, args: parsed.value, raw, format }] };
  }
}

export const mistralFamily: Family = {
  name: 'mistral',
  formats: ['mistral_pre_v11', 'mistral_v11', 'mistral_args'],
  openers: ['[TOOL_CALLS]'],
  open(text, at, opener, ctx) {
    const bodyStart = at + opener.length;
    const i = skipSpace(text, bodyStart);
    if (i >= text.length && !ctx.final) return { kind: 'wait' };
    // Neither a list, an object nor a name: prose that mentions the token.
    if (i < text.length && !/[[{A-Za-z0-9_.:-]/.test(text[i])) return { kind: 'text' };
    if (text[i] === '[' || text[i] === '{')
      return { kind: 'call', region: new ExtentRegion(at, i, (b, c, f) => jsonCallsOutcome(b, c, f, 'mistral_pre_v11')) };
    return { kind: 'call', region: new NamedRegion(at, i) };
  },
};
