// Functionary v3.2: each message names its recipient after `>>>` on its own line: `>>>all\n` text for
// the user, `>>>NAME\n{json}` a call, `>>>python\n` raw code. The prompt ends with `>>>`, so the
// reply's first recipient has no marker; that is only read when the model is known to be Functionary.
import type { Family, FinishContext, Region, RegionOutcome, RegionProgress } from '../family';
import { CloserSearch, cutProblem, unreadable } from '../family';
import { JsonExtent, excerpt, isPlainObject, parseJsonLoose } from '../json-scan';

const RECIPIENT = /([A-Za-z_][\w.-]{0,199})\r?\n/y;

/** One call after its recipient line: JSON arguments, or raw code up to the next `>>>`. */
class RecipientRegion implements Region {
  private readonly json?: JsonExtent;
  private readonly code?: CloserSearch;
  private bodyEnd = -1;
  private announced = false;
  private emitted: number;

  constructor(
    readonly start: number,
    private readonly bodyStart: number,
    private readonly name: string,
    isJson: boolean,
  ) {
    if (isJson) this.json = new JsonExtent(bodyStart);
    else this.code = new CloserSearch(bodyStart, ['>>>']);
    this.emitted = bodyStart;
  }

  scan(text: string): number {
    if (this.json) {
      const e = this.json.scan(text);
      if (e >= 0) this.bodyEnd = e;
      return e >= 0 ? e : -1;
    }
    const k = this.code!.find(text);
    if (k >= 0) this.bodyEnd = k;
    return k;
  }

  progress(text: string): RegionProgress | undefined {
    const out: RegionProgress = { names: this.announced ? [] : [{ name: this.name }], deltas: [] };
    this.announced = true;
    const upto = this.bodyEnd >= 0 ? this.bodyEnd : text.length;
    if (upto > this.emitted) out.deltas.push({ index: 0, text: text.slice(this.emitted, upto) });
    this.emitted = Math.max(this.emitted, upto);
    return out;
  }

  finish(text: string, end: number, closed: boolean, ctx: FinishContext): RegionOutcome {
    const raw = text.slice(this.bodyStart, closed ? this.bodyEnd : end);
    const name = this.name;
    if (this.code) {
      const code = raw.replace(/\s+$/, '');
      const call = { name, args: { code }, raw: JSON.stringify({ code }), format: 'functionary_v3_2' as const };
      return { calls: [!closed && ctx.finishReason === 'length' ? { ...call, problem: cutProblem(ctx, `the code for "${name}"`) } : call] };
    }
    if (!closed) return { calls: [{ name, args: {}, raw, format: 'functionary_v3_2', problem: cutProblem(ctx, `the call to "${name}"`) }] };
    const parsed = parseJsonLoose(raw);
    if (!parsed || !isPlainObject(parsed.value))
      return {
        calls: [
          {
            name,
            args: {},
            raw,
            format: 'functionary_v3_2',
            problem: unreadable(`the arguments of "${name}" are not a JSON object: ${excerpt(raw)}`),
          },
        ],
      };
    return { calls: [{ name, args: parsed.value, raw, format: 'functionary_v3_2' }] };
  }
}

function openRecipient(text: string, at: number, from: number, final: boolean): ReturnType<Family['open']> {
  RECIPIENT.lastIndex = from;
  const m = RECIPIENT.exec(text);
  if (!m) return !final && text.length - from < 200 && !text.slice(from).includes('\n') ? { kind: 'wait' } : { kind: 'text' };
  const bodyStart = from + m[0].length;
  if (m[1] === 'all') return { kind: 'drop', end: bodyStart };
  if (bodyStart >= text.length && !final) return { kind: 'wait' };
  const isJson = text[bodyStart] === '{';
  if (!isJson && m[1] !== 'python') return { kind: 'text' };
  return { kind: 'call', region: new RecipientRegion(at, bodyStart, m[1], isJson) };
}

export const functionaryFamily: Family = {
  name: 'functionary',
  formats: ['functionary_v3_2'],
  openers: ['>>>'],
  open: (text, at, opener, ctx) => openRecipient(text, at, at + opener.length, ctx.final),
};

/** The reply's first recipient, which has no `>>>` (only for a model known to write Functionary v3.2). */
export function functionaryStart(text: string, at: number, final: boolean): ReturnType<Family['open']> {
  return openRecipient(text, at, at, final);
}
