// FireFunction v2: ` functools[…]` (a leading space) with a JSON array of calls.
import { checkBad, checkGood, LIMIT } from './harness';

const MARKERS = ['functools['];
const opts = { hint: 'firefunction_v2' as const };

checkGood(
  'firefunction_v2',
  [
    {
      name: 'one call',
      reply: ' functools[{"name": "stock", "arguments": {"ticker": "NVDA"}}]',
      calls: [['stock', { ticker: 'NVDA' }]],
      opts,
    },
  ],
  MARKERS,
);

checkBad('firefunction_v2', [{ name: 'cut', reply: ' functools[{"name": "stock", "argum', end: LIMIT, opts, calls: [['stock', 'cut']] }]);
