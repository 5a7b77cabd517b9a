import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseTextToolCalls, type ParsedToolCall } from '../../../src/core/toolcalls';
import { toolCallText } from '../../support/model-server';

const TOOLS = ['search_files', 'read_file', 'run_code', 'answer'];
const two = [
  { name: 'search_files', arguments: { pattern: 'TODO', max_results: 5 } },
  { name: 'read_file', arguments: { path: 'src/a.ts' } },
];

function simple(calls: ParsedToolCall[]) {
  return calls.map((c) => ({ name: c.name, arguments: c.arguments, source: c.source }));
}

describe('parseTextToolCalls: one dialect at a time', () => {
  const dialects: Array<[string, string, ParsedToolCall['source']]> = [
    ['Hermes/Qwen <tool_call>', toolCallText.hermes(two), 'hermes'],
    ['Mistral [TOOL_CALLS][...]', toolCallText.mistral(two), 'mistral'],
    ['Mistral [TOOL_CALLS]NAME[ARGS]', toolCallText.mistralNamed(two), 'mistral'],
    ['Llama 3 <|python_tag|>', toolCallText.llama(two), 'llama'],
    ['harmony with <|start|>', toolCallText.harmony(two), 'harmony'],
    ['harmony without <|start|>', toolCallText.harmony(two, false), 'harmony'],
    ['JSON in ```json fences', toolCallText.fence(two), 'fence'],
    ['bare JSON array', toolCallText.json(two), 'json'],
  ];
  for (const [name, text, source] of dialects) {
    test(`${name}: both calls, in order, markup removed`, () => {
      const r = parseTextToolCalls(`Let me look.\n${text}`, TOOLS);
      assert.deepEqual(r.errors, []);
      assert.deepEqual(
        simple(r.calls),
        two.map((c) => ({ ...c, source })),
      );
      assert.equal(r.text, 'Let me look.');
      for (const c of r.calls) assert.match(c.id, /^call_[0-9a-f]{12}$/);
      assert.equal(new Set(r.calls.map((c) => c.id)).size, 2);
    });
  }

  test('bare JSON object with "parameters" (Llama style, no tag)', () => {
    const r = parseTextToolCalls(toolCallText.json([two[1]], 'parameters'), TOOLS);
    assert.deepEqual(simple(r.calls), [{ ...two[1], source: 'json' }]);
    assert.equal(r.text, '');
  });

  test('Qwen3-Coder XML: values typed by the tool schema, text kept verbatim', () => {
    const text =
      'Running it.\n' +
      toolCallText.qwenXml([
        { name: 'run_code', arguments: { language: 'python', code: 'for i in range(3):\n    print(i)', timeout: 30, id: '007' } },
      ]);
    const r = parseTextToolCalls(text, TOOLS, {
      schemas: {
        run_code: {
          type: 'object',
          properties: { language: { type: 'string' }, code: { type: 'string' }, timeout: { type: 'integer' }, id: { type: 'string' } },
        },
      },
    });
    assert.deepEqual(r.errors, []);
    assert.deepEqual(simple(r.calls), [
      {
        name: 'run_code',
        arguments: { language: 'python', code: 'for i in range(3):\n    print(i)', timeout: 30, id: '007' },
        source: 'xml',
      },
    ]);
    assert.equal(r.text, 'Running it.');
  });

  test('Qwen3-Coder XML without the <tool_call> wrapper', () => {
    const r = parseTextToolCalls('<function=read_file>\n<parameter=path>\nsrc/a.ts\n</parameter>\n</function>', TOOLS);
    assert.deepEqual(simple(r.calls), [{ name: 'read_file', arguments: { path: 'src/a.ts' }, source: 'xml' }]);
  });

  test('GLM-4.5 arg_key/arg_value inside <tool_call>', () => {
    const r = parseTextToolCalls('<tool_call>read_file\n<arg_key>path</arg_key>\n<arg_value>src/b.ts</arg_value>\n</tool_call>', TOOLS);
    assert.deepEqual(simple(r.calls), [{ name: 'read_file', arguments: { path: 'src/b.ts' }, source: 'xml' }]);
  });

  test('harmony: recipient before the channel, analysis goes to reasoning, final stays text', () => {
    const text =
      '<|start|>assistant<|channel|>analysis<|message|>I need the file.<|end|>' +
      '<|start|>assistant to=functions.read_file<|channel|>commentary json<|message|>{"path":"x.ts"}<|call|>';
    const r = parseTextToolCalls(text, TOOLS);
    assert.deepEqual(simple(r.calls), [{ name: 'read_file', arguments: { path: 'x.ts' }, source: 'harmony' }]);
    assert.equal(r.reasoning, 'I need the file.');
    assert.equal(r.text, '');
    const fin = parseTextToolCalls(
      '<|channel|>analysis<|message|>think<|end|><|start|>assistant<|channel|>final<|message|>The answer is 4.',
      TOOLS,
    );
    assert.equal(fin.text, 'The answer is 4.');
    assert.deepEqual(fin.calls, []);
  });

  test('Mistral with [CALL_ID]', () => {
    const r = parseTextToolCalls('[TOOL_CALLS]read_file[CALL_ID]a1b2c3d4e[ARGS]{"path": "r.md"}', TOOLS);
    assert.deepEqual(simple(r.calls), [{ name: 'read_file', arguments: { path: 'r.md' }, source: 'mistral' }]);
  });

  test('OpenAI-shaped {type: function, function: {...}} with string arguments', () => {
    const r = parseTextToolCalls(JSON.stringify({ type: 'function', function: { name: 'read_file', arguments: '{"path":"z"}' } }), TOOLS);
    assert.deepEqual(simple(r.calls), [{ name: 'read_file', arguments: { path: 'z' }, source: 'json' }]);
  });

  test('mixed dialects in one reply keep their written order', () => {
    const text = `${toolCallText.hermes([two[1]])}\nthen\n${toolCallText.fence([two[0]])}`;
    const r = parseTextToolCalls(text, TOOLS);
    assert.deepEqual(
      r.calls.map((c) => [c.name, c.source]),
      [
        ['read_file', 'hermes'],
        ['search_files', 'fence'],
      ],
    );
    assert.equal(r.text, 'then');
  });

  test('rawArguments keeps what the model wrote', () => {
    const r = parseTextToolCalls('<tool_call>{"name": "read_file", "arguments": {"path":   "a"}}</tool_call>', TOOLS);
    assert.equal(r.calls[0].rawArguments, '{"path":   "a"}');
  });
});

describe('parseTextToolCalls: repair', () => {
  const cases: Array<[string, string, unknown]> = [
    ['trailing comma (hermes)', '<tool_call>{"name": "read_file", "arguments": {"path": "a.ts",},}</tool_call>', { path: 'a.ts' }],
    ['single quotes (hermes)', "<tool_call>{'name': 'read_file', 'arguments': {'path': 'a.ts'}}</tool_call>", { path: 'a.ts' }],
    ['unquoted keys (mistral)', '[TOOL_CALLS][{name: "read_file", arguments: {path: "a.ts"}}]', { path: 'a.ts' }],
    ['missing closing braces at the end (llama)', '<|python_tag|>{"name": "read_file", "parameters": {"path": "a.ts"', { path: 'a.ts' }],
    [
      'Python literals (fence)',
      '```json\n{"name": "read_file", "arguments": {"path": "a.ts", "all": True, "limit": None}}\n```',
      { path: 'a.ts', all: true, limit: null },
    ],
    ['unclosed <tool_call> at the end', '<tool_call>\n{"name": "read_file", "arguments": {"path": "a.ts"}}', { path: 'a.ts' }],
    ['double-encoded arguments', '<tool_call>{"name": "read_file", "arguments": "{\\"path\\": \\"a.ts\\"}"}</tool_call>', { path: 'a.ts' }],
  ];
  for (const [name, text, args] of cases) {
    test(name, () => {
      const r = parseTextToolCalls(text, TOOLS);
      assert.deepEqual(r.errors, []);
      assert.equal(r.calls.length, 1);
      assert.equal(r.calls[0].name, 'read_file');
      assert.deepEqual(r.calls[0].arguments, args);
    });
  }
});

describe('parseTextToolCalls: what cannot be parsed is reported, never dropped', () => {
  const cases: Array<[string, string, RegExp]> = [
    [
      'hermes with a cut-off string',
      '<tool_call>{"name": "read_file", "arguments": {"path": "a.ts}}</tool_call>',
      /hermes: the JSON inside <tool_call> could not be parsed/,
    ],
    ['hermes with a missing comma', '<tool_call>{"name": "read_file" "arguments": {}}</tool_call>', /hermes: .*could not be parsed/],
    ['empty <tool_call>', '<tool_call></tool_call>', /empty <tool_call>/],
    ['hermes without a name', '<tool_call>{"arguments": {"path": "a"}}</tool_call>', /needs "name" and "arguments"/],
    ['arguments that are not an object', '<tool_call>{"name": "read_file", "arguments": [1,2]}</tool_call>', /not a JSON object/],
    [
      'harmony with broken JSON',
      '<|channel|>commentary to=functions.read_file <|constrain|>json<|message|>{"path": oops}<|call|>',
      /harmony: the arguments for "read_file" are not valid JSON/,
    ],
    ['mistral with garbage', '[TOOL_CALLS] ??? what', /mistral: could not read the call/],
    [
      'python_tag followed by python code',
      '<|python_tag|>brave_search.call(query="x")',
      /llama: <\|python_tag\|> is followed by something other than a JSON tool call/,
    ],
    [
      'a json fence that is a broken call',
      '```json\n{"name": "read_file", "arguments": {"path": "a.ts" "x": 1}}\n```',
      /fence: a tool call in a code block could not be parsed/,
    ],
    [
      'a whole reply that is a broken call',
      '{"name": "read_file", "arguments": {"path": \'a.ts" }}',
      /json: the reply looks like a tool call but is not valid JSON/,
    ],
  ];
  for (const [name, text, re] of cases) {
    test(name, () => {
      const r = parseTextToolCalls(text, TOOLS);
      assert.equal(r.calls.length, 0);
      assert.equal(r.errors.length, 1, `errors: ${JSON.stringify(r.errors)}`);
      assert.match(r.errors[0], re);
    });
  }

  test('unknown tool names are reported with the list of tools', () => {
    const r = parseTextToolCalls(toolCallText.hermes([{ name: 'delete_everything', arguments: {} }, two[1]]), TOOLS);
    assert.deepEqual(
      r.calls.map((c) => c.name),
      ['read_file'],
    );
    assert.equal(r.errors.length, 1);
    assert.match(r.errors[0], /unknown tool "delete_everything"; the tools are: search_files, read_file, run_code, answer/);
  });

  test('with no known tools given, every name is accepted', () => {
    const r = parseTextToolCalls(toolCallText.hermes([{ name: 'anything', arguments: { a: 1 } }]), []);
    assert.deepEqual(simple(r.calls), [{ name: 'anything', arguments: { a: 1 }, source: 'hermes' }]);
  });
});

describe('parseTextToolCalls: ordinary text is left alone', () => {
  test('prose, code fences and JSON that are not calls', () => {
    const text =
      'Here is the config:\n```json\n{"name": "orchestra", "version": "0.1.0"}\n```\nand some code:\n```ts\nconst x = { name: "a", arguments: [] };\n```';
    const r = parseTextToolCalls(text, TOOLS);
    assert.deepEqual(r.calls, []);
    assert.deepEqual(r.errors, []);
    assert.equal(r.text, text.trim());
  });

  test('a JSON object naming an unknown tool inside prose is text, not an error', () => {
    const text = 'The API takes {"name": "get_weather", "arguments": {"city": "Paris"}} as input.';
    const r = parseTextToolCalls(text, TOOLS);
    assert.deepEqual(r.calls, []);
    assert.deepEqual(r.errors, []);
    assert.equal(r.text, text);
  });

  test('a call to a known tool inside prose is taken', () => {
    const r = parseTextToolCalls('I will call {"name": "read_file", "arguments": {"path": "a"}} now.', TOOLS);
    assert.deepEqual(simple(r.calls), [{ name: 'read_file', arguments: { path: 'a' }, source: 'json' }]);
    assert.equal(r.text, 'I will call  now.');
  });
});
