// DeepSeek's full-width-bar tokens, and Step-3 which borrows them. DeepSeek V3 / R1:
// `<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>function<｜tool▁sep｜>NAME\n```json\n{…}\n```<｜tool▁call▁end｜><｜tool▁calls▁end｜>`;
// V3.1: `<｜tool▁call▁begin｜>NAME<｜tool▁sep｜>{…}<｜tool▁call▁end｜>`; Step-3:
// `function<｜tool_sep｜><steptml:invoke name="NAME"><steptml:parameter name="K">v</steptml:parameter>…`.
// Distilled models spell the tokens with `_`, spaces or `\_` instead of `▁`; all are read alike.
import type { Family, FinishContext, RawCall, RegionOutcome } from '../family';
import { TaggedRegion, cutBeforeName, cutProblem, unreadable } from '../family';
import { excerpt, isPlainObject, parseJsonLoose } from '../json-scan';
import { PatternProgress } from '../progress';
import { STEP3, readXmlCalls } from './xml';

const SPELLINGS = ['▁', '_', ' ', '\\_'];
const spell = (words: string[]) => SPELLINGS.map((s) => `<｜${words.join(s)}｜>`);
const BLOCK_OPEN = [...new Set([...spell(['tool', 'calls', 'begin']), '<｜tool▁calls｜>'])];
const BLOCK_CLOSE = [...new Set(spell(['tool', 'calls', 'end']))];
const CALL_OPEN = [...new Set(spell(['tool', 'call', 'begin']))];
const CALL_CLOSE = [...new Set(spell(['tool', 'call', 'end']))];

/** Every spelling of the tokens made `<｜tool_call_begin｜>`, `<｜tool_sep｜>`… */
function normalize(body: string): string {
  return body.replace(/<｜([^｜<>]{1,40})｜>/g, (_m, inner: string) => `<｜${inner.replace(/\\_|[▁ ]/g, '_')}｜>`);
}

const NAME_PATTERN =
  /(?:function<｜tool[▁_ ]sep｜>(?:<steptml:invoke name=")?([^\n<"]{1,200})["\n]|<｜tool[▁_ ]call[▁_ ]begin｜>(?!function<)([^\n<｜]{1,200})<｜tool[▁_ ]sep｜>)/;

function readCall(part: string, closed: boolean, ctx: FinishContext): RawCall | undefined {
  const sep = part.indexOf('<｜tool_sep｜>');
  if (sep < 0) return part.trim() ? { ...cutBeforeName(ctx, 'deepseek_v3').calls[0], raw: part } : undefined;
  const pre = part.slice(0, sep).trim();
  const rest = part.slice(sep + '<｜tool_sep｜>'.length);
  if (pre === 'function' && rest.trimStart().startsWith('<steptml:invoke')) {
    const [call] = readXmlCalls(rest, STEP3, closed, ctx);
    return call ?? { ...cutBeforeName(ctx, 'step3').calls[0], raw: rest };
  }
  let name = pre;
  let args = rest;
  let format: RawCall['format'] = 'deepseek_v31';
  if (pre === 'function') {
    const nl = rest.indexOf('\n');
    if (nl < 0)
      return { name: closed ? rest.trim() : '', args: {}, raw: rest, format: 'deepseek_v3', problem: cutProblem(ctx, 'a tool call') };
    name = rest.slice(0, nl).trim();
    args = rest.slice(nl + 1);
    format = 'deepseek_v3';
  }
  const a = args
    .trim()
    .replace(/^```(?:json)?\s*/, '')
    .replace(/\s*```$/, '');
  if (!closed) {
    const fenced = format === 'deepseek_v3' ? /```\s*$/.test(args.trim()) : true;
    const parsed = fenced && ctx.finishReason !== 'length' ? parseJsonLoose(a) : undefined;
    if (parsed && isPlainObject(parsed.value)) return { name, args: parsed.value, raw: a, format };
    return { name, args: {}, raw: a, format, problem: cutProblem(ctx, `the call to "${name}"`) };
  }
  const parsed = a ? parseJsonLoose(a) : { value: {} };
  if (!parsed || !isPlainObject(parsed.value))
    return { name, args: {}, raw: a, format, problem: unreadable(`the arguments of "${name}" are not a JSON object: ${excerpt(a)}`) };
  return { name, args: parsed.value, raw: a, format };
}

/** The calls of a block (or of one call region when `single`). */
function readBlock(body: string, closed: boolean, ctx: FinishContext): RegionOutcome {
  const t = normalize(body);
  const parts = t.split('<｜tool_call_begin｜>');
  const calls: RawCall[] = [];
  parts.forEach((p, k) => {
    const end = p.indexOf('<｜tool_call_end｜>');
    const segment = end >= 0 ? p.slice(0, end) : p;
    if (!segment.trim()) return;
    // A call is whole when its end token came, or the next call began, or the block closed.
    const whole = end >= 0 || k < parts.length - 1 || closed;
    const call = readCall(segment, whole, ctx);
    if (call) calls.push(call);
  });
  if (!calls.length) return closed ? { calls: [], notACall: !body.trim() } : cutBeforeName(ctx, 'deepseek_v3');
  return { calls };
}

export const deepseekFamily: Family = {
  name: 'deepseek',
  formats: ['deepseek_v3', 'deepseek_v31', 'step3'],
  openers: [...BLOCK_OPEN, ...CALL_OPEN],
  endsReasoning: true,
  open(_text, at, opener) {
    const block = BLOCK_OPEN.includes(opener);
    // A lone call keeps its opening token in the body, so it reads like one inside a block.
    const bodyStart = block ? at + opener.length : at;
    return {
      kind: 'call',
      region: new TaggedRegion(
        at,
        bodyStart,
        block ? BLOCK_CLOSE : CALL_CLOSE,
        readBlock,
        () => new PatternProgress(bodyStart, NAME_PATTERN),
      ),
    };
  },
};
