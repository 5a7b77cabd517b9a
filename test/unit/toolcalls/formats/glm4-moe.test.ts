// GLM-4.5 / 4.6: the name on the first line of <tool_call>, then <arg_key>/<arg_value> pairs.
import { checkBad, checkGood, LIMIT } from './harness';

const opts = {
  schemas: { search: { type: 'object', properties: { q: { type: 'string' }, top_k: { type: 'integer' }, filters: { type: 'object' } } } },
};
const MARKERS = ['<tool_call>', '<arg_key>', '<arg_value>', '</tool_call>'];

checkGood(
  'glm4_moe',
  [
    {
      name: 'typed values; a string stays text',
      reply:
        'Searching.\n<tool_call>search\n<arg_key>q</arg_key>\n<arg_value>404 error</arg_value>\n<arg_key>top_k</arg_key>\n<arg_value>5</arg_value>\n<arg_key>filters</arg_key>\n<arg_value>{"lang": "ts"}</arg_value>\n</tool_call>',
      calls: [['search', { q: '404 error', top_k: 5, filters: { lang: 'ts' } }]],
      text: 'Searching.',
      opts,
    },
    {
      name: 'a call without arguments, then another',
      reply: '<tool_call>list_files\n</tool_call>\n<tool_call>search\n<arg_key>q</arg_key>\n<arg_value>TODO</arg_value>\n</tool_call>',
      calls: [
        ['list_files', {}],
        ['search', { q: 'TODO' }],
      ],
      opts,
    },
    {
      name: 'with reasoning',
      reply: '<think>Look for TODOs.</think>\n<tool_call>search\n<arg_key>q</arg_key>\n<arg_value>TODO</arg_value>\n</tool_call>',
      calls: [['search', { q: 'TODO' }]],
      reasoning: 'Look for TODOs.',
      opts,
    },
  ],
  MARKERS,
);

checkBad('glm4_moe', [
  {
    name: 'cut inside a value',
    reply: '<tool_call>search\n<arg_key>q</arg_key>\n<arg_value>unfinished',
    end: LIMIT,
    opts,
    calls: [['search', 'cut']],
  },
  { name: 'cut right after the name, at the limit', reply: '<tool_call>search\n', end: LIMIT, opts, calls: [['search', 'cut']] },
]);
