// The panel's one markdown-it instance: raw HTML off, links linkified, images never loaded, code
// highlighted, and the caps of markdown-caps.ts. Pure (no DOM): the streaming core and its Node
// tests use the very same parser the panel does.
import MarkdownIt from 'markdown-it';
import type { Token } from 'markdown-it';
import { escapeHtml, highlightCode } from './highlight';
import { MD_MAX_NESTING, markdownCaps, type CappedEnv } from './markdown-caps';

/** Turned off for renders that happen every frame (the open part of a streamed answer). */
let highlighting = true;

export const md = new MarkdownIt({
  html: false,
  linkify: true,
  typographer: false,
  maxNesting: MD_MAX_NESTING,
  highlight: (code, lang) => (highlighting ? highlightCode(code, lang.trim().split(/\s+/)[0]?.toLowerCase()) : escapeHtml(code)),
});
markdownCaps(md);

// Images are never loaded (the CSP blocks remote ones anyway): show what they were instead.
md.renderer.rules.image = (tokens: Token[], idx: number): string => {
  const token = tokens[idx];
  const src = String(token.attrGet('src') ?? '');
  const alt = token.children?.map((t: Token) => t.content).join('') || 'image';
  return `<span class="md-image" title="${escapeHtml(src)}">[image not loaded: ${escapeHtml(alt)}]</span>`;
};

/** What markdown-it carries between calls: the link reference definitions it collected, by normalised label. */
export type MarkdownEnv = { references?: Record<string, unknown> } & CappedEnv & NonNullable<Parameters<typeof md.render>[1]>;

/** Rendered Markdown: HTML not yet sanitised, and the text of each capped block's `pre.md-plain`, in order. */
export interface Rendered {
  html: string;
  plain: string[];
}

/** Parses and renders `source`; `env` carries reference definitions across calls. */
export function renderHtml(source: string, env: MarkdownEnv, opts: { highlight: boolean }): Rendered {
  highlighting = opts.highlight;
  const plain: string[] = [];
  env.orchestraPlain = plain;
  try {
    return { html: md.render(source, env), plain };
  } finally {
    highlighting = true;
    delete env.orchestraPlain;
  }
}

/** A top-level block from markdown-it's block pass: its lines [start, end), and whether it holds a reference definition. */
export interface BlockSpan {
  start: number;
  end: number;
  hasReference: boolean;
}

/** The top-level blocks of `source` from markdown-it's block pass alone (no inline parsing). */
export function topLevelBlocks(source: string): BlockSpan[] {
  const tokens: Token[] = [];
  md.block.parse(source, md, {}, tokens);
  const out: BlockSpan[] = [];
  for (const t of tokens) {
    // Opening tokens and standalone ones carry the map; closing tokens do not.
    if (t.level === 0 && t.nesting !== -1 && t.map) out.push({ start: t.map[0], end: t.map[1], hasReference: false });
    if (t.type === 'reference_definition' && out.length) out[out.length - 1].hasReference = true;
  }
  return out;
}
