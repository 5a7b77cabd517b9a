// Llama 3.1 / 3.3 built-in tools: `<|python_tag|>brave_search.call(query="…")`, and raw code for the
// code interpreter.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkBad, checkGood, LIMIT, read } from './harness';

const MARKERS = ['<|python_tag|>', '<|eom_id|>', '.call('];

checkGood(
  'llama3_builtin',
  [
    {
      name: 'a search',
      reply: '<|python_tag|>brave_search.call(query="rust borrow checker")<|eom_id|>',
      calls: [['brave_search', { query: 'rust borrow checker' }]],
    },
    {
      name: 'wolfram alpha with text before',
      reply: 'Computing.<|python_tag|>wolfram_alpha.call(query="integrate x^2")',
      calls: [['wolfram_alpha', { query: 'integrate x^2' }]],
      text: 'Computing.',
    },
  ],
  MARKERS,
);

test('llama3_builtin: raw code after the tag is a call to the code interpreter', () => {
  const r = read('<|python_tag|>import math\nprint(math.pi)<|eom_id|>');
  assert.deepEqual(
    r.calls.map((c) => [c.name, c.arguments, c.source]),
    [['python', { code: 'import math\nprint(math.pi)' }, 'llama3_builtin']],
  );
});

checkBad('llama3_builtin', [
  { name: 'cut inside the string', reply: '<|python_tag|>brave_search.call(query="rust bor', end: LIMIT, calls: [['brave_search', 'cut']] },
  {
    name: 'a positional argument is not a call it can read',
    reply: '<|python_tag|>brave_search.call("rust")<|eom_id|>',
    calls: [['brave_search', 'unreadable']],
  },
]);
