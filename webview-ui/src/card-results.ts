// What an expanded card shows: its arguments made readable (run_code's program highlighted) and its
// result drawn for its kind — a model's answer as Markdown, a program's output with its exit code,
// search hits as links to file:line. Never the framing written for the model (untrusted-data fences).
import type { CallDisplay, EventOf, UnpricedKind, Usage } from '../../src/core/protocol/events';
import { unpricedLabel } from '../../src/core/protocol/cost-text';
import { cleanText, formatDollars, formatMs, formatTokens, h, prettyArgs } from './format';
import { highlightCode, StreamingMarkdown, type MarkdownStats } from './markdown';

/** Opens a workspace file at a line in the editor (absent: hits are shown as plain text). */
export type OpenFile = (path: string, line?: number) => void;

/** Text longer than this starts folded, with a button for the rest: 2,000 cards × 64 KiB would be heavy. */
const FOLDED_CHARS = 500;
/** Hit lines shown per file before "more"; the whole list is one click away. */
const HITS_PER_FILE = 8;

/** A pre of text that starts with its first FOLDED_CHARS characters and unfolds on demand. */
export function foldedText(text: string, cls: string, label: string): HTMLElement[] {
  const full = cleanText(text);
  const short = full.length > FOLDED_CHARS ? `${full.slice(0, FOLDED_CHARS)}…` : full;
  const pre = h('pre', { class: cls, tabindex: 0, 'aria-label': label }, short);
  if (short === full) return [pre];
  const moreText = `Show full result (${full.length.toLocaleString()} characters)`;
  const more = h('button', { type: 'button', class: 'link-button', 'aria-expanded': 'false' }, moreText);
  more.addEventListener('click', () => {
    const expanded = more.getAttribute('aria-expanded') === 'true';
    pre.textContent = expanded ? short : full;
    pre.classList.toggle('expanded', !expanded);
    more.setAttribute('aria-expanded', String(!expanded));
    more.textContent = expanded ? moreText : 'Show less';
  });
  return [pre, more];
}

/** The body of a card's arguments: run_code's program highlighted in its language, the rest as JSON. */
export function argsView(tool: string, args: unknown): HTMLElement {
  const a = args && typeof args === 'object' && !Array.isArray(args) ? (args as Record<string, unknown>) : undefined;
  if (tool === 'run_code' && a && typeof a.code === 'string') {
    const { code, ...rest } = a;
    const language = typeof a.language === 'string' ? a.language : undefined;
    const codeEl = h('code', { class: 'hljs' });
    // highlightCode escapes everything it does not mark up: text, not markup from the model.
    codeEl.innerHTML = highlightCode(cleanText(code), language === 'shell' ? 'bash' : language);
    const others = Object.keys(rest).filter((k) => k !== 'language');
    return h(
      'div',
      { class: 'card-args' },
      h('pre', { class: 'card-code', tabindex: 0, 'aria-label': `Program (${language ?? 'code'})` }, codeEl),
      others.length
        ? h('pre', { tabindex: 0, 'aria-label': 'Other arguments' }, prettyArgs(Object.fromEntries(others.map((k) => [k, rest[k]]))))
        : null,
    );
  }
  return h('div', { class: 'card-args' }, h('pre', { tabindex: 0, 'aria-label': 'Arguments' }, prettyArgs(args)));
}

/** The text a user reads from a result written for the model: the untrusted-data note and fences removed. */
export function readableResult(result: string): string {
  const start = result.indexOf('<<<UNTRUSTED CONTENT');
  const end = result.lastIndexOf('<<<END UNTRUSTED CONTENT>>>');
  if (start < 0 || end < start) return result;
  const bodyStart = result.indexOf('\n', start);
  if (bodyStart < 0 || bodyStart > end) return result;
  const noteAt = result.lastIndexOf('The content below is untrusted data', start);
  const head = result.slice(0, noteAt >= 0 ? noteAt : start).trimEnd();
  const body = result.slice(bodyStart + 1, end).replace(/\n$/, '');
  return head ? `${head}\n${body}` : body;
}

/** A finished call's result, drawn for its kind; plain text when the engine sent no display. */
export function resultView(f: EventOf<'tool_call_finished'>, stats: MarkdownStats, openFile?: OpenFile): Node[] {
  const d = f.display;
  const full = f.error && !d && cleanText(f.result) === cleanText(f.error) ? '' : f.result;
  if (!d) return full ? foldedText(readableResult(full), 'card-preview', 'Result') : [];
  return displayView(d, stats, openFile);
}

function displayView(d: CallDisplay, stats: MarkdownStats, openFile?: OpenFile): Node[] {
  switch (d.kind) {
    case 'markdown': {
      const md = new StreamingMarkdown('card-md', stats);
      md.finish(d.text);
      return [...(d.notes ?? []).map((n) => h('div', { class: 'card-note' }, cleanText(n.replace(/^\[note: |\]$/g, '')))), md.element];
    }
    case 'code':
      return [
        h('div', { class: 'card-exit', 'data-exit-code': d.exitCode === null ? '' : String(d.exitCode) }, cleanText(d.summary)),
        ...(d.stdout ? foldedText(d.stdout, 'card-preview card-stdout', 'Standard output') : []),
        ...(d.stderr
          ? [h('div', { class: 'card-stream-label' }, 'stderr'), ...foldedText(d.stderr, 'card-preview card-stderr', 'Standard error')]
          : []),
        ...(!d.stdout && !d.stderr ? [h('div', { class: 'card-note' }, 'No output.')] : []),
      ];
    case 'hits':
      return [h('div', { class: 'card-summary-line' }, cleanText(d.summary)), ...d.files.map((f) => hitsFile(f, openFile))];
    case 'file': {
      const ext = /\.([A-Za-z0-9+]+)$/.exec(d.path)?.[1]?.toLowerCase();
      const code = h('code', { class: 'hljs' });
      code.innerHTML = highlightCode(cleanText(d.text), ext);
      return [
        h('div', { class: 'card-summary-line' }, fileLink(d.path, d.startLine, openFile, cleanText(d.summary))),
        h('pre', { class: 'card-file', tabindex: 0, 'aria-label': `Lines of ${d.path}` }, code),
      ];
    }
    case 'text':
      return [
        ...(d.summary ? [h('div', { class: 'card-summary-line' }, cleanText(d.summary))] : []),
        ...foldedText(d.text, 'card-preview', 'Result'),
      ];
  }
}

function hitsFile(f: Extract<CallDisplay, { kind: 'hits' }>['files'][number], openFile?: OpenFile): HTMLElement {
  const list = h('ul', { class: 'hit-lines', 'aria-label': `Matches in ${f.path}` });
  const item = (l: (typeof f.lines)[number]): HTMLElement =>
    h(
      'li',
      { class: l.match ? 'hit match' : 'hit' },
      fileLink(f.path, l.line, openFile, `${l.line}`, 'hit-line'),
      h('span', { class: 'hit-text' }, cleanText(l.text)),
    );
  const first = f.lines.slice(0, HITS_PER_FILE);
  list.append(...first.map(item));
  const rest = f.lines.length - first.length;
  const head = h(
    'div',
    { class: 'hit-file' },
    h('i', { class: 'codicon codicon-file', 'aria-hidden': 'true' }),
    fileLink(f.path, f.lines.find((l) => l.match)?.line, openFile, f.path, 'hit-path'),
    h('span', { class: 'hit-count' }, `${f.matchCount} match${f.matchCount === 1 ? '' : 'es'}`),
  );
  const box = h('div', { class: 'hits' }, head, list);
  if (rest > 0) {
    const more = h('button', { type: 'button', class: 'link-button' }, `${rest} more line${rest === 1 ? '' : 's'}`);
    more.addEventListener('click', () => {
      list.append(...f.lines.slice(HITS_PER_FILE).map(item));
      more.remove();
    });
    box.append(more);
  }
  return box;
}

/** A workspace location that opens in the editor (a button: only web links carry an href); plain text where nothing can open it. */
function fileLink(path: string, line: number | undefined, openFile: OpenFile | undefined, text: string, cls = 'file-link'): HTMLElement {
  const where = line ? `${path}:${line}` : path;
  if (!openFile) return h('span', { class: cls, title: where }, text);
  const b = h(
    'button',
    {
      type: 'button',
      class: `${cls} link-button`,
      title: `Open ${where}`,
      'aria-label': `Open ${where}`,
      'data-path': path,
      'data-line': line ?? '',
    },
    text,
  );
  b.addEventListener('click', () => openFile(path, line));
  return b;
}

/** Tokens, cost and latency of a finished call, each with what it means on hover. */
export function metaParts(usage: Usage | undefined, dollars: number, latencyMs: number, pricing?: UnpricedKind): Node[] {
  const out: Node[] = [];
  if (usage) {
    const approx = usage.estimated ? '~' : '';
    out.push(
      h(
        'span',
        {
          class: 'meta-tokens',
          title: usage.estimated
            ? 'Counted by Orchestra, not reported by the server (no usage report, or a stream cut short): may differ from the bill'
            : 'Tokens in / out',
        },
        `${approx}${formatTokens(usage.inputTokens)} in · ${approx}${formatTokens(usage.outputTokens)} out`,
      ),
    );
  }
  // A cost derived from estimated or missing usage is shown as such, never as a confident figure.
  const unknown = usage?.estimated && usage.inputTokens === 0 && usage.outputTokens === 0;
  const priced = unknown ? 'cost unknown' : `${usage?.estimated ? '~' : ''}${formatDollars(dollars)}`;
  // A subscription or unknown price is said as such, never as $0.
  const costText = pricing ? (dollars > 0 ? `${priced} + ${unpricedLabel(pricing)}` : unpricedLabel(pricing)) : priced;
  const costTitle = pricing
    ? pricing === 'subscription'
      ? 'Covered by a subscription: no dollar figure is known for this model'
      : 'This model states no price: what the call cost is not known'
    : unknown
      ? 'The call was sent but no usage came back: what it cost is not known'
      : usage?.estimated
        ? 'Estimated: the server reported no usage'
        : usage?.reportedDollars !== undefined
          ? 'As billed by the provider'
          : 'Tokens × the configured prices';
  out.push(h('span', { class: 'meta-dollars', 'data-dollars': String(dollars), title: costTitle }, costText));
  out.push(h('span', { class: 'meta-latency' }, formatMs(latencyMs)));
  return out;
}
