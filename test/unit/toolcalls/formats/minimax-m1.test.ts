// MiniMax-M1: `<tool_calls>` holding one JSON call per line.
import { checkBad, checkGood, LIMIT } from './harness';

const MARKERS = ['<tool_calls>', '</tool_calls>'];

checkGood(
  'minimax_m1',
  [
    {
      name: 'two calls, one per line, after thinking',
      reply:
        '<think>Two lookups.</think>\n<tool_calls>\n{"name": "dns", "arguments": {"host": "a.example"}}\n{"name": "dns", "arguments": {"host": "b.example"}}\n</tool_calls>',
      calls: [
        ['dns', { host: 'a.example' }],
        ['dns', { host: 'b.example' }],
      ],
      reasoning: 'Two lookups.',
    },
  ],
  MARKERS,
);

checkBad('minimax_m1', [
  {
    name: 'cut on the second line: the first call stands',
    reply: '<tool_calls>\n{"name": "dns", "arguments": {"host": "a"}}\n{"name": "dns", "argu',
    end: LIMIT,
    calls: [
      ['dns', undefined],
      ['dns', 'cut'],
    ],
  },
  {
    name: 'a line that does not read',
    reply: '<tool_calls>\n{"name": "dns", "arguments": {host: a}}\n</tool_calls>',
    calls: [['dns', 'unreadable']],
  },
]);
