// Stopping one call of a running task (Engine.cancelCall) against the scripted model server over
// real HTTP: the cancelled call's request is aborted and never sent again, its siblings finish, the
// orchestrator reads "cancelled by the user" and the task goes on to its answer.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import type { EngineEvent } from '../../../src/core/protocol/events';
import { config, model, newEngine, recordingHost, runTask, scriptedServerSuite } from './helpers';

async function waitFor(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (cond()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  assert.fail(`timed out waiting for: ${what}`);
}

/** A promise the test opens once the cancel is issued; a safety timer keeps a failing test from hanging. */
function gate(): { opened: Promise<void>; open(): void } {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  const timer = setTimeout(open, 15_000);
  void opened.then(() => clearTimeout(timer));
  return { opened, open };
}

const LONG_REPLY = Array.from({ length: 400 }, (_, i) => `word${i}`).join(' ');

function toolMessages(body: any): string[] {
  return body.messages.filter((m: any) => m.role === 'tool').map((m: any) => String(m.content));
}

describe('cancelling one call', () => {
  const { server, ws } = scriptedServerSuite({ 'a.txt': 'alpha\n' });

  const cfg = () =>
    config({
      models: [
        model('orch', server.url, { roles: ['orchestrator'] }),
        model('steady', server.url),
        model('slow', server.url),
        model('lead1', server.url),
        model('lead2', server.url),
      ],
      orchestrator: { model: 'orch', dialect: 'general' },
      tools: { runCode: { enabled: false } },
    });

  test('one of two parallel call_model calls is stopped mid-stream; the other finishes and the task answers', async () => {
    const release = gate();
    server.script('orch', [
      {
        toolCalls: [
          { name: 'call_model', arguments: { model: 'steady', task: 'keep going' } },
          { name: 'call_model', arguments: { model: 'slow', task: 'stop me' } },
        ],
      },
      { toolCalls: [{ name: 'answer', arguments: { answer: 'answered without the stopped call' } }] },
    ]);
    // `steady` answers only after the cancel, so it is in flight while its sibling is stopped.
    server.setHandler('steady', async () => {
      await release.opened;
      return { content: 'steady result' };
    });
    server.setHandler('slow', () => ({ content: LONG_REPLY, tokensPerSecond: 40 }));
    const engine = newEngine(recordingHost(), cfg());
    let slowCallId: string | undefined;
    const results: boolean[] = [];
    const run = await runTask(
      engine,
      { question: 'q', workspace: ws.dir },
      {
        onEvent: (e: EngineEvent, eng) => {
          if (e.type === 'tool_call_started' && (e.args as { model?: string })?.model === 'slow') slowCallId = e.callId;
          if (e.type === 'tool_call_delta' && e.callId === slowCallId && !results.length) {
            results.push(eng.cancelCall(e.taskId, e.callId));
            results.push(eng.cancelCall(e.taskId, e.callId));
            release.open();
          }
        },
      },
    );
    assert.deepEqual(results, [true, false], 'the first cancel stops the call; a second one finds nothing running');
    assert.equal(run.outcome.ok, true, JSON.stringify(run.outcome.error));
    assert.equal(run.outcome.answer, 'answered without the stopped call');

    await waitFor(() => server.requestsFor('slow').every((r) => r.finishedAt !== undefined), 'the slow request to end');
    assert.equal(server.requestsFor('slow').length, 1);
    assert.equal(server.requestsFor('slow')[0].aborted, true, 'the server saw the stopped request aborted');
    assert.equal(server.requestsFor('steady')[0].aborted, false, 'the sibling request completed');

    const finished = run.of('tool_call_finished');
    assert.equal(finished.find((f) => f.callId === slowCallId)?.state, 'cancelled');
    assert.match(finished.find((f) => f.callId === slowCallId)?.error ?? '', /cancelled by the user/);
    assert.equal(finished.find((f) => f.model === 'steady')?.state, 'ok');

    // The orchestrator's next turn reads both results, the stopped one as cancelled by the user.
    const orchRequests = server.requestsFor('orch');
    assert.equal(orchRequests.length, 2);
    const observations = toolMessages(orchRequests[1].body);
    assert.equal(observations.length, 2);
    assert.ok(
      observations.some((o) => /^\[state: ok \| model: steady/.test(o) && o.includes('steady result')),
      observations.join('\n---\n'),
    );
    assert.ok(
      observations.some((o) => /^\[state: cancelled/.test(o) && o.includes('cancelled by the user')),
      observations.join('\n---\n'),
    );

    // Never restarted: after the task, still one request to the stopped model.
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(server.requestsFor('slow').length, 1, 'the stopped call was not sent again');
    assert.equal(engine.cancelCall(run.outcome.taskId, slowCallId!), false, 'nothing to cancel once the task ended');
    await engine.dispose();
  });

  test('a delegated subtask is stopped with its whole subtree; the other subtask and the task go on', async () => {
    const release = gate();
    server.script('orch', [
      {
        toolCalls: [
          {
            name: 'delegate',
            arguments: {
              subtasks: [
                { task: 'subtask to stop', model: 'lead1' },
                { task: 'subtask to keep', model: 'lead2' },
              ],
            },
          },
        ],
      },
      { toolCalls: [{ name: 'answer', arguments: { answer: 'done with one subtask' } }] },
    ]);
    // lead1's subtask calls a slow model; the cancel lands while that request streams.
    server.script('lead1', [{ toolCalls: [{ name: 'call_model', arguments: { model: 'slow', task: 'deep work' } }] }]);
    server.setHandler('slow', () => ({ content: LONG_REPLY, tokensPerSecond: 40 }));
    server.setHandler('lead2', async () => {
      await release.opened;
      return { toolCalls: [{ name: 'answer', arguments: { answer: 'kept subtask result' } }] };
    });
    const engine = newEngine(recordingHost(), cfg());
    const subtaskIds = new Map<string, string>();
    let innerCallId: string | undefined;
    let cancelled: boolean | undefined;
    const run = await runTask(
      engine,
      { question: 'q', workspace: ws.dir },
      {
        onEvent: (e: EngineEvent, eng) => {
          if (e.type === 'tool_call_started' && e.tool === 'subtask') subtaskIds.set((e.args as { task: string }).task, e.callId);
          // Its card first shows the call being written; the cancel waits for the model's output.
          if (
            e.type === 'tool_call_started' &&
            e.tool === 'call_model' &&
            e.state === 'running' &&
            e.parentCallId === subtaskIds.get('subtask to stop')
          )
            innerCallId = e.callId;
          if (e.type === 'tool_call_delta' && e.callId === innerCallId && cancelled === undefined) {
            cancelled = eng.cancelCall(e.taskId, subtaskIds.get('subtask to stop')!);
            release.open();
          }
        },
      },
    );
    assert.equal(cancelled, true, 'the subtask was cancelled while its model request streamed');
    assert.equal(run.outcome.ok, true, JSON.stringify(run.outcome.error));
    assert.equal(run.outcome.answer, 'done with one subtask');

    await waitFor(() => server.requestsFor('slow').every((r) => r.finishedAt !== undefined), 'the subtree request to end');
    assert.equal(server.requestsFor('slow').length, 1);
    assert.equal(server.requestsFor('slow')[0].aborted, true, "the subtask's in-flight request was aborted");
    assert.equal(server.requestsFor('lead1').length, 1, 'the stopped subtask took no further turn');

    const finished = run.of('tool_call_finished');
    const stopped = finished.find((f) => f.callId === subtaskIds.get('subtask to stop'));
    assert.equal(stopped?.state, 'cancelled');
    assert.match(stopped?.error ?? '', /cancelled by the user/);
    assert.equal(finished.find((f) => f.callId === innerCallId)?.state, 'cancelled', 'the call inside the subtask ended cancelled');
    assert.equal(finished.find((f) => f.callId === subtaskIds.get('subtask to keep'))?.state, 'ok');

    // The orchestrator reads the delegate result: one subtask cancelled by the user, one done.
    const observation = toolMessages(server.requestsFor('orch')[1].body).join('\n');
    assert.match(observation, /Subtask 1 \[state: cancelled[^\n]*\]\nTask: subtask to stop\ncancelled by the user/);
    assert.match(observation, /Subtask 2 \[state: ok[^\n]*\]\nTask: subtask to keep\nkept subtask result/);

    await new Promise((r) => setTimeout(r, 100));
    assert.equal(server.requestsFor('slow').length, 1, 'nothing under the stopped subtask was sent again');
    assert.equal(server.requestsFor('lead1').length, 1);
    await engine.dispose();
  });

  test('unknown task or call ids are refused', async () => {
    const engine = newEngine(recordingHost(), cfg());
    assert.equal(engine.cancelCall('no-such-task', 'call_1'), false);
    await engine.dispose();
  });
});

describe('stopping the task', () => {
  const { server, ws } = scriptedServerSuite({ 'a.txt': 'alpha\n' });

  test('queued subtasks are never started: with concurrency 2, stopping during 6 subtasks sends no further request', async () => {
    server.script('orch', [
      {
        toolCalls: [
          { name: 'delegate', arguments: { subtasks: Array.from({ length: 6 }, (_, i) => ({ task: `part ${i}`, model: 'lead' })) } },
        ],
      },
    ]);
    server.setHandler('lead', () => ({ content: LONG_REPLY, tokensPerSecond: 20 }));
    const engine = newEngine(
      recordingHost(),
      config({
        models: [model('orch', server.url, { roles: ['orchestrator'] }), model('lead', server.url)],
        orchestrator: { model: 'orch', dialect: 'general' },
        concurrency: 2,
        tools: { runCode: { enabled: false } },
      }),
    );
    const controller = new AbortController();
    const run = runTask(engine, { question: 'six parts', workspace: ws.dir }, { signal: controller.signal });
    await waitFor(() => server.requestsFor('lead').length === 2, 'two subtasks streaming');
    controller.abort();
    const stopped = await run;
    assert.equal(stopped.outcome.error?.code, 'cancelled');
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(server.requestsFor('lead').length, 2, 'the four queued subtasks never sent a request');
    for (const r of server.requestsFor('lead')) {
      await waitFor(() => r.finishedAt !== undefined, 'the request to end');
      assert.equal(r.aborted, true, 'the running streams were aborted');
    }
    const subtasks = stopped.of('tool_call_finished').filter((e) => e.tool === 'subtask');
    assert.equal(subtasks.length, 6);
    assert.ok(
      subtasks.every((e) => e.state === 'cancelled'),
      JSON.stringify(subtasks.map((e) => e.state)),
    );
    await engine.dispose();
  });
});
