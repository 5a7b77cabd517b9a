// AI21 Jamba: `<tool_calls>[…]</tool_calls>`.
import { checkBad, checkGood, LIMIT } from './harness';

const MARKERS = ['<tool_calls>', '</tool_calls>'];

checkGood(
  'jamba',
  [
    {
      name: 'two calls in the array, text before',
      reply:
        'Fetching both.\n<tool_calls>[{"name": "price", "arguments": {"sku": "A-1"}}, {"name": "price", "arguments": {"sku": "B-2"}}]</tool_calls>',
      calls: [
        ['price', { sku: 'A-1' }],
        ['price', { sku: 'B-2' }],
      ],
      text: 'Fetching both.',
    },
  ],
  MARKERS,
);

checkBad('jamba', [
  { name: 'cut inside the array', reply: '<tool_calls>[{"name": "price", "arguments": {"sku"', end: LIMIT, calls: [['price', 'cut']] },
  { name: 'an item without a name', reply: '<tool_calls>[{"arguments": {}}]</tool_calls>', calls: [], errors: [/needs a "name"/] },
]);
