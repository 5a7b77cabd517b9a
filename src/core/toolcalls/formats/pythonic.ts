// Calls written as Python: Llama 4 (`<|python_start|>[f(a=1)]<|python_end|>`), Liquid LFM2
// (`<|tool_call_start|>[f(a=1)]<|tool_call_end|>`, or a JSON array there), and Gemma's ```tool_code
// blocks (`print(f(a=1))` or `f(a=1)`, one per line). The bare `[f(a=1), g(b="x")]` form is read by
// bare.ts, since only a whole reply can be that.
import type { Family, FinishContext, RawCall, RegionOutcome, RegionProgress } from '../family';
import { TaggedRegion, cutBeforeName, cutProblem, jsonCallsOutcome, unreadable } from '../family';
import { parsePythonCalls } from '../python-calls';
import type { ToolCallFormat } from '../types';

/** Announces the first call's name as soon as `name(` has arrived; streams the text as written. */
export class PythonProgress {
  private named = false;
  private emitted: number;
  constructor(private readonly from: number) {
    this.emitted = from;
  }
  update(text: string, limit: number): RegionProgress | undefined {
    const out: RegionProgress = { names: [], deltas: [] };
    if (!this.named) {
      // Gemma wraps its calls in print(…): the call is what print prints.
      const head = text.slice(this.from, Math.min(limit, this.from + 300)).replace(/^\s*print\(/, '');
      if ('print('.startsWith(head.trimStart())) return undefined;
      const m = /^\s*\[?\s*([A-Za-z_][\w.]{0,199})\s*\(/.exec(head);
      if (!m) return undefined;
      this.named = true;
      out.names.push({ name: m[1] });
    }
    if (limit > this.emitted) {
      out.deltas.push({ index: 0, text: text.slice(this.emitted, limit) });
      this.emitted = limit;
    }
    return out;
  }
}

/** A list of Python calls (`[f(a=1), g()]`, or one call without brackets). */
export function pythonCallsOutcome(body: string, closed: boolean, ctx: FinishContext, format: ToolCallFormat): RegionOutcome {
  const t = body.trim();
  if (!t) return closed ? { calls: [], notACall: true } : cutBeforeName(ctx, format);
  const list = t.startsWith('[');
  const r = parsePythonCalls(t, 0, list);
  const atLimit = !closed && ctx.finishReason === 'length';
  if (r.ok && !(atLimit && r.end >= t.length)) {
    return {
      calls: r.calls.map((c) => ({ name: c.name, args: c.args, raw: JSON.stringify(c.args), format })),
      text: t.slice(r.end).trim() || undefined,
    };
  }
  const name = /^\[?\s*([A-Za-z_][\w.]{0,199})\s*\(/.exec(t)?.[1] ?? '';
  if (!name && closed) return { calls: [], notACall: true };
  const problem =
    (!r.ok && r.incomplete) || atLimit
      ? cutProblem(ctx, name ? `the call to "${name}"` : 'a tool call')
      : unreadable(
          `the call${name ? ` to "${name}"` : ''} could not be read as Python keyword arguments: ${r.ok ? 'unexpected text' : r.error}`,
        );
  return { calls: [{ name, args: {}, raw: t, format, problem }] };
}

/** Gemma ```tool_code: one call per line, optionally wrapped in print(…). */
function toolCodeOutcome(body: string, closed: boolean, ctx: FinishContext): RegionOutcome {
  const calls: RawCall[] = [];
  for (const line of body.split('\n')) {
    const s = line.trim();
    if (!s) continue;
    // print(call) → call; a cut line keeps what arrived of the call.
    const inner = s.startsWith('print(') ? s.slice(6).replace(/\)$/, '') : s;
    const out = pythonCallsOutcome(inner, closed, ctx, 'gemma_tool_code');
    if (out.notACall) return { calls: [], notACall: true };
    calls.push(...out.calls);
  }
  if (!calls.length) return closed ? { calls: [], notACall: true } : cutBeforeName(ctx, 'gemma_tool_code');
  return { calls };
}

function lfm2Outcome(body: string, closed: boolean, ctx: FinishContext): RegionOutcome {
  const t = body.trim();
  if (/^\[\s*\{/.test(t) || t.startsWith('{')) return jsonCallsOutcome(t, closed, ctx, 'lfm2');
  return pythonCallsOutcome(t, closed, ctx, 'lfm2');
}

function region(at: number, opener: string, closer: string, read: (b: string, c: boolean, ctx: FinishContext) => RegionOutcome) {
  const bodyStart = at + opener.length;
  return { kind: 'call' as const, region: new TaggedRegion(at, bodyStart, [closer], read, () => new PythonProgress(bodyStart)) };
}

export const pythonicFamily: Family = {
  name: 'pythonic',
  formats: ['llama4_pythonic', 'lfm2', 'gemma_tool_code'],
  openers: ['<|python_start|>', '<|tool_call_start|>', '```tool_code'],
  open(_text, at, opener) {
    if (opener === '<|python_start|>')
      return region(at, opener, '<|python_end|>', (b, c, ctx) => pythonCallsOutcome(b, c, ctx, 'llama4_pythonic'));
    if (opener === '<|tool_call_start|>') return region(at, opener, '<|tool_call_end|>', lfm2Outcome);
    return region(at, opener, '```', toolCodeOutcome);
  },
};
