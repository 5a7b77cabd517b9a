// FunctionGemma: `<start_function_call>call:NAME{key:<escape>text<escape>,count:3}<end_function_call>`.
// Strings are fenced by `<escape>`; other values are bare (numbers, booleans, nested `{}`/`[]`), typed
// by the tool's schema.
import type { Family, FinishContext, RegionOutcome } from '../family';
import { TaggedRegion, cutBeforeName, cutProblem, unreadable } from '../family';
import { PatternProgress } from '../progress';
import { propertySchema, typedText } from '../values';
import { isPlainObject } from '../json-scan';

const ESC = '<escape>';

class Incomplete extends Error {}

/** Reads `{k:v,…}` or `[v,…]` at `i`; returns the value and the index after it. */
function readValue(s: string, i: number, schema: unknown): [unknown, number] {
  if (s.startsWith(ESC, i)) {
    const close = s.indexOf(ESC, i + ESC.length);
    if (close < 0) throw new Incomplete();
    return [s.slice(i + ESC.length, close), close + ESC.length];
  }
  if (s[i] === '{') return readObject(s, i, schema);
  if (s[i] === '[') {
    const out: unknown[] = [];
    const items = isPlainObject(schema) ? schema.items : undefined;
    let j = i + 1;
    for (;;) {
      if (j >= s.length) throw new Incomplete();
      if (s[j] === ']') return [out, j + 1];
      const [v, next] = readValue(s, j, items);
      out.push(v);
      j = s[next] === ',' ? next + 1 : next;
    }
  }
  let j = i;
  while (j < s.length && s[j] !== ',' && s[j] !== '}' && s[j] !== ']') j++;
  if (j >= s.length) throw new Incomplete();
  const raw = s.slice(i, j).trim();
  const typed = typedText(raw, schema, false);
  // Without a schema a bare value that reads as JSON (a number, true) is taken as such.
  if (typed === raw && schema === undefined) {
    try {
      return [JSON.parse(raw), j];
    } catch {
      return [raw, j];
    }
  }
  return [typed, j];
}

function readObject(s: string, i: number, schema: unknown): [Record<string, unknown>, number] {
  const out: Record<string, unknown> = {};
  let j = i + 1;
  for (;;) {
    while (j < s.length && /\s/.test(s[j])) j++;
    if (j >= s.length) throw new Incomplete();
    if (s[j] === '}') return [out, j + 1];
    const colon = s.indexOf(':', j);
    if (colon < 0) throw new Incomplete();
    const key = s.slice(j, colon).trim();
    if (!/^[\w.-]{1,200}$/.test(key)) throw new Error(`"${key.slice(0, 40)}" is not an argument name`);
    const [v, next] = readValue(s, colon + 1, propertySchema(schema, key));
    out[key] = v;
    j = s[next] === ',' ? next + 1 : next;
  }
}

function readCall(body: string, closed: boolean, ctx: FinishContext): RegionOutcome {
  const m = /^\s*call:([\w.-]{1,200})\s*\{/.exec(body);
  if (!m) return closed ? { calls: [], notACall: true } : cutBeforeName(ctx, 'functiongemma');
  const name = m[1];
  const braceAt = m[0].length - 1;
  try {
    const [args] = readObject(body, braceAt, ctx.schemas[name]);
    if (!closed && ctx.finishReason === 'length') throw new Incomplete();
    return { calls: [{ name, args, raw: JSON.stringify(args), format: 'functiongemma' }] };
  } catch (err) {
    const problem =
      err instanceof Incomplete
        ? cutProblem(ctx, `the call to "${name}"`)
        : unreadable(`the arguments of "${name}" could not be read: ${(err as Error).message}`);
    return { calls: [{ name, args: {}, raw: body.slice(braceAt), format: 'functiongemma', problem }] };
  }
}

export const functionGemmaFamily: Family = {
  name: 'functiongemma',
  formats: ['functiongemma'],
  openers: ['<start_function_call>'],
  open(_text, at, opener) {
    const bodyStart = at + opener.length;
    return {
      kind: 'call',
      region: new TaggedRegion(
        at,
        bodyStart,
        ['<end_function_call>'],
        readCall,
        () => new PatternProgress(bodyStart, /call:([\w.-]{1,200})\s*\{/),
      ),
    };
  },
};
