// Properties of the tool-call scanner over random input (fast-check): prose and code — JSON that looks
// like a call included — never yield a call and lose nothing; and however a reply is cut into
// streamed pieces, the result is the one the whole reply gives.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { CATALOG, ToolCallStream, parseToolCalls } from '../../../src/core/toolcalls';

const word = fc.constantFrom(
  'the',
  'call',
  'name',
  'arguments',
  'tool',
  'JSON',
  'run',
  'search',
  'file',
  'see',
  'below',
  'e.g.',
  'x',
  '42',
  'then',
);
const sentence = fc.array(word, { minLength: 1, maxLength: 12 }).map((w) => `${w.join(' ')}.`);
const callJson = fc
  .record({
    name: fc.constantFrom('read_file', 'search', 'answer', 'run_code'),
    key: fc.constantFrom('arguments', 'parameters'),
    arg: fc.string({ maxLength: 12 }),
  })
  .map(({ name, key, arg }) => JSON.stringify({ name, [key]: { path: arg } }));
const markupMention = fc.constantFrom(
  '`<tool_call>`',
  '`[TOOL_CALLS]`',
  '`<|python_tag|>`',
  '`<function=name>`',
  '`functools`',
  '>>> print(1)',
);
const codeBlock = fc
  .tuple(
    fc.constantFrom('', 'json', 'python', 'xml', 'ts'),
    fc.oneof(
      callJson,
      callJson.map((j) => `[${j}]`),
      fc.constant('[read_file(path="a")]'),
      sentence,
    ),
  )
  .map(([lang, body]) => `\`\`\`${lang}\n${body}\n\`\`\``);
const piece = fc.oneof(
  sentence,
  callJson.map((j) => `for example ${j} works`),
  markupMention,
  codeBlock,
);
/** Prose first (a reply that is itself a call is a call), then anything. */
const prose = fc
  .tuple(sentence, fc.array(piece, { maxLength: 8 }), fc.array(fc.constantFrom(' ', '\n', '\n\n'), { minLength: 8, maxLength: 8 }))
  .map(([first, rest, seps]) => [first, ...rest].map((p, i) => p + seps[i % seps.length]).join(''));

test('prose and code never yield a call, and all of the text stays', () => {
  fc.assert(
    fc.property(prose, (text) => {
      const r = parseToolCalls(text);
      assert.deepEqual(r.calls, []);
      assert.deepEqual(r.errors, []);
      assert.equal(r.reasoning, '');
      assert.equal(r.text, text.trim());
    }),
    { numRuns: 300 },
  );
});

const BARE = ['xlam', 'json_array', 'pythonic'];

/** Splits `text` at the given cut points (as fractions). */
function pieces(text: string, cuts: number[]): string[] {
  const at = [...new Set(cuts.map((c) => Math.floor(c * text.length)))].sort((a, b) => a - b);
  const out: string[] = [];
  let prev = 0;
  for (const k of at) {
    out.push(text.slice(prev, k));
    prev = k;
  }
  out.push(text.slice(prev));
  return out;
}

const simplify = (r: ReturnType<typeof parseToolCalls>) => ({
  calls: r.calls.map((c) => [c.name, c.arguments, c.source, c.problem?.kind]),
  text: r.text,
  reasoning: r.reasoning,
  errors: r.errors,
});

test('streamed in any pieces, a reply reads as it does whole (every format, prose around, thinking before)', () => {
  const reply = fc
    .tuple(fc.constantFrom(...CATALOG), fc.option(sentence), fc.option(sentence), fc.boolean())
    .map(([f, maybeBefore, after, think]) => {
      // A bare reply is a call only as the start of the reply.
      const before = BARE.includes(f.format) ? null : maybeBefore;
      return {
        format: f.format,
        text: `${think ? '<think>plan it</think>' : ''}${before ?? ''}${before ? '\n' : ''}${f.example}${after ? `\n${after}` : ''}`,
      };
    });
  fc.assert(
    fc.property(reply, fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 12 }), ({ format, text }, cuts) => {
      const whole = parseToolCalls(text, { format });
      const s = new ToolCallStream({ format });
      for (const p of pieces(text, cuts)) s.push(p);
      const { events: _e, ...streamed } = s.end();
      assert.deepEqual(simplify(streamed), simplify(whole));
      assert.equal(whole.calls.length > 0, true, `${format}: the example is read`);
    }),
    { numRuns: 300 },
  );
});
