// Hermes 2 Pro / Qwen 2.5 / Qwen3 / QwQ: one `<tool_call>` block of JSON per call, thinking in <think>.
import { checkBad, checkGood, LIMIT } from './harness';

const MARKERS = ['<tool_call>', '</tool_call>', '<think>', '</think>', '<|im_end|>'];

checkGood(
  'hermes',
  [
    {
      name: 'one call after a sentence',
      reply: 'I will open the config first.\n<tool_call>\n{"name": "read_file", "arguments": {"path": "conf/app.yaml"}}\n</tool_call>',
      calls: [['read_file', { path: 'conf/app.yaml' }]],
      text: 'I will open the config first.',
    },
    {
      name: 'three calls in one turn keep their order',
      reply:
        '<tool_call>\n{"name": "list_files", "arguments": {"dir": "src"}}\n</tool_call>\n<tool_call>\n{"name": "read_file", "arguments": {"path": "src/main.rs"}}\n</tool_call>\n<tool_call>\n{"name": "search", "arguments": {"q": "fn main", "limit": 3}}\n</tool_call><|im_end|>',
      calls: [
        ['list_files', { dir: 'src' }],
        ['read_file', { path: 'src/main.rs' }],
        ['search', { q: 'fn main', limit: 3 }],
      ],
    },
    {
      name: 'arguments double-encoded as a JSON string',
      reply: '<tool_call>{"name": "run", "arguments": "{\\"cmd\\": \\"ls -la\\"}"}</tool_call>',
      calls: [['run', { cmd: 'ls -la' }]],
    },
    {
      name: 'a trailing comma is repaired (the intent is unambiguous)',
      reply: '<tool_call>{"name": "read_file", "arguments": {"path": "a.txt",},}</tool_call>',
      calls: [['read_file', { path: 'a.txt' }]],
    },
    {
      name: 'no closing tag (the server stopped on it) but whole JSON',
      reply: '<tool_call>\n{"name": "read_file", "arguments": {"path": "b.txt"}}',
      calls: [['read_file', { path: 'b.txt' }]],
    },
    {
      name: 'JSON text inside a string argument is data, not a call',
      reply:
        '<tool_call>{"name": "write_file", "arguments": {"path": "x.json", "content": "{\\"name\\": \\"demo\\", \\"arguments\\": {}}"}}</tool_call>',
      calls: [['write_file', { path: 'x.json', content: '{"name": "demo", "arguments": {}}' }]],
    },
  ],
  MARKERS,
);

checkGood(
  'hermes',
  [
    {
      name: 'Qwen3 thinking before the call',
      reply:
        '<think>\nThe user wants the weather; I should call the tool.\n</think>\n\n<tool_call>\n{"name": "get_weather", "arguments": {"city": "Lyon"}}\n</tool_call>',
      calls: [['get_weather', { city: 'Lyon' }]],
      reasoning: 'The user wants the weather; I should call the tool.',
    },
    {
      name: 'thinking opened by the prompt (only its end is in the reply)',
      reply: 'The file list first.\n</think>\n\n<tool_call>\n{"name": "list_files", "arguments": {}}\n</tool_call>',
      calls: [['list_files', {}]],
      reasoning: 'The file list first.',
    },
  ],
  MARKERS,
);

checkBad('hermes', [
  {
    name: 'cut at the token limit inside the arguments',
    reply: 'Reading it.\n<tool_call>\n{"name": "read_file", "arguments": {"path": "src/ma',
    end: LIMIT,
    calls: [['read_file', 'cut']],
    message: /max-token limit \(256 tokens\) in the middle of the call to "read_file"/,
    text: 'Reading it.',
  },
  {
    name: 'cut right after the arguments opened is never completed and run as read_file({})',
    reply: '<tool_call>{"name":"read_file","arguments":{',
    end: LIMIT,
    calls: [['read_file', 'cut']],
  },
  {
    name: 'the reply stopped before the JSON closed (no limit) is cut too',
    reply: '<tool_call>{"name": "read_file", "arguments": {"path": "x"',
    calls: [['read_file', 'cut']],
    message: /ended before the call to "read_file" was closed/,
  },
  {
    name: 'JSON that does not read, closed block: unreadable, the name kept for the error',
    reply: '<tool_call>{"name": "read_file", "arguments": {"path": "a.txt" "mode": 1}}</tool_call>',
    calls: [['read_file', 'unreadable']],
  },
  {
    name: 'a complete call then one cut: the first stands',
    reply: '<tool_call>{"name": "a", "arguments": {}}</tool_call>\n<tool_call>{"name": "b", "arguments": {"x": [1, 2',
    end: LIMIT,
    calls: [
      ['a', undefined],
      ['b', 'cut'],
    ],
  },
  {
    name: 'cut before the name',
    reply: 'Let me check.\n<tool_call>\n{"na',
    end: LIMIT,
    calls: [['', 'cut']],
    text: 'Let me check.',
  },
  {
    name: 'a block without a name',
    reply: '<tool_call>{"arguments": {"q": 1}}</tool_call>',
    calls: [],
    errors: [/needs a "name"/],
  },
  {
    name: 'the tag mentioned in prose is text',
    reply: 'Wrap each call in a `<tool_call>` tag, then close it with `</tool_call>`.',
    calls: [],
    text: 'Wrap each call in a `<tool_call>` tag, then close it with `</tool_call>`.',
  },
]);
