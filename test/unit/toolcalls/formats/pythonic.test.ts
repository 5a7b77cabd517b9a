// Pythonic (Llama 3.2 pythonic template, ToolACE): the whole reply is a Python list of calls with
// keyword arguments whose values are literals.
import { checkBad, checkGood, LIMIT } from './harness';

const MARKERS = ['[resize(', '[resize ('];

checkGood(
  'pythonic',
  [
    {
      name: 'literals of every kind',
      reply:
        "[resize(path='img.png', width=640, keep_ratio=True, crop=None, box=(0, 0, 10, 10), meta={'by': \"me\"}, tags=['a', \"b\"], scale=1.5e0)]",
      calls: [
        [
          'resize',
          {
            path: 'img.png',
            width: 640,
            keep_ratio: true,
            crop: null,
            box: [0, 0, 10, 10],
            meta: { by: 'me' },
            tags: ['a', 'b'],
            scale: 1.5,
          },
        ],
      ],
    },
    {
      name: 'several calls, escapes in strings, no arguments',
      reply: '[resize(path="a \\"quoted\\" name.png"), resize(path=\'it\\\'s.png\'), now()]',
      calls: [
        ['resize', { path: 'a "quoted" name.png' }],
        ['resize', { path: "it's.png" }],
        ['now', {}],
      ],
    },
    {
      name: 'after thinking',
      reply: '<think>Two sizes.</think>[resize(path="x.png", width=10)]',
      calls: [['resize', { path: 'x.png', width: 10 }]],
      reasoning: 'Two sizes.',
    },
  ],
  MARKERS,
);

checkBad('pythonic', [
  { name: 'cut inside a call', reply: '[resize(path="img.png", wid', end: LIMIT, calls: [['resize', 'cut']] },
  {
    name: 'a markdown link is text',
    reply: '[the docs](https://example.org) say so.',
    calls: [],
    text: '[the docs](https://example.org) say so.',
  },
  { name: 'a list of numbers is text', reply: '[1, 2, 3]', calls: [], text: '[1, 2, 3]' },
  { name: 'a positional argument is code, not a call', reply: '[resize("img.png")]', calls: [], text: '[resize("img.png")]' },
]);
