// Tencent Hunyuan-A13B: `<think>…</think>` then `<answer>…</answer>`, calls as `<tool_calls>[…]</tool_calls>`.
import { checkBad, checkGood, LIMIT } from './harness';

const MARKERS = ['<tool_calls>', '</tool_calls>', '<answer>', '</answer>'];
const opts = { hint: 'hunyuan_a13b' as const };

checkGood(
  'hunyuan_a13b',
  [
    {
      name: 'reasoning, then a call',
      reply:
        '<think>\nThe user needs the time in Tokyo.\n</think>\n<tool_calls>[{"name": "clock", "arguments": {"tz": "Asia/Tokyo"}}]</tool_calls>',
      calls: [['clock', { tz: 'Asia/Tokyo' }]],
      reasoning: 'The user needs the time in Tokyo.',
      opts,
    },
  ],
  MARKERS,
);

checkGood(
  'hunyuan_a13b',
  [
    {
      name: 'the answer wrapper is not shown around the text',
      reply:
        '<think>Simple.</think>\n<answer>\nIt is noon. Let me confirm.\n</answer><tool_calls>[{"name": "clock", "arguments": {}}]</tool_calls>',
      calls: [['clock', {}]],
      reasoning: 'Simple.',
      text: 'It is noon. Let me confirm.',
      opts,
    },
  ],
  MARKERS,
);

checkBad('hunyuan_a13b', [
  {
    name: 'cut inside the array',
    reply: '<tool_calls>[{"name": "clock", "arguments": {"tz": "As',
    end: LIMIT,
    opts,
    calls: [['clock', 'cut']],
  },
]);
