// Finding where a JSON object or array ends, in one pass that can be resumed as more text arrives:
// a streamed call is scanned once in total, however many pieces it comes in. Single-quoted strings
// (Python-style dicts that models write) are followed too, so their brackets do not count.
import { repairJson } from './repair-json';

/** Resumable scan for the end of the object or array that starts at `start` (after whitespace). */
export class JsonExtent {
  private pos: number;
  private depth = 0;
  private quote = '';
  private opened = false;

  constructor(start: number) {
    this.pos = start;
  }

  /** Index just past the value; -1 while it is still open; -2 when no object or array starts there. */
  scan(text: string): number {
    let i = this.pos;
    const n = text.length;
    if (!this.opened) {
      while (i < n && isSpace(text.charCodeAt(i))) i++;
      if (i >= n) {
        this.pos = i;
        return -1;
      }
      const c = text[i];
      if (c !== '{' && c !== '[') return -2;
      this.opened = true;
    }
    for (; i < n; i++) {
      const c = text[i];
      if (this.quote) {
        if (c === '\\') {
          // An escape cut at the very end is re-read with the next piece.
          if (i + 1 >= n) {
            this.pos = i;
            return -1;
          }
          i++;
        } else if (c === this.quote) this.quote = '';
        continue;
      }
      if (c === '"' || c === "'") this.quote = c;
      else if (c === '{' || c === '[') this.depth++;
      else if (c === '}' || c === ']') {
        if (--this.depth === 0) {
          this.pos = i + 1;
          return i + 1;
        }
      }
    }
    this.pos = n;
    return -1;
  }
}

/** One-shot form of JsonExtent. */
export function jsonExtent(text: string, from: number): number {
  return new JsonExtent(from).scan(text);
}

export function isSpace(code: number): boolean {
  return code === 32 || code === 10 || code === 13 || code === 9;
}

/** Index of the first non-whitespace character at or after `from` (text.length when none). */
export function skipSpace(text: string, from: number): number {
  let i = from;
  while (i < text.length && isSpace(text.charCodeAt(i))) i++;
  return i;
}

/** JSON as models write it: strict first, then the unambiguous repairs; undefined when neither reads it. */
export function parseJsonLoose(raw: string): { value: unknown } | undefined {
  const r = repairJson(raw);
  return r ? { value: r.value } : undefined;
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A short one-line excerpt for messages. */
export function excerpt(s: string, max = 160): string {
  const one = s.trim().replace(/\s+/g, ' ');
  return one.length > max ? `${one.slice(0, max)}…` : one;
}

/** `s` as a literal inside a regular expression. */
export function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
