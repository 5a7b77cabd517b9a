// Markdown for answers: markdown-it with raw HTML off, then DOMPurify, code highlighted by a small
// highlight.js core. Streaming renders incrementally: finished blocks are rendered once and kept; only
// the open block at the end is re-rendered per frame, so a long answer costs O(n) overall instead of
// re-parsing everything on every chunk.
import MarkdownIt from 'markdown-it';
import type { Token } from 'markdown-it';
import DOMPurify from 'dompurify';
import hljs from 'highlight.js/lib/core';
import bash from 'highlight.js/lib/languages/bash';
import c from 'highlight.js/lib/languages/c';
import cpp from 'highlight.js/lib/languages/cpp';
import css from 'highlight.js/lib/languages/css';
import diff from 'highlight.js/lib/languages/diff';
import go from 'highlight.js/lib/languages/go';
import java from 'highlight.js/lib/languages/java';
import javascript from 'highlight.js/lib/languages/javascript';
import json from 'highlight.js/lib/languages/json';
import python from 'highlight.js/lib/languages/python';
import rust from 'highlight.js/lib/languages/rust';
import sql from 'highlight.js/lib/languages/sql';
import typescript from 'highlight.js/lib/languages/typescript';
import xml from 'highlight.js/lib/languages/xml';
import yaml from 'highlight.js/lib/languages/yaml';
import { cleanText, h } from './format';

const LANGUAGES = { bash, c, cpp, css, diff, go, java, javascript, json, python, rust, sql, typescript, xml, yaml };
for (const [name, lang] of Object.entries(LANGUAGES)) hljs.registerLanguage(name, lang);
hljs.registerAliases(['sh', 'shell', 'zsh', 'console'], { languageName: 'bash' });
hljs.registerAliases(['js', 'jsx', 'mjs', 'cjs'], { languageName: 'javascript' });
hljs.registerAliases(['ts', 'tsx', 'mts'], { languageName: 'typescript' });
hljs.registerAliases(['py'], { languageName: 'python' });
hljs.registerAliases(['html', 'svg'], { languageName: 'xml' });
hljs.registerAliases(['yml'], { languageName: 'yaml' });
hljs.registerAliases(['rs'], { languageName: 'rust' });
hljs.registerAliases(['c++', 'hpp', 'cc'], { languageName: 'cpp' });
hljs.registerAliases(['patch'], { languageName: 'diff' });

/** Turned off while re-rendering a very large open block, so a frame stays cheap. */
let highlightEnabled = true;

export function highlightCode(code: string, language: string | undefined): string {
  const lang = language && hljs.getLanguage(language) ? language : undefined;
  if (!lang || !highlightEnabled) return md.utils.escapeHtml(code);
  try {
    return hljs.highlight(code, { language: lang, ignoreIllegals: true }).value;
  } catch {
    return md.utils.escapeHtml(code);
  }
}

const md = new MarkdownIt({
  html: false,
  linkify: true,
  typographer: false,
  highlight: (code, lang) => highlightCode(code, lang.trim().split(/\s+/)[0]?.toLowerCase()),
});

// Images are never loaded (the CSP blocks remote ones anyway): show what they were instead.
md.renderer.rules.image = (tokens: Token[], idx: number): string => {
  const token = tokens[idx];
  const src = String(token.attrGet('src') ?? '');
  const alt = token.children?.map((t: Token) => t.content).join('') || 'image';
  return `<span class="md-image" title="${md.utils.escapeHtml(src)}">[image not loaded: ${md.utils.escapeHtml(alt)}]</span>`;
};

const PURIFY_CONFIG = {
  ALLOWED_URI_REGEXP: /^(?:https?:|#)/i,
  FORBID_TAGS: [
    'style',
    'img',
    'picture',
    'source',
    'video',
    'audio',
    'iframe',
    'object',
    'embed',
    'form',
    'input',
    'button',
    'textarea',
    'select',
    'link',
    'meta',
    'base',
    'svg',
    'math',
  ],
  FORBID_ATTR: ['style', 'srcset', 'background', 'poster', 'action', 'formaction', 'target'],
  ALLOW_DATA_ATTR: false,
};

let hooksInstalled = false;
function installHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  DOMPurify.addHook('afterSanitizeAttributes', (node) => {
    const el = node;
    if (el.tagName === 'A') {
      const href = el.getAttribute('href') ?? '';
      if (!/^https?:\/\//i.test(href)) el.removeAttribute('href');
      else {
        el.setAttribute('rel', 'noopener noreferrer');
        el.setAttribute('title', href);
      }
    }
    // Table alignment arrives as a style attribute (forbidden by the CSP); keep it as a class.
    if ((el.tagName === 'TD' || el.tagName === 'TH') && el.getAttribute('style')) {
      const m = /text-align:\s*(left|right|center)/.exec(el.getAttribute('style') ?? '');
      el.removeAttribute('style');
      if (m) el.classList.add(`align-${m[1]}`);
    }
  });
  DOMPurify.addHook('uponSanitizeAttribute', (_node, data) => {
    // Belt and braces: no event-handler attribute survives, whatever the allow-list says.
    if (/^on/i.test(data.attrName)) data.keepAttr = false;
  });
}

/** Renders Markdown to a sanitized fragment, with a Copy / Insert / Apply toolbar on each code block. */
export function renderMarkdown(source: string, opts: { highlight?: boolean } = {}): DocumentFragment {
  installHooks();
  highlightEnabled = opts.highlight ?? true;
  let html: string;
  try {
    html = md.render(cleanText(source));
  } finally {
    highlightEnabled = true;
  }
  const fragment = DOMPurify.sanitize(html, { ...PURIFY_CONFIG, RETURN_DOM_FRAGMENT: true });
  for (const pre of Array.from(fragment.querySelectorAll('pre'))) decorateCodeBlock(pre);
  return fragment;
}

function decorateCodeBlock(pre: HTMLPreElement): void {
  const code = pre.querySelector('code');
  const language = code && /(?:^|\s)language-([\w+#.-]+)/.exec(code.className)?.[1];
  if (code) code.classList.add('hljs');
  const bar = h(
    'div',
    { class: 'code-actions', role: 'toolbar', 'aria-label': `${language ?? 'code'} block actions` },
    language ? h('span', { class: 'code-lang' }, language) : null,
    h('button', { type: 'button', class: 'code-action', 'data-code-action': 'copy', title: 'Copy to clipboard' }, 'Copy'),
    h(
      'button',
      { type: 'button', class: 'code-action', 'data-code-action': 'insert', title: 'Insert at the cursor in the editor' },
      'Insert',
    ),
    h(
      'button',
      { type: 'button', class: 'code-action', 'data-code-action': 'apply', title: 'Apply to the selection or file (shows a diff first)' },
      'Apply',
    ),
  );
  const wrap = h('div', { class: 'code-block', 'data-language': language ?? undefined });
  pre.replaceWith(wrap);
  wrap.append(bar, pre);
}

/** Counters the tests read to check streaming stays incremental. */
export interface MarkdownStats {
  streamingRenders: number;
  fullRenders: number;
  /** Largest source slice parsed by one streaming render. */
  maxStreamingParseChars: number;
}

const FENCE = /^ {0,3}(`{3,}|~{3,})/;

/**
 * An answer being streamed. `update(text)` is called at most once per frame with the whole text so
 * far; blocks that can no longer change are committed (rendered once, appended) and only the open
 * tail is rendered again. `finish(text)` renders the final text once as a whole, so constructs
 * that span blocks (reference links, loose lists) come out exactly right.
 */
export class StreamingMarkdown {
  readonly element: HTMLElement;
  private readonly committedEl: HTMLElement;
  private readonly tailEl: HTMLElement;
  /** Characters of the source rendered into committedEl. */
  private committed = 0;
  private renderedTail = '';
  private finished = false;
  private lastTailRender = 0;

  constructor(
    className: string,
    private readonly stats: MarkdownStats,
  ) {
    this.committedEl = h('div', { class: 'md-committed' });
    this.tailEl = h('div', { class: 'md-tail' });
    this.element = h('div', { class: `markdown ${className}` }, this.committedEl, this.tailEl);
  }

  /** Returns true when a render was deferred (a very large open block) and another frame is needed. */
  update(text: string, now: number): boolean {
    if (this.finished) return false;
    const split = this.findSplit(text);
    if (split > this.committed) {
      this.committedEl.append(this.renderPart(text.slice(this.committed, split), true));
      this.committed = split;
      this.renderedTail = '';
    }
    const tail = text.slice(this.committed);
    if (tail === this.renderedTail) return false;
    // A huge open block (e.g. one long code fence) re-renders a few times a second, not every frame.
    if (tail.length > 20_000 && now - this.lastTailRender < 250) return true;
    this.lastTailRender = now;
    this.tailEl.replaceChildren(this.renderPart(tail, tail.length < 8_000));
    this.renderedTail = tail;
    return false;
  }

  finish(text: string): void {
    this.finished = true;
    this.stats.fullRenders++;
    this.committedEl.replaceChildren(renderMarkdown(text));
    this.tailEl.replaceChildren();
    this.committed = text.length;
  }

  get isFinished(): boolean {
    return this.finished;
  }

  private renderPart(src: string, highlight: boolean): DocumentFragment {
    this.stats.streamingRenders++;
    this.stats.maxStreamingParseChars = Math.max(this.stats.maxStreamingParseChars, src.length);
    return renderMarkdown(src, { highlight });
  }

  /**
   * The last offset after which earlier text renders the same whatever follows: just after a blank
   * line outside any code fence, followed by a complete line that starts at column 0 (an indented
   * line could continue a list item or be an indented code block).
   */
  private findSplit(text: string): number {
    let fence: string | undefined;
    let pos = this.committed;
    let best = this.committed;
    let blankBefore = false;
    while (pos < text.length) {
      const nl = text.indexOf('\n', pos);
      if (nl < 0) break; // the last line is incomplete
      const line = text.slice(pos, nl);
      const m = FENCE.exec(line);
      if (fence) {
        if (m && m[1][0] === fence[0] && m[1].length >= fence.length && line.trim() === m[1]) fence = undefined;
        blankBefore = false;
      } else if (m) {
        if (blankBefore && pos > best) best = pos;
        fence = m[1];
        blankBefore = false;
      } else if (line.trim() === '') {
        blankBefore = true;
      } else {
        if (blankBefore && !/^\s/.test(line) && pos > best) best = pos;
        blankBefore = false;
      }
      pos = nl + 1;
    }
    return best;
  }
}
