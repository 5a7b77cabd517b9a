// Llama 4: pythonic calls, optionally inside <|python_start|>…<|python_end|>.
import { checkBad, checkGood, LIMIT } from './harness';

const MARKERS = ['<|python_start|>', '<|python_end|>', '[fetch('];

checkGood(
  'llama4_pythonic',
  [
    {
      name: 'inside the python tags, two calls',
      reply: '<|python_start|>[fetch(url="https://example.org/a"), fetch(url="https://example.org/b", retries=2)]<|python_end|>',
      calls: [
        ['fetch', { url: 'https://example.org/a' }],
        ['fetch', { url: 'https://example.org/b', retries: 2 }],
      ],
    },
    {
      name: 'bare list, when the model is known to be Llama 4',
      reply: '[fetch(url="https://example.org/c")]',
      calls: [['fetch', { url: 'https://example.org/c' }]],
      opts: { hint: 'llama4_pythonic' },
    },
  ],
  MARKERS,
);

checkBad('llama4_pythonic', [
  { name: 'cut inside the list', reply: '<|python_start|>[fetch(url="https://exa', end: LIMIT, calls: [['fetch', 'cut']] },
  { name: 'not a literal argument', reply: '<|python_start|>[fetch(url=base + "/a")]<|python_end|>', calls: [['fetch', 'unreadable']] },
]);
