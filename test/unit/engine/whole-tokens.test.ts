// Streamed text goes out in whole tokens (secrets are scrubbed event by event, so a key must never be
// split across two deltas); what is held goes out when the stream ends, and nothing after that.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WholeTokens, wholeTokensUpTo } from '../../../src/core/orchestrator/whole-tokens';

function collect(): { sent: string[]; stream: WholeTokens } {
  const sent: string[] = [];
  return { sent, stream: new WholeTokens((t) => sent.push(t)) };
}

test('a key cut across pieces goes out in one piece, and the pieces join to the text', () => {
  const { sent, stream } = collect();
  const key = 'sk-live-0123456789abcdef';
  for (const piece of ['my key: ', key.slice(0, 7), key.slice(7, 15), key.slice(15), ', done']) stream.push(piece);
  stream.flush();
  assert.equal(sent.join(''), `my key: ${key}, done`);
  assert.ok(
    sent.some((s) => s.includes(key)),
    `one piece holds the whole key: ${JSON.stringify(sent)}`,
  );
  assert.ok(
    sent.every((s) => s.includes(key) || !s.includes(key.slice(0, 7))),
    'no piece holds only part of it',
  );
});

test('text ending at a token end goes out at once; a token still growing waits', () => {
  const { sent, stream } = collect();
  stream.push('{"a": 1, "b"');
  assert.deepEqual(sent, ['{"a": 1, "b"']);
  stream.push(': abc');
  assert.deepEqual(sent, ['{"a": 1, "b"', ': ']);
  stream.flush();
  assert.deepEqual(sent, ['{"a": 1, "b"', ': ', 'abc']);
  stream.flush();
  assert.equal(sent.length, 3, 'nothing held: flush sends nothing');
});

test('a run longer than any key goes out without waiting for its end', () => {
  const long = 'x'.repeat(5000);
  assert.equal(wholeTokensUpTo(long), long.length);
  assert.equal(wholeTokensUpTo('abc def'), 4);
  assert.equal(wholeTokensUpTo('abcdef'), 0);
});

test('after end, what a stopped tool still writes is dropped', () => {
  const { sent, stream } = collect();
  stream.push('partial');
  stream.end();
  stream.push(' more output ');
  stream.flush();
  assert.deepEqual(sent, ['partial']);
});
