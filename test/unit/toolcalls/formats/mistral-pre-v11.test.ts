// Mistral before tokenizer v11 (Mistral-7B-Instruct-v0.3, Nemo): `[TOOL_CALLS]` then a JSON array
// whose items carry the model's 9-character ids.
import { checkBad, checkGood, LIMIT } from './harness';

const MARKERS = ['[TOOL_CALLS]'];

checkGood(
  'mistral_pre_v11',
  [
    {
      name: 'two calls with their ids',
      reply:
        '[TOOL_CALLS] [{"name": "get_time", "arguments": {"tz": "UTC"}, "id": "Ab3dE6gH9"}, {"name": "get_time", "arguments": {"tz": "CET"}, "id": "Zy1xW2vU3"}]',
      calls: [
        ['get_time', { tz: 'UTC' }],
        ['get_time', { tz: 'CET' }],
      ],
      ids: ['Ab3dE6gH9', 'Zy1xW2vU3'],
    },
    {
      name: 'text before the token, one call without an id',
      reply: 'Sure.[TOOL_CALLS][{"name": "get_time", "arguments": {}}]</s>',
      calls: [['get_time', {}]],
      text: 'Sure.',
      ids: [undefined],
    },
  ],
  MARKERS,
);

checkBad('mistral_pre_v11', [
  {
    name: 'cut inside the array',
    reply: '[TOOL_CALLS][{"name": "get_time", "arguments": {"tz": "U',
    end: LIMIT,
    calls: [['get_time', 'cut']],
  },
  {
    name: 'the array does not read',
    reply: '[TOOL_CALLS][{"name": "get_time", "arguments": {tz: UTC}}]',
    calls: [['get_time', 'unreadable']],
  },
  { name: 'the token alone at the end', reply: 'ok [TOOL_CALLS]', end: LIMIT, calls: [['', 'cut']], text: 'ok' },
]);
