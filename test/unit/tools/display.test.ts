// The result as a card shows it: search snippets read back as numbered lines, and every kind of
// display kept within the event's cap (hits are dropped whole-line, text is cut with a notice).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { capDisplay, snippetLines } from '../../../src/core/tools/display';

test('snippet lines: matches, context, separators dropped, text after the marker kept as is', () => {
  assert.deepEqual(snippetLines('  9- before\n  10: a: b - c\n    --\n  40:   indented'), [
    { line: 9, text: 'before', match: false },
    { line: 10, text: 'a: b - c', match: true },
    { line: 40, text: '  indented', match: true },
  ]);
});

test('capDisplay cuts text, code output and hit lists to the cap and says what was cut', () => {
  const text = capDisplay({ kind: 'markdown', text: 'x'.repeat(100) }, 40);
  assert.equal(text.kind === 'markdown' && text.text, `${'x'.repeat(40)}\n[… 60 more characters]`);
  const code = capDisplay({ kind: 'code', exitCode: 1, stdout: 'o'.repeat(100), stderr: 'e'.repeat(100), summary: 's' }, 80);
  assert.ok(code.kind === 'code' && code.stdout.startsWith('o'.repeat(60)) && code.stdout.includes('[… 40 more'));
  const line = (n: number) => ({ line: n, text: 'y'.repeat(20), match: true });
  const hits = capDisplay(
    {
      kind: 'hits',
      summary: 'Found',
      files: [
        { path: 'a.ts', matchCount: 5, lines: [1, 2, 3, 4, 5].map(line) },
        { path: 'b.ts', matchCount: 1, lines: [line(1)] },
      ],
    },
    70,
  );
  assert.ok(hits.kind === 'hits');
  assert.deepEqual(
    hits.files.map((f) => [f.path, f.lines.length]),
    [['a.ts', 3]],
  );
  const small = { kind: 'text' as const, text: 'short' };
  assert.deepEqual(capDisplay(small, 100), small);
});
