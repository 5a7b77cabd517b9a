// Liquid LFM2: `<|tool_call_start|>[name(arg="v")]<|tool_call_end|>`, pythonic (or a JSON array).
import { checkBad, checkGood, LIMIT } from './harness';

const MARKERS = ['<|tool_call_start|>', '<|tool_call_end|>'];

checkGood(
  'lfm2',
  [
    {
      name: 'pythonic, text after the call',
      reply: '<|tool_call_start|>[candidate_status(candidate_id="12345")]<|tool_call_end|>Checking the status of 12345.',
      calls: [['candidate_status', { candidate_id: '12345' }]],
      text: 'Checking the status of 12345.',
    },
    {
      name: 'a JSON array inside the tokens',
      reply: '<|tool_call_start|>[{"name": "candidate_status", "arguments": {"candidate_id": "9"}}]<|tool_call_end|>',
      calls: [['candidate_status', { candidate_id: '9' }]],
    },
  ],
  MARKERS,
);

checkBad('lfm2', [
  {
    name: 'cut inside the call',
    reply: '<|tool_call_start|>[candidate_status(candidate_id="12',
    end: LIMIT,
    calls: [['candidate_status', 'cut']],
  },
]);
