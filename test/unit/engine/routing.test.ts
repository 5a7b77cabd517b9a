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
