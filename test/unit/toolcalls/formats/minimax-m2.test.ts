// MiniMax-M2: `<minimax:tool_call><invoke name="NAME"><parameter name="KEY">value</parameter></invoke>`.
import { checkBad, checkGood, LIMIT } from './harness';

const opts = {
  schemas: { mail: { type: 'object', properties: { to: { type: 'array' }, subject: { type: 'string' }, urgent: { type: 'boolean' } } } },
};
const MARKERS = ['<minimax:tool_call>', '<invoke', '<parameter', '</minimax:tool_call>'];

checkGood(
  'minimax_m2',
  [
    {
      name: 'two invokes, typed values, interleaved thinking',
      reply:
        '<think>Send two mails.</think>\n<minimax:tool_call>\n<invoke name="mail">\n<parameter name="to">["ana@example.org"]</parameter>\n<parameter name="subject">Build 42</parameter>\n<parameter name="urgent">false</parameter>\n</invoke>\n<invoke name="mail">\n<parameter name="subject">Build 43</parameter>\n</invoke>\n</minimax:tool_call>',
      calls: [
        ['mail', { to: ['ana@example.org'], subject: 'Build 42', urgent: false }],
        ['mail', { subject: 'Build 43' }],
      ],
      reasoning: 'Send two mails.',
      opts,
    },
  ],
  MARKERS,
);

checkBad('minimax_m2', [
  {
    name: 'cut inside a parameter',
    reply: '<minimax:tool_call>\n<invoke name="mail">\n<parameter name="subject">Bui',
    end: LIMIT,
    opts,
    calls: [['mail', 'cut']],
  },
  { name: 'cut inside the invoke tag', reply: '<minimax:tool_call>\n<invoke name="ma', end: LIMIT, opts, calls: [['', 'cut']] },
]);
