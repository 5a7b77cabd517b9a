// DeepSeek-V3.1: `<｜tool▁call▁begin｜>NAME<｜tool▁sep｜>{json}<｜tool▁call▁end｜>`, inside the calls block or alone.
import { checkBad, checkGood, LIMIT } from './harness';

const MARKERS = ['<｜tool▁calls▁begin｜>', '<｜tool▁call▁begin｜>', '<｜tool▁sep｜>', '<｜tool▁call▁end｜>'];

checkGood(
  'deepseek_v31',
  [
    {
      name: 'two calls in a block',
      reply:
        '<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>translate<｜tool▁sep｜>{"text": "bonjour", "to": "en"}<｜tool▁call▁end｜><｜tool▁call▁begin｜>translate<｜tool▁sep｜>{"text": "hallo", "to": "en"}<｜tool▁call▁end｜><｜tool▁calls▁end｜>',
      calls: [
        ['translate', { text: 'bonjour', to: 'en' }],
        ['translate', { text: 'hallo', to: 'en' }],
      ],
    },
    {
      name: 'a call without the block, after thinking',
      reply: '<think>French to English.</think><｜tool▁call▁begin｜>translate<｜tool▁sep｜>{"text": "merci"}<｜tool▁call▁end｜>',
      calls: [['translate', { text: 'merci' }]],
      reasoning: 'French to English.',
    },
  ],
  MARKERS,
);

checkBad('deepseek_v31', [
  {
    name: 'cut inside the JSON',
    reply: '<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>translate<｜tool▁sep｜>{"text": "bon',
    end: LIMIT,
    calls: [['translate', 'cut']],
  },
]);
