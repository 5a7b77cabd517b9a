// Llama 3.x after `<|python_tag|>`: JSON calls (`{"name": …, "parameters": {…}}`, several separated by
// `;`), a built-in tool (`brave_search.call(query="…")`, `wolfram_alpha.call(…)`), or raw Python for
// the code interpreter. The block ends at `<|eom_id|>`/`<|eot_id|>` or with the reply.
import type { Family, FinishContext, RawCall, RegionOutcome } from '../family';
import { TaggedRegion, callsFromValue, cutBeforeName, cutProblem, unreadable } from '../family';
import { excerpt, jsonExtent, parseJsonLoose, skipSpace } from '../json-scan';
import { JsonCallsProgress } from '../progress';
import { parsePythonCalls } from '../python-calls';

function readPythonTag(body: string, closed: boolean, ctx: FinishContext): RegionOutcome {
  const t = body.trim();
  if (!t) return closed ? { calls: [], notACall: true } : cutBeforeName(ctx, 'llama3_json');
  // The reply ending inside the block is normal (the end token is a stop token); only the limit cuts it.
  const atLimit = !closed && ctx.finishReason === 'length';
  if (t.startsWith('{') || t.startsWith('[')) {
    const calls: RawCall[] = [];
    const errors: string[] = [];
    let i = 0;
    while (i < t.length) {
      const e = jsonExtent(t, i);
      const chunk = e > 0 ? t.slice(i, e) : t.slice(i);
      const parsed = e > 0 && !(atLimit && e === t.length) ? parseJsonLoose(chunk) : undefined;
      if (!parsed) {
        const name = /"name"\s*:\s*"([^"]{1,200})"/.exec(chunk)?.[1] ?? '';
        const problem =
          e < 0 || atLimit
            ? cutProblem(ctx, name ? `the call to "${name}"` : 'a tool call')
            : unreadable(`the call's JSON could not be read: ${excerpt(chunk)}`);
        calls.push({ name, args: {}, raw: chunk, format: 'llama3_json', problem });
        break;
      }
      const out = callsFromValue(parsed.value, 'llama3_json');
      calls.push(...out.calls);
      errors.push(...out.errors);
      i = skipSpace(t, e);
      while (t[i] === ';') i = skipSpace(t, i + 1);
      if (i < t.length && t[i] !== '{' && t[i] !== '[') return { calls, errors, text: t.slice(i) };
    }
    return { calls, errors };
  }
  const builtin = /^([A-Za-z_]\w*)\.call\(/.exec(t);
  if (builtin) {
    const r = parsePythonCalls(t, 0, false);
    if (r.ok) {
      const [c] = r.calls;
      return { calls: [{ name: builtin[1], args: c.args, raw: JSON.stringify(c.args), format: 'llama3_builtin' }], text: t.slice(r.end) };
    }
    const problem =
      r.incomplete || atLimit
        ? cutProblem(ctx, `the call to "${builtin[1]}"`)
        : unreadable(`the call to "${builtin[1]}" could not be read: ${r.error}`);
    return { calls: [{ name: builtin[1], args: {}, raw: t, format: 'llama3_builtin', problem }] };
  }
  // Raw code for the code interpreter.
  const call: RawCall = { name: 'python', args: { code: t }, raw: JSON.stringify({ code: t }), format: 'llama3_builtin' };
  if (atLimit) call.problem = cutProblem(ctx, 'the code for "python"');
  return { calls: [call] };
}

export const llamaFamily: Family = {
  name: 'llama',
  formats: ['llama3_json', 'llama3_builtin', 'functionary_v3_1'],
  openers: ['<|python_tag|>'],
  open(_text, at, opener) {
    const bodyStart = at + opener.length;
    return {
      kind: 'call',
      region: new TaggedRegion(at, bodyStart, ['<|eom_id|>', '<|eot_id|>'], readPythonTag, () => new JsonCallsProgress(bodyStart)),
    };
  },
};
