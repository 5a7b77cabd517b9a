// The DOM side of rendered Markdown: DOMPurify with a strict allow-list turns markdown-it's HTML into
// inert nodes, and each code block gets its Copy / Insert / Apply toolbar.
import DOMPurify from 'dompurify';
import { h } from './format';
import type { Rendered } from './markdown-engine';

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

/**
 * markdown-it's HTML as sanitised nodes, code blocks decorated, and the text of each capped block put
 * in its `pre.md-plain` as a text node (markdown-it never gives a `pre` a class, so these are ours).
 */
export function sanitizeMarkdownHtml(rendered: Rendered): DocumentFragment {
  installHooks();
  if (!rendered.html) return document.createDocumentFragment();
  const fragment = DOMPurify.sanitize(rendered.html, { ...PURIFY_CONFIG, RETURN_DOM_FRAGMENT: true });
  for (const pre of Array.from(fragment.querySelectorAll('pre:not(.md-plain)'))) decorateCodeBlock(pre as HTMLPreElement);
  const plains = fragment.querySelectorAll('pre.md-plain');
  plains.forEach((pre, i) => {
    (pre as HTMLElement).tabIndex = 0;
    appendChunked(pre as HTMLElement, rendered.plain[i] ?? '', 0, 'md-plain-chunk');
  });
  return fragment;
}

/** Text in one DOM chunk of a long text: laying out one long run costs far more than its pieces. */
const CHUNK_CHARS = 4_096;

/**
 * Appends `text.slice(shown)` to the last chunk of `body` (a text node in a span), starting a new chunk
 * once the last is full, at a line end when there is one nearby. Off-screen chunks are skipped by the
 * layout (content-visibility in markdown.css), and as text streams in only the last one changes.
 * Returns the new length shown.
 */
export function appendChunked(body: HTMLElement, text: string, shown: number, chunkClass: string): number {
  let pos = shown;
  while (pos < text.length) {
    let chunk = body.lastElementChild as HTMLElement | null;
    let node = chunk?.firstChild as Text | null | undefined;
    if (!chunk || !node || node.length >= CHUNK_CHARS) {
      node = document.createTextNode('');
      chunk = h('span', { class: chunkClass });
      chunk.append(node);
      body.append(chunk);
    }
    let end = Math.min(text.length, pos + CHUNK_CHARS - node.length);
    if (end < text.length) {
      // Break after a newline near the limit rather than inside a line (searching only near it).
      const from = Math.max(pos, end - CHUNK_CHARS / 4);
      const nl = text.slice(from, end).lastIndexOf('\n');
      if (nl >= 0) end = from + nl + 1;
    }
    node.appendData(text.slice(pos, end));
    pos = end;
  }
  return pos;
}

/** Wraps a `<pre><code>` in a code block with its toolbar; returns the wrapper. */
export function decorateCodeBlock(pre: HTMLPreElement): HTMLElement {
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
  // A long line scrolls sideways: keyboard users reach the block to scroll it.
  pre.tabIndex = 0;
  pre.setAttribute('aria-label', `${language ?? 'Code'} code`);
  pre.replaceWith(wrap);
  wrap.append(bar, pre);
  return wrap;
}
