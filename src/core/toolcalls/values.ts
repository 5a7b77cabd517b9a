// Values written as text (XML parameters, FunctionGemma's bare values) typed by the tool's JSON
// schema: a parameter declared `string` keeps its inner text exactly, numbers, booleans, null,
// objects and arrays are read as such. Without a schema nothing is guessed: the text stays text,
// and the tool's own validation says what is wrong.
import { parseJsonLoose, isPlainObject } from './json-scan';

/** The JSON schema of one parameter of a tool, when the tool's schema declares it. */
export function propertySchema(toolSchema: unknown, key: string): unknown {
  if (!isPlainObject(toolSchema)) return undefined;
  const props = toolSchema.properties;
  return isPlainObject(props) ? props[key] : undefined;
}

/** The JSON types a property schema allows (type, type arrays, anyOf/oneOf, enum and const values). */
export function allowedTypes(schema: unknown): Set<string> {
  const out = new Set<string>();
  const visit = (s: unknown, depth: number) => {
    if (!isPlainObject(s) || depth > 4) return;
    const t = s.type;
    if (typeof t === 'string') out.add(t);
    else if (Array.isArray(t)) for (const x of t) if (typeof x === 'string') out.add(x);
    for (const key of ['anyOf', 'oneOf', 'allOf'] as const) {
      const list = s[key];
      if (Array.isArray(list)) for (const x of list) visit(x, depth + 1);
    }
    const values = Array.isArray(s.enum) ? s.enum : 'const' in s ? [s.const] : [];
    for (const v of values) out.add(v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v === 'number' ? 'number' : typeof v);
    if (out.size === 0 && isPlainObject(s.properties)) out.add('object');
  };
  visit(schema, 0);
  return out;
}

/**
 * A text value typed by its property schema. `layout` text (XML values on their own lines) loses the
 * line breaks and indentation that only place it in the markup; an inline value is kept as written.
 */
export function typedText(raw: string, schema: unknown, layout = true): unknown {
  const types = allowedTypes(schema);
  const text = layout ? stripLayout(raw) : raw;
  if (types.size === 0 || types.has('string')) {
    // A nullable string written as null is null; everything else stays the text it is.
    if (types.has('null') && /^(null|None)$/.test(text.trim())) return null;
    return text;
  }
  const t = text.trim();
  for (const type of ['integer', 'number', 'boolean', 'null', 'object', 'array']) {
    if (!types.has(type)) continue;
    const v = readAs(t, type);
    if (v !== undefined) return v.value;
  }
  // Nothing fits: the text goes on as written and the tool's validation names the problem.
  return text;
}

function readAs(t: string, type: string): { value: unknown } | undefined {
  switch (type) {
    case 'integer':
      return /^[-+]?\d+$/.test(t) ? { value: Number(t) } : undefined;
    case 'number':
      return /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(t) ? { value: Number(t) } : undefined;
    case 'boolean':
      return /^true$/i.test(t) ? { value: true } : /^false$/i.test(t) ? { value: false } : undefined;
    case 'null':
      return /^(null|None)$/.test(t) ? { value: null } : undefined;
    case 'object':
    case 'array': {
      const parsed = parseJsonLoose(t);
      if (!parsed) return undefined;
      const ok = type === 'array' ? Array.isArray(parsed.value) : isPlainObject(parsed.value);
      return ok ? parsed : undefined;
    }
    default:
      return undefined;
  }
}

/**
 * Removes the layout around a value written on its own lines: the line break after the opening tag
 * and the one before the closing tag. When the markup itself is indented (the closing tag is), the
 * indentation every line shares is the markup's too and goes; otherwise indentation is content (code).
 */
export function stripLayout(raw: string): string {
  const ownLines = /^[ \t]*\r?\n/.test(raw);
  let v = ownLines ? raw.replace(/^[ \t]*\r?\n/, '') : raw;
  const closing = /\r?\n([ \t]*)$/.exec(v);
  if (!closing) return v;
  v = v.slice(0, closing.index);
  if (!ownLines || !closing[1]) return v;
  const lines = v.split('\n');
  let common: string | undefined;
  for (const line of lines) {
    if (!line.trim()) continue;
    const indent = /^[ \t]*/.exec(line)![0];
    const base = common ?? indent;
    let k = 0;
    while (k < base.length && k < indent.length && base[k] === indent[k]) k++;
    common = base.slice(0, k);
    if (!common) return v;
  }
  const shared = common;
  return shared ? lines.map((l) => (l.startsWith(shared) ? l.slice(shared.length) : l.trimStart())).join('\n') : v;
}
