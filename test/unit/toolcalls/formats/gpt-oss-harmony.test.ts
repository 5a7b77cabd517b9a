// gpt-oss (Harmony): analysis channel = reasoning, final/commentary = text, a message to
// functions.NAME = a call, its recipient before or after the channel.
import { checkBad, checkGood, LIMIT } from './harness';

const MARKERS = ['<|channel|>', '<|message|>', '<|start|>', '<|end|>', '<|call|>', '<|constrain|>', 'to=functions'];

checkGood(
  'gpt_oss_harmony',
  [
    {
      name: 'analysis, then a call with the recipient after the channel',
      reply:
        '<|channel|>analysis<|message|>The user wants a forecast.<|end|><|start|>assistant<|channel|>commentary to=functions.forecast <|constrain|>json<|message|>{"city": "Oslo", "days": 2}<|call|>',
      calls: [['forecast', { city: 'Oslo', days: 2 }]],
      reasoning: 'The user wants a forecast.',
    },
    {
      name: 'the recipient in the role part, a preamble first',
      reply:
        '<|channel|>commentary<|message|>Fetching it.<|end|><|start|>assistant to=functions.forecast<|channel|>commentary json<|message|>{"city": "Rome"}<|call|>',
      calls: [['forecast', { city: 'Rome' }]],
      text: 'Fetching it.',
    },
    {
      name: 'the prompt already opened the message: the reply starts at the recipient',
      reply: ' to=functions.forecast<|channel|>commentary json<|message|>{"city": "Lima"}',
      calls: [['forecast', { city: 'Lima' }]],
    },
    {
      name: 'a final answer with no call',
      reply: '<|channel|>analysis<|message|>Easy.<|end|><|start|>assistant<|channel|>final<|message|>It will rain.<|return|>',
      calls: [],
      reasoning: 'Easy.',
      text: 'It will rain.',
    },
  ],
  MARKERS,
);

checkBad('gpt_oss_harmony', [
  {
    name: 'cut inside the JSON',
    reply: '<|channel|>commentary to=functions.forecast <|constrain|>json<|message|>{"city": "Os',
    end: LIMIT,
    calls: [['forecast', 'cut']],
  },
  {
    name: 'arguments that are not JSON',
    reply: '<|channel|>commentary to=functions.forecast<|message|>city=Oslo<|call|>',
    calls: [['forecast', 'unreadable']],
  },
]);
