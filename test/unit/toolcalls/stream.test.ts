// The scanner as the pool uses it while a reply streams: text flows before a call and the opening
// tokens never show, a call is announced as soon as its name is known and its arguments stream after
// it, and the format setting decides what is read (an explicit format that the reply does not follow
// is reported).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ToolCallStream, parseToolCalls, type StreamEvent } from '../../../src/core/toolcalls';

function feed(s: ToolCallStream, text: string, size = 1): StreamEvent[][] {
  const out: StreamEvent[][] = [];
  for (let i = 0; i < text.length; i += size) out.push(s.push(text.slice(i, i + size)));
  return out;
}

test('the text before a call streams; the tokens that open the call never do', () => {
  const reply = 'Let me read it. <tool_call>\n{"name": "read_file", "arguments": {"path": "a.ts"}}\n</tool_call>';
  const s = new ToolCallStream();
  const steps = feed(s, reply);
  const shown = steps
    .flat()
    .filter((e) => e.type === 'text')
    .map((e) => (e as { text: string }).text)
    .join('');
  assert.equal(shown, 'Let me read it. ');
  // "Let me read it." is out before the call's first token arrives.
  const firstTag = reply.indexOf('<tool_call>');
  assert.ok(
    steps
      .slice(0, firstTag)
      .flat()
      .some((e) => e.type === 'text'),
  );
});

test('a call is announced once its name is known, well before it closes, and its arguments stream in', () => {
  const args = '{"path": "src/very/long/path/to/some/file.ts", "start": 1, "end": 400}';
  const reply = `<tool_call>\n{"name": "read_file", "arguments": ${args}}\n</tool_call>`;
  const s = new ToolCallStream();
  const steps = feed(s, reply);
  const at = steps.findIndex((ev) => ev.some((e) => e.type === 'call_start'));
  assert.ok(at > 0 && at < reply.indexOf('"arguments"'), `announced at character ${at}`);
  const start = steps.flat().find((e) => e.type === 'call_start') as { name: string; index: number };
  assert.deepEqual([start.name, start.index], ['read_file', 0]);
  const streamedArgs = steps
    .flat()
    .filter((e) => e.type === 'call_delta')
    .map((e) => (e as { text: string }).text)
    .join('');
  assert.ok(streamedArgs.includes(args), 'the arguments streamed as written');
  const { calls } = s.end({});
  assert.equal(calls[0].streamIndex, 0);
});

test('XML parameters stream as a JSON object (so an answer streams whatever the format)', () => {
  const reply = '<tool_call>\n<function=answer>\n<parameter=answer>\nThe result is 42, "exactly".\n</parameter>\n</function>\n</tool_call>';
  const s = new ToolCallStream();
  const deltas = feed(s, reply, 3)
    .flat()
    .filter((e) => e.type === 'call_delta')
    .map((e) => (e as { text: string }).text)
    .join('');
  assert.deepEqual(JSON.parse(deltas), { answer: 'The result is 42, "exactly".' });
});

test('several calls are announced in order with increasing indexes', () => {
  const reply = '[TOOL_CALLS]a[ARGS]{"x": 1}[TOOL_CALLS]b[ARGS]{"y": 2}[TOOL_CALLS]c[ARGS]{}';
  const s = new ToolCallStream();
  const starts = feed(s, reply, 4)
    .flat()
    .concat(s.end({}).events)
    .filter((e) => e.type === 'call_start')
    .map((e) => [(e as { name: string }).name, (e as { index: number }).index]);
  assert.deepEqual(starts, [
    ['a', 0],
    ['b', 1],
    ['c', 2],
  ]);
});

test('a format set explicitly reads only that format, and reports calls written in another', () => {
  const hermes = '<tool_call>{"name": "read_file", "arguments": {"path": "x"}}</tool_call>';
  const asMistral = parseToolCalls(hermes, { format: 'mistral_args' });
  assert.deepEqual(asMistral.calls, []);
  assert.equal(asMistral.errors.length, 1);
  assert.match(
    asMistral.errors[0],
    /1 tool call\(s\) written as hermes, but this model's toolCallFormat is "mistral_args".*set its toolCallFormat to "hermes" or "auto"/,
  );
  const asNative = parseToolCalls(hermes, { format: 'native' });
  assert.deepEqual(asNative.calls, []);
  assert.match(asNative.errors[0], /toolCallFormat is "native"/);
  assert.deepEqual(parseToolCalls(hermes, { format: 'hermes' }).errors, []);
});

test('with no tools offered nothing is read as a call, but reasoning and special tokens still leave the text', () => {
  const r = parseToolCalls('<think>hmm</think>Here: <tool_call>{"name": "x", "arguments": {}}</tool_call><|im_end|>', { calls: false });
  assert.deepEqual(r.calls, []);
  assert.deepEqual(r.errors, []);
  assert.equal(r.reasoning, 'hmm');
  assert.equal(r.text, 'Here: <tool_call>{"name": "x", "arguments": {}}</tool_call>');
});

test('the parser keeps unknown tool names: the orchestration loop answers them with the valid tools', () => {
  const r = parseToolCalls('<tool_call>{"name": "delete_everything", "arguments": {}}</tool_call>');
  assert.deepEqual(
    r.calls.map((c) => [c.name, c.problem]),
    [['delete_everything', undefined]],
  );
});

test('ids the model repeats within one reply are made unique; ids it gave are kept', () => {
  const r = parseToolCalls(
    '[TOOL_CALLS][{"name": "a", "arguments": {}, "id": "abc123XYZ"}, {"name": "b", "arguments": {}, "id": "abc123XYZ"}]',
  );
  assert.equal(r.calls[0].id, 'abc123XYZ');
  assert.notEqual(r.calls[1].id, r.calls[0].id);
  assert.match(r.calls[1].id, /^abc123XYZ_/);
});

test('call markup inside a code block of an explanation is shown as written', () => {
  const text =
    'To call a tool, write:\n```xml\n<tool_call>\n{"name": "read_file", "arguments": {"path": "a"}}\n</tool_call>\n```\nand wait.';
  const r = parseToolCalls(text);
  assert.deepEqual(r.calls, []);
  assert.equal(r.text, text);
});

test('a whole reply that is one fenced block of call markup is a call', () => {
  const r = parseToolCalls('```xml\n<tool_call>\n{"name": "read_file", "arguments": {"path": "a"}}\n</tool_call>\n```');
  assert.deepEqual(
    r.calls.map((c) => [c.name, c.arguments, c.source]),
    [['read_file', { path: 'a' }, 'hermes']],
  );
});

test('reasoning is split out in every form; a <think> in the middle of an answer is text', () => {
  const forms: Array<[string, string, string]> = [
    ['<think>a</think>B', 'a', 'B'],
    ['<thinking>a</thinking>B', 'a', 'B'],
    ['<seed:think>a</seed:think>B', 'a', 'B'],
    ['<|START_THINKING|>a<|END_THINKING|>B', 'a', 'B'],
    ['<|inner_prefix|>a<|inner_suffix|>B', 'a', 'B'],
    ['[THINK]a[/THINK]B', 'a', 'B'],
    ['<|channel|>analysis<|message|>a<|end|><|start|>assistant<|channel|>final<|message|>B<|return|>', 'a', 'B'],
    ['a</think>B', 'a', 'B'],
    ['Use <think> tags to think.', '', 'Use <think> tags to think.'],
  ];
  for (const [reply, reasoning, text] of forms) {
    const r = parseToolCalls(reply);
    assert.deepEqual([r.reasoning, r.text], [reasoning, text], reply);
  }
});

test('reasoning the server already split (reasoning_content) is not the parser’s: the text alone is read', () => {
  const r = parseToolCalls('The answer is 7.');
  assert.deepEqual([r.text, r.reasoning, r.calls.length], ['The answer is 7.', '', 0]);
});

test('special tokens a server leaves in the text are never shown', () => {
  const r = parseToolCalls('Done.<|im_end|><|endoftext|></s><｜end▁of▁sentence｜><|eot_id|>');
  assert.equal(r.text, 'Done.');
});
