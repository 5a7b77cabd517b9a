// Qwen3-Coder: XML parameters inside `<tool_call><function=NAME>`; values are text typed by the schema.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkBad, checkGood, LIMIT, read } from './harness';

const SCHEMAS = {
  write_file: { type: 'object', properties: { path: { type: 'string' }, content: { type: 'string' }, mode: { type: 'integer' } } },
  run_tests: {
    type: 'object',
    properties: {
      pattern: { type: 'string' },
      verbose: { type: 'boolean' },
      timeout: { type: 'number' },
      env: { type: 'object' },
      only: { type: 'array' },
    },
  },
};
const opts = { schemas: SCHEMAS };
const MARKERS = ['<tool_call>', '<function=', '<parameter=', '</parameter>', '</function>'];

checkGood(
  'qwen3_coder',
  [
    {
      name: 'code keeps its indentation and blank lines; numbers typed by the schema',
      reply:
        'Writing the helper.\n<tool_call>\n<function=write_file>\n<parameter=path>\nsrc/util.py\n</parameter>\n<parameter=content>\ndef add(a, b):\n    """Sum."""\n\n    return a + b\n</parameter>\n<parameter=mode>\n420\n</parameter>\n</function>\n</tool_call>',
      calls: [['write_file', { path: 'src/util.py', content: 'def add(a, b):\n    """Sum."""\n\n    return a + b', mode: 420 }]],
      text: 'Writing the helper.',
      opts,
    },
    {
      name: 'a string that looks like a number stays a string; booleans, objects and arrays are read',
      reply:
        '<tool_call>\n<function=run_tests>\n<parameter=pattern>\n007\n</parameter>\n<parameter=verbose>\nTrue\n</parameter>\n<parameter=timeout>\n2.5\n</parameter>\n<parameter=env>\n{"CI": "1"}\n</parameter>\n<parameter=only>\n["unit", "lint"]\n</parameter>\n</function>\n</tool_call>',
      calls: [['run_tests', { pattern: '007', verbose: true, timeout: 2.5, env: { CI: '1' }, only: ['unit', 'lint'] }]],
      opts,
    },
    {
      name: 'pretty-printed markup: the indentation of the XML is not part of the value',
      reply: '<tool_call>\n  <function=write_file>\n    <parameter=path>\n      notes.md\n    </parameter>\n  </function>\n</tool_call>',
      calls: [['write_file', { path: 'notes.md' }]],
      opts,
    },
    {
      name: 'two functions in one block, and one without the block',
      reply:
        '<tool_call>\n<function=write_file>\n<parameter=path>a</parameter>\n</function>\n<function=write_file>\n<parameter=path>b</parameter>\n</function>\n</tool_call>\n<function=run_tests>\n<parameter=pattern>all</parameter>\n</function>',
      calls: [
        ['write_file', { path: 'a' }],
        ['write_file', { path: 'b' }],
        ['run_tests', { pattern: 'all' }],
      ],
      opts,
    },
    {
      name: 'an inline value is kept exactly, spaces included',
      reply: '<tool_call><function=write_file><parameter=content>  two leading spaces</parameter></function></tool_call>',
      calls: [['write_file', { content: '  two leading spaces' }]],
      opts,
    },
    {
      name: 'with thinking first',
      reply:
        '<think>Tests first.</think>\n<tool_call>\n<function=run_tests>\n<parameter=pattern>\nparser\n</parameter>\n</function>\n</tool_call>',
      calls: [['run_tests', { pattern: 'parser' }]],
      reasoning: 'Tests first.',
      opts,
    },
  ],
  MARKERS,
);

checkBad('qwen3_coder', [
  {
    name: 'cut inside a parameter value',
    reply: '<tool_call>\n<function=write_file>\n<parameter=path>\nsrc/big.py\n</parameter>\n<parameter=content>\nimport os\nfor',
    end: LIMIT,
    opts,
    calls: [['write_file', 'cut']],
  },
  {
    name: 'cut inside the function tag (name unknown)',
    reply: '<tool_call>\n<function=wri',
    end: LIMIT,
    opts,
    calls: [['', 'cut']],
  },
  {
    name: 'a whole function with no closing </tool_call> at a normal stop runs',
    reply: '<tool_call>\n<function=run_tests>\n<parameter=pattern>x</parameter>\n</function>',
    opts,
    calls: [['run_tests', undefined]],
  },
]);

test('qwen3_coder: a value a schema calls integer but that is not one stays text (the tool says what is wrong)', () => {
  const r = read('<tool_call><function=write_file><parameter=mode>rw-r--r--</parameter></function></tool_call>', opts);
  assert.deepEqual(r.calls[0].arguments, { mode: 'rw-r--r--' });
});
