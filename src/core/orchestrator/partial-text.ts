// Reading model output that is still arriving: a JSON string field of tool-call arguments cut
// mid-stream, and the text inside <answer> tags before the closing tag has come.
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
