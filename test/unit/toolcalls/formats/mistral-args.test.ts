// Mistral tokenizer v13 (Magistral, Devstral, Ministral 3): `[TOOL_CALLS]NAME[CALL_ID]ID[ARGS]{json}`,
// the id optional; Magistral reasons in [THINK]…[/THINK].
import { checkBad, checkGood, LIMIT } from './harness';

const MARKERS = ['[TOOL_CALLS]', '[ARGS]', '[CALL_ID]', '[THINK]', '[/THINK]'];

checkGood(
  'mistral_args',
  [
    {
      name: 'with and without call ids',
      reply: '[TOOL_CALLS]grep[CALL_ID]q1W2e3R4t[ARGS]{"pattern": "TODO"}[TOOL_CALLS]grep[ARGS]{"pattern": "FIXME"}',
      calls: [
        ['grep', { pattern: 'TODO' }],
        ['grep', { pattern: 'FIXME' }],
      ],
      ids: ['q1W2e3R4t', undefined],
    },
    {
      name: 'Magistral thinking first',
      reply: '[THINK]Search for both markers.[/THINK]Searching now.[TOOL_CALLS]grep[ARGS]{"pattern": "XXX"}',
      calls: [['grep', { pattern: 'XXX' }]],
      reasoning: 'Search for both markers.',
      text: 'Searching now.',
    },
  ],
  MARKERS,
);

checkBad('mistral_args', [
  { name: 'cut inside the arguments', reply: '[TOOL_CALLS]grep[ARGS]{"pattern": "TO', end: LIMIT, calls: [['grep', 'cut']] },
  { name: 'cut before the arguments', reply: '[TOOL_CALLS]grep[AR', end: LIMIT, calls: [['', 'cut']] },
  {
    name: 'no arguments after the name',
    reply: '[TOOL_CALLS]grep and then prose',
    calls: [],
    errors: [/\[TOOL_CALLS\] is followed by neither/],
  },
]);
