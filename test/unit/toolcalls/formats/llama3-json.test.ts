// Llama 3.1 / 3.2 / 3.3 JSON calls: `{"name", "parameters"}`, after <|python_tag|> or as the whole reply,
// several separated by `;`.
import { checkBad, checkGood, LIMIT } from './harness';

const MARKERS = ['<|python_tag|>', '<|eom_id|>', '<|eot_id|>'];

checkGood(
  'llama3_json',
  [
    {
      name: 'after the python tag, ended by <|eom_id|>',
      reply: '<|python_tag|>{"name": "lookup", "parameters": {"isbn": "978-0-13-110362-7"}}<|eom_id|>',
      calls: [['lookup', { isbn: '978-0-13-110362-7' }]],
    },
    {
      name: 'two calls separated by ;',
      reply: '<|python_tag|>{"name": "lookup", "parameters": {"isbn": "1"}}; {"name": "lookup", "parameters": {"isbn": "2"}}',
      calls: [
        ['lookup', { isbn: '1' }],
        ['lookup', { isbn: '2' }],
      ],
    },
    {
      name: 'the whole reply is the call (Llama 3.2, no tag)',
      reply: '{"name": "lookup", "parameters": {"isbn": "3"}}',
      calls: [['lookup', { isbn: '3' }]],
    },
    {
      name: 'the OpenAI shape with "type": "function"',
      reply: '{"type": "function", "name": "lookup", "parameters": {"isbn": "4"}}',
      calls: [['lookup', { isbn: '4' }]],
    },
    {
      name: 'R1 distill thinking, then the call',
      reply: '<think>Need the book.</think>\n{"name": "lookup", "parameters": {"isbn": "5"}}',
      calls: [['lookup', { isbn: '5' }]],
      reasoning: 'Need the book.',
    },
  ],
  MARKERS,
);

checkBad('llama3_json', [
  {
    name: 'cut after the tag',
    reply: '<|python_tag|>{"name": "lookup", "parameters": {"isbn": "97',
    end: LIMIT,
    calls: [['lookup', 'cut']],
  },
  { name: 'a whole-reply call cut', reply: '{"name": "lookup", "parameters": {', end: LIMIT, calls: [['lookup', 'cut']] },
  { name: 'the tag and nothing else', reply: '<|python_tag|>', end: LIMIT, calls: [['', 'cut']] },
  {
    name: 'JSON data that is not a call is an answer',
    reply: '{"title": "SICP", "year": 1985}',
    calls: [],
    text: '{"title": "SICP", "year": 1985}',
  },
]);
