// The `<tool_call>` family. Hermes 2 Pro, Qwen 2.5 / Qwen3, QwQ and Granite 4 write a JSON call in
// each block; Qwen3-Coder writes XML `<function=…>` inside it (sometimes without the block); GLM-4.5
// writes a name and `<arg_key>`/`<arg_value>` pairs. Functionary v3.1 and Llama 3.1 write
// `<function=NAME>{json}</function>`, others `<function name="NAME">`; Granite 20B `<function_call>{json}`.
import type { Family, FinishContext, RegionOutcome, RegionProgress } from '../family';
import { ExtentRegion, TaggedRegion, cutBeforeName, cutProblem, jsonCallsOutcome, stripFence, unreadable } from '../family';
import { excerpt, isPlainObject, parseJsonLoose, skipSpace } from '../json-scan';
import { JsonCallsProgress, XmlCallsProgress } from '../progress';
import { GLM_SHAPE, looksGlm, readGlmCall } from './glm';
import { QWEN3_CODER, readXmlCalls, startsLikeTag } from './xml';

/** Picks the progress view once the block's first character tells its kind. */
class SniffingProgress {
  private view?: { update(text: string, limit: number): RegionProgress | undefined };
  constructor(private readonly bodyStart: number) {}
  update(text: string, limit: number): RegionProgress | undefined {
    if (!this.view) {
      const i = skipSpace(text, this.bodyStart);
      if (i >= limit) return undefined;
      const c = text[i];
      this.view =
        c === '{' || c === '['
          ? new JsonCallsProgress(i)
          : c === '<'
            ? new XmlCallsProgress(i, QWEN3_CODER)
            : new XmlCallsProgress(this.bodyStart, GLM_SHAPE);
    }
    return this.view.update(text, limit);
  }
}

function readToolCallBlock(body: string, closed: boolean, ctx: FinishContext): RegionOutcome {
  const t = stripFence(body.trim());
  if (t.startsWith('<function=') || (t.startsWith('<') && t.includes('<function='))) {
    const calls = readXmlCalls(t, QWEN3_CODER, closed, ctx);
    if (calls.length) return { calls };
  }
  if (t.startsWith('{') || t.startsWith('[')) return jsonCallsOutcome(t, closed, ctx, 'hermes');
  if (looksGlm(t)) {
    const call = readGlmCall(t, closed, ctx);
    if (call) return { calls: [call] };
  }
  if (!closed && startsLikeTag(t)) return cutBeforeName(ctx, 'hermes');
  return { calls: [], notACall: true };
}

/** `<function=NAME>` then JSON arguments (Functionary v3.1, Llama 3.1) or XML parameters (Qwen3-Coder). */
function functionTagOutcome(body: string, closed: boolean, ctx: FinishContext): RegionOutcome {
  const head = /^<function(?:=([^>\s]{1,200})|\s+name="([^"]{1,200})")\s*>/.exec(body.slice(0, 512));
  if (!head) return closed ? { calls: [], notACall: true } : cutBeforeName(ctx, 'functionary_v3_1');
  const name = head[1] ?? head[2];
  const args = body.slice(head[0].length);
  const a = args.trim();
  // After the tag comes JSON, parameters, or nothing; anything else is prose that mentions the tag.
  if (a && !a.startsWith('{') && !a.startsWith('<parameter=') && !(!closed && '<parameter='.startsWith(a)))
    return { calls: [], notACall: true };
  if (!a && !closed && ctx.finishReason !== 'length') return { calls: [], notACall: true };
  if (a.startsWith('{')) {
    const parsed = closed || ctx.finishReason !== 'length' ? parseJsonLoose(a) : undefined;
    if (parsed && isPlainObject(parsed.value))
      return { calls: [{ name, args: parsed.value, raw: a, format: head[1] ? 'functionary_v3_1' : 'hermes' }] };
    const problem = closed
      ? unreadable(`the arguments of "${name}" are not a JSON object: ${excerpt(a)}`)
      : cutProblem(ctx, `the call to "${name}"`);
    return { calls: [{ name, args: {}, raw: a, format: 'functionary_v3_1', problem }] };
  }
  return { calls: readXmlCalls(body, QWEN3_CODER, closed, ctx) };
}

export const hermesFamily: Family = {
  name: 'hermes',
  formats: ['hermes', 'qwen3_coder', 'glm4_moe', 'functionary_v3_1', 'granite'],
  openers: ['<tool_call>', '<function=', '<function name="', '<function_call>'],
  open(_text, at, opener) {
    if (opener === '<tool_call>') {
      const bodyStart = at + opener.length;
      return {
        kind: 'call',
        region: new TaggedRegion(at, bodyStart, ['</tool_call>'], readToolCallBlock, () => new SniffingProgress(bodyStart)),
      };
    }
    if (opener === '<function_call>') {
      return {
        kind: 'call',
        region: new ExtentRegion(at, at + opener.length, (b, c, ctx) => jsonCallsOutcome(b, c, ctx, 'granite'), ['</function_call>']),
      };
    }
    // <function=NAME> or <function name="NAME">: the whole element, the opening tag included, is the body.
    return {
      kind: 'call',
      region: new TaggedRegion(at, at, ['</function>'], functionTagOutcome, () => new XmlCallsProgress(at, QWEN3_CODER)),
    };
  },
};
