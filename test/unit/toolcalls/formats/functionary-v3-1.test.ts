// Functionary v3.1 (and Llama 3.1's own form): `<function=NAME>{json}</function>`; raw Python after
// <|python_tag|>.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkBad, checkGood, LIMIT, read } from './harness';

const MARKERS = ['<function=', '</function>'];

checkGood(
  'functionary_v3_1',
  [
    {
      name: 'two calls; the JSON arguments are read (not dropped as empty)',
      reply:
        'Checking.<function=distance>{"from": "Rome", "to": "Milan", "unit": "km"}</function><function=distance>{"from": "Rome", "to": "Naples"}</function>',
      calls: [
        ['distance', { from: 'Rome', to: 'Milan', unit: 'km' }],
        ['distance', { from: 'Rome', to: 'Naples' }],
      ],
      text: 'Checking.',
    },
  ],
  MARKERS,
);

test('functionary_v3_1: raw code after the python tag runs as python', () => {
  const r = read('<|python_tag|>print(2 ** 10)');
  assert.deepEqual(
    r.calls.map((c) => [c.name, c.arguments]),
    [['python', { code: 'print(2 ** 10)' }]],
  );
});

checkBad('functionary_v3_1', [
  { name: 'cut inside the JSON', reply: '<function=distance>{"from": "Ro', end: LIMIT, calls: [['distance', 'cut']] },
  { name: 'arguments that are not JSON', reply: '<function=distance>{from: Rome}</function>', calls: [['distance', 'unreadable']] },
]);
