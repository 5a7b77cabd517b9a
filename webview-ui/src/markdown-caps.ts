// Caps that keep every Markdown render cheap, whatever the model sends: a block nested too deep, a
// table too wide or too large, or a paragraph dense with delimiters (the shapes that make markdown-it
// slow: see markdown-it's own pathological tests) is shown as its plain source with a notice instead.
// A markdown-it plugin, pure (no DOM); the streaming layer adds the size cap on top.
import type { MarkdownIt, StateBlock, StateCore, Token } from 'markdown-it';
import { escapeHtml } from './highlight';

export const MARKDOWN_CAPS = {
  /** Source characters of one block (or of the open part of a streamed answer) rendered as Markdown. */
  blockChars: 32_768,
  /** Block quotes and lists inside one another. */
  containerDepth: 12,
  /** Emphasis, links and the like inside one another. */
  inlineDepth: 16,
  /** Delimiter characters (`*_[]()<>!~\`\\&`) in one paragraph, heading or table cell. */
  inlineDelimiters: 1_000,
  tableColumns: 64,
  tableCells: 5_000,
} as const;

/** markdown-it stops (and drops what is deeper) at this nesting level; the container cap sits well below it. */
export const MD_MAX_NESTING = 40;

export type CapReason = 'size' | 'nesting' | 'inline-nesting' | 'delimiters' | 'table-columns' | 'table-cells';

const thousands = (n: number): string => String(n).replace(/\B(?=(\d{3})+$)/g, ',');

// Built once: these are rendered on every frame a capped block is open.
const NOTICES: Record<CapReason, string> = {
  size: `longer than ${Math.round(MARKDOWN_CAPS.blockChars / 1024)} KB`,
  nesting: `lists or quotes nested more than ${MARKDOWN_CAPS.containerDepth} deep`,
  'inline-nesting': `emphasis or links nested more than ${MARKDOWN_CAPS.inlineDepth} deep`,
  delimiters: `more than ${thousands(MARKDOWN_CAPS.inlineDelimiters)} Markdown delimiters in one paragraph`,
  'table-columns': `a table wider than ${MARKDOWN_CAPS.tableColumns} columns`,
  'table-cells': `a table with more than ${thousands(MARKDOWN_CAPS.tableCells)} cells`,
};

export function capNotice(reason: CapReason): string {
  return `Shown as plain text: ${NOTICES[reason]}.`;
}

/**
 * The HTML of a capped block: the notice and an empty `pre.md-plain`. The source goes to `plain`, and
 * the DOM side puts it in that element as a text node: it never passes through HTML at all.
 */
export function cappedHtml(reason: CapReason, source: string, plain: string[]): string {
  plain.push(source);
  return `<div class="md-capped md-cap-${reason}"><p class="md-cap-notice">${escapeHtml(capNotice(reason))}</p><pre class="md-plain"></pre></div>\n`;
}

/** Where the renderer leaves the sources of capped blocks, in document order (see cappedHtml). */
export interface CappedEnv {
  orchestraPlain?: string[];
}

const CAPPED = 'orchestra_capped';

export function markdownCaps(md: MarkdownIt): void {
  md.block.ruler.before('table', 'orchestra_table_cap', tableCap, { alt: ['paragraph', 'reference'] });
  md.core.ruler.after('block', 'orchestra_block_caps', blockCaps);
  md.core.ruler.after('inline', 'orchestra_inline_caps', inlineCaps);
  md.renderer.rules[CAPPED] = (tokens, idx, _options, env): string => {
    const t = tokens[idx];
    return cappedHtml((t.meta as { reason: CapReason }).reason, t.content, (env as CappedEnv | undefined)?.orchestraPlain ?? []);
  };
}

function lineText(state: StateBlock, line: number): string {
  return state.src.slice(state.bMarks[line] + state.tShift[line], state.eMarks[line]);
}

function countCells(row: string): number {
  let s = row.trim();
  if (s.startsWith('|')) s = s.slice(1);
  if (s.endsWith('|') && !s.endsWith('\\|')) s = s.slice(0, -1);
  let n = 1;
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) === 0x7c /* | */ && s.charCodeAt(i - 1) !== 0x5c /* \ */) n++;
  return n;
}

/**
 * Runs just before markdown-it's table rule: a table over the caps becomes one capped block, so
 * markdown-it never builds (and the DOM never holds) its cells.
 */
function tableCap(state: StateBlock, startLine: number, endLine: number, silent: boolean): boolean {
  const next = startLine + 1;
  if (next >= endLine) return false;
  if (state.sCount[startLine] - state.blkIndent >= 4 || state.sCount[next] < state.blkIndent) return false;
  if (state.sCount[next] - state.blkIndent >= 4) return false;
  const delimiter = lineText(state, next);
  if (!delimiter.includes('-') || !/^[\s|:-]+$/.test(delimiter)) return false;
  const header = lineText(state, startLine);
  if (!header.includes('|') && !delimiter.includes('|')) return false;
  const columns = countCells(delimiter);
  let last = next + 1;
  while (last < endLine && !state.isEmpty(last) && state.sCount[last] >= state.blkIndent) last++;
  const reason: CapReason | undefined =
    columns > MARKDOWN_CAPS.tableColumns ? 'table-columns' : columns * (last - next) > MARKDOWN_CAPS.tableCells ? 'table-cells' : undefined;
  if (!reason) return false;
  if (silent) return true;
  const token = state.push(CAPPED, '', 0);
  token.block = true;
  token.map = [startLine, last];
  token.meta = { reason };
  token.content = state.src.slice(state.bMarks[startLine], state.eMarks[last - 1]);
  state.line = last;
  return true;
}

// `*_[]()<>!~\`\\&`, as a table indexed by char code (this runs over every character of the answer).
const DELIMITER = new Uint8Array(128);
for (const ch of '*_[]()<>!~`\\&') DELIMITER[ch.charCodeAt(0)] = 1;

function delimiterCount(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 128) n += DELIMITER[c];
  }
  return n;
}

/** Each top-level block as [first token, last token] (inclusive). */
function topLevelBlocks(tokens: Token[]): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    if (t.nesting !== 1) {
      out.push([i, i]);
      continue;
    }
    let j = i + 1;
    while (j < tokens.length && !(tokens[j].level === t.level && tokens[j].nesting === -1)) j++;
    out.push([i, j]);
    i = j;
  }
  return out;
}

function lineStarts(src: string): number[] {
  const starts = [0];
  for (let i = src.indexOf('\n'); i >= 0; i = src.indexOf('\n', i + 1)) starts.push(i + 1);
  return starts;
}

/** Replaces each flagged top-level block by one capped token holding its source lines. */
function replaceBlocks(state: StateCore, flagged: Array<{ range: [number, number]; reason: CapReason }>): void {
  if (!flagged.length) return;
  const starts = lineStarts(state.src);
  for (const { range, reason } of flagged.reverse()) {
    const first = state.tokens[range[0]];
    const map = first.map ?? [0, starts.length];
    const token = new state.Token(CAPPED, '', 0);
    token.block = true;
    token.map = map;
    token.meta = { reason };
    token.content = state.src.slice(starts[map[0]], map[1] < starts.length ? starts[map[1]] : state.src.length).replace(/\n+$/, '');
    state.tokens.splice(range[0], range[1] - range[0] + 1, token);
  }
}

function blockCaps(state: StateCore): void {
  const flagged: Array<{ range: [number, number]; reason: CapReason }> = [];
  for (const range of topLevelBlocks(state.tokens)) {
    let depth = 0;
    let reason: CapReason | undefined;
    for (let i = range[0]; i <= range[1] && !reason; i++) {
      const t = state.tokens[i];
      if (t.type === 'blockquote_open' || t.type === 'bullet_list_open' || t.type === 'ordered_list_open') {
        if (++depth > MARKDOWN_CAPS.containerDepth) reason = 'nesting';
      } else if (t.type === 'blockquote_close' || t.type === 'bullet_list_close' || t.type === 'ordered_list_close') depth--;
      else if (t.type === 'inline' && delimiterCount(t.content) > MARKDOWN_CAPS.inlineDelimiters) reason = 'delimiters';
    }
    if (reason) flagged.push({ range, reason });
  }
  replaceBlocks(state, flagged);
}

function inlineCaps(state: StateCore): void {
  const flagged: Array<{ range: [number, number]; reason: CapReason }> = [];
  for (const range of topLevelBlocks(state.tokens)) {
    let deep = false;
    for (let i = range[0]; i <= range[1] && !deep; i++) {
      const children = state.tokens[i].children;
      if (!children) continue;
      let depth = 0;
      for (const c of children) {
        depth += c.nesting;
        if (depth > MARKDOWN_CAPS.inlineDepth) {
          deep = true;
          break;
        }
      }
    }
    if (deep) flagged.push({ range, reason: 'inline-nesting' });
  }
  replaceBlocks(state, flagged);
}
