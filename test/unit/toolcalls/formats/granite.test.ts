// IBM Granite 3.x: `<|tool_call|>` then a JSON array; Granite 3.3 thinks in <think> and answers in
// <response>; Granite 20B FC writes `<function_call>` then one JSON call.
import { checkBad, checkGood, LIMIT } from './harness';

const MARKERS = ['<|tool_call|>', '<function_call>', '<response>', '</response>'];

checkGood(
  'granite',
  [
    {
      name: 'an array of two calls',
      reply: '<|tool_call|>[{"name": "weather", "arguments": {"zip": "10001"}}, {"name": "weather", "arguments": {"zip": "94105"}}]',
      calls: [
        ['weather', { zip: '10001' }],
        ['weather', { zip: '94105' }],
      ],
    },
    {
      name: 'Granite 20B FC',
      reply: '<function_call> {"name": "weather", "arguments": {"zip": "60601"}}',
      calls: [['weather', { zip: '60601' }]],
    },
    {
      name: 'Granite 3.3 thinking and a response wrapper around text',
      reply:
        '<think>Need the zip.</think><response>Checking the weather.</response><|tool_call|>[{"name": "weather", "arguments": {"zip": "1"}}]',
      calls: [['weather', { zip: '1' }]],
      reasoning: 'Need the zip.',
      text: 'Checking the weather.',
      opts: { hint: 'granite' },
    },
  ],
  MARKERS,
);

checkBad('granite', [
  {
    name: 'cut inside the array',
    reply: '<|tool_call|>[{"name": "weather", "arguments": {"zip": "1',
    end: LIMIT,
    calls: [['weather', 'cut']],
  },
]);
