// Mistral tokenizer v11 (Mistral-Small-3.1/3.2): `[TOOL_CALLS]NAME{json}`, one token per call.
import { checkBad, checkGood, LIMIT } from './harness';

const MARKERS = ['[TOOL_CALLS]'];

checkGood(
  'mistral_v11',
  [
    { name: 'one call', reply: '[TOOL_CALLS]convert{"amount": 12.5, "to": "EUR"}', calls: [['convert', { amount: 12.5, to: 'EUR' }]] },
    {
      name: 'two calls, text before',
      reply: 'Converting both.[TOOL_CALLS]convert{"amount": 1, "to": "EUR"}[TOOL_CALLS]convert{"amount": 2, "to": "GBP"}',
      calls: [
        ['convert', { amount: 1, to: 'EUR' }],
        ['convert', { amount: 2, to: 'GBP' }],
      ],
      text: 'Converting both.',
    },
  ],
  MARKERS,
);

checkBad('mistral_v11', [
  { name: 'cut inside the arguments', reply: '[TOOL_CALLS]convert{"amount": 1', end: LIMIT, calls: [['convert', 'cut']] },
  { name: 'arguments that are not an object', reply: '[TOOL_CALLS]convert{"amount": 1 "to": 2}', calls: [['convert', 'unreadable']] },
]);
