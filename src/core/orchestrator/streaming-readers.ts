// The readers of partial-text.ts, fed piece by piece: each piece costs time in its own length, not
// in the length of all that came before it (re-reading the whole reply on every token made a long
// answer's streaming quadratic: 25,000 tokens took minutes to reach the panel). Each reader's output
// only grows, except where the whole-text reader would take text back (ReplyTextReader says so).

/** The longest tag or marker a reader waits for before it knows what a `<` or `[` begins. */
const LOOKBEHIND = 16;

/** Streamed JSON tool-call arguments → the value of one string field, decoded as it arrives. */
export class JsonStringFieldReader {
  private phase: 'seek' | 'in' | 'done' = 'seek';
  /** Seeking: the end of what arrived (the field's key may be cut across pieces). Inside: an escape cut short. */
  private buf = '';
  private readonly key: RegExp;

  constructor(field: string) {
    this.key = new RegExp(`"${field}"\\s*:\\s*"`);
  }

  /** The field's decoded text that this piece of the arguments added ('' when none). */
  push(piece: string): string {
    if (this.phase === 'done' || !piece) return '';
    if (this.phase === 'seek') {
      const text = this.buf + piece;
      const m = this.key.exec(text);
      if (!m) {
        // Whitespace between key, colon and quote is unbounded in JSON; keep it, but nothing older.
        const keep = Math.max(0, text.length - LOOKBEHIND * 4);
        this.buf = /^\s*$/.test(text.slice(keep, text.length - LOOKBEHIND)) ? text.slice(keep) : text.slice(-LOOKBEHIND);
        return '';
      }
      this.phase = 'in';
      this.buf = '';
      return this.decode(text.slice(m.index + m[0].length));
    }
    return this.decode(piece);
  }

  private decode(piece: string): string {
    const json = this.buf + piece;
    this.buf = '';
    let out = '';
    let from = 0;
    for (let i = 0; i < json.length;) {
      const c = json[i];
      if (c === '"') {
        this.phase = 'done';
        return out + json.slice(from, i);
      }
      if (c !== '\\') {
        i++;
        continue;
      }
      out += json.slice(from, i);
      // An escape cut at the end of what arrived waits for the next piece.
      if (i + 1 >= json.length || (json[i + 1] === 'u' && i + 6 > json.length)) {
        this.buf = json.slice(i);
        return out;
      }
      const e = json[i + 1];
      if (e === 'u') {
        out += String.fromCharCode(parseInt(json.slice(i + 2, i + 6), 16));
        i += 6;
      } else {
        out += ESCAPES[e] ?? e;
        i += 2;
      }
      from = i;
    }
    return out + json.slice(from);
  }
}

const ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', b: '\b', f: '\f', '"': '"', '\\': '\\', '/': '/' };

/** Length of the longest end of `text` that is a proper prefix of `tag` (case-insensitive). */
function partialTagAtEnd(text: string, tag: string): number {
  const lower = text.slice(-(tag.length - 1)).toLowerCase();
  for (let k = Math.min(tag.length - 1, lower.length); k > 0; k--) if (tag.startsWith(lower.slice(lower.length - k))) return k;
  return 0;
}

/** A streamed reply → the text inside <answer>…</answer>, as it arrives (what partialTaggedAnswer reads). */
export class TaggedAnswerReader {
  private phase: 'seek' | 'in' | 'done' = 'seek';
  private buf = '';

  /** The answer text this piece added ('' when none; a tag cut at the end waits). */
  push(piece: string): string {
    if (this.phase === 'done' || !piece) return '';
    let text = this.buf + piece;
    if (this.phase === 'seek') {
      const open = /<answer>/i.exec(text);
      if (!open) {
        this.buf = text.slice(-LOOKBEHIND);
        return '';
      }
      this.phase = 'in';
      text = text.slice(open.index + open[0].length);
    }
    const close = text.search(/<\/answer>/i);
    if (close >= 0) {
      this.phase = 'done';
      this.buf = '';
      return text.slice(0, close);
    }
    const hold = partialTagAtEnd(text, '</answer>');
    this.buf = text.slice(text.length - hold);
    return text.slice(0, text.length - hold);
  }
}

/** Where a tool call written as text begins (partial-text.ts's list), and the thinking tags. */
const MARKERS = [
  '<tool_call>',
  '<function=',
  '[TOOL_CALLS]',
  '<|python_tag|>',
  '<|channel|>',
  '<|start|>',
  '<tool_calls>',
  '<think>',
  '</think>',
];
const JSON_CALL_START = /^\s*(?:\{|\[\s*\{|```(?:json)?\s*\{)/;
/** A start that may still become a JSON call once more arrives. */
const JSON_CALL_MAYBE = /^\s*(?:\[\s*|`{1,3}|```j(?:s(?:o(?:n)?)?)?|```(?:json)?\s*)$/;

export interface ReplyPiece {
  /** Text the reader may now show as answer, after what it showed before (or instead of it: `reset`). */
  visible: string;
  /** The visible text shown so far is taken back (it was thinking after all); `visible` starts over. */
  reset: boolean;
  /** Thinking this piece added. */
  thinking: string;
}

/**
 * A general-dialect reply streamed piece by piece, split as streamingReplyText splits it: <think>
 * blocks are thinking (a `</think>` before any `<think>` makes all before it thinking: the one case
 * that takes shown text back), the rest is visible up to the first tool-call marker, and a reply that
 * opens like a JSON call shows nothing. What it shows is always a prefix of what streamingReplyText
 * would show for the same text; it may hold a tag that is still arriving a piece longer.
 */
export class ReplyTextReader {
  private mode: 'start' | 'visible' | 'think' = 'start';
  /** Not yet read: may be the start of a tag. */
  private pending = '';
  /** Visible text read but not shown yet (a marker or a JSON start may still be arriving). */
  private unshown = '';
  /** Characters shown so far. */
  private shown = 0;
  /** The first visible characters (after leading whitespace): whether the reply opens like a JSON call. */
  private head = '';
  private json: boolean | undefined;
  /** A marker came: nothing visible after it is shown. */
  private frozen = false;
  /** Before any tag: all visible text, which a `</think>` would turn into thinking. */
  private startText = '';

  push(piece: string): ReplyPiece {
    const out: ReplyPiece = { visible: '', reset: false, thinking: '' };
    this.pending += piece;
    this.read(out);
    this.show(out);
    return out;
  }

  private addVisible(text: string): void {
    if (!text) return;
    if (this.mode === 'start') this.startText += text;
    // Leading whitespace is left out: the JSON-start patterns allow any amount of it.
    if (this.head.length < 64) this.head += (this.head ? text : text.trimStart()).slice(0, 64 - this.head.length);
    if (!this.frozen) this.unshown += text;
  }

  private read(out: ReplyPiece): void {
    let text = this.pending;
    while (text) {
      if (this.mode === 'think') {
        const close = text.search(/<\/think>/i);
        if (close < 0) {
          const hold = partialTagAtEnd(text, '</think>');
          out.thinking += text.slice(0, text.length - hold);
          text = text.slice(text.length - hold);
          break;
        }
        out.thinking += text.slice(0, close);
        text = text.slice(close + '</think>'.length);
        this.mode = 'visible';
        continue;
      }
      const lt = text.indexOf('<');
      if (lt < 0) {
        this.addVisible(text);
        text = '';
        break;
      }
      this.addVisible(text.slice(0, lt));
      text = text.slice(lt);
      const head = text.slice(0, 8).toLowerCase();
      if (head.startsWith('<think>')) {
        this.mode = 'think';
        this.startText = '';
        text = text.slice('<think>'.length);
      } else if (this.mode === 'start' && head === '</think>') {
        // Thinking that began in the prompt template: all before this was thinking.
        out.thinking += this.startText;
        if (this.shown > 0) out.reset = true;
        this.startText = this.unshown = this.head = '';
        this.shown = 0;
        this.json = undefined;
        this.frozen = false;
        this.mode = 'visible';
        text = text.slice('</think>'.length);
      } else if ('<think>'.startsWith(head) || (this.mode === 'start' && '</think>'.startsWith(head))) {
        break; // a tag still arriving
      } else {
        this.addVisible('<');
        text = text.slice(1);
      }
    }
    this.pending = text;
  }

  private show(out: ReplyPiece): void {
    if (this.frozen) return;
    if (this.json === undefined) {
      if (JSON_CALL_START.test(this.head)) this.json = true;
      else if (!JSON_CALL_MAYBE.test(this.head) && !/^\s*$/.test(this.head)) this.json = false;
      else return; // undecided: nothing shows yet
    }
    if (this.json) {
      this.frozen = true;
      this.unshown = '';
      return;
    }
    const text = this.unshown;
    let at = -1;
    for (const m of MARKERS) {
      const i = text.indexOf(m);
      if (i >= 0 && (at < 0 || i < at)) at = i;
    }
    let end = text.length;
    if (at >= 0) {
      end = at;
      this.frozen = true;
    } else {
      // A marker still arriving ("<tool_ca") is held back until it is known not to be one.
      let hold = 0;
      for (const m of MARKERS)
        for (let k = Math.min(m.length - 1, text.length); k > hold; k--)
          if (text.endsWith(m.slice(0, k))) {
            hold = k;
            break;
          }
      end -= hold;
    }
    out.visible += text.slice(0, end);
    this.shown += end;
    this.unshown = this.frozen ? '' : text.slice(end);
  }
}
