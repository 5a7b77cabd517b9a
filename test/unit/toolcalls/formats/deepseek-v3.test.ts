// DeepSeek-V3 / R1 (and R1 distills): `<｜tool▁calls▁begin｜>` then per call
// `function<｜tool▁sep｜>NAME` and a ```json block; R1 thinks in <think>.
import { checkBad, checkGood, LIMIT } from './harness';

const MARKERS = [
  '<｜tool▁calls▁begin｜>',
  '<｜tool▁call▁begin｜>',
  '<｜tool▁sep｜>',
  '<｜tool▁call▁end｜>',
  '<｜tool▁calls▁end｜>',
  '<｜end▁of▁sentence｜>',
];
const call = (name: string, json: string) =>
  `<｜tool▁call▁begin｜>function<｜tool▁sep｜>${name}\n\`\`\`json\n${json}\n\`\`\`<｜tool▁call▁end｜>`;

checkGood(
  'deepseek_v3',
  [
    {
      name: 'two calls in one block, reasoning first',
      reply: `<think>\nCheck both stocks.\n</think>\n\n<｜tool▁calls▁begin｜>${call('quote', '{"symbol": "ACME"}')}\n${call('quote', '{"symbol": "INIT"}')}<｜tool▁calls▁end｜><｜end▁of▁sentence｜>`,
      calls: [
        ['quote', { symbol: 'ACME' }],
        ['quote', { symbol: 'INIT' }],
      ],
      reasoning: 'Check both stocks.',
    },
    {
      name: "a distill's variant spelling of the tokens",
      reply:
        'One moment.<｜tool_calls_begin｜><｜tool_call_begin｜>function<｜tool_sep｜>quote\n```json\n{"symbol": "X"}\n```<｜tool_call_end｜><｜tool_calls_end｜>',
      calls: [['quote', { symbol: 'X' }]],
      text: 'One moment.',
    },
  ],
  MARKERS,
);

checkBad('deepseek_v3', [
  {
    name: 'cut inside the JSON',
    reply: `<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>function<｜tool▁sep｜>quote\n\`\`\`json\n{"sym`,
    end: LIMIT,
    calls: [['quote', 'cut']],
  },
  {
    name: 'cut before the name line ended',
    reply: '<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>function<｜tool▁sep｜>quo',
    end: LIMIT,
    calls: [['', 'cut']],
  },
  {
    name: 'arguments that do not read',
    reply: `<｜tool▁calls▁begin｜>${call('quote', '{symbol: ACME}')}<｜tool▁calls▁end｜>`,
    calls: [['quote', 'unreadable']],
  },
]);
