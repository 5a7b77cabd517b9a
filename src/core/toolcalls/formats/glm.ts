// GLM-4.5 / 4.6: `<tool_call>NAME\n<arg_key>KEY</arg_key>\n<arg_value>VALUE</arg_value>\n…</tool_call>`.
// The name is the first line of the block; values are text (strings as written, other types as JSON),
// typed by the tool's schema.
import type { FinishContext, RawCall } from '../family';
import { cutProblem } from '../family';
import { propertySchema, typedText } from '../values';
import type { XmlShape } from '../progress';

export const GLM_SHAPE: XmlShape = {
  call: /\s*([\w.:-]{1,200})[ \t]*(?=\r?\n|<arg_key>)/y,
  callEnd: '</tool_call>',
  param: /<arg_key>([^<]{1,200})<\/arg_key>\s*<arg_value>/g,
  paramEnd: '</arg_value>',
};

/** Whether a `<tool_call>` body is GLM-shaped: a bare name, then argument pairs or nothing. */
export function looksGlm(body: string): boolean {
  return /^\s*[\w.:-]{1,200}[ \t]*(\r?\n|<arg_key>|$)/.test(body);
}

export function readGlmCall(body: string, closed: boolean, ctx: FinishContext): RawCall | undefined {
  const m = /^\s*([^\s<>]{1,200})/.exec(body);
  if (!m) return undefined;
  const name = m[1];
  const schema = ctx.schemas[name];
  const args: Record<string, unknown> = {};
  const re = /<arg_key>([\s\S]*?)<\/arg_key>\s*<arg_value>/g;
  let lastClosed = true;
  for (let p = re.exec(body); p; p = re.exec(body)) {
    const key = p[1].trim();
    const from = p.index + p[0].length;
    const close = body.indexOf('</arg_value>', from);
    lastClosed = close >= 0;
    args[key] = typedText(body.slice(from, close >= 0 ? close : body.length), propertySchema(schema, key), false);
    if (close >= 0) re.lastIndex = close;
  }
  const call: RawCall = { name, args, raw: JSON.stringify(args), format: 'glm4_moe' };
  // With no closing </tool_call>, the call is whole only if the text ended on a closed value (or a bare name) and not at the limit.
  if (!closed && (ctx.finishReason === 'length' || !lastClosed)) call.problem = cutProblem(ctx, `the call to "${name}"`);
  return call;
}
