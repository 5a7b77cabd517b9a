import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { repairJson } from '../../../src/core/toolcalls';

describe('repairJson', () => {
  test('valid JSON passes through unrepaired', () => {
    assert.deepEqual(repairJson(' {"a": [1, 2], "b": "x"} '), { value: { a: [1, 2], b: 'x' }, repaired: false });
  });

  const repairs: Array<[string, string, unknown]> = [
    ['trailing comma in object', '{"a": 1, "b": 2,}', { a: 1, b: 2 }],
    ['trailing comma in array', '{"a": [1, 2, ]}', { a: [1, 2] }],
    ['single quotes', "{'path': 'src/a.ts', 'q': 'say \"hi\"'}", { path: 'src/a.ts', q: 'say "hi"' }],
    ['escaped single quote inside single quotes', "{'q': 'don\\'t'}", { q: "don't" }],
    ['unquoted keys', '{path: "a.ts", max_results: 3}', { path: 'a.ts', max_results: 3 }],
    ['Python literals', '{"a": True, "b": False, "c": None}', { a: true, b: false, c: null }],
    ['raw newline inside a string', '{"code": "print(1)\nprint(2)"}', { code: 'print(1)\nprint(2)' }],
    ['a stray closing brace after a complete value', '{"a": {"b": 1}}}', { a: { b: 1 } }],
  ];
  for (const [name, raw, expected] of repairs) {
    test(`repairs: ${name}`, () => {
      const r = repairJson(raw);
      assert.ok(r, `expected a repair of ${raw}`);
      assert.deepEqual(r.value, expected);
      assert.equal(r.repaired, true);
    });
  }

  const refusals: Array<[string, string]> = [
    ['empty text', '   '],
    ['a cut-off string', '{"a": "unterminated'],
    ['a missing comma between members', '{"a": 1 "b": 2}'],
    ['a bare word as a value', '{"a": hello}'],
    ['a key without a value at the end', '{"a": 1, "b":'],
    ['two top-level values', '{"a": 1} {"b": 2}'],
    ['mismatched brackets', '{"a": [1, 2}'],
    ['prose', 'I think we should search the web'],
    // A cut-off call must never be completed and run as if it were whole.
    ['missing closing braces at the end', '{"name": "x", "arguments": {"q": "y"'],
    ['missing closing bracket and brace', '{"a": [1, 2'],
    ['cut after a trailing comma', '{"a": 1,'],
    ['cut right after the arguments open', '{"name":"func","arguments":{'],
  ];
  for (const [name, raw] of refusals) {
    test(`refuses to guess: ${name}`, () => {
      assert.equal(repairJson(raw), undefined);
    });
  }
});
