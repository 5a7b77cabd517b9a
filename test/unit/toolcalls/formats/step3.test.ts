// StepFun Step-3: DeepSeek-style tokens (spelled with `_`) around `<steptml:invoke>` XML.
import { checkBad, checkGood, LIMIT } from './harness';

const opts = { schemas: { pay: { type: 'object', properties: { to: { type: 'string' }, cents: { type: 'integer' } } } } };
const MARKERS = ['<｜tool_calls_begin｜>', '<｜tool_call_begin｜>', '<steptml:invoke', '<｜tool_calls_end｜>'];
const call = (params: string) =>
  `<｜tool_call_begin｜>function<｜tool_sep｜><steptml:invoke name="pay">${params}</steptml:invoke><｜tool_call_end｜>`;

checkGood(
  'step3',
  [
    {
      name: 'two calls, typed values',
      reply: `Paying both.<｜tool_calls_begin｜>${call('<steptml:parameter name="to">ana</steptml:parameter><steptml:parameter name="cents">1250</steptml:parameter>')}${call('<steptml:parameter name="to">bo</steptml:parameter>')}<｜tool_calls_end｜>`,
      calls: [
        ['pay', { to: 'ana', cents: 1250 }],
        ['pay', { to: 'bo' }],
      ],
      text: 'Paying both.',
      opts,
    },
  ],
  MARKERS,
);

checkBad('step3', [
  {
    name: 'cut inside a parameter',
    reply: '<｜tool_calls_begin｜><｜tool_call_begin｜>function<｜tool_sep｜><steptml:invoke name="pay"><steptml:parameter name="to">an',
    end: LIMIT,
    opts,
    calls: [['pay', 'cut']],
  },
]);
