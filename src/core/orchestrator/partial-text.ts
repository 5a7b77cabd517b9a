// Reading model output that is still arriving, from the whole text so far: a JSON string field of
// tool-call arguments cut mid-stream, the text inside <answer> tags, a reply's visible text. Streaming
// uses the piece-by-piece readers (streaming-readers.ts), which are tested against these; a reply
// demoted to reasoning is read here once.
/** The value of a JSON string field read from JSON still being streamed (what has arrived of it so far). */
export function partialJsonStringField(json: string, field: string): string | undefined {
  const m = new RegExp(`"${field}"\\s*:\\s*"`).exec(json);
  if (!m) return undefined;
  const escapes: Record<string, string> = { n: '\n', t: '\t', r: '\r', b: '\b', f: '\f', '"': '"', '\\': '\\', '/': '/' };
  let out = '';
  for (let i = m.index + m[0].length; i < json.length;) {
    const c = json[i];
    if (c === '"') break;
    if (c !== '\\') {
      out += c;
      i++;
      continue;
    }
    // An escape cut at the end of what has arrived waits for the next piece.
    if (i + 1 >= json.length) break;
    const e = json[i + 1];
    if (e === 'u') {
      if (i + 6 > json.length) break;
      out += String.fromCharCode(parseInt(json.slice(i + 2, i + 6), 16));
      i += 6;
    } else {
      out += escapes[e] ?? e;
      i += 2;
    }
  }
  return out;
}

/** The text inside <answer>…</answer> streamed so far (without a tag cut at the end); undefined before the tag. */
export function partialTaggedAnswer(text: string): string | undefined {
  const open = /<answer>/i.exec(text);
  if (!open) return undefined;
  let body = text.slice(open.index + open[0].length);
  const close = body.search(/<\/answer>/i);
  if (close >= 0) body = body.slice(0, close);
  else {
    // Hold back a partial closing tag ("</ans") until it is known not to be one.
    const lt = body.lastIndexOf('<');
    if (lt >= 0 && '</answer>'.startsWith(body.slice(lt).toLowerCase())) body = body.slice(0, lt);
  }
  return body.replace(/^\s+/, '');
}

/** Where a tool call written as text begins, in the formats local models use (see src/core/toolcalls). */
const TOOL_CALL_MARKERS = ['<tool_call>', '<function=', '[TOOL_CALLS]', '<|python_tag|>', '<|channel|>', '<|start|>', '<tool_calls>'];
/** A reply that opens like a JSON tool call is held back whole until it is complete. */
const JSON_CALL_START = /^\s*(?:\{|\[\s*\{|```(?:json)?\s*\{)/;

/**
 * A reply still streaming, split into what a reader may see as answer text and what is thinking.
 * `<think>` blocks are thinking (an unclosed one holds all that follows; a `</think>` with no opening
 * tag ends thinking that began in the prompt template). Text from the first tool-call marker on is
 * not shown (it is parsed as a call once the reply is complete), nor is a tag cut at the end.
 */
export function streamingReplyText(content: string): { visible: string; thinking: string } {
  let thinking = '';
  let rest = content;
  const close = rest.search(/<\/think>/i);
  const open = rest.search(/<think>/i);
  if (close >= 0 && (open < 0 || close < open)) {
    thinking += rest.slice(0, close);
    rest = rest.slice(close + '</think>'.length);
  }
  let visible = '';
  while (rest) {
    const o = rest.search(/<think>/i);
    if (o < 0) {
      visible += rest;
      break;
    }
    visible += rest.slice(0, o);
    const after = rest.slice(o + '<think>'.length);
    const c = after.search(/<\/think>/i);
    if (c < 0) {
      thinking += after;
      break;
    }
    thinking += after.slice(0, c);
    rest = after.slice(c + '</think>'.length);
  }
  if (JSON_CALL_START.test(visible)) return { visible: '', thinking };
  let cut = visible.length;
  for (const marker of [...TOOL_CALL_MARKERS, '<think>', '</think>']) {
    const at = visible.indexOf(marker);
    if (at >= 0 && at < cut) cut = at;
    // A marker still arriving ("<tool_ca") is held back until it is known not to be one.
    for (let k = Math.min(marker.length - 1, visible.length); k > 0; k--) {
      if (visible.endsWith(marker.slice(0, k))) {
        cut = Math.min(cut, visible.length - k);
        break;
      }
    }
  }
  return { visible: visible.slice(0, cut), thinking };
}
