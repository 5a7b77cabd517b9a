// Repairs the slightly broken JSON that models write, but only where the intent is unambiguous:
// trailing commas, single-quoted strings, unquoted keys, Python True/False/None, raw control
// characters inside strings, and stray closing brackets after a complete value. Text that stops
// before its brackets close is never completed (a cut-off call must not run as if it were whole);
// anything else (a missing comma, a bare word as a value) is left for the caller to report.

export function repairJson(raw: string): { value: unknown; repaired: boolean } | undefined {
  const trimmed = raw.trim();
  if (!trimmed) return undefined;
  try {
    return { value: JSON.parse(trimmed), repaired: false };
  } catch {
    // fall through to the repair pass
  }
  const fixed = rewrite(trimmed);
  if (fixed === undefined) return undefined;
  try {
    return { value: JSON.parse(fixed), repaired: true };
  } catch {
    return undefined;
  }
}

const WORD = /[A-Za-z0-9_$.+-]/;
const IDENT = /^[A-Za-z_$][A-Za-z0-9_$-]*$/;
const NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;
const PY_LITERALS: Record<string, string> = { True: 'true', False: 'false', None: 'null' };

function escapeControl(ch: string): string {
  switch (ch) {
    case '\n':
      return '\\n';
    case '\r':
      return '\\r';
    case '\t':
      return '\\t';
    default:
      return '\\u' + ch.charCodeAt(0).toString(16).padStart(4, '0');
  }
}

/** Returns the rewritten text, or undefined where a repair would be a guess. */
function rewrite(src: string): string | undefined {
  let out = '';
  const stack: string[] = [];
  let lastSig = ''; // last significant character written (outside strings)
  let topLevelDone = false;
  let i = 0;

  // Walks back over whitespace only, so a long array of objects stays linear.
  const dropTrailingComma = () => {
    let k = out.length - 1;
    while (k >= 0 && (out[k] === ' ' || out[k] === '\n' || out[k] === '\t' || out[k] === '\r')) k--;
    if (k >= 0 && out[k] === ',') out = out.slice(0, k);
  };

  while (i < src.length) {
    const ch = src[i];
    if (topLevelDone) {
      // Only whitespace and stray closers may follow a complete value.
      if (/\s/.test(ch) || ch === '}' || ch === ']') {
        i++;
        continue;
      }
      return undefined;
    }
    if (/\s/.test(ch)) {
      out += ch;
      i++;
      continue;
    }
    if (ch === '"' || ch === "'") {
      const quote = ch;
      let j = i + 1;
      let body = '';
      let closed = false;
      while (j < src.length) {
        const c = src[j];
        if (c === '\\') {
          const next = src[j + 1];
          if (next === undefined) return undefined;
          // \' is not a JSON escape; inside a double-quoted result it is a plain quote.
          body += next === "'" ? "'" : c + next;
          j += 2;
          continue;
        }
        if (c === quote) {
          closed = true;
          break;
        }
        if (quote === "'" && c === '"') body += '\\"';
        else if (c < ' ') body += escapeControl(c);
        else body += c;
        j++;
      }
      if (!closed) return undefined;
      out += `"${body}"`;
      lastSig = '"';
      i = j + 1;
      if (stack.length === 0) topLevelDone = true;
      continue;
    }
    if (ch === '{' || ch === '[') {
      stack.push(ch);
      out += ch;
      lastSig = ch;
      i++;
      continue;
    }
    if (ch === '}' || ch === ']') {
      const open = stack.pop();
      if (open === undefined || (open === '{') !== (ch === '}')) return undefined;
      dropTrailingComma();
      out += ch;
      lastSig = ch;
      i++;
      if (stack.length === 0) topLevelDone = true;
      continue;
    }
    if (ch === ',' || ch === ':') {
      out += ch;
      lastSig = ch;
      i++;
      continue;
    }
    if (WORD.test(ch)) {
      let j = i;
      while (j < src.length && WORD.test(src[j])) j++;
      const word = src.slice(i, j);
      let k = j;
      while (k < src.length && /\s/.test(src[k])) k++;
      const keyPosition = stack[stack.length - 1] === '{' && (lastSig === '{' || lastSig === ',');
      if (keyPosition && src[k] === ':' && IDENT.test(word)) {
        out += `"${word}"`;
      } else if (word in PY_LITERALS) {
        out += PY_LITERALS[word];
      } else if (word === 'true' || word === 'false' || word === 'null' || NUMBER.test(word)) {
        out += word;
      } else {
        return undefined;
      }
      lastSig = 'w';
      i = j;
      if (stack.length === 0) topLevelDone = true;
      continue;
    }
    return undefined;
  }
  // Cut off at the end: what is missing cannot be known.
  if (stack.length) return undefined;
  return out;
}
