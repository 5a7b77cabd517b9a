// Cohere Command R / R+ (tool-use template): `Action: ```json […]``` ` with tool_name/parameters;
// `directly_answer` means no tool is needed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkBad, checkGood, LIMIT, read } from './harness';

const MARKERS = ['Action:', '```json'];

checkGood(
  'command_r_plus',
  [
    {
      name: 'a plan in prose, then the action',
      reply:
        'Plan: search the wiki, then summarise.\nAction: ```json\n[\n    {\n        "tool_name": "wiki_search",\n        "parameters": {"query": "raft consensus"}\n    }\n]\n```',
      calls: [['wiki_search', { query: 'raft consensus' }]],
      text: 'Plan: search the wiki, then summarise.',
    },
  ],
  MARKERS,
);

test('command_r_plus: directly_answer is no call', () => {
  const r = read('Action: ```json\n[{"tool_name": "directly_answer", "parameters": {}}]\n```');
  assert.deepEqual(r.calls, []);
});

checkBad('command_r_plus', [
  {
    name: 'cut inside the JSON',
    reply: 'Action: ```json\n[{"tool_name": "wiki_search", "parameters": {"qu',
    end: LIMIT,
    calls: [['wiki_search', 'cut']],
  },
]);
