// Salesforce xLAM: the reply is a JSON array of calls, bare or in one ```json fence.
import { checkBad, checkGood, LIMIT } from './harness';

const MARKERS = ['```'];
const opts = { hint: 'xlam' as const };

checkGood(
  'xlam',
  [
    {
      name: 'a bare array',
      reply: '[{"name": "book", "arguments": {"room": "B2", "hour": 14}}]',
      calls: [['book', { room: 'B2', hour: 14 }]],
      opts,
    },
    {
      name: 'the whole reply fenced',
      reply: '```json\n[{"name": "book", "arguments": {"room": "C3"}}, {"name": "notify", "arguments": {"who": "team"}}]\n```',
      calls: [
        ['book', { room: 'C3' }],
        ['notify', { who: 'team' }],
      ],
      opts,
    },
  ],
  MARKERS,
);

checkBad('xlam', [
  { name: 'cut inside the array', reply: '[{"name": "book", "arguments": {"room": "B', end: LIMIT, opts, calls: [['book', 'cut']] },
  {
    name: 'a fenced example followed by prose is an example, not a call',
    reply: '```json\n[{"name": "book", "arguments": {}}]\n```\nThat is how a booking call looks.',
    opts,
    calls: [],
    text: '```json\n[{"name": "book", "arguments": {}}]\n```\nThat is how a booking call looks.',
  },
]);
