// Kimi K2: calls in a section; each call's id (`functions.NAME:N`) is the model's and is kept.
import { checkBad, checkGood, LIMIT } from './harness';

const MARKERS = [
  '<|tool_calls_section_begin|>',
  '<|tool_call_begin|>',
  '<|tool_call_argument_begin|>',
  '<|tool_call_end|>',
  '<|tool_calls_section_end|>',
];
const call = (id: string, json: string) => `<|tool_call_begin|>${id}<|tool_call_argument_begin|>${json}<|tool_call_end|>`;

checkGood(
  'kimi_k2',
  [
    {
      name: 'two calls with their ids, text before',
      reply: `Let me check both.<|tool_calls_section_begin|>${call('functions.stat:0', '{"path": "a"}')}${call('functions.stat:1', '{"path": "b"}')}<|tool_calls_section_end|>`,
      calls: [
        ['stat', { path: 'a' }],
        ['stat', { path: 'b' }],
      ],
      ids: ['functions.stat:0', 'functions.stat:1'],
      text: 'Let me check both.',
    },
    {
      name: 'K2 Thinking: reasoning that the calls section ends',
      reply: `<think>Stat the file.<|tool_calls_section_begin|>${call('functions.stat:2', '{"path": "c"}')}<|tool_calls_section_end|>`,
      calls: [['stat', { path: 'c' }]],
      ids: ['functions.stat:2'],
      reasoning: 'Stat the file.',
    },
  ],
  MARKERS,
);

checkBad('kimi_k2', [
  {
    name: 'cut inside the arguments',
    reply: `<|tool_calls_section_begin|><|tool_call_begin|>functions.stat:0<|tool_call_argument_begin|>{"pa`,
    end: LIMIT,
    calls: [['stat', 'cut']],
  },
  { name: 'cut inside the id', reply: '<|tool_calls_section_begin|><|tool_call_begin|>functions.st', end: LIMIT, calls: [['', 'cut']] },
]);
