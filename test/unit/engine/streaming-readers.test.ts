// The piece-by-piece readers against the whole-text readers they replace (partial-text.ts): over
// random replies cut into random pieces, each reader shows exactly what (or, for ReplyTextReader, at
// most what) the whole-text reader shows for the text so far, and all of it at the end.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { JsonStringFieldReader, ReplyTextReader, TaggedAnswerReader } from '../../../src/core/orchestrator/streaming-readers';
import { partialJsonStringField, partialTaggedAnswer, streamingReplyText } from '../../../src/core/orchestrator/partial-text';
import { Rng } from '../../reliability/support/random';

const SEEDS = Array.from({ length: 300 }, (_, i) => i + 1);

function cut(rng: Rng, text: string): string[] {
  const pieces: string[] = [];
  for (let i = 0; i < text.length;) {
    const n = rng.int(1, 9);
    pieces.push(text.slice(i, i + n));
    i += n;
  }
  return pieces;
}

function pick<T>(rng: Rng, items: readonly T[]): T {
  return items[rng.int(0, items.length - 1)];
}

const WORDS = ['the', 'answer', 'is', '42', 'café', 'sk-abc', '<', '[', ']', '{', '}', '`', '"', '\\', '\n', 'a<b', 'x: 1,', '[link]'];

function words(rng: Rng, n: number): string {
  return Array.from({ length: n }, () => pick(rng, WORDS)).join(pick(rng, [' ', ' ', '\n', '']));
}

test('JsonStringFieldReader decodes the field exactly as far as the whole-text reader does, piece by piece', () => {
  for (const seed of SEEDS) {
    const rng = new Rng(seed);
    const value = words(rng, rng.int(0, 30)) + pick(rng, ['', '\u2603', '"quoted"', '\t tab']);
    const args = JSON.stringify({ ...(rng.next() < 0.5 ? { model: 'm', note: 'x' } : {}), answer: value, after: 1 }, null, rng.int(0, 2));
    const reader = new JsonStringFieldReader('answer');
    let shown = '';
    let so = '';
    for (const piece of cut(rng, args)) {
      so += piece;
      shown += reader.push(piece);
      assert.equal(shown, partialJsonStringField(so, 'answer') ?? '', `seed ${seed} after ${JSON.stringify(so)}`);
    }
    assert.equal(shown, value, `seed ${seed}`);
  }
});

test('JsonStringFieldReader waits for a \\u escape cut in the middle', () => {
  const reader = new JsonStringFieldReader('answer');
  assert.equal(reader.push('{"answer": "caf\\u00'), 'caf');
  assert.equal(reader.push('e9 ok"}'), 'é ok');
  assert.equal(reader.push(' trailing'), '', 'nothing after the closing quote');
});

test('TaggedAnswerReader shows exactly what partialTaggedAnswer shows, piece by piece', () => {
  for (const seed of SEEDS) {
    const rng = new Rng(seed);
    const body = words(rng, rng.int(0, 30));
    const text =
      pick(rng, ['', '<think>plan </think>', 'Preamble < not a tag ']) +
      pick(rng, ['<answer>', '<ANSWER>', '<Answer>']) +
      pick(rng, ['', ' ', '\n']) +
      body +
      pick(rng, ['</answer>', '</ANSWER>', '']) +
      pick(rng, ['', ' trailing <answer>again</answer>']);
    const reader = new TaggedAnswerReader();
    let shown = '';
    let so = '';
    for (const piece of cut(rng, text)) {
      so += piece;
      shown += reader.push(piece);
      assert.equal(shown.replace(/^\s+/, ''), partialTaggedAnswer(so) ?? '', `seed ${seed} after ${JSON.stringify(so)}`);
    }
  }
});

const REPLY_PARTS = [
  'Hello',
  ' world',
  ' <think>weighing it</think> ',
  '<THINK>upper</THINK>',
  '</think>',
  ' a < b ',
  ' [not a call] ',
  ' <tool_call>{"name":"x"}</tool_call>',
  ' [TOOL_CALLS][{"name":"y"}]',
  '```python\nprint(1)\n```',
  '{"name": "read_file"}',
  '```json\n{"name": "z"}',
  ' <thinking> is a word',
  '\n',
  ' done.',
];

test('ReplyTextReader never shows what streamingReplyText would not, and shows all of it at the end', () => {
  for (const seed of SEEDS) {
    const rng = new Rng(seed);
    const text = Array.from({ length: rng.int(1, 8) }, () => pick(rng, REPLY_PARTS)).join('') + ' done.';
    const reader = new ReplyTextReader();
    let visible = '';
    let thinking = '';
    let so = '';
    for (const piece of cut(rng, text)) {
      so += piece;
      const out = reader.push(piece);
      if (out.reset) visible = '';
      visible += out.visible;
      thinking += out.thinking;
      const whole = streamingReplyText(so);
      assert.ok(
        whole.visible.startsWith(visible),
        `seed ${seed}: shown ${JSON.stringify(visible)} is not in ${JSON.stringify(whole.visible)}`,
      );
    }
    const whole = streamingReplyText(text);
    assert.equal(visible, whole.visible, `seed ${seed}: visible of ${JSON.stringify(text)}`);
    assert.equal(thinking, whole.thinking, `seed ${seed}: thinking of ${JSON.stringify(text)}`);
  }
});

test('ReplyTextReader: thinking from the prompt template takes back what was shown', () => {
  const reader = new ReplyTextReader();
  assert.deepEqual(reader.push('Still thinking '), { visible: 'Still thinking ', reset: false, thinking: '' });
  assert.deepEqual(reader.push('about it</think>The answer'), { visible: 'The answer', reset: true, thinking: 'Still thinking about it' });
});

test('a long reply streams through token by token: each piece shows as it comes, nothing is held', () => {
  const reader = new ReplyTextReader();
  const tagged = new TaggedAnswerReader();
  assert.equal(tagged.push('<answer>'), '');
  for (let i = 0; i < 20_000; i++) {
    const piece = `t${i} `;
    assert.equal(reader.push(piece).visible, piece);
    assert.equal(tagged.push(piece), piece);
  }
});
