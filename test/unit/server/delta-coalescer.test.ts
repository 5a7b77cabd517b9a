// The engine process's delta merging: the deltas of each stream become one event, also when two
// streams interleave; anything else is sent in its place in the order it came, and seq keeps increasing.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { DeltaCoalescer, isMergeableDelta } from '../../../src/server/delta-coalescer';
import type { EngineEvent } from '../../../src/core/protocol/events';

function stream() {
  let seq = 0;
  const at = (body: Record<string, unknown>, taskId = 't1'): EngineEvent =>
    ({ taskId, seq: seq++, time: 1000 + seq, ...body }) as EngineEvent;
  return {
    orch: (text: string, turn = 1, parentCallId?: string) =>
      at({ type: 'orchestrator_delta', turn, text, ...(parentCallId ? { parentCallId } : {}) }),
    tool: (callId: string, text: string) => at({ type: 'tool_call_delta', callId, text }),
    answer: (text: string, taskId = 't1', reset?: boolean) => at({ type: 'answer_delta', text, ...(reset ? { reset } : {}) }, taskId),
    turn: (turn: number) => at({ type: 'turn_started', turn }),
  };
}

const waitMs = (ms: number) => new Promise((r) => setTimeout(r, ms));

function collector(delayMs = 1_000, maxChars?: number) {
  const sent: EngineEvent[] = [];
  const c = new DeltaCoalescer((e) => sent.push(e), delayMs, maxChars);
  return { sent, c };
}

describe('DeltaCoalescer', () => {
  test('a reset answer delta merged into held ones replaces their text, and the merged delta still resets', () => {
    const s = stream();
    const { sent, c } = collector();
    for (const e of [s.answer('Let '), s.answer('me '), s.answer('', 't1', true), s.answer('The '), s.answer('answer')]) c.push(e);
    c.flush();
    assert.equal(sent.length, 1);
    assert.equal((sent[0] as { text: string }).text, 'The answer');
    assert.equal((sent[0] as { reset?: boolean }).reset, true);
  });

  test('consecutive deltas of one stream become one event with the last seq and time', () => {
    const s = stream();
    const { sent, c } = collector();
    const parts = [s.orch('a'), s.orch('b'), s.orch('c')];
    for (const e of parts) c.push(e);
    assert.equal(sent.length, 0, 'held until flushed');
    c.flush();
    assert.equal(sent.length, 1);
    assert.deepEqual(sent[0], { ...parts[0], text: 'abc', seq: parts[2].seq, time: parts[2].time });
    // The events the engine handed over are not changed (its trajectory holds them).
    assert.equal((parts[0] as { text: string }).text, 'a');
  });

  test('any other event sends the held delta first, so order and seq are kept', () => {
    const s = stream();
    const { sent, c } = collector();
    const input = [
      s.orch('x'),
      s.orch('y'),
      s.turn(2),
      s.orch('z', 2),
      s.tool('c1', 'out'),
      s.tool('c1', 'put'),
      s.tool('c2', '!'),
      s.answer('done'),
    ];
    for (const e of input) c.push(e);
    c.flush();
    assert.deepEqual(
      sent.map((e) => [e.type, 'text' in e ? e.text : '']),
      [
        ['orchestrator_delta', 'xy'],
        ['turn_started', ''],
        ['orchestrator_delta', 'z'],
        ['tool_call_delta', 'output'],
        ['tool_call_delta', '!'],
        ['answer_delta', 'done'],
      ],
    );
    for (let i = 1; i < sent.length; i++) assert.ok(sent[i].seq > sent[i - 1].seq, 'seq increases');
  });

  test('deltas of different turns, subtasks or tasks are not merged', () => {
    const s = stream();
    const { sent, c } = collector();
    for (const e of [s.orch('a', 1), s.orch('b', 2), s.orch('c', 2, 'call-9'), s.answer('d', 't1'), s.answer('e', 't2')]) c.push(e);
    c.flush();
    assert.deepEqual(
      sent.map((e) => ('text' in e ? e.text : '')),
      ['a', 'b', 'c', 'd', 'e'],
    );
  });

  test('two streams that interleave (an expert card and the answer area) each merge, sent in the order of their last seq', () => {
    const s = stream();
    const { sent, c } = collector();
    const input: EngineEvent[] = [];
    for (const w of ['one ', 'two ', 'three ']) input.push(s.tool('call-1', w), s.answer(w));
    for (const e of input) c.push(e);
    assert.equal(sent.length, 0, 'both held');
    c.push(s.turn(2));
    assert.deepEqual(
      sent.map((e) => [e.type, 'text' in e ? e.text : '', e.seq]),
      [
        ['tool_call_delta', 'one two three ', 4],
        ['answer_delta', 'one two three ', 5],
        ['turn_started', '', 6],
      ],
    );
  });

  test('a held delta is sent on its own after the delay', async () => {
    const s = stream();
    const { sent, c } = collector(5);
    c.push(s.answer('hel'));
    c.push(s.answer('lo'));
    await waitMs(60);
    assert.deepEqual(
      sent.map((e) => ('text' in e ? e.text : '')),
      ['hello'],
    );
  });

  test('a merged delta that grows past the size cap is sent at once', () => {
    const s = stream();
    const { sent, c } = collector(1_000, 10);
    for (const t of ['12345', '67890', 'ab']) c.push(s.answer(t));
    assert.deepEqual(
      sent.map((e) => ('text' in e ? e.text : '')),
      ['1234567890'],
    );
    c.flush();
    assert.deepEqual(
      sent.map((e) => ('text' in e ? e.text : '')),
      ['1234567890', 'ab'],
    );
  });

  test('a malformed delta is not merged: it goes on to validation as it is', () => {
    const s = stream();
    const bad = { ...s.answer('x'), text: 42 } as unknown as EngineEvent;
    assert.equal(isMergeableDelta(bad), false);
    const { sent, c } = collector();
    c.push(s.answer('a'));
    c.push(bad);
    assert.deepEqual(
      sent.map((e) => ('text' in e ? e.text : '')),
      ['a', 42],
    );
  });
});
