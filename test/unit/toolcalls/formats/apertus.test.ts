// Swiss AI Apertus: reasoning in <|inner_prefix|>…<|inner_suffix|>, calls as
// `<|tools_prefix|>[{"NAME": {arguments}}]<|tools_suffix|>`.
import { checkBad, checkGood, LIMIT } from './harness';

const MARKERS = ['<|tools_prefix|>', '<|tools_suffix|>', '<|inner_prefix|>', '<|inner_suffix|>'];

checkGood(
  'apertus',
  [
    {
      name: 'reasoning, then two calls in the short form',
      reply:
        '<|inner_prefix|>Both cantons.<|inner_suffix|><|tools_prefix|>[{"population": {"canton": "Bern"}}, {"population": {"canton": "Vaud"}}]<|tools_suffix|>',
      calls: [
        ['population', { canton: 'Bern' }],
        ['population', { canton: 'Vaud' }],
      ],
      reasoning: 'Both cantons.',
    },
  ],
  MARKERS,
);

checkBad('apertus', [
  { name: 'cut inside the list', reply: '<|tools_prefix|>[{"population": {"can', end: LIMIT, calls: [['population', 'cut']] },
  {
    name: 'an item with two keys',
    reply: '<|tools_prefix|>[{"a": {}, "b": {}}]<|tools_suffix|>',
    calls: [],
    errors: [/each call must be \{"NAME": \{arguments\}\}/],
  },
]);
