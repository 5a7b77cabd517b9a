// Functionary v3.2: recipients after `>>>`: `all` is text for the user, a name is a call with JSON
// arguments, `python` takes raw code. The first recipient has no `>>>` (the prompt ended with it).
import { checkBad, checkGood, LIMIT } from './harness';

const MARKERS = ['>>>'];
const opts = { hint: 'functionary_v3_2' as const };

checkGood(
  'functionary_v3_2',
  [
    {
      name: 'text first, then two calls',
      reply: 'all\nLet me look both up.>>>lookup\n{"word": "serendipity"}>>>lookup\n{"word": "petrichor"}',
      calls: [
        ['lookup', { word: 'serendipity' }],
        ['lookup', { word: 'petrichor' }],
      ],
      text: 'Let me look both up.',
      opts,
    },
    {
      name: 'a call first (no marker), then raw python',
      reply: 'lookup\n{"word": "ennui"}>>>python\nprint(len("ennui"))',
      calls: [
        ['lookup', { word: 'ennui' }],
        ['python', { code: 'print(len("ennui"))' }],
      ],
      opts,
    },
  ],
  MARKERS,
);

checkBad('functionary_v3_2', [
  {
    name: 'cut inside the JSON',
    reply: 'all\nOne sec.>>>lookup\n{"word": "ser',
    end: LIMIT,
    opts,
    calls: [['lookup', 'cut']],
    text: 'One sec.',
  },
  { name: 'a quoted REPL prompt is text', reply: 'Run it:\n>>> print(1)\n1', calls: [], text: 'Run it:\n>>> print(1)\n1' },
]);
