// ServiceNow Apriel 1.5: reasoning ended by `[BEGIN FINAL RESPONSE]`, calls as `<tool_calls>[…]</tool_calls>`.
import { checkBad, checkGood, LIMIT } from './harness';

const MARKERS = ['<tool_calls>', '[BEGIN FINAL RESPONSE]', '[END FINAL RESPONSE]', '<|end|>'];
const opts = { hint: 'apriel' as const };

checkGood(
  'apriel',
  [
    {
      name: 'reasoning steps, the final-response markers, then a call',
      reply:
        'Here are my reasoning steps:\nThe unit is metres.\n[BEGIN FINAL RESPONSE]\nConverting now.\n<tool_calls>[{"name": "convert", "arguments": {"value": 3, "unit": "ft"}}]</tool_calls>\n[END FINAL RESPONSE]\n<|end|>',
      calls: [['convert', { value: 3, unit: 'ft' }]],
      reasoning: 'Here are my reasoning steps:\nThe unit is metres.',
      text: 'Converting now.',
      opts,
    },
    {
      name: 'thinking tags',
      reply: '<thinking>Feet to metres.</thinking><tool_calls>[{"name": "convert", "arguments": {"value": 1}}]</tool_calls>',
      calls: [['convert', { value: 1 }]],
      reasoning: 'Feet to metres.',
      opts,
    },
  ],
  MARKERS,
);

checkBad('apriel', [
  {
    name: 'cut inside the array',
    reply: '<tool_calls>[{"name": "convert", "arguments": {"val',
    end: LIMIT,
    opts,
    calls: [['convert', 'cut']],
  },
]);
