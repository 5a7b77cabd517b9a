// gpt-oss (Harmony): messages `<|start|>assistant<|channel|>CHANNEL<|message|>…<|end|>`. The analysis
// channel is reasoning, final and commentary are text, and a message addressed to a function
// (`to=functions.NAME`, before or after the channel) is a call whose JSON ends at `<|call|>`.
import type { Family, FinishContext, Region, RegionOutcome, RegionProgress } from '../family';
import { CloserSearch, cutProblem, unreadable } from '../family';
import { excerpt, isPlainObject, parseJsonLoose } from '../json-scan';

const MESSAGE = '<|message|>';
/** A header longer than this is not one. */
const HEADER_CHARS = 300;

class HarmonyCallRegion implements Region {
  private readonly search: CloserSearch;
  private bodyEnd = -1;
  private announced = false;
  private emitted: number;

  constructor(
    readonly start: number,
    private readonly bodyStart: number,
    private readonly name: string,
  ) {
    // The next message's start ends this one but belongs to it, so it is not consumed.
    this.search = new CloserSearch(bodyStart, ['<|call|>', '<|end|>', '<|return|>', '<|start|>', '<|channel|>']);
    this.emitted = bodyStart;
  }

  scan(text: string): number {
    const k = this.search.find(text);
    if (k < 0) return -1;
    this.bodyEnd = k;
    const m = this.search.matched;
    return m === '<|start|>' || m === '<|channel|>' ? k : k + m.length;
  }

  progress(text: string): RegionProgress | undefined {
    const out: RegionProgress = { names: [], deltas: [] };
    if (!this.announced) {
      this.announced = true;
      out.names.push({ name: this.name });
    }
    const upto = this.bodyEnd >= 0 ? this.bodyEnd : text.length;
    if (upto > this.emitted) out.deltas.push({ index: 0, text: text.slice(this.emitted, upto) });
    this.emitted = Math.max(this.emitted, upto);
    return out;
  }

  finish(text: string, end: number, closed: boolean, ctx: FinishContext): RegionOutcome {
    const raw = text.slice(this.bodyStart, closed ? this.bodyEnd : end).trim();
    const name = this.name;
    // `<|call|>` is a stop token, so a reply that ends after whole JSON is a whole call; the limit is not.
    const parsed = closed || ctx.finishReason !== 'length' ? parseJsonLoose(raw || '{}') : undefined;
    if (parsed && isPlainObject(parsed.value)) return { calls: [{ name, args: parsed.value, raw, format: 'gpt_oss_harmony' }] };
    const problem = closed
      ? unreadable(`the arguments of "${name}" are not a JSON object: ${excerpt(raw)}`)
      : cutProblem(ctx, `the call to "${name}"`);
    return { calls: [{ name, args: {}, raw, format: 'gpt_oss_harmony', problem }] };
  }
}

export const harmonyFamily: Family = {
  name: 'harmony',
  formats: ['gpt_oss_harmony'],
  openers: ['<|start|>', '<|channel|>', 'to=functions.'],
  endsReasoning: true,
  open(text, at, opener, ctx) {
    if (opener === 'to=functions.' && !ctx.atStart) return { kind: 'text' };
    const window = text.slice(at, at + HEADER_CHARS);
    const k = window.indexOf(MESSAGE);
    if (k < 0) {
      if (!ctx.final && window.length < HEADER_CHARS && !window.includes('\n')) return { kind: 'wait' };
      // A control token with no message after it carries nothing to show.
      return opener === 'to=functions.' ? { kind: 'text' } : { kind: 'drop', end: at + opener.length };
    }
    const header = window.slice(0, k);
    const bodyStart = at + k + MESSAGE.length;
    const to = /to=(?:functions\.)?([^\s<]{1,200})/.exec(
      opener === 'to=functions.' ? `to=functions.${header.slice(opener.length)}` : header,
    );
    if (to) return { kind: 'call', region: new HarmonyCallRegion(at, bodyStart, to[1]) };
    const channel = /<\|channel\|>\s*([A-Za-z]+)/.exec(header)?.[1];
    if (channel === 'analysis') return { kind: 'reasoning', end: bodyStart, closers: ['<|end|>'] };
    return { kind: 'drop', end: bodyStart };
  },
};
