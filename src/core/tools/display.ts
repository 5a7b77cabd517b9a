// What a tool's card shows people: the result without the framing written for the model (the
// untrusted-data fence and its note), in a shape the panel renders for its kind (search hits as
// links, code output with its exit code). The model's `output` is built separately and unchanged.
import type { CallDisplay } from '../protocol/events';

/** Search-hit lines as formatSearch's snippets write them: "  12: text" (a match) or "  13- text" (context). */
const SNIPPET_LINE = /^\s*(\d+)([:-]) (.*)$/;

/** The lines of one file's search snippet, with their numbers; "--" separators are dropped. */
export function snippetLines(snippet: string): Array<{ line: number; text: string; match: boolean }> {
  const out: Array<{ line: number; text: string; match: boolean }> = [];
  for (const raw of snippet.split('\n')) {
    const m = SNIPPET_LINE.exec(raw);
    if (!m) continue;
    const line = Number(m[1]);
    if (line > 0) out.push({ line, text: m[3] ?? '', match: m[2] === ':' });
  }
  return out;
}

function cut(text: string, room: number): string {
  return text.length > room
    ? `${text.slice(0, Math.max(0, room))}\n[… ${(text.length - room).toLocaleString('en')} more characters]`
    : text;
}

/** Keeps a display within about `cap` characters of text, as the event's `result` is capped. */
export function capDisplay(d: CallDisplay, cap: number): CallDisplay {
  switch (d.kind) {
    case 'text':
    case 'markdown':
    case 'file':
      return { ...d, text: cut(d.text, cap) };
    case 'code': {
      const stdout = cut(d.stdout, Math.ceil(cap * 0.75));
      return { ...d, stdout, stderr: cut(d.stderr, cap - stdout.length) };
    }
    case 'hits': {
      let room = cap;
      const files: typeof d.files = [];
      for (const f of d.files) {
        const lines = f.lines.filter((l) => (room -= l.text.length + f.path.length / 8) > 0);
        if (!lines.length) break;
        files.push({ ...f, lines });
      }
      return { ...d, files };
    }
  }
}
