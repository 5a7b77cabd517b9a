// Hard rules, budgets and limits, enforced by the harness whatever the orchestrator asks: privacy
// modes (a "remote" model on a second loopback server marked local:false must get zero requests),
// deny lists, the dollar cap with maxTokens lowering, soft-limit approval, max turns, wall time,
// cancellation mid-stream, and the trajectory round trip.
import { test, describe, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startModelServer, type ModelServer } from '../../support/model-server';
import { dollarsFor } from '../../../src/core/pool';
import { readTrajectory } from '../../../src/core/trajectory';
import { Budget, planModelCall } from '../../../src/core/budget';
import { config, model, newEngine, recordingHost, runTask, tempWorkspace, toolNames, lastUserOrToolText } from './helpers';

describe('hard rules, budgets and limits', () => {
  let local: ModelServer;
  let remote: ModelServer;
  const ws = tempWorkspace({ 'a.txt': 'alpha\n' });

  before(async () => {
    local = await startModelServer();
    remote = await startModelServer();
  });
  after(async () => {
    await local.close();
    await remote.close();
    ws.cleanup();
  });
  beforeEach(() => {
    local.reset();
    remote.reset();
  });

  const mixedPool = (extra: Record<string, unknown> = {}) =>
    config({
      models: [
        model('orch', local.url, { roles: ['orchestrator'], openWeights: true }),
        model('local-coder', local.url, { roles: ['code'], openWeights: true }),
        model('cloud', remote.url, {
          roles: ['code', 'general'],
          local: false,
          inputPricePerMillion: 1,
          outputPricePerMillion: 4,
          apiKeyEnv: 'CLOUD_KEY',
        }),
        model('cloud-open', remote.url, { roles: ['general'], local: false, openWeights: true }),
      ],
      orchestrator: { model: 'orch', dialect: 'general' },
      tools: { runCode: { enabled: false } },
      ...extra,
    });

  test('local-only: remote models are not shown, a call to one is denied, and no request leaves', async () => {
    local.script('orch', [
      { toolCalls: [{ name: 'call_model', arguments: { model: 'cloud', task: 'leak this' } }] },
      {
        toolCalls: [
          {
            name: 'delegate',
            arguments: {
              subtasks: [
                { task: 'x', model: 'cloud-open' },
                { task: 'y', role: 'general' },
              ],
            },
          },
        ],
      },
      { content: 'done locally' },
    ]);
    const engine = newEngine(
      recordingHost({ secrets: { CLOUD_KEY: 'sk-test-secret-value-123' } }),
      mixedPool({ privacyMode: 'local-only' }),
    );
    const run = await runTask(engine, { question: 'q', workspace: ws.dir });
    assert.equal(run.outcome.ok, true, JSON.stringify(run.outcome.error));
    assert.equal(remote.requests.length, 0, 'the non-local server got no request at all');
    const first = local.requestsFor('orch')[0];
    assert.doesNotMatch(first.body.messages[0].content, /cloud/);
    assert.match(first.body.messages[0].content, /local-coder/);
    const fin = run.of('tool_call_finished');
    assert.equal(fin[0].state, 'denied');
    assert.match(fin[0].error!, /privacyMode.*local-only.*cloud/);
    assert.match(lastUserOrToolText(local.requestsFor('orch')[1].body), /state: denied/);
    const subs = fin.filter((e) => e.tool === 'subtask');
    assert.equal(subs.length, 2);
    assert.equal(subs[0].state, 'denied');
    assert.notEqual(subs[1].state, 'denied', 'the role-picked subtask ran on an eligible model');
    assert.deepEqual(run.outcome.totals.remoteHosts, []);
    await engine.dispose();
  });

  test('local-only with a remote orchestrator fails with no_model and sends nothing', async () => {
    const cfg = mixedPool({ privacyMode: 'local-only', orchestrator: { model: 'cloud', dialect: 'general' } });
    const engine = newEngine(recordingHost(), cfg);
    const run = await runTask(engine, { question: 'q', workspace: ws.dir });
    assert.equal(run.outcome.ok, false);
    assert.equal(run.outcome.error!.code, 'no_model');
    assert.match(run.outcome.error!.message, /local-only/);
    assert.equal(remote.requests.length + local.requests.length, 0);
    assert.equal(engine.listModels().find((m) => m.id === 'cloud')!.eligible, false);
    assert.equal((await engine.testModel('cloud')).ok, false);
    assert.equal(remote.requests.length, 0, 'testing a model is refused under local-only too');
    await engine.dispose();
  });

  test('open-weights-only: closed models are denied, open remote ones allowed and recorded as remote hosts', async () => {
    local.script('orch', [
      { toolCalls: [{ name: 'call_model', arguments: { model: 'cloud', task: 't' } }] },
      { toolCalls: [{ name: 'call_model', arguments: { model: 'cloud-open', task: 't' } }] },
      { content: 'fine' },
    ]);
    remote.script('cloud-open', [{ content: 'open answer' }]);
    const engine = newEngine(recordingHost(), mixedPool({ privacyMode: 'open-weights-only' }));
    const run = await runTask(engine, { question: 'q', workspace: ws.dir });
    const fin = run.of('tool_call_finished');
    assert.equal(fin[0].state, 'denied');
    assert.match(fin[0].error!, /open-weights-only/);
    assert.equal(fin[1].state, 'ok');
    assert.equal(remote.requestsFor('cloud').length, 0);
    assert.deepEqual(run.outcome.totals.remoteHosts, ['127.0.0.1']);
    await engine.dispose();
  });

  test('deny lists: denied tools are hidden and refused, denied models never called', async () => {
    local.script('orch', [
      { toolCalls: [{ name: 'read_file', arguments: { path: 'a.txt' } }] },
      { toolCalls: [{ name: 'call_model', arguments: { model: 'local-coder', task: 't' } }] },
      { content: 'ok' },
    ]);
    const cfg = mixedPool({ preferences: { deniedTools: ['read_file'], deniedModels: ['local-*'] } });
    const engine = newEngine(recordingHost(), cfg);
    const run = await runTask(engine, { question: 'q', workspace: ws.dir });
    const first = local.requestsFor('orch')[0];
    assert.ok(!toolNames(first.body).includes('read_file'));
    assert.doesNotMatch(first.body.messages[0].content, /local-coder/);
    // A hidden tool is unknown to the orchestrator: its call comes back as an error it can read.
    assert.match(lastUserOrToolText(local.requestsFor('orch')[1].body), /state: error[\s\S]*read_file/);
    const fin = run.of('tool_call_finished');
    const readFile = fin.filter((e) => e.tool === 'read_file');
    assert.ok(
      readFile.length && readFile.every((e) => e.state === 'error' && /not run: unknown tool "read_file"/.test(e.error!)),
      'read_file never ran',
    );
    const callModel = fin.find((e) => e.tool === 'call_model')!;
    assert.equal(callModel.state, 'denied');
    assert.match(callModel.error!, /preferences\.deniedModels/);
    assert.equal(local.requestsFor('local-coder').length, 0);
    await engine.dispose();
  });

  test('budget: maxTokens is lowered to fit, a call that cannot fit is over_budget and never sent, spend stays under the cap', async () => {
    // cloud: $1/M in, $4/M out. Cap $0.004: the orchestrator is free; a ~30-token prompt costs ~$0.00003.
    local.script('orch', [
      { toolCalls: [{ name: 'call_model', arguments: { model: 'cloud', task: 'short task' } }] },
      { toolCalls: [{ name: 'call_model', arguments: { model: 'cloud', task: 'x'.repeat(20000) } }] },
      { content: 'stopped spending' },
    ]);
    remote.script('cloud', [{ content: 'cheap answer', usage: { prompt_tokens: 40, completion_tokens: 500 } }]);
    const cfg = mixedPool({ budget: { maxDollarsPerTask: 0.004 } });
    const engine = newEngine(recordingHost({ secrets: { CLOUD_KEY: 'sk-test-secret-value-123' } }), cfg);
    const run = await runTask(engine, { question: 'q', workspace: ws.dir });
    assert.equal(run.outcome.ok, true, JSON.stringify(run.outcome.error));
    const sent = remote.requestsFor('cloud');
    assert.equal(sent.length, 1, 'the second call did not fit and was never sent');
    const maxTokens = sent[0].body.max_tokens ?? sent[0].body.max_completion_tokens;
    assert.ok(maxTokens < 2048 && maxTokens >= 32, `max tokens lowered to fit the budget (got ${maxTokens})`);
    const fin = run.of('tool_call_finished');
    assert.equal(fin[1].state, 'over_budget');
    assert.match(fin[1].error!, /over budget/);
    const spent = dollarsFor({ inputPricePerMillion: 1, outputPricePerMillion: 4 }, { inputTokens: 40, outputTokens: 500 });
    assert.equal(run.outcome.totals.dollars, spent);
    assert.ok(run.outcome.totals.dollars <= 0.004);
    await engine.dispose();
  });

  test('budget: an orchestrator that cannot afford its own turn ends with code budget, sending nothing', async () => {
    const cfg = mixedPool({ orchestrator: { model: 'cloud', dialect: 'general' }, budget: { maxDollarsPerTask: 0.000001 } });
    const engine = newEngine(recordingHost(), cfg);
    const run = await runTask(engine, { question: 'q', workspace: ws.dir });
    assert.equal(run.outcome.error?.code, 'budget');
    assert.equal(remote.requests.length, 0);
    await engine.dispose();
  });

  test('budget arithmetic: reservations of calls in flight count, subtasks are bounded by parents', () => {
    const root = new Budget(1);
    const r1 = root.reserve(0.6)!;
    assert.ok(r1);
    assert.equal(root.reserve(0.5), undefined, 'in-flight reservation counts against what is left');
    const child = root.child(0.3);
    assert.ok(child.reserve(0.3));
    assert.equal(child.reserve(0.01), undefined);
    assert.ok(Math.abs(root.left - 0.1) < 1e-12);
    r1.settle(0.2);
    assert.ok(Math.abs(root.spent - 0.2) < 1e-12);
    const plan = planModelCall(0.001, { inputPricePerMillion: 1, outputPricePerMillion: 10 }, 100, 4096);
    assert.equal(plan.ok, true);
    if (plan.ok) {
      assert.ok(plan.lowered && plan.maxTokens >= 89 && plan.maxTokens <= 90, `lowered to about 90, got ${plan.maxTokens}`);
      assert.ok(plan.worstCaseDollars <= 0.001);
    }
    assert.equal(planModelCall(0.0001, { inputPricePerMillion: 1, outputPricePerMillion: 10 }, 100, 4096).ok, false);
  });

  test('soft limit: a paid call past it asks once; denial refuses paid calls', async () => {
    local.script('orch', [
      { toolCalls: [{ name: 'call_model', arguments: { model: 'cloud', task: 'a' } }] },
      { toolCalls: [{ name: 'call_model', arguments: { model: 'cloud', task: 'b' } }] },
      { content: 'ok' },
    ]);
    remote.script('cloud', [{ content: 'first', usage: { prompt_tokens: 1000, completion_tokens: 1000 } }]);
    const host = recordingHost({ approve: false });
    const engine = newEngine(host, mixedPool({ budget: { maxDollarsPerTask: 1, softLimitDollars: 0.001 } }));
    const run = await runTask(engine, { question: 'q', workspace: ws.dir });
    assert.equal(remote.requestsFor('cloud').length, 1);
    assert.equal(host.approvals.length, 1);
    assert.equal(host.approvals[0].kind, 'paid_call');
    const fin = run.of('tool_call_finished');
    assert.equal(fin[1].state, 'denied');
    assert.match(fin[1].error!, /softLimitDollars/);
    assert.equal(run.of('approval_requested').length, 1);
    assert.equal(run.of('approval_resolved')[0].approved, false);
    await engine.dispose();
  });

  test('max turns: the last turn offers only answer, and a model that will not answer ends with code turns', async () => {
    local.setHandler('orch', () => ({ toolCalls: [{ name: 'list_files', arguments: {} }] }));
    const engine = newEngine(recordingHost(), mixedPool({ budget: { maxTurns: 3 } }));
    const run = await runTask(engine, { question: 'q', workspace: ws.dir });
    assert.equal(run.outcome.error?.code, 'turns');
    const reqs = local.requestsFor('orch');
    assert.equal(reqs.length, 3);
    assert.deepEqual(toolNames(reqs[2].body), ['answer']);
    assert.match(JSON.stringify(reqs[2].body.messages.at(-1)), /last turn/);
    await engine.dispose();
  });

  test('wall time: a hanging orchestrator is stopped with code wall_time and its request aborted', async () => {
    local.script('orch', [{ fault: 'hang-before' }]);
    const engine = newEngine(recordingHost(), mixedPool({ budget: { maxWallTimeSeconds: 0.5 } }));
    const run = await runTask(engine, { question: 'q', workspace: ws.dir });
    assert.equal(run.outcome.error?.code, 'wall_time');
    await waitFor(() => local.requests[0]?.aborted === true);
    await engine.dispose();
  });

  test('cancel mid-stream aborts every in-flight call of the tree and never restarts one', async () => {
    local.script('orch', [
      {
        toolCalls: [
          { name: 'call_model', arguments: { model: 'local-coder', task: 'slow one' } },
          { name: 'delegate', arguments: { subtasks: [{ task: 'sub', model: 'local-coder' }] } },
        ],
      },
    ]);
    local.setHandler('local-coder', () => ({ content: Array.from({ length: 200 }, (_, i) => `word${i}`).join(' '), tokensPerSecond: 20 }));
    const engine = newEngine(recordingHost(), mixedPool());
    let cancelled = false;
    const run = await runTask(
      engine,
      { question: 'q', workspace: ws.dir },
      {
        onEvent: (e, eng) => {
          if (!cancelled && e.type === 'tool_call_delta') {
            // Wait until both streams are running, then cancel.
            if (local.requestsFor('local-coder').length >= 2) {
              cancelled = true;
              eng.cancel(e.taskId);
            }
          }
        },
      },
    );
    assert.ok(cancelled, 'cancel was issued mid-stream');
    assert.equal(run.outcome.error?.code, 'cancelled');
    await waitFor(() => local.requestsFor('local-coder').every((r) => r.finishedAt !== undefined));
    const coderReqs = local.requestsFor('local-coder');
    assert.equal(coderReqs.length, 2);
    assert.ok(
      coderReqs.every((r) => r.aborted),
      'both in-flight requests were aborted',
    );
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(local.requestsFor('local-coder').length, 2, 'nothing was restarted after cancel');
    assert.equal(local.requestsFor('orch').length, 1);
    const states = run.of('tool_call_finished').map((e) => e.state);
    assert.ok(
      states.every((s) => s === 'cancelled'),
      `every call ended cancelled: ${states.join(', ')}`,
    );
    await engine.dispose();
  });

  test('trajectory: written as JSONL, read back into the same events, no secrets', async () => {
    local.script('orch', [
      { toolCalls: [{ name: 'call_model', arguments: { model: 'cloud', task: 'hello' } }] },
      { toolCalls: [{ name: 'answer', arguments: { answer: 'bye' } }] },
    ]);
    remote.script('cloud', [{ content: 'cloud says hi' }]);
    const secret = 'sk-test-secret-value-123';
    const file = join(ws.dir, 'traj', 't.jsonl');
    const engine = newEngine(recordingHost({ secrets: { CLOUD_KEY: secret } }), mixedPool());
    const run = await runTask(engine, { question: 'q', workspace: ws.dir, trajectoryPath: file });
    assert.equal(run.outcome.ok, true);
    assert.equal(remote.requestsFor('cloud')[0].headers.authorization, `Bearer ${secret}`, 'the key was used');
    const text = readFileSync(file, 'utf8');
    assert.ok(!text.includes(secret), 'the key never reaches the trajectory');
    assert.equal(engine.trajectory(run.outcome.taskId), text);
    const parsed = readTrajectory(text);
    assert.deepEqual(parsed.problems, []);
    assert.deepEqual(parsed.events, run.events);
    assert.equal(parsed.header!.question, 'q');
    assert.equal(parsed.header!.pool.length, 4);
    assert.ok(!('apiKeyEnv' in parsed.header!.pool[0]));
    assert.equal(parsed.modelCalls.length, 3);
    assert.equal(parsed.modelCalls[0].purpose, 'orchestrator');
    assert.equal(parsed.modelCalls[1].purpose, 'call_model');
    assert.equal(parsed.end!.answer, 'bye');
    assert.deepEqual(parsed.end!.totals, run.outcome.totals);
    assert.equal(run.of('done')[0].trajectoryPath, file);
    await engine.dispose();
  });
});

async function waitFor(cond: () => boolean, ms = 3000): Promise<void> {
  const until = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > until) assert.fail('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}
