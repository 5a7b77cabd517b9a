// Phi-4-mini: `functools[…]` with a JSON array of calls.
import { checkBad, checkGood, LIMIT } from './harness';

const MARKERS = ['functools['];

checkGood(
  'phi4_mini_functools',
  [
    {
      name: 'two calls',
      reply: 'functools[{"name": "geocode", "arguments": {"q": "Oslo"}}, {"name": "geocode", "arguments": {"q": "Bergen"}}]',
      calls: [
        ['geocode', { q: 'Oslo' }],
        ['geocode', { q: 'Bergen' }],
      ],
    },
  ],
  MARKERS,
);

checkBad('phi4_mini_functools', [
  { name: 'cut inside the array', reply: 'functools[{"name": "geocode", "arguments": {"q": "Os', end: LIMIT, calls: [['geocode', 'cut']] },
  {
    name: 'the word in prose without a list is text',
    reply: 'Python has functools.partial for that.',
    calls: [],
    text: 'Python has functools.partial for that.',
  },
]);
