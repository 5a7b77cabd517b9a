// ByteDance Seed-OSS: reasoning in <seed:think>, calls as `<seed:tool_call><function=NAME><parameter=K>v…`.
import { checkBad, checkGood, LIMIT } from './harness';

const opts = { schemas: { resize: { type: 'object', properties: { path: { type: 'string' }, width: { type: 'integer' } } } } };
const MARKERS = ['<seed:tool_call>', '</seed:tool_call>', '<seed:think>', '<function=', '<parameter='];

checkGood(
  'seed_oss',
  [
    {
      name: 'thinking, then a call with a typed value',
      reply:
        '<seed:think>Half the size.</seed:think>\n<seed:tool_call>\n<function=resize>\n<parameter=path>cover.jpg</parameter>\n<parameter=width>512</parameter>\n</function>\n</seed:tool_call>',
      calls: [['resize', { path: 'cover.jpg', width: 512 }]],
      reasoning: 'Half the size.',
      opts,
    },
  ],
  MARKERS,
);

checkBad('seed_oss', [
  {
    name: 'cut inside a value',
    reply: '<seed:tool_call>\n<function=resize>\n<parameter=path>cov',
    end: LIMIT,
    opts,
    calls: [['resize', 'cut']],
  },
]);
