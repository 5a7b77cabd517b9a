// InternLM2 / 2.5: `<|action_start|><|plugin|>` then `{"name", "parameters"}` and `<|action_end|>`.
import { checkBad, checkGood, LIMIT } from './harness';

const MARKERS = ['<|action_start|>', '<|plugin|>', '<|action_end|>'];

checkGood(
  'internlm2',
  [
    {
      name: 'a plugin call after text',
      reply: 'I will look it up.<|action_start|><|plugin|>\n{"name": "arxiv", "parameters": {"id": "1706.03762"}}<|action_end|>',
      calls: [['arxiv', { id: '1706.03762' }]],
      text: 'I will look it up.',
    },
  ],
  MARKERS,
);

checkBad('internlm2', [
  {
    name: 'cut inside the JSON',
    reply: '<|action_start|><|plugin|>\n{"name": "arxiv", "parameters": {"id": "17',
    end: LIMIT,
    calls: [['arxiv', 'cut']],
  },
  {
    name: 'JSON that does not read',
    reply: '<|action_start|><|plugin|>\n{"name": "arxiv", "parameters": {id: 1}<|action_end|>',
    calls: [['arxiv', 'unreadable']],
  },
]);
