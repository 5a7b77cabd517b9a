// Cohere Command R7B: reasoning in <|START_THINKING|>…<|END_THINKING|>, calls in
// <|START_ACTION|>[…]<|END_ACTION|> with the model's `tool_call_id`, text in <|START_RESPONSE|>.
import { checkBad, checkGood, LIMIT } from './harness';

const MARKERS = ['<|START_ACTION|>', '<|END_ACTION|>', '<|START_THINKING|>', '<|START_RESPONSE|>', '<|END_RESPONSE|>'];

checkGood(
  'command_r7b',
  [
    {
      name: 'a plan, then two calls with ids',
      reply:
        '<|START_THINKING|>I will query both tables.<|END_THINKING|><|START_ACTION|>[\n    {"tool_call_id": "0", "tool_name": "query", "parameters": {"table": "orders"}},\n    {"tool_call_id": "1", "tool_name": "query", "parameters": {"table": "users"}}\n]<|END_ACTION|>',
      calls: [
        ['query', { table: 'orders' }],
        ['query', { table: 'users' }],
      ],
      ids: ['0', '1'],
      reasoning: 'I will query both tables.',
    },
    {
      name: 'a text response',
      reply: '<|START_RESPONSE|>There are 12 orders.<|END_RESPONSE|>',
      calls: [],
      text: 'There are 12 orders.',
    },
  ],
  MARKERS,
);

checkBad('command_r7b', [
  {
    name: 'cut inside the action',
    reply: '<|START_ACTION|>[{"tool_call_id": "0", "tool_name": "query", "parameters": {"tab',
    end: LIMIT,
    calls: [['query', 'cut']],
  },
]);
