// Gemma (prompted function calling): a ```tool_code block with one call per line, maybe in print().
import { checkBad, checkGood, LIMIT } from './harness';

const MARKERS = ['```tool_code', 'print('];

checkGood(
  'gemma_tool_code',
  [
    {
      name: 'two calls in one block, text before',
      reply: "I'll check both.\n```tool_code\nprint(stock_price(ticker='GOOG'))\nstock_price(ticker=\"AAPL\", currency='EUR')\n```",
      calls: [
        ['stock_price', { ticker: 'GOOG' }],
        ['stock_price', { ticker: 'AAPL', currency: 'EUR' }],
      ],
      text: "I'll check both.",
    },
  ],
  MARKERS,
);

checkBad('gemma_tool_code', [
  { name: 'cut inside the block', reply: "```tool_code\nprint(stock_price(ticker='GO", end: LIMIT, calls: [['stock_price', 'cut']] },
  {
    name: 'a tool_code block that is not a call is shown as written',
    reply: '```tool_code\nx = 1\n```',
    calls: [],
    text: '```tool_code\nx = 1\n```',
  },
]);
