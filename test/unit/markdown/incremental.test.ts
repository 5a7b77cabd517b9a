// The streaming Markdown core against markdown-it itself: whatever the document and however it is cut
// into deltas, what the ops commit adds up to exactly what one whole render gives, and blocks once
// committed never change (unless a reference definition arrives for them). Plus the caps: what is
// beyond one is its source as text under a notice, nothing dropped.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { IncrementalMarkdown, type MarkdownStats, type StreamOp } from '../../../webview-ui/src/markdown-incremental';
import { renderHtml, type Rendered } from '../../../webview-ui/src/markdown-engine';
import { escapeHtml } from '../../../webview-ui/src/highlight';
import { MARKDOWN_CAPS } from '../../../webview-ui/src/markdown-caps';
import { cleanText } from '../../../webview-ui/src/format';
import { PATHOLOGICAL } from '../../support/pathological-markdown';

const stats = (): MarkdownStats => ({ streamingRenders: 0, fullRenders: 0, maxStreamingParseChars: 0 });

/** The HTML with each capped block's text put in its `pre.md-plain`, as the DOM side does. */
function fill(r: Rendered): string {
  let i = 0;
  return r.html.replace(/<pre class="md-plain"><\/pre>/g, () => `<pre class="md-plain">${escapeHtml(r.plain[i++] ?? '')}</pre>`);
}

/** One whole render of `source`, filled. */
const render = (source: string): string => fill(renderHtml(source, {}, { highlight: true }));

/** Applies ops the way the DOM side does, keeping HTML strings; `plain`/`code` views become marked text. */
class OpsView {
  segments: Array<{ id: number; html: string }> = [];
  open = '';
  commits = new Map<number, number>();
  apply(ops: StreamOp[]): void {
    for (const op of ops) {
      if (op.op === 'reset') {
        this.segments = [];
        this.open = '';
      } else if (op.op === 'commit') {
        this.segments.push({ id: op.id, html: fill(op.rendered) });
        this.open = '';
      } else if (op.op === 'rerender') {
        const seg = this.segments.find((s) => s.id === op.id);
        assert.ok(seg, `rerender of an unknown segment ${op.id}`);
        seg.html = fill(op.rendered);
      } else if (op.op === 'tail') this.open = fill(op.rendered);
      else if (op.op === 'code') this.open = `<code-view ${op.info}>${op.text}</code-view>`;
      else if (op.op === 'plain') this.open = `<plain-view>${op.text}</plain-view>`;
      else if (op.op === 'keepOpen') {
        this.segments.push({ id: op.id, html: this.open });
        this.open = '';
      }
    }
  }
  html(): string {
    return this.segments.map((s) => s.html).join('') + this.open;
  }
}

/** Streams `doc` in the given cuts, then finishes; `budget` 0 makes every step stop after one unit of work. */
function stream(doc: string, cuts: number[], budget = Infinity): { view: OpsView; stats: MarkdownStats; steps: number } {
  const s = stats();
  let clock = 0;
  const core = new IncrementalMarkdown(s, () => (clock += 1));
  const view = new OpsView();
  let at = 0;
  let steps = 0;
  for (const n of cuts) {
    at = Math.min(doc.length, at + n);
    const r = core.step(doc.slice(0, at), false, budget === Infinity ? Infinity : clock + budget);
    view.apply(r.ops);
    steps++;
  }
  for (let i = 0; i < 100_000; i++) {
    const r = core.step(doc, true, budget === Infinity ? Infinity : clock + budget);
    view.apply(r.ops);
    steps++;
    if (!r.more) break;
  }
  assert.ok(core.done, 'the final steps complete');
  return { view, stats: s, steps };
}

const whole = (doc: string): string => render(cleanText(doc.replace(/\r\n?/g, '\n')));

// ── a generator of documents built from the block shapes that make splitting hard ─────────────

const word = fc.constantFrom('alpha', 'beta', 'x', 'code', 'Ref', 'ref', 'two words', '1.', '-', '*', '#', '|', '>', '`', '~~~', '```');
const inline = fc.constantFrom(
  'plain text',
  '*em*',
  '**strong**',
  '`code`',
  '[link](https://example.com/a)',
  '[ref]',
  '[Ref Label][]',
  '[x][ref]',
  'https://example.org/auto',
  '_under_',
  '~~strike~~',
  'a | b',
  '\\*escaped\\*',
  '<b>raw</b>',
);
const text = fc.array(fc.oneof(inline, word), { minLength: 1, maxLength: 5 }).map((ws) => ws.join(' '));
const lines = (min: number, max: number) => fc.array(text, { minLength: min, maxLength: max });

const block: fc.Arbitrary<string> = fc.letrec<{ block: string; item: string }>((tie) => ({
  block: fc.oneof(
    { depthSize: 'small' },
    lines(1, 3).map((ls) => ls.join('\n')),
    fc.tuple(fc.constantFrom('#', '##', '###'), text).map(([h, t]) => `${h} ${t}`),
    fc.tuple(text, fc.constantFrom('===', '---')).map(([t, u]) => `${t}\n${u}`),
    fc
      .tuple(fc.constantFrom('```', '````', '~~~'), fc.constantFrom('', 'ts', 'python', 'js x'), lines(0, 4), fc.boolean(), fc.boolean())
      .map(([f, info, body, blankInside, closed]) => `${f}${info}\n${body.join(blankInside ? '\n\n' : '\n')}${closed ? `\n${f}` : ''}`),
    lines(1, 3).map((ls) => ls.map((l) => `    ${l}`).join('\n')),
    fc
      .tuple(fc.array(tie('item'), { minLength: 1, maxLength: 4 }), fc.constantFrom('- ', '* ', '1. ', '2) '), fc.boolean())
      .map(([items, marker, loose]) =>
        items.map((it, i) => `${/\d/.test(marker) ? `${i + 1}${marker.slice(1)}` : marker}${it}`).join(loose ? '\n\n' : '\n'),
      ),
    fc.tuple(tie('block'), fc.boolean()).map(([b, lazy]) =>
      b
        .split('\n')
        .map((l, i) => (lazy && i > 0 ? l : `> ${l}`))
        .join('\n'),
    ),
    fc.tuple(lines(1, 3), fc.integer({ min: 2, max: 4 })).map(([rows, cols]) => {
      const row = (t: string) => `| ${Array.from({ length: cols }, () => t).join(' | ')} |`;
      return [row('h'), `|${' --- |'.repeat(cols)}`, ...rows.map(row)].join('\n');
    }),
    fc.constantFrom('---', '***', '- - -'),
    fc
      .tuple(fc.constantFrom('ref', 'Ref Label', 'x'), fc.constantFrom('', ' "title"', "\n'title on two\nlines'"))
      .map(([l, t]) => `[${l}]: https://example.com/${l.length}${t}`),
    text,
  ),
  // A list item's content: a line, then optionally a continuation or nested block indented under it.
  item: fc
    .tuple(text, fc.option(tie('block'), { nil: undefined }), fc.constantFrom('  ', '   ', '    '), fc.boolean())
    .map(([first, more, indent, blank]) =>
      more === undefined
        ? first
        : `${first}\n${blank ? '\n' : ''}${more
            .split('\n')
            .map((l) => (l ? indent + l : l))
            .join('\n')}`,
    ),
})).block;

const separator = fc.constantFrom('\n', '\n\n', '\n\n', '\n\n\n', '\n  \n', '\r\n\r\n');
const documentArb = fc
  .array(fc.tuple(block, separator), { minLength: 1, maxLength: 8 })
  .map((parts) => parts.map(([b, sep]) => b + sep).join(''));
const cutsArb = fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 200 });

describe('streaming Markdown core', () => {
  test('streamed in any cuts, the committed segments add up to exactly one whole render', () => {
    fc.assert(
      fc.property(documentArb, cutsArb, (doc, cuts) => {
        const { view } = stream(doc, cuts);
        assert.equal(view.html(), whole(doc));
      }),
      { numRuns: 400 },
    );
  });

  test('with the time budget spent after every unit of work, the result is the same', () => {
    fc.assert(
      fc.property(documentArb, cutsArb, (doc, cuts) => {
        const { view } = stream(doc, cuts, 0);
        assert.equal(view.html(), whole(doc));
      }),
      { numRuns: 150 },
    );
  });

  test('a committed segment is never rendered again except for a reference defined after it', () => {
    const doc = 'See [the docs][d] first.\n\nThen more text.\n\n' + 'Paragraph.\n\n'.repeat(20) + '[d]: https://example.com/docs\n\nEnd.\n';
    const s = stats();
    const core = new IncrementalMarkdown(s, () => 0);
    const view = new OpsView();
    const rerendered: number[] = [];
    for (let at = 1; at <= doc.length; at += 7) {
      const { ops } = core.step(doc.slice(0, at), false, Infinity);
      for (const op of ops) if (op.op === 'rerender') rerendered.push(op.id);
      view.apply(ops);
    }
    const last = core.step(doc, true, Infinity).ops;
    for (const op of last) if (op.op === 'rerender') rerendered.push(op.id);
    view.apply(last);
    assert.deepEqual(rerendered, [0], 'only the segment that uses [d] is rendered again');
    assert.equal(view.html(), whole(doc));
    assert.match(view.html(), /<a href="https:\/\/example.com\/docs">the docs<\/a>/);
  });

  test('a 40 KB answer streamed in small deltas: no parse re-reads the whole answer, and the finish renders only the open block', () => {
    const paragraphs: string[] = [];
    for (let i = 0; paragraphs.join('\n\n').length < 40_000; i++)
      paragraphs.push(i % 7 === 3 ? `\`\`\`ts\nexport const v${i} = ${i};\n\`\`\`` : `Paragraph ${i} with **bold** and \`code\`.`);
    const doc = paragraphs.join('\n\n');
    const cuts = Array.from({ length: Math.ceil(doc.length / 16) }, () => 16);
    const { view, stats: s } = stream(doc, cuts);
    assert.equal(view.html(), whole(doc));
    assert.equal(s.fullRenders, 0);
    assert.ok(s.maxStreamingParseChars < 5_000, `largest parse ${s.maxStreamingParseChars} chars`);
  });

  test('a final text that does not extend the streamed one starts over (counted as a full render)', () => {
    const s = stats();
    const core = new IncrementalMarkdown(s, () => 0);
    const view = new OpsView();
    view.apply(core.step('# Draft\n\nfirst version\n\nmore', false, Infinity).ops);
    const final = '# Final\n\nsecond version\n';
    view.apply(core.step(final, true, Infinity).ops);
    assert.equal(view.html(), whole(final));
    assert.equal(s.fullRenders, 1);
  });

  test('ANSI escapes split across deltas are removed whole', () => {
    const doc = 'Colours: \u001b[31mred\u001b[0m and \u001b]0;title\u0007done';
    for (let cut = 1; cut < 12; cut++) {
      const { view } = stream(
        doc,
        Array.from({ length: Math.ceil(doc.length / cut) }, () => cut),
      );
      assert.equal(view.html(), '<p>Colours: red and done</p>\n');
    }
  });

  test('a long fenced block streams into a code view that only grows, and is rendered once when it closes', () => {
    const code = Array.from({ length: 400 }, (_, i) => `const line${i} = ${i};`).join('\n');
    const doc = `Intro.\n\n\`\`\`ts\n${code}\n\`\`\`\n\nAfter.\n`;
    const s = stats();
    const core = new IncrementalMarkdown(s, () => 0);
    const view = new OpsView();
    let lastCode = '';
    for (let at = 1; at <= doc.length; at += 50) {
      const { ops } = core.step(doc.slice(0, at), false, Infinity);
      for (const op of ops) {
        if (op.op === 'code') {
          assert.ok(op.text.startsWith(lastCode.slice(0, lastCode.lastIndexOf('\n') + 1)), 'the code view only grows');
          lastCode = op.text;
        }
      }
      view.apply(ops);
    }
    view.apply(core.step(doc, true, Infinity).ops);
    assert.ok(lastCode.length > 1000, 'the code streamed through the code view');
    assert.equal(view.html(), whole(doc));
  });
});

// ── caps ─────────────────────────────────────────────────────────────────────────────────────────

function textOf(html: string): string {
  return html
    .replace(/<[^>]+>/g, '')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&amp;/g, '&');
}

describe('Markdown caps', () => {
  for (const [name, make] of Object.entries(PATHOLOGICAL)) {
    test(`${name}: capped with a notice, its source kept as text`, () => {
      const source = make(12_000);
      const html = render(source);
      assert.match(html, /class="md-capped md-cap-/, 'shown as a capped block');
      assert.match(html, /Shown as plain text: /);
      const shown = textOf(html.replace(/<p class="md-cap-notice">.*?<\/p>/g, ''));
      assert.ok(shown.replace(/\s+/g, '').includes(source.replace(/\s+/g, '').slice(0, 2_000)), 'the source is shown as text');
    });
  }

  test('a table wider than the cap, or with too many cells, is plain text; a normal one is a table', () => {
    const wide = (cols: number, rows: number) =>
      [`|${' h |'.repeat(cols)}`, `|${' --- |'.repeat(cols)}`, ...Array.from({ length: rows }, () => `|${' c |'.repeat(cols)}`)].join('\n');
    assert.match(render(wide(MARKDOWN_CAPS.tableColumns + 1, 2)), /class="md-capped md-cap-table-columns"/);
    assert.match(render(wide(10, MARKDOWN_CAPS.tableCells / 10 + 1)), /class="md-capped md-cap-table-cells"/);
    assert.match(render(`Before\n\n${wide(10, 20)}\n\nAfter`), /<table>/);
    assert.doesNotMatch(render(wide(10, 20)), /md-capped/);
  });

  test('nesting beyond the cap is plain text; nothing deeper is dropped', () => {
    const deep = Array.from({ length: MARKDOWN_CAPS.containerDepth + 3 }, (_, i) => `${'  '.repeat(i)}- level ${i}`).join('\n');
    const html = render(deep);
    assert.match(html, /class="md-capped md-cap-nesting"/);
    assert.match(textOf(html), new RegExp(`level ${MARKDOWN_CAPS.containerDepth + 2}`));
    const ok = Array.from({ length: 4 }, (_, i) => `${'  '.repeat(i)}- level ${i}`).join('\n');
    assert.doesNotMatch(render(ok), /md-capped/);
  });

  test('a capped block stays within its block: the paragraphs around it render as Markdown', () => {
    const html = render(`**Before**\n\n${'[a'.repeat(3_000)}\n\n*After*`);
    assert.match(html, /^<p><strong>Before<\/strong><\/p>/);
    assert.match(html, /<p><em>After<\/em><\/p>\n$/);
  });

  test('a 1 MB run of brackets streams as plain text past the size cap, parsed never more than the cap at once', () => {
    const doc = '['.repeat(1 << 20);
    const cuts = Array.from({ length: 256 }, () => 4096);
    const { view, stats: s } = stream(doc, cuts);
    assert.ok(s.maxStreamingParseChars <= MARKDOWN_CAPS.blockChars, `largest parse ${s.maxStreamingParseChars}`);
    assert.equal(view.html(), `<plain-view>${doc}</plain-view>`);
  });
});
