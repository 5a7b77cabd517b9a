// Streaming views of a call region that is still arriving: which calls have a name yet, and the
// argument text that arrived since the last look. JSON calls stream their text as written; XML
// parameters are rendered as a JSON object on the fly, so every format streams arguments alike.
// Each view only moves forward through the text, so a streamed region is looked at once in total.

export interface RegionProgress {
  /** Calls of this region whose names are known, in order: name, optional id, and the argument text so far. */
  names: Array<{ name: string; id?: string }>;
  /** Argument text of call `index` (of this region) that arrived since the last report. */
  deltas: Array<{ index: number; text: string }>;
}

type NameReader = (head: string) => { name: string; id?: string } | undefined;

const HEAD_CHARS = 600;
/** The longest opening tag looked for (names are capped well below this). */
const TAG_CHARS = 512;

/** Reads the name of a `{name|tool_name: …}` object (OpenAI's nested `function` form too). */
export const jsonCallName: NameReader = (head) => {
  const m = /["'](?:name|tool_name)["']\s*:\s*["']([^"'\\]{1,200})["']/.exec(head);
  return m ? { name: m[1] } : undefined;
};

/** One JSON object, or an array of them, holding calls. */
export class JsonCallsProgress {
  private pos: number;
  private depth = 0;
  private quote = '';
  private mode: 'unknown' | 'array' | 'object' = 'unknown';
  private readonly elements: Array<{ start: number; end: number; named: boolean; emitted: number }> = [];
  private nextToName = 0;

  constructor(
    from: number,
    private readonly readName: NameReader = jsonCallName,
  ) {
    this.pos = from;
  }

  update(text: string, limit: number): RegionProgress | undefined {
    this.walk(text, limit);
    const out: RegionProgress = { names: [], deltas: [] };
    while (this.nextToName < this.elements.length) {
      const el = this.elements[this.nextToName];
      const head = text.slice(el.start, Math.min(el.end >= 0 ? el.end : this.pos, el.start + HEAD_CHARS));
      const found = this.readName(head);
      if (!found) break;
      el.named = true;
      out.names.push(found);
      this.nextToName++;
    }
    this.elements.forEach((el, index) => {
      if (!el.named) return;
      const upto = el.end >= 0 ? el.end : this.pos;
      if (upto > el.emitted) {
        out.deltas.push({ index, text: text.slice(el.emitted, upto) });
        el.emitted = upto;
      }
    });
    return out.names.length || out.deltas.length ? out : undefined;
  }

  private walk(text: string, limit: number): void {
    let i = this.pos;
    for (; i < limit; i++) {
      const c = text[i];
      if (this.quote) {
        if (c === '\\') {
          if (i + 1 >= limit) break;
          i++;
        } else if (c === this.quote) this.quote = '';
        continue;
      }
      if (c === '"' || c === "'") this.quote = c;
      else if (c === '{' || c === '[') {
        if (this.depth === 0 && (this.mode === 'unknown' || (this.mode === 'object' && c === '{'))) {
          // Several top-level objects (Llama's `{…}; {…}`) are several calls.
          this.mode = c === '[' ? 'array' : 'object';
          if (c === '{') this.elements.push({ start: i, end: -1, named: false, emitted: i });
        } else if (this.depth === 1 && this.mode === 'array' && c === '{')
          this.elements.push({ start: i, end: -1, named: false, emitted: i });
        this.depth++;
      } else if (c === '}' || c === ']') {
        this.depth--;
        const closesElement = (this.mode === 'array' && this.depth === 1 && c === '}') || (this.mode === 'object' && this.depth === 0);
        if (closesElement && this.elements.length) this.elements[this.elements.length - 1].end = i + 1;
      }
    }
    this.pos = i;
  }
}

export interface XmlShape {
  /** Matches a call's opening tag from the given index (flag `y`), name in group 1. */
  call: RegExp;
  callEnd: string;
  /** Matches a parameter's opening markup (flag `y` not required; `g`), key in group 1. */
  param: RegExp;
  paramEnd: string;
}

/** XML-style calls (`<function=NAME><parameter=KEY>value</parameter></function>` and kin). */
export class XmlCallsProgress {
  private pos: number;
  private state: 'seek' | 'call' | 'param' = 'seek';
  private index = -1;
  private params = 0;
  private valueStarted = false;

  constructor(
    from: number,
    private readonly shape: XmlShape,
  ) {
    this.pos = from;
  }

  update(text: string, limit: number): RegionProgress | undefined {
    const out: RegionProgress = { names: [], deltas: [] };
    const emit = (s: string) => {
      if (!s) return;
      const last = out.deltas[out.deltas.length - 1];
      if (last && last.index === this.index) last.text += s;
      else out.deltas.push({ index: this.index, text: s });
    };
    for (let guard = 0; guard < 10_000; guard++) {
      if (this.state === 'seek') {
        // A sticky pattern (the name at the very start) must match where the view stands.
        const re = new RegExp(this.shape.call.source, this.shape.call.sticky ? 'y' : 'g');
        re.lastIndex = this.pos;
        const m = re.exec(text);
        if (!m || m.index + m[0].length > limit) {
          // An opening tag is short: text further back than that will never start one.
          if (!m && !this.shape.call.sticky) this.pos = Math.max(this.pos, limit - TAG_CHARS);
          break;
        }
        this.index++;
        out.names.push({ name: m[1] });
        emit('{');
        this.params = 0;
        this.pos = m.index + m[0].length;
        this.state = 'call';
      } else if (this.state === 'call') {
        const re = new RegExp(this.shape.param.source, 'g');
        re.lastIndex = this.pos;
        const m = re.exec(text);
        const end = text.indexOf(this.shape.callEnd, this.pos);
        if (end >= 0 && end < limit && (!m || end < m.index)) {
          emit('}');
          this.pos = end + this.shape.callEnd.length;
          this.state = 'seek';
          continue;
        }
        if (!m || m.index + m[0].length > limit) {
          if (!m && end < 0) this.pos = Math.max(this.pos, limit - TAG_CHARS);
          break;
        }
        emit(`${this.params++ ? ', ' : ''}${JSON.stringify(m[1])}: "`);
        this.pos = m.index + m[0].length;
        this.state = 'param';
        this.valueStarted = false;
      } else {
        const end = text.indexOf(this.shape.paramEnd, this.pos);
        const stop = end >= 0 && end < limit ? end : limit;
        let value = text.slice(this.pos, stop);
        if (!this.valueStarted) {
          // The line break after the opening tag is layout.
          if (/^[ \t]*\r?$/.test(value) && stop === limit && end < 0) break;
          const lead = /^[ \t]*\r?\n/.exec(value);
          if (lead) {
            value = value.slice(lead[0].length);
            this.pos += lead[0].length;
          }
          this.valueStarted = true;
        }
        if (end >= 0 && end < limit) {
          emit(JSON.stringify(value.replace(/\r?\n[ \t]*$/, '')).slice(1, -1) + '"');
          this.pos = end + this.shape.paramEnd.length;
          this.state = 'call';
          continue;
        }
        // Hold back what may be the closing tag, or the layout before it.
        const hold = holdBack(value, this.shape.paramEnd);
        const ready = value.slice(0, value.length - hold);
        emit(JSON.stringify(ready).slice(1, -1));
        this.pos += ready.length;
        break;
      }
    }
    return out.names.length || out.deltas.length ? out : undefined;
  }
}

/** Characters at the end of `value` that may be the start of `closer` or layout before it. */
function holdBack(value: string, closer: string): number {
  let hold = 0;
  for (let k = Math.min(closer.length - 1, value.length); k > 0; k--) {
    if (closer.startsWith(value.slice(value.length - k))) {
      hold = k;
      break;
    }
  }
  const trailing = /\r?\n[ \t]*$/.exec(value.slice(0, value.length - hold));
  return hold + (trailing ? trailing[0].length : 0);
}

/**
 * Calls announced by a pattern (name in the first defined group, optional id in group `id`); the
 * text after each announced name streams as its argument text.
 */
export class PatternProgress {
  private pos: number;
  private index = -1;
  private emitted: number;

  constructor(
    from: number,
    private readonly pattern: RegExp,
    private readonly nameOf: (m: RegExpExecArray) => { name: string; id?: string } = (m) => ({ name: m.slice(1).find((g) => g) ?? '' }),
  ) {
    this.pos = from;
    this.emitted = from;
  }

  update(text: string, limit: number): RegionProgress | undefined {
    const out: RegionProgress = { names: [], deltas: [] };
    const re = new RegExp(this.pattern.source, 'g');
    for (;;) {
      re.lastIndex = this.pos;
      const m = re.exec(text);
      if (!m || m.index + m[0].length > limit) {
        if (!m) this.pos = Math.max(this.pos, limit - TAG_CHARS);
        break;
      }
      if (this.index >= 0 && m.index > this.emitted) out.deltas.push({ index: this.index, text: text.slice(this.emitted, m.index) });
      this.index++;
      out.names.push(this.nameOf(m));
      this.pos = this.emitted = m.index + m[0].length;
    }
    if (this.index >= 0 && limit > this.emitted) {
      out.deltas.push({ index: this.index, text: text.slice(this.emitted, limit) });
      this.emitted = limit;
      this.pos = Math.max(this.pos, limit - TAG_CHARS);
    }
    return out.names.length || out.deltas.length ? out : undefined;
  }
}
