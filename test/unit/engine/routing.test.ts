// Routing you can see, end to end over the scripted model server: a model call that moves to another
// model is a `model_choice` step of its call ("A down → B"), for an expert call and for the
// orchestrator's own turn, and the CLI's live view prints it.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { LiveView } from '../../../src/cli/render';
import { startTapProxy, type TapProxy } from '../../support/tap-proxy';
import { config, model, newEngine, recordingHost, runTask, scriptedServerSuite } from './helpers';

describe('routing: fallbacks are visible steps', () => {
  const { server, ws } = scriptedServerSuite({ 'README.md': '# demo\n' });
  let dead: TapProxy;
  before(async () => {
    dead = await startTapProxy(1);
    dead.kill();
  });
  after(async () => {
    await dead.close();
  });

  test('an expert that is down: the call card says "A down → B" and B serves it', async () => {
    server.script('orch', [
      { toolCalls: [{ name: 'call_model', arguments: { model: 'a', task: 'Say hi.' } }] },
      { toolCalls: [{ name: 'answer', arguments: { answer: 'done' } }] },
    ]);
    server.script('b', [{ content: 'hi from b' }]);
    const engine = newEngine(
      recordingHost(),
      config({
        models: [
          model('orch', server.url, { roles: ['orchestrator'] }),
          model('a', dead.url, { fallbacks: ['b'] }),
          model('b', server.url),
        ],
        orchestrator: { model: 'orch', dialect: 'general' },
        tools: { runCode: { enabled: false } },
      }),
    );
    const run = await runTask(engine, { question: 'hi', workspace: ws.dir });
    assert.equal(run.outcome.ok, true, JSON.stringify(run.outcome.error));
    const call = run.of('tool_call_started').find((e) => e.tool === 'call_model')!;
    const steps = run.of('model_choice').filter((e) => e.how === 'fallback');
    assert.equal(steps.length, 1);
    assert.equal(steps[0].callId, call.callId, 'the step belongs to the call card');
    assert.equal(steps[0].from?.model, 'a');
    assert.equal(steps[0].from?.unreachable, true);
    assert.equal(steps[0].model, 'b');
    const finished = run.of('tool_call_finished').find((e) => e.callId === call.callId)!;
    assert.equal(finished.model, 'b');
    assert.match(finished.result, /a failed .*b answered instead/);

    const printed: string[] = [];
    const view = new LiveView((t) => printed.push(t), { color: false });
    for (const e of run.events) view.handle(e);
    assert.match(printed.join(''), /↪ a down → b: /);
  });

  test('the orchestrator itself down: its turn shows the switch and the task still finishes', async () => {
    server.script('orch2', [{ toolCalls: [{ name: 'answer', arguments: { answer: 'answered by orch2' } }] }]);
    const engine = newEngine(
      recordingHost(),
      config({
        models: [
          model('orch', dead.url, { roles: ['orchestrator'], fallbacks: ['orch2'] }),
          model('orch2', server.url, { roles: ['orchestrator'] }),
        ],
        orchestrator: { model: 'orch', dialect: 'general' },
        tools: { runCode: { enabled: false } },
      }),
    );
    const run = await runTask(engine, { question: 'hi', workspace: ws.dir });
    assert.equal(run.outcome.answer, 'answered by orch2');
    const step = run.of('model_choice').find((e) => e.how === 'fallback')!;
    assert.equal(step.turn, 1);
    assert.equal(step.from?.model, 'orch');
    assert.equal(step.model, 'orch2');
  });
});

describe('routing: every model call says why', () => {
  const { server, ws } = scriptedServerSuite({ 'README.md': '# demo\n' });
  // Three code models: a local, open and free; b remote, closed, $1/$4; c remote, open, $0.2/$0.2.
  const cfg = () =>
    config({
      models: [
        model('orch', server.url, { roles: ['orchestrator'] }),
        model('a', server.url, { roles: ['code'], local: true, openWeights: true, quality: 0.6 }),
        model('b', server.url, { roles: ['code'], local: false, inputPricePerMillion: 1, outputPricePerMillion: 4, quality: 0.9 }),
        model('c', server.url, {
          roles: ['code'],
          local: false,
          openWeights: true,
          inputPricePerMillion: 0.2,
          outputPricePerMillion: 0.2,
          quality: 0.7,
        }),
      ],
      orchestrator: { model: 'orch', dialect: 'general' },
      preferences: { quality: 0.5, cost: 0.3, latency: 0.2, openWeights: 0.2, local: 0.1, explore: false },
      tools: { runCode: { enabled: false } },
    });

  test('a pick by role: the card’s reasons are the score’s largest terms, with the runner-up (as computed by hand)', async () => {
    server.script('orch', [
      { toolCalls: [{ name: 'call_model', arguments: { role: 'code', task: 'Write it.' } }] },
      { toolCalls: [{ name: 'answer', arguments: { answer: 'done' } }] },
    ]);
    server.script('c', [{ content: 'written by c' }]);
    const run = await runTask(newEngine(recordingHost(), cfg()), { question: 'code please', workspace: ws.dir });
    assert.equal(run.outcome.ok, true, JSON.stringify(run.outcome.error));
    const call = run.of('tool_call_started').find((e) => e.tool === 'call_model')!;
    const [choice] = run.of('model_choice');
    assert.equal(choice.callId, call.callId);
    assert.equal(choice.how, 'ranked');
    assert.equal(choice.role, 'code');
    // docs/ROUTING.md: c = 0.5·(0.1/0.3) + 0.3·(1 − 0.2/1.75) + 0.2·0.5 + 0.2·1 = 0.732; a = 0.3 + 0.1 + 0.2 + 0.1 = 0.7.
    assert.equal(choice.model, 'c');
    assert.equal(choice.score, 0.732);
    assert.deepEqual(choice.reasons, ['$0.2/$0.2 per M (+0.27)', 'open weights (+0.20)', 'quality 0.70 for code (your prior) (+0.17)']);
    assert.deepEqual(choice.runnerUp, {
      model: 'a',
      score: 0.7,
      reasons: ['free (+0.30)', 'open weights (+0.20)', 'latency not measured (+0.10)'],
    });
    assert.equal(run.of('tool_call_finished').find((e) => e.callId === call.callId)!.model, 'c');
    assert.equal(server.requestsFor('c').length, 1);

    const printed: string[] = [];
    const view = new LiveView((t) => printed.push(t), { color: false, explain: true });
    for (const e of run.events) view.handle(e);
    assert.match(
      printed.join(''),
      /why c for code \(score 0\.73\): \$0\.2\/\$0\.2 per M \(\+0\.27\) · open weights \(\+0\.20\) · quality 0\.70 for code \(your prior\) \(\+0\.17\) — runner-up a \(0\.70\)/,
    );
  });

  test('a model the orchestrator names: its rank by the scoring, and what the scoring would have picked', async () => {
    server.script('orch', [
      { toolCalls: [{ name: 'call_model', arguments: { model: 'b', task: 'Write it.' } }] },
      { toolCalls: [{ name: 'answer', arguments: { answer: 'done' } }] },
    ]);
    server.script('b', [{ content: 'written by b' }]);
    const run = await runTask(newEngine(recordingHost(), cfg()), { question: 'code please', workspace: ws.dir });
    const [choice] = run.of('model_choice');
    assert.equal(choice.how, 'named');
    assert.equal(choice.model, 'b');
    assert.equal(choice.reasons[0], 'ranked #3 of 3 for code by the scoring');
    assert.equal(choice.runnerUp?.model, 'c');
  });
});
