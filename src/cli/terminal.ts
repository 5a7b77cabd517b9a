// Model and tool output is untrusted: written raw to a terminal, escape sequences could hide or
// fake what the user is asked to approve (clear lines, conceal text, retitle the window). Every
// event-derived string is passed through here before the CLI adds its own colours.

// CSI (ESC [ … final), OSC (ESC ] … BEL or ESC \), other two-byte ESC sequences, and 8-bit CSI/OSC.
const ESCAPE_SEQUENCE =
  /\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[PX^_][^\x1b]*(?:\x1b\\)?|\x1b[@-Z\\-_]|\x9b[0-?]*[ -/]*[@-~]|\x9d[^\x07\x9c]*[\x07\x9c]?/g;
// Remaining C0 controls (but tab and newline), DEL and C1 controls; a carriage return could
// overwrite a line, so it goes too.
const CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f]/g;

export function sanitizeTerminal(text: string): string {
  return text.replace(ESCAPE_SEQUENCE, '').replace(CONTROL, '\ufffd');
}

/** Sanitizes every string inside a JSON-like value (events, arguments). */
export function sanitizeDeep<T>(value: T): T {
  if (typeof value === 'string') return sanitizeTerminal(value) as T;
  if (Array.isArray(value)) return (value as unknown[]).map((v) => sanitizeDeep(v)) as T;
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = sanitizeDeep(v);
    return out as T;
  }
  return value;
}
