// Kimi K2: `<|tool_calls_section_begin|><|tool_call_begin|>functions.NAME:0<|tool_call_argument_begin|>{…}
// <|tool_call_end|>…<|tool_calls_section_end|>`. The id (`functions.NAME:0`) is the model's own and is
// kept; the name is the part between `functions.` and `:`.
import type { Family, FinishContext, RawCall, RegionOutcome } from '../family';
import { TaggedRegion, cutBeforeName, cutProblem, unreadable } from '../family';
import { excerpt, isPlainObject, parseJsonLoose } from '../json-scan';
import { PatternProgress } from '../progress';

const SECTION_OPEN = ['<|tool_calls_section_begin|>', '<|tool_call_section_begin|>'];
const SECTION_CLOSE = ['<|tool_calls_section_end|>', '<|tool_call_section_end|>'];
const CALL_OPEN = '<|tool_call_begin|>';
const CALL_CLOSE = '<|tool_call_end|>';
const ARGS = '<|tool_call_argument_begin|>';

function nameOfId(id: string): string {
  return id.replace(/^functions\./, '').replace(/:\d+$/, '');
}

function readCall(part: string, whole: boolean, ctx: FinishContext): RawCall | undefined {
  const sep = part.indexOf(ARGS);
  if (sep < 0) return part.trim() ? cutBeforeName(ctx, 'kimi_k2').calls[0] : undefined;
  const id = part.slice(0, sep).trim();
  const name = nameOfId(id);
  const raw = part.slice(sep + ARGS.length).trim();
  const parsed = whole || ctx.finishReason !== 'length' ? parseJsonLoose(raw || '{}') : undefined;
  if (parsed && isPlainObject(parsed.value)) return { name, id, args: parsed.value, raw, format: 'kimi_k2' };
  const problem = whole
    ? unreadable(`the arguments of "${name}" are not a JSON object: ${excerpt(raw)}`)
    : cutProblem(ctx, `the call to "${name}"`);
  return { name, id, args: {}, raw, format: 'kimi_k2', problem };
}

function readSection(body: string, closed: boolean, ctx: FinishContext): RegionOutcome {
  const parts = body.split(CALL_OPEN);
  const calls: RawCall[] = [];
  parts.forEach((p, k) => {
    const end = p.indexOf(CALL_CLOSE);
    const whole = end >= 0 || k < parts.length - 1 || closed;
    const call = readCall(end >= 0 ? p.slice(0, end) : p, whole, ctx);
    if (call) calls.push(call);
  });
  if (!calls.length) return closed ? { calls: [], notACall: !body.trim() } : cutBeforeName(ctx, 'kimi_k2');
  return { calls };
}

const NAME_PATTERN = /<\|tool_call_begin\|>\s*([^<\s]{1,200}?)\s*<\|tool_call_argument_begin\|>/;

export const kimiFamily: Family = {
  name: 'kimi',
  formats: ['kimi_k2'],
  openers: [...SECTION_OPEN, CALL_OPEN],
  endsReasoning: true,
  open(_text, at, opener) {
    const section = SECTION_OPEN.includes(opener);
    const bodyStart = section ? at + opener.length : at;
    const progress = () => new PatternProgress(bodyStart, NAME_PATTERN, (m) => ({ name: nameOfId(m[1]), id: m[1] }));
    return { kind: 'call', region: new TaggedRegion(at, bodyStart, section ? SECTION_CLOSE : [CALL_CLOSE], readSection, progress) };
  },
};
