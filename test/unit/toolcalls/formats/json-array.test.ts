// JSON array (SGLang, any model under tool_choice "required" or a JSON schema): `[{"name", "parameters"}]`.
import { checkBad, checkGood, LIMIT } from './harness';

checkGood(
  'json_array',
  [
    {
      name: 'an array with "parameters"',
      reply: '[{"name": "sql", "parameters": {"query": "select 1"}}, {"name": "sql", "parameters": {"query": "select 2"}}]',
      calls: [
        ['sql', { query: 'select 1' }],
        ['sql', { query: 'select 2' }],
      ],
    },
    {
      name: 'after reasoning',
      reply: '<think>Both queries.</think>[{"name": "sql", "parameters": {"query": "select 3"}}]',
      calls: [['sql', { query: 'select 3' }]],
      reasoning: 'Both queries.',
    },
  ],
  [],
);

checkBad('json_array', [
  { name: 'cut', reply: '[{"name": "sql", "parameters": {"query": "sel', end: LIMIT, calls: [['sql', 'cut']] },
  { name: 'an array of data is an answer', reply: '[{"id": 1, "name": "alpha"}]', calls: [], text: '[{"id": 1, "name": "alpha"}]' },
]);
