// NVIDIA Nemotron Nano v2: reasoning in <think>, calls as `<TOOLCALL>[…]</TOOLCALL>`.
import { checkBad, checkGood, LIMIT } from './harness';

const MARKERS = ['<TOOLCALL>', '</TOOLCALL>'];

checkGood(
  'nemotron_toolcall',
  [
    {
      name: 'reasoning, then two calls',
      reply:
        '<think>\nTwo lookups.\n</think>\n<TOOLCALL>[{"name": "gene", "arguments": {"symbol": "BRCA1"}}, {"name": "gene", "arguments": {"symbol": "TP53"}}]</TOOLCALL>',
      calls: [
        ['gene', { symbol: 'BRCA1' }],
        ['gene', { symbol: 'TP53' }],
      ],
      reasoning: 'Two lookups.',
    },
  ],
  MARKERS,
);

checkBad('nemotron_toolcall', [
  { name: 'cut inside the array', reply: '<TOOLCALL>[{"name": "gene", "arguments": {"sym', end: LIMIT, calls: [['gene', 'cut']] },
]);
