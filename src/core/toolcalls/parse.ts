// Tool calls written as text by local models whose server has no tool-call parser. Each dialect is
// recognised by its own markup; the calls come back in the order they were written, `text` is the
// content without the call markup, and whatever could not be parsed (or names an unknown tool) is
// reported in `errors` so the orchestrator can be told and recover.
import { randomUUID } from 'node:crypto';
import { repairJson } from './repair-json';

export type ToolCallSource = 'native' | 'hermes' | 'mistral' | 'llama' | 'harmony' | 'fence' | 'json' | 'xml';

export interface ParsedToolCall {
  id: string;
  name: string;
  arguments: unknown;
  /** The arguments as the model wrote them (after extraction from the markup). */
  rawArguments: string;
  source: ToolCallSource;
}

export interface ParseTextToolCallsOptions {
  /**
   * JSON schema of each tool's parameters, by tool name. Used only by the XML dialect, whose values
   * are untyped text: a parameter declared `string` stays text even when it looks like a number.
   */
  schemas?: Record<string, unknown>;
}

export interface ParseTextToolCallsResult {
  calls: ParsedToolCall[];
  /** The content with the call markup removed. */
  text: string;
  errors: string[];
  /** Reasoning found in the text (the harmony analysis channel); empty when none. */
  reasoning: string;
}

interface Span {
  start: number;
  end: number;
  /** What replaces the span in `text` (empty for call markup). */
  replacement: string;
}

interface Found {
  at: number;
  name: string;
  args: unknown;
  raw: string;
  source: ToolCallSource;
}

const SNIPPET = 160;

function snippet(s: string): string {
  const one = s.trim().replace(/\s+/g, ' ');
  return one.length > SNIPPET ? `${one.slice(0, SNIPPET)}…` : one;
}

export function newToolCallId(): string {
  return `call_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
}

/** Index just past the bracket that closes the one at `start`, or -1 when the text ends first. */
export function matchBracket(text: string, start: number): number {
  const stack: string[] = [];
  let inString = false;
  for (let i = start; i < text.length; i++) {
    const ch = text[i];
    if (inString) {
      if (ch === '\\') i++;
      else if (ch === '"') inString = false;
      continue;
    }
    if (ch === '"') inString = true;
    else if (ch === '{' || ch === '[') stack.push(ch);
    else if (ch === '}' || ch === ']') {
      stack.pop();
      if (stack.length === 0) return i + 1;
    }
  }
  return -1;
}

/** Turns `{"name":..,"arguments"|"parameters":..}` (or the OpenAI `{type:function,function:{..}}` form) into a call. */
function callFromObject(obj: unknown): { name: string; args: unknown } | string | undefined {
  if (!obj || typeof obj !== 'object' || Array.isArray(obj)) return undefined;
  let o = obj as Record<string, unknown>;
  if (o.function && typeof o.function === 'object' && !Array.isArray(o.function)) o = o.function as Record<string, unknown>;
  if (typeof o.name !== 'string' || !o.name) return undefined;
  let args: unknown = 'arguments' in o ? o.arguments : 'parameters' in o ? o.parameters : {};
  if (typeof args === 'string') {
    // Some models double-encode the arguments.
    const inner = args.trim() ? repairJson(args) : { value: {}, repaired: false };
    if (!inner || typeof inner.value !== 'object' || inner.value === null)
      return `the arguments of "${o.name}" are a string that is not a JSON object: ${snippet(args)}`;
    args = inner.value;
  }
  if (args === null || args === undefined) args = {};
  if (typeof args !== 'object' || Array.isArray(args))
    return `the arguments of "${o.name}" are not a JSON object: ${snippet(JSON.stringify(args))}`;
  return { name: o.name, args };
}

function looksLikeCall(obj: unknown): boolean {
  if (!obj || typeof obj !== 'object') return false;
  if (Array.isArray(obj)) return obj.length > 0 && obj.every(looksLikeCall);
  const o = obj as Record<string, unknown>;
  if (o.type === 'function' && o.function && typeof o.function === 'object') return looksLikeCall(o.function);
  return typeof o.name === 'string' && ('arguments' in o || 'parameters' in o);
}

/** Values inside XML parameters are text; convert per the tool's schema, else only obvious JSON. */
function xmlValue(raw: string, type: string | undefined): unknown {
  const v = raw.replace(/^\r?\n/, '').replace(/\r?\n$/, '');
  const t = v.trim();
  if (type === 'string') return v;
  if (type === 'integer' || type === 'number') {
    const n = Number(t);
    return t !== '' && Number.isFinite(n) ? n : v;
  }
  if (type === 'boolean') return t === 'true' || t === 'True' ? true : t === 'false' || t === 'False' ? false : v;
  if (type === 'object' || type === 'array' || type === undefined) {
    if (/^[[{]/.test(t) || t === 'true' || t === 'false' || t === 'null' || /^-?\d+(\.\d+)?$/.test(t)) {
      const parsed = repairJson(t);
      if (parsed) return parsed.value;
    }
  }
  return v;
}

function schemaTypes(schema: unknown): Record<string, string> {
  const props = (schema as { properties?: Record<string, { type?: unknown }> } | undefined)?.properties ?? {};
  const out: Record<string, string> = {};
  for (const [k, p] of Object.entries(props)) if (typeof p?.type === 'string') out[k] = p.type;
  return out;
}

export function parseTextToolCalls(text: string, knownTools: string[], options: ParseTextToolCallsOptions = {}): ParseTextToolCallsResult {
  const spans: Span[] = [];
  const found: Found[] = [];
  const errors: string[] = [];
  const reasoning: string[] = [];
  const known = new Set(knownTools);
  // Consumed regions are masked with NULs so later dialects do not see them; positions stay put.
  let masked = text.replace(/\u0000/g, ' ');

  const consume = (start: number, end: number, replacement = '') => {
    spans.push({ start, end, replacement });
    masked = masked.slice(0, start) + '\u0000'.repeat(end - start) + masked.slice(end);
  };
  const accept = (at: number, name: string, args: unknown, raw: string, source: ToolCallSource) => {
    if (known.size && !known.has(name)) {
      errors.push(`${source}: unknown tool "${name}"; the tools are: ${knownTools.join(', ')}`);
      return;
    }
    found.push({ at, name, args, raw, source });
  };
  const acceptObject = (at: number, obj: unknown, raw: string, source: ToolCallSource): boolean => {
    const items = Array.isArray(obj) ? obj : [obj];
    let any = false;
    items.forEach((item, k) => {
      const call = callFromObject(item);
      if (call === undefined)
        errors.push(`${source}: a tool call needs "name" and "arguments": ${snippet(JSON.stringify(item) ?? String(item))}`);
      else if (typeof call === 'string') errors.push(`${source}: ${call}`);
      else {
        accept(
          at + k / 1000,
          call.name,
          call.args,
          items.length === 1 && !Array.isArray(obj) ? rawArgsOf(raw, call.args) : JSON.stringify(call.args),
          source,
        );
        any = true;
      }
    });
    return any;
  };

  // gpt-oss harmony. The recipient (`to=functions.NAME`) may sit before or after `<|channel|>`.
  {
    const re =
      /(?:<\|start\|>\s*assistant([^<]*?))?<\|channel\|>([^<]*?)(?:<\|constrain\|>([^<]*?))?<\|message\|>([\s\S]*?)(<\|call\|>|<\|end\|>|<\|return\|>|(?=<\|start\|>)|(?=<\|channel\|>)|$)/g;
    for (const m of masked.matchAll(re)) {
      const start = m.index;
      const end = start + m[0].length;
      const header = `${m[1] ?? ''} ${m[2]}`;
      const body = m[4];
      const to = /to=(?:functions\.)?([A-Za-z0-9_.:-]+)/.exec(header);
      if (to) {
        const parsed = repairJson(body);
        if (!parsed) errors.push(`harmony: the arguments for "${to[1]}" are not valid JSON: ${snippet(body)}`);
        else if (typeof parsed.value !== 'object' || parsed.value === null || Array.isArray(parsed.value))
          errors.push(`harmony: the arguments for "${to[1]}" are not a JSON object: ${snippet(body)}`);
        else accept(start, to[1], parsed.value, body.trim(), 'harmony');
        consume(start, end);
      } else {
        const channel = m[2].trim().split(/\s+/)[0];
        // The analysis channel is the model's reasoning; final and commentary (a preamble) are text.
        if (channel === 'analysis') {
          reasoning.push(body.trim());
          consume(start, end);
        } else consume(start, end, body);
      }
    }
    // Leftover harmony control tokens carry no text.
    for (const m of masked.matchAll(/<\|(?:start|end|return|call|constrain|channel|message)\|>/g)) consume(m.index, m.index + m[0].length);
  }

  // Hermes/Qwen `<tool_call>` blocks (JSON inside), Qwen3-Coder XML inside, GLM-4.5 arg_key/arg_value inside.
  {
    const re = /<tool_calls?>([\s\S]*?)(?:<\/tool_calls?>|$)/g;
    for (const m of masked.matchAll(re)) {
      const start = m.index;
      const inner = m[1];
      const end = start + m[0].length;
      consume(start, end);
      if (/<function=/.test(inner)) {
        parseXmlFunctions(inner, start);
        continue;
      }
      if (/<arg_key>/.test(inner) || /^\s*[A-Za-z0-9_.:-]+\s*$/.test(inner)) {
        parseGlm(inner, start);
        continue;
      }
      const body = inner
        .trim()
        .replace(/^```(?:json)?\s*/, '')
        .replace(/\s*```$/, '');
      if (!body) {
        errors.push('hermes: an empty <tool_call> block');
        continue;
      }
      const parsed = repairJson(body);
      if (!parsed) {
        errors.push(`hermes: the JSON inside <tool_call> could not be parsed: ${snippet(body)}`);
        continue;
      }
      acceptObject(start, parsed.value, body, 'hermes');
    }
  }

  function parseXmlFunctions(inner: string, at: number) {
    const fre = /<function=([^>\s]+)\s*>([\s\S]*?)(?:<\/function>|$)/g;
    let any = false;
    for (const f of inner.matchAll(fre)) {
      any = true;
      const name = f[1].trim();
      const types = schemaTypes(options.schemas?.[name]);
      const args: Record<string, unknown> = {};
      for (const p of f[2].matchAll(/<parameter=([^>\s]+)\s*>([\s\S]*?)(?:<\/parameter>|(?=<parameter=)|$)/g)) {
        args[p[1].trim()] = xmlValue(p[2], types[p[1].trim()]);
      }
      accept(at + f.index / 1e6, name, args, JSON.stringify(args), 'xml');
    }
    if (!any) errors.push(`xml: no <function=NAME> element could be read: ${snippet(inner)}`);
  }

  function parseGlm(inner: string, at: number) {
    const name = /^\s*([^<\s]+)/.exec(inner)?.[1];
    if (!name) {
      errors.push(`xml: no tool name before <arg_key>: ${snippet(inner)}`);
      return;
    }
    const types = schemaTypes(options.schemas?.[name]);
    const args: Record<string, unknown> = {};
    for (const p of inner.matchAll(/<arg_key>([\s\S]*?)<\/arg_key>\s*<arg_value>([\s\S]*?)(?:<\/arg_value>|$)/g)) {
      args[p[1].trim()] = xmlValue(p[2], types[p[1].trim()]);
    }
    accept(at, name, args, JSON.stringify(args), 'xml');
  }

  // Qwen3-Coder sometimes drops the <tool_call> wrapper.
  for (const m of masked.matchAll(/<function=[^>\s]+\s*>[\s\S]*?(?:<\/function>|$)/g)) {
    consume(m.index, m.index + m[0].length);
    parseXmlFunctions(m[0], m.index);
  }

  // Mistral: `[TOOL_CALLS][{...}]`, `[TOOL_CALLS]NAME[ARGS]{...}`, `[TOOL_CALLS]NAME[CALL_ID]id[ARGS]{...}`.
  {
    const marker = '[TOOL_CALLS]';
    let from = 0;
    for (;;) {
      const start = masked.indexOf(marker, from);
      if (start < 0) break;
      let pos = start + marker.length;
      while (pos < masked.length && /\s/.test(masked[pos])) pos++;
      if (masked[pos] === '[' || masked[pos] === '{') {
        const close = matchBracket(masked, pos);
        const end = close < 0 ? masked.length : close;
        const body = masked.slice(pos, end);
        const parsed = repairJson(body);
        consume(start, end);
        if (!parsed) errors.push(`mistral: the JSON after [TOOL_CALLS] could not be parsed: ${snippet(body)}`);
        else acceptObject(start, parsed.value, body, 'mistral');
        from = end;
        continue;
      }
      const named = /^([A-Za-z0-9_.:-]+)(?:\[CALL_ID\]([A-Za-z0-9_-]*))?(?:\[ARGS\])?\s*/.exec(masked.slice(pos));
      if (named && (masked[pos + named[0].length] === '{' || masked[pos + named[0].length] === '[')) {
        const argsAt = pos + named[0].length;
        const close = matchBracket(masked, argsAt);
        const end = close < 0 ? masked.length : close;
        const body = masked.slice(argsAt, end);
        const parsed = repairJson(body);
        consume(start, end);
        if (!parsed || typeof parsed.value !== 'object' || parsed.value === null || Array.isArray(parsed.value))
          errors.push(`mistral: the arguments of "${named[1]}" are not a JSON object: ${snippet(body)}`);
        else accept(start, named[1], parsed.value, body.trim(), 'mistral');
        from = end;
        continue;
      }
      const lineEnd = masked.indexOf('\n', pos);
      const end = lineEnd < 0 ? masked.length : lineEnd;
      errors.push(`mistral: could not read the call after [TOOL_CALLS]: ${snippet(masked.slice(pos, end))}`);
      consume(start, end);
      from = end;
    }
  }

  // Llama 3.x: `<|python_tag|>{...}` (several separated by `;`), ended by <|eom_id|>/<|eot_id|> or the text.
  for (const m of masked.matchAll(/<\|python_tag\|>([\s\S]*?)(<\|eom_id\|>|<\|eot_id\|>|$)/g)) {
    const start = m.index;
    consume(start, start + m[0].length);
    const body = m[1];
    let pos = 0;
    let any = false;
    while (pos < body.length) {
      while (pos < body.length && /[\s;]/.test(body[pos])) pos++;
      if (pos >= body.length) break;
      if (body[pos] !== '{' && body[pos] !== '[') {
        errors.push(`llama: <|python_tag|> is followed by something other than a JSON tool call: ${snippet(body.slice(pos))}`);
        break;
      }
      const close = matchBracket(body, pos);
      const end = close < 0 ? body.length : close;
      const chunk = body.slice(pos, end);
      const parsed = repairJson(chunk);
      if (!parsed) errors.push(`llama: the JSON after <|python_tag|> could not be parsed: ${snippet(chunk)}`);
      else any = acceptObject(start + pos / 1e6, parsed.value, chunk, 'llama') || any;
      pos = end;
    }
    if (!any && !body.trim()) errors.push('llama: <|python_tag|> with nothing after it');
  }

  // JSON in code fences: only fences whose content is shaped like a call are taken.
  for (const m of masked.matchAll(/```[ \t]*([A-Za-z_-]*)[ \t]*\r?\n([\s\S]*?)\r?\n?[ \t]*```/g)) {
    const lang = m[1].toLowerCase();
    if (lang && !['json', 'jsonc', 'json5', 'tool_call', 'tool_code', 'tool', 'javascript', 'js'].includes(lang)) continue;
    const body = m[2].trim();
    if (!/^[[{]/.test(body)) continue;
    const parsed = repairJson(body);
    if (parsed && looksLikeCall(parsed.value)) {
      consume(m.index, m.index + m[0].length);
      acceptObject(m.index, parsed.value, body, 'fence');
    } else if (!parsed && /["']?name["']?\s*:/.test(body) && /["']?(arguments|parameters)["']?\s*:/.test(body)) {
      consume(m.index, m.index + m[0].length);
      errors.push(`fence: a tool call in a code block could not be parsed as JSON: ${snippet(body)}`);
    }
  }

  // Bare JSON: the whole remaining text, or an object naming a known tool inside prose.
  {
    const rest = masked.replace(/\u0000/g, ' ');
    const trimmed = rest.trim();
    const first = rest.indexOf(trimmed[0] ?? '');
    if (trimmed && /^[[{]/.test(trimmed) && !masked.slice(first, first + trimmed.length).includes('\u0000')) {
      const parsed = repairJson(trimmed);
      if (parsed && looksLikeCall(parsed.value)) {
        consume(first, first + trimmed.length);
        acceptObject(first, parsed.value, trimmed, 'json');
      } else if (!parsed && /^[[{]\s*\{?\s*["']?name["']?\s*:/.test(trimmed)) {
        consume(first, first + trimmed.length);
        errors.push(`json: the reply looks like a tool call but is not valid JSON: ${snippet(trimmed)}`);
      }
    }
    if (known.size) {
      // A call (or an array of calls) naming known tools, written in the middle of prose.
      const startRe = /(\[\s*)?\{\s*["']?(?:name|type)["']?\s*:/g;
      const takeAt = (at: number): number | undefined => {
        if (masked[at] === '\u0000') return undefined;
        const close = matchBracket(masked, at);
        const end = close < 0 ? masked.length : close;
        const body = masked.slice(at, end);
        if (body.includes('\u0000')) return undefined;
        const parsed = repairJson(body);
        if (!parsed || !looksLikeCall(parsed.value)) return undefined;
        const items = Array.isArray(parsed.value) ? parsed.value : [parsed.value];
        const calls = items.map(callFromObject);
        if (!calls.every((c) => c && typeof c !== 'string' && known.has(c.name))) return undefined;
        consume(at, end);
        calls.forEach((c, k) => {
          const call = c as { name: string; args: unknown };
          accept(
            at + k / 1000,
            call.name,
            call.args,
            items.length === 1 && !Array.isArray(parsed.value) ? rawArgsOf(body, call.args) : JSON.stringify(call.args),
            'json',
          );
        });
        return end;
      };
      for (let m = startRe.exec(masked); m; m = startRe.exec(masked)) {
        const objectAt = m.index + (m[1]?.length ?? 0);
        const end = (m[1] ? takeAt(m.index) : undefined) ?? takeAt(objectAt);
        startRe.lastIndex = end ?? objectAt + 1;
      }
    }
  }

  found.sort((a, b) => a.at - b.at);
  const calls: ParsedToolCall[] = found.map((f) => ({
    id: newToolCallId(),
    name: f.name,
    arguments: f.args,
    rawArguments: f.raw,
    source: f.source,
  }));
  return { calls, text: rebuildText(text, spans), errors, reasoning: reasoning.join('\n\n') };
}

/** The raw arguments substring when it can be found in the call's text; else the JSON encoding. */
function rawArgsOf(raw: string, args: unknown): string {
  const m = /["']?(?:arguments|parameters)["']?\s*:\s*/.exec(raw);
  if (m) {
    const at = m.index + m[0].length;
    if (raw[at] === '{' || raw[at] === '[') {
      const close = matchBracket(raw, at);
      return raw.slice(at, close < 0 ? raw.length : close);
    }
  }
  return JSON.stringify(args);
}

function rebuildText(text: string, spans: Span[]): string {
  if (!spans.length) return text.trim();
  const sorted = [...spans].sort((a, b) => a.start - b.start);
  let out = '';
  let pos = 0;
  for (const s of sorted) {
    if (s.start < pos) continue;
    out += text.slice(pos, s.start) + s.replacement;
    pos = s.end;
  }
  out += text.slice(pos);
  return out
    .replace(/[ \t]+\n/g, '\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}
