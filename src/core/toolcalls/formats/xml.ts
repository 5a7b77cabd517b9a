// The XML-style formats, whose parameters are elements with untyped text values: Qwen3-Coder
// (`<function=NAME><parameter=KEY>…`), Seed-OSS (the same inside `<seed:tool_call>`), MiniMax-M2
// (`<invoke name="NAME"><parameter name="KEY">…`) and Step-3 (`<steptml:invoke …>`). Values are typed
// by the tool's schema (values.ts); a call whose closing tag never came is cut.
import type { Family, FinishContext, RawCall, RegionOutcome } from '../family';
import { TaggedRegion, cutBeforeName, cutProblem } from '../family';
import type { ToolCallFormat } from '../types';
import { propertySchema, typedText } from '../values';
import { XmlCallsProgress, type XmlShape } from '../progress';

export interface XmlSyntax extends XmlShape {
  format: ToolCallFormat;
}

export const QWEN3_CODER: XmlSyntax = {
  format: 'qwen3_coder',
  call: /\s*<function=([^>\s]{1,200})\s*>/y,
  callEnd: '</function>',
  param: /<parameter=([^>\s]{1,200})\s*>/g,
  paramEnd: '</parameter>',
};
export const MINIMAX_M2: XmlSyntax = {
  format: 'minimax_m2',
  call: /\s*<invoke name="([^"]{1,200})"\s*>/y,
  callEnd: '</invoke>',
  param: /<parameter name="([^"]{1,200})"\s*>/g,
  paramEnd: '</parameter>',
};
export const STEP3: XmlSyntax = {
  format: 'step3',
  call: /\s*<steptml:invoke name="([^"]{1,200})"\s*>/y,
  callEnd: '</steptml:invoke>',
  param: /<steptml:parameter name="([^"]{1,200})"\s*>/g,
  paramEnd: '</steptml:parameter>',
};

/** Reads every call element in `body`. `regionClosed`: the markup around them closed. */
export function readXmlCalls(
  body: string,
  syntax: XmlSyntax,
  regionClosed: boolean,
  ctx: FinishContext,
  format = syntax.format,
): RawCall[] {
  const callRe = new RegExp(syntax.call.source, 'g');
  const starts: Array<{ at: number; end: number; name: string }> = [];
  for (let m = callRe.exec(body); m; m = callRe.exec(body)) starts.push({ at: m.index, end: m.index + m[0].length, name: m[1] });
  const calls: RawCall[] = [];
  starts.forEach((s, k) => {
    const limit = k + 1 < starts.length ? starts[k + 1].at : body.length;
    const close = body.indexOf(syntax.callEnd, s.end);
    const callClosed = close >= 0 && close < limit;
    const segment = body.slice(s.end, callClosed ? close : limit);
    const args = readParams(segment, syntax, ctx.schemas[s.name]);
    const call: RawCall = { name: s.name, args, raw: JSON.stringify(args), format };
    // Only the last call can have been cut: an earlier one ended where the next began.
    if (!regionClosed && !callClosed && k === starts.length - 1) call.problem = cutProblem(ctx, `the call to "${s.name}"`);
    calls.push(call);
  });
  return calls;
}

function readParams(segment: string, syntax: XmlSyntax, schema: unknown): Record<string, unknown> {
  const paramRe = new RegExp(syntax.param.source, 'g');
  const found: Array<{ key: string; from: number; at: number }> = [];
  for (let m = paramRe.exec(segment); m; m = paramRe.exec(segment)) found.push({ key: m[1], from: m.index + m[0].length, at: m.index });
  const args: Record<string, unknown> = {};
  found.forEach((p, k) => {
    const next = k + 1 < found.length ? found[k + 1].at : segment.length;
    const close = segment.indexOf(syntax.paramEnd, p.from);
    const closed = close >= 0 && close <= next;
    args[p.key] = typedText(segment.slice(p.from, closed ? close : next), propertySchema(schema, p.key));
  });
  return args;
}

/** A region of XML calls between an opening and a closing token. */
export function xmlRegion(at: number, opener: string, closers: readonly string[], syntax: XmlSyntax): TaggedRegion {
  const bodyStart = at + opener.length;
  return new TaggedRegion(
    at,
    bodyStart,
    closers,
    (body, closed, ctx) => xmlOutcome(body, closed, ctx, syntax),
    () => new XmlCallsProgress(bodyStart, syntax),
  );
}

export function xmlOutcome(body: string, closed: boolean, ctx: FinishContext, syntax: XmlSyntax): RegionOutcome {
  const calls = readXmlCalls(body, syntax, closed, ctx);
  if (calls.length) return { calls };
  if (!closed && startsLikeTag(body)) return cutBeforeName(ctx, syntax.format);
  // An opening token with nothing call-like after it is prose that mentions it.
  return { calls: [], notACall: true };
}

/** Empty, or the start of a tag: what a call cut before its name looks like. */
export function startsLikeTag(body: string): boolean {
  const t = body.trim();
  return t === '' || (t.startsWith('<') && !t.includes('\n') && t.length < 256);
}

/** Seed-OSS: `<seed:tool_call><function=NAME><parameter=KEY>v</parameter></function></seed:tool_call>`. */
export const seedOssFamily: Family = {
  name: 'seed-oss',
  formats: ['seed_oss'],
  openers: ['<seed:tool_call>'],
  open: (_text, at, opener) => ({
    kind: 'call',
    region: xmlRegion(at, opener, ['</seed:tool_call>'], { ...QWEN3_CODER, format: 'seed_oss' }),
  }),
};

/** MiniMax-M2: `<minimax:tool_call><invoke name="NAME"><parameter name="KEY">v</parameter></invoke></minimax:tool_call>`. */
export const minimaxM2Family: Family = {
  name: 'minimax-m2',
  formats: ['minimax_m2'],
  openers: ['<minimax:tool_call>'],
  open: (_text, at, opener) => ({ kind: 'call', region: xmlRegion(at, opener, ['</minimax:tool_call>'], MINIMAX_M2) }),
};
