// FunctionGemma: `<start_function_call>call:NAME{key:<escape>text<escape>,n:3}<end_function_call>`.
import { checkBad, checkGood, LIMIT } from './harness';

const opts = {
  schemas: {
    timer: { type: 'object', properties: { label: { type: 'string' }, minutes: { type: 'integer' }, loud: { type: 'boolean' } } },
  },
};
const MARKERS = ['<start_function_call>', '<end_function_call>', '<escape>'];

checkGood(
  'functiongemma',
  [
    {
      name: 'escaped text (commas and braces inside), typed bare values',
      reply: '<start_function_call>call:timer{label:<escape>tea, green {strong}<escape>,minutes:4,loud:true}<end_function_call>',
      calls: [['timer', { label: 'tea, green {strong}', minutes: 4, loud: true }]],
      opts,
    },
    {
      name: 'two calls, text between',
      reply:
        '<start_function_call>call:timer{minutes:1}<end_function_call>and<start_function_call>call:timer{minutes:2}<end_function_call>',
      calls: [
        ['timer', { minutes: 1 }],
        ['timer', { minutes: 2 }],
      ],
      text: 'and',
      opts,
    },
  ],
  MARKERS,
);

checkBad('functiongemma', [
  {
    name: 'cut inside an escaped value',
    reply: '<start_function_call>call:timer{label:<escape>te',
    end: LIMIT,
    opts,
    calls: [['timer', 'cut']],
  },
  { name: 'cut before the name', reply: '<start_function_call>cal', end: LIMIT, opts, calls: [['', 'cut']] },
]);
