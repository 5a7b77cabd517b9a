// Calls written as Python: `[get_weather(city="Paris"), now()]` (pythonic, Llama 4, LFM2, Gemma
// tool_code, Llama 3 built-in tools). Only keyword arguments whose values are literals (strings,
// numbers, True/False/None, lists, tuples, dicts) are accepted: anything else is code, not a call.

export interface PythonCall {
  name: string;
  args: Record<string, unknown>;
  /** The call's source text. */
  raw: string;
}

export type PythonCallsResult =
  | { ok: true; calls: PythonCall[]; end: number }
  /** `incomplete`: the text ended inside the calls (more may come, or they were cut). */
  | { ok: false; incomplete: boolean; error: string };

class Incomplete extends Error {}
class Invalid extends Error {}

const ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', b: '\b', f: '\f', '0': '\0', '\\': '\\', "'": "'", '"': '"' };

class Reader {
  i: number;
  constructor(
    readonly s: string,
    from: number,
  ) {
    this.i = from;
  }
  ws(): void {
    while (this.i < this.s.length && /\s/.test(this.s[this.i])) this.i++;
  }
  peek(): string {
    if (this.i >= this.s.length) throw new Incomplete('the text ended');
    return this.s[this.i];
  }
  expect(ch: string): void {
    this.ws();
    if (this.peek() !== ch) throw new Invalid(`expected "${ch}" at ${this.i}, found "${this.s[this.i]}"`);
    this.i++;
  }
  ident(dotted: boolean): string {
    this.ws();
    const re = dotted ? /[A-Za-z_][\w]*(?:\.[A-Za-z_][\w]*)*/y : /[A-Za-z_]\w*/y;
    re.lastIndex = this.i;
    const m = re.exec(this.s);
    if (!m) {
      this.peek();
      throw new Invalid(`expected a name at ${this.i}`);
    }
    this.i += m[0].length;
    return m[0];
  }
  call(): PythonCall {
    this.ws();
    const start = this.i;
    const name = this.ident(true);
    this.expect('(');
    const args: Record<string, unknown> = {};
    for (;;) {
      this.ws();
      if (this.peek() === ')') {
        this.i++;
        break;
      }
      const key = this.ident(false);
      this.expect('=');
      args[key] = this.value();
      this.ws();
      const c = this.peek();
      if (c === ',') this.i++;
      else if (c !== ')') throw new Invalid(`expected "," or ")" after the argument ${key}`);
    }
    return { name, args, raw: this.s.slice(start, this.i) };
  }
  value(): unknown {
    this.ws();
    const c = this.peek();
    if (c === '"' || c === "'") return this.string();
    if ((c === 'r' || c === 'R' || c === 'u' || c === 'U') && /['"]/.test(this.s[this.i + 1] ?? '')) {
      this.i++;
      return this.string(c === 'r' || c === 'R');
    }
    if (c === '[' || c === '(') return this.sequence(c === '[' ? ']' : ')');
    if (c === '{') return this.dict();
    const num = /[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?/y;
    num.lastIndex = this.i;
    const m = num.exec(this.s);
    if (m) {
      this.i += m[0].length;
      if (this.i >= this.s.length) throw new Incomplete('the text ended in a number');
      return Number(m[0]);
    }
    const word = /[A-Za-z_]\w*/y;
    word.lastIndex = this.i;
    const w = word.exec(this.s);
    if (w) {
      this.i += w[0].length;
      if (this.i >= this.s.length) throw new Incomplete('the text ended in a word');
      const lit: Record<string, unknown> = { True: true, False: false, None: null, true: true, false: false, null: null };
      if (w[0] in lit) return lit[w[0]];
      throw new Invalid(`"${w[0]}" is not a literal value`);
    }
    throw new Invalid(`unexpected "${c}" at ${this.i}`);
  }
  string(raw = false): string {
    const q = this.peek();
    const triple = this.s.startsWith(q.repeat(3), this.i);
    const close = triple ? q.repeat(3) : q;
    this.i += close.length;
    let out = '';
    for (;;) {
      if (this.i >= this.s.length) throw new Incomplete('the text ended in a string');
      if (this.s.startsWith(close, this.i)) {
        this.i += close.length;
        return out;
      }
      const ch = this.s[this.i];
      if (ch === '\\' && !raw) {
        const e = this.s[this.i + 1];
        if (e === undefined) throw new Incomplete('the text ended in an escape');
        if (e === 'u' || e === 'x') {
          const len = e === 'u' ? 4 : 2;
          const hex = this.s.slice(this.i + 2, this.i + 2 + len);
          if (hex.length < len) throw new Incomplete('the text ended in an escape');
          if (!/^[0-9a-fA-F]+$/.test(hex)) throw new Invalid(`bad escape \\${e}${hex}`);
          out += String.fromCharCode(parseInt(hex, 16));
          this.i += 2 + len;
        } else if (e === '\n') this.i += 2;
        else {
          out += ESCAPES[e] ?? `\\${e}`;
          this.i += 2;
        }
        continue;
      }
      if (ch === '\n' && !triple) throw new Invalid('a line break inside a string');
      out += ch;
      this.i++;
    }
  }
  sequence(close: string): unknown[] {
    this.i++;
    const out: unknown[] = [];
    for (;;) {
      this.ws();
      if (this.peek() === close) {
        this.i++;
        return out;
      }
      out.push(this.value());
      this.ws();
      const c = this.peek();
      if (c === ',') this.i++;
      else if (c !== close) throw new Invalid(`expected "," or "${close}"`);
    }
  }
  dict(): Record<string, unknown> {
    this.i++;
    const out: Record<string, unknown> = {};
    for (;;) {
      this.ws();
      if (this.peek() === '}') {
        this.i++;
        return out;
      }
      const key = this.value();
      this.expect(':');
      out[typeof key === 'string' ? key : JSON.stringify(key)] = this.value();
      this.ws();
      const c = this.peek();
      if (c === ',') this.i++;
      else if (c !== '}') throw new Invalid('expected "," or "}"');
    }
  }
}

/**
 * Reads `[call, call, …]` (or one bare `call(...)` when `list` is false) starting at `from`.
 * Stops at the closing bracket or parenthesis; what follows is the caller's.
 */
export function parsePythonCalls(text: string, from: number, list: boolean): PythonCallsResult {
  const r = new Reader(text, from);
  try {
    if (!list) {
      const call = r.call();
      return { ok: true, calls: [call], end: r.i };
    }
    r.expect('[');
    const calls: PythonCall[] = [];
    for (;;) {
      r.ws();
      if (r.peek() === ']') {
        r.i++;
        break;
      }
      calls.push(r.call());
      r.ws();
      const c = r.peek();
      if (c === ',') r.i++;
      else if (c !== ']') throw new Invalid('expected "," or "]" between calls');
    }
    return { ok: true, calls, end: r.i };
  } catch (err) {
    if (err instanceof Incomplete) return { ok: false, incomplete: true, error: err.message };
    if (err instanceof Invalid) return { ok: false, incomplete: false, error: err.message };
    throw err;
  }
}

/** Whether `text` from `from` starts like a pythonic call list: `[name(`. */
export function looksPythonic(text: string, from: number): boolean {
  return /\[\s*[A-Za-z_][\w.]*\s*\(/y.test(text.slice(from, from + 200));
}
