// Model output reaches the terminal only after escape sequences and control characters are removed,
// so nothing can hide or fake the code a user is asked to approve.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sanitizeTerminal } from '../../../src/cli/terminal';
import { LiveView } from '../../../src/cli/render';
import type { EngineEvent } from '../../../src/core/protocol/events';

const HOSTILE = 'print(1)\x1b[2K\x1b[1A\x1b[8mrm -rf ~\x1b[0m\x1b]0;pwned\x07\r\x9b31mX\x00\x7f';

test('escape sequences and control characters are removed, text and newlines kept', () => {
  const out = sanitizeTerminal(HOSTILE + '\nnext\tline');
  assert.doesNotMatch(out, /[\x1b\x9b\x00\x07\r\x7f]/);
  assert.match(out, /^print\(1\)rm -rf ~/);
  assert.match(out, /\nnext\tline$/);
  assert.ok(!out.includes('pwned'), 'an OSC window title is dropped whole');
});

test('the live view writes no escape sequence that came from the model', () => {
  let written = '';
  const view = new LiveView((t) => (written += t), { color: false });
  const base = { taskId: 't', time: Date.now() };
  const totals = { dollars: 0, inputTokens: 1, outputTokens: 1, calls: 1, wallMs: 1, models: ['m'], remoteHosts: [], estimated: false };
  const events: EngineEvent[] = [
    { ...base, seq: 0, type: 'orchestrator_delta', turn: 1, text: HOSTILE },
    { ...base, seq: 1, type: 'tool_call_started', callId: 'c', turn: 1, tool: 'run_code', args: { code: HOSTILE }, state: 'running' },
    {
      ...base,
      seq: 2,
      type: 'tool_call_finished',
      callId: 'c',
      tool: 'run_code',
      state: 'ok',
      preview: HOSTILE,
      result: HOSTILE,
      dollars: 0,
      latencyMs: 1,
    },
    { ...base, seq: 3, type: 'approval_requested', approvalId: 'a', callId: 'c', kind: 'run_code', title: HOSTILE, detail: HOSTILE },
    { ...base, seq: 4, type: 'done', answer: HOSTILE, totals },
  ];
  for (const e of events) view.handle(e);
  assert.ok(written.includes('rm -rf ~'), 'the text itself is shown');
  assert.doesNotMatch(written, /[\x1b\x9b\x00\x07\r\x7f]/);
});
