// Formats that put JSON calls between marker tokens: Jamba, Hunyuan-A13B and Apriel (`<tool_calls>[…]`),
// MiniMax-M1 (`<tool_calls>` with one object per line), Nemotron Nano v2 (`<TOOLCALL>[…]`), Granite 3.x
// (`<|tool_call|>[…]`), Phi-4-mini and FireFunction v2 (`functools[…]`), Apertus
// (`<|tools_prefix|>[{"NAME": {…}}]`), InternLM2 (`<|action_start|><|plugin|>{…}`), Command R7B
// (`<|START_ACTION|>[…]`) and Command R+ (`Action: ```json […]````).
import type { Family, FinishContext, RawCall, RegionOutcome } from '../family';
import { ExtentRegion, TaggedRegion, callsFromValue, cutBeforeName, jsonCallsOutcome, unreadable } from '../family';
import { excerpt, isPlainObject, jsonExtent, parseJsonLoose, skipSpace } from '../json-scan';
import { JsonCallsProgress } from '../progress';
import type { ToolCallFormat } from '../types';

/** Consecutive JSON values (one per line, or separated by `;`/`,`), or undefined when one does not read. */
function jsonSequence(t: string): unknown[] | undefined {
  const out: unknown[] = [];
  let i = 0;
  for (;;) {
    i = skipSpace(t, i);
    while (t[i] === ';' || t[i] === ',') i = skipSpace(t, i + 1);
    if (i >= t.length) return out;
    const e = jsonExtent(t, i);
    if (e < 0) return undefined;
    const v = parseJsonLoose(t.slice(i, e));
    if (!v) return undefined;
    out.push(v.value);
    i = e;
  }
}

/** MiniMax-M1's lines cut by the end of the reply: the whole ones stand, the last is cut. */
function cutLines(t: string, ctx: FinishContext): RegionOutcome {
  const calls: RawCall[] = [];
  let i = skipSpace(t, 0);
  while (i < t.length) {
    const e = jsonExtent(t, i);
    if (e < 0) break;
    const v = parseJsonLoose(t.slice(i, e));
    if (!v) break;
    calls.push(...callsFromValue(v.value, 'minimax_m1').calls);
    i = skipSpace(t, e);
  }
  const rest = t.slice(i);
  if (rest.trim()) calls.push(...jsonCallsOutcome(rest, false, ctx, 'minimax_m1').calls);
  return calls.length ? { calls } : cutBeforeName(ctx, 'minimax_m1');
}

function toolCallsBlock(body: string, closed: boolean, ctx: FinishContext, hint?: ToolCallFormat): RegionOutcome {
  const t = body.trim();
  const arrayFormat: ToolCallFormat = hint === 'hunyuan_a13b' || hint === 'apriel' ? hint : 'jamba';
  if (t.startsWith('[')) return jsonCallsOutcome(t, closed, ctx, arrayFormat);
  if (!closed) return cutLines(t, ctx);
  const values = jsonSequence(t);
  if (values && values.length) {
    const out = callsFromValue(values, 'minimax_m1');
    return out.calls.length ? out : { calls: [], notACall: true };
  }
  return jsonCallsOutcome(t, closed, ctx, 'minimax_m1');
}

/** Apertus writes each call as `{"NAME": {arguments}}`. */
function apertusOutcome(body: string, closed: boolean, ctx: FinishContext): RegionOutcome {
  const t = body.trim();
  const parsed = closed ? parseJsonLoose(t) : undefined;
  if (!parsed) {
    // The name is the object's key, which the generic reading cannot see.
    const name = /^\[?\s*\{\s*"([^"\\]{1,200})"\s*:/.exec(t)?.[1];
    const out = jsonCallsOutcome(t, closed, ctx, 'apertus');
    return name ? { ...out, calls: out.calls.map((c) => (c.name ? c : { ...c, name })) } : out;
  }
  const items = Array.isArray(parsed.value) ? parsed.value : [parsed.value];
  const calls: RawCall[] = [];
  const errors: string[] = [];
  for (const item of items) {
    const keys = isPlainObject(item) ? Object.keys(item) : [];
    if (keys.length !== 1) {
      errors.push(`apertus: each call must be {"NAME": {arguments}}: ${excerpt(JSON.stringify(item) ?? '')}`);
      continue;
    }
    const name = keys[0];
    const args = (item as Record<string, unknown>)[name];
    if (isPlainObject(args)) calls.push({ name, args, raw: JSON.stringify(args), format: 'apertus' });
    else
      calls.push({
        name,
        args: {},
        raw: JSON.stringify(args),
        format: 'apertus',
        problem: unreadable(`the arguments of "${name}" are not a JSON object`),
      });
  }
  return calls.length || errors.length ? { calls, errors } : { calls: [], notACall: true };
}

/** InternLM2: `<|plugin|>` then `{"name", "parameters"}`; `<|interpreter|>` then Python code. */
function internlmOutcome(body: string, closed: boolean, ctx: FinishContext): RegionOutcome {
  const m = /^\s*<\|(plugin|interpreter)\|>\s*/.exec(body);
  if (!m) return closed || body.trim().length > 20 ? { calls: [], notACall: true } : cutBeforeName(ctx, 'internlm2');
  const rest = body.slice(m[0].length);
  if (m[1] === 'plugin') return jsonCallsOutcome(rest, closed, ctx, 'internlm2');
  return jsonCallsOutcome(JSON.stringify({ name: 'python', arguments: { code: rest.trim() } }), closed, ctx, 'internlm2');
}

/** Command R+ marks a reply without tools as a call to `directly_answer`: that is no call. */
function commandRPlusOutcome(body: string, closed: boolean, ctx: FinishContext): RegionOutcome {
  const out = jsonCallsOutcome(body, closed, ctx, 'command_r_plus');
  return { ...out, calls: out.calls.filter((c) => c.name !== 'directly_answer') };
}

const apertusName = (head: string) => {
  const m = /^\{\s*"([^"\\]{1,200})"\s*:/.exec(head);
  return m ? { name: m[1] } : undefined;
};

function tagged(at: number, opener: string, closer: string, read: (b: string, c: boolean, ctx: FinishContext) => RegionOutcome) {
  const bodyStart = at + opener.length;
  return { kind: 'call' as const, region: new TaggedRegion(at, bodyStart, [closer], read, () => new JsonCallsProgress(bodyStart)) };
}

export const jsonTagsFamily: Family = {
  name: 'json-tags',
  formats: [
    'jamba',
    'hunyuan_a13b',
    'apriel',
    'minimax_m1',
    'nemotron_toolcall',
    'granite',
    'phi4_mini_functools',
    'firefunction_v2',
    'apertus',
    'internlm2',
    'command_r7b',
    'command_r_plus',
  ],
  openers: [
    '<tool_calls>',
    '<TOOLCALL>',
    '<|tool_call|>',
    'functools[',
    '<|tools_prefix|>',
    '<|action_start|>',
    '<|START_ACTION|>',
    'Action: ```json',
  ],
  open(_text, at, opener, ctx) {
    switch (opener) {
      case '<tool_calls>':
        return tagged(at, opener, '</tool_calls>', (b, c, f) => toolCallsBlock(b, c, f, ctx.hint));
      case '<TOOLCALL>':
        return tagged(at, opener, '</TOOLCALL>', (b, c, f) => jsonCallsOutcome(b, c, f, 'nemotron_toolcall'));
      case '<|tool_call|>':
        return { kind: 'call', region: new ExtentRegion(at, at + opener.length, (b, c, f) => jsonCallsOutcome(b, c, f, 'granite')) };
      case 'functools[': {
        const format = ctx.hint === 'firefunction_v2' ? 'firefunction_v2' : 'phi4_mini_functools';
        return { kind: 'call', region: new ExtentRegion(at, at + opener.length - 1, (b, c, f) => jsonCallsOutcome(b, c, f, format)) };
      }
      case '<|tools_prefix|>': {
        const bodyStart = at + opener.length;
        return {
          kind: 'call',
          region: new TaggedRegion(
            at,
            bodyStart,
            ['<|tools_suffix|>'],
            apertusOutcome,
            () => new JsonCallsProgress(bodyStart, apertusName),
          ),
        };
      }
      case '<|action_start|>':
        return tagged(at, opener, '<|action_end|>', internlmOutcome);
      case '<|START_ACTION|>':
        return tagged(at, opener, '<|END_ACTION|>', (b, c, f) => jsonCallsOutcome(b, c, f, 'command_r7b'));
      default:
        return tagged(at, opener, '```', commandRPlusOutcome);
    }
  },
};
