// Tests run in run_code as quality evidence: what counts as a test run and as its verdict, who wrote
// the tested code, and, end to end over the scripted model server with a real child process, that a
// passing test run moves the code author's estimate up and a failing one down (and not the others').
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createEngine } from '../../../src/core/engine';
import type { Engine } from '../../../src/core/engine-api';
import { TestEvidence, containsCodeOf, isTestRun, testVerdict } from '../../../src/core/routing/test-evidence';
import type { EngineEvent } from '../../../src/core/protocol/events';
import { FAST_POOL, config, model, recordingHost, runTask, scriptedServerSuite } from '../engine/helpers';

describe('test runs as evidence: the rules', () => {
  test('a test run asserts or runs a test framework; printing is not a test', () => {
    assert.equal(isTestRun('python', 'def f(): pass\nassert f() is None\n'), true);
    assert.equal(isTestRun('python', 'import unittest\nclass T(unittest.TestCase): ...'), true);
    assert.equal(isTestRun('python', 'import pytest'), true);
    assert.equal(isTestRun('python', 'print("assert nothing")'), false);
    assert.equal(isTestRun('javascript', "const assert = require('node:assert');\nassert.equal(1, 1);"), true);
    assert.equal(isTestRun('javascript', "import test from 'node:test';"), true);
    assert.equal(isTestRun('javascript', 'console.assert(1 === 2); console.log("ok")'), false);
    assert.equal(isTestRun('shell', 'cd pkg && npm test'), true);
    assert.equal(isTestRun('shell', 'python3 -m pytest -q tests/'), true);
    assert.equal(isTestRun('shell', 'ls -la'), false);
  });

  test('passed on exit 0, failed on another exit code; nothing when it did not run its tests to an end', () => {
    assert.equal(testVerdict('ok', undefined, '[run_code python] exit code 0'), true);
    assert.equal(testVerdict('error', 'exit code 1', 'AssertionError'), false);
    assert.equal(testVerdict('timeout', 'killed (timeout)', ''), undefined);
    assert.equal(testVerdict('cancelled', 'killed (cancelled)', ''), undefined);
    assert.equal(testVerdict('denied', 'refused: untrusted', ''), undefined);
    assert.equal(testVerdict('error', 'exit code 127', 'pytest: command not found'), undefined);
    assert.equal(testVerdict('error', 'exit code 1', "ModuleNotFoundError: No module named 'pytest'"), undefined);
  });

  test('the author is the model whose substantial lines the program contains', () => {
    const written = 'Here it is:\n```js\nfunction add(a, b) {\n  return a + b; // the sum\n}\n```';
    assert.equal(containsCodeOf('function add(a, b) {\n return a + b; // the sum\n}\nassert.equal(add(1, 2), 3);', written), true);
    assert.equal(containsCodeOf('function add(a, b) {\n return b + a;\n}', written), false, 'one line of two is not enough');
    assert.equal(containsCodeOf('x = 1', 'ok'), false, 'nothing substantial to recognise');
  });
});

describe('test runs as evidence: who wrote the code, from the events', () => {
  const TEST = { language: 'javascript', code: "require('node:assert').equal(1, 1);" };
  const ev = (e: Record<string, unknown>) => e as unknown as EngineEvent;
  const started = (callId: string, tool: string, extra: Record<string, unknown> = {}) =>
    ev({ type: 'tool_call_started', callId, tool, ...extra });
  const finished = (callId: string, tool: string, state: string, extra: Record<string, unknown> = {}) =>
    ev({ type: 'tool_call_finished', callId, tool, state, result: '', ...extra });

  test('inside a delegate subtask, the subtask’s model (in the role it was chosen for) wrote the code it tests', () => {
    const t = new TestEvidence();
    const roles = new Map([['sub1', 'code']]);
    const see = (e: EngineEvent) => t.see(e, (id) => roles.get(id));
    see(ev({ type: 'task_started', orchestratorModel: 'orch' }));
    see(started('sub1', 'subtask', { model: 'c' }));
    see(ev({ type: 'task_started', orchestratorModel: 'c' }));
    see(started('run1', 'run_code', { args: TEST, parentCallId: 'sub1' }));
    see(finished('run1', 'run_code', 'error', { error: 'exit code 1', result: 'AssertionError' }));
    assert.deepEqual(t.list(), [{ model: 'c', role: 'code', passed: false }]);
  });

  test('one verdict per author per task: the last; a run that is not a test counts for nothing', () => {
    const t = new TestEvidence();
    const see = (e: EngineEvent) => t.see(e, () => undefined);
    see(ev({ type: 'task_started', orchestratorModel: 'orch' }));
    see(started('r1', 'run_code', { args: TEST }));
    see(finished('r1', 'run_code', 'error', { error: 'exit code 1' }));
    see(started('r2', 'run_code', { args: TEST }));
    see(finished('r2', 'run_code', 'ok'));
    see(started('r3', 'run_code', { args: { language: 'javascript', code: 'console.log(1)' } }));
    see(finished('r3', 'run_code', 'error', { error: 'exit code 1' }));
    assert.deepEqual(t.list(), [{ model: 'orch', role: 'orchestrator', passed: true }]);
  });
});

describe('test runs as evidence: end to end', () => {
  const { server, ws } = scriptedServerSuite({ 'README.md': '# demo\n' });
  const engine = (): Engine =>
    createEngine(
      recordingHost(),
      config({
        models: [
          model('orch', server.url, { roles: ['orchestrator'] }),
          model('c', server.url, { roles: ['code'], quality: 0.6 }),
          model('r', server.url, { roles: ['general'], quality: 0.6 }),
        ],
        orchestrator: { model: 'orch', dialect: 'general' },
        preferences: { explore: false },
        tools: { runCode: { enabled: true, autoApprove: true } },
      }),
      FAST_POOL,
    );
  const row = (e: Engine, m: string, role: string) => e.qualityStats().find((r) => r.model === m && r.role === role)!;

  /** c writes `add`, r reviews it (and writes no code), the orchestrator tests c's code in run_code, then answers. */
  async function codeTask(e: Engine, body: string) {
    const fn = `function add(a, b) {\n  return ${body}; // the sum\n}`;
    server.script('orch', [
      { toolCalls: [{ name: 'call_model', arguments: { role: 'code', task: 'Write add(a, b) in JavaScript.' } }] },
      { toolCalls: [{ name: 'call_model', arguments: { model: 'r', task: 'Is a function named add a good name?' } }] },
      {
        toolCalls: [
          {
            name: 'run_code',
            arguments: {
              language: 'javascript',
              code: `const assert = require('node:assert');\n${fn}\nassert.equal(add(2, 3), 5);\nconsole.log('passed');`,
            },
          },
        ],
      },
      { toolCalls: [{ name: 'answer', arguments: { answer: 'done' } }] },
    ]);
    server.script('c', [{ content: `Here it is:\n\`\`\`js\n${fn}\n\`\`\`` }]);
    server.script('r', [{ content: 'Yes, add is a clear name.' }]);
    const run = await runTask(e, { question: 'write and test add', workspace: ws.dir });
    assert.equal(run.outcome.ok, true, JSON.stringify(run.outcome.error));
    return run.of('tool_call_finished').find((f) => f.tool === 'run_code')!;
  }

  test('a passing test run is a success for the model that wrote the code, in its role; no one else', async () => {
    const e = engine();
    const ran = await codeTask(e, 'a + b');
    assert.equal(ran.state, 'ok', ran.result);
    // The task answered: 0.5 success for each that served; the passed test: 0.5 more for c as code.
    assert.deepEqual([row(e, 'c', 'code').successes, row(e, 'c', 'code').failures], [1, 0]);
    assert.deepEqual([row(e, 'r', 'general').successes, row(e, 'r', 'general').failures], [0.5, 0]);
    assert.deepEqual([row(e, 'orch', 'orchestrator').successes, row(e, 'orch', 'orchestrator').failures], [0.5, 0]);
  });

  test('a failing test run is a failure for the model that wrote the code, and its estimate falls below a passing one', async () => {
    const e = engine();
    const ran = await codeTask(e, 'a - b');
    assert.equal(ran.state, 'error', ran.result);
    assert.match(ran.result, /AssertionError/);
    assert.deepEqual([row(e, 'c', 'code').successes, row(e, 'c', 'code').failures], [0.5, 0.5]);
    assert.deepEqual([row(e, 'r', 'general').successes, row(e, 'r', 'general').failures], [0.5, 0], 'the reviewer wrote no code');
    assert.ok(row(e, 'c', 'code').mean < row(e, 'r', 'general').mean, 'same prior, c now below r');

    const passing = engine();
    await codeTask(passing, 'a + b');
    assert.ok(row(passing, 'c', 'code').mean > row(e, 'c', 'code').mean);
  });

  test('code the orchestrator wrote itself: the verdict is the orchestrator’s', async () => {
    const e = engine();
    server.script('orch', [
      { toolCalls: [{ name: 'run_code', arguments: { language: 'javascript', code: "require('node:assert').equal(1 + 1, 3);" } }] },
      { toolCalls: [{ name: 'answer', arguments: { answer: 'done' } }] },
    ]);
    const run = await runTask(e, { question: 'check arithmetic', workspace: ws.dir });
    assert.equal(run.outcome.ok, true);
    assert.deepEqual([row(e, 'orch', 'orchestrator').successes, row(e, 'orch', 'orchestrator').failures], [0.5, 0.5]);
  });
});
