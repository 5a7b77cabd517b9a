// Resume over the scripted model server: a task stopped mid-way is run again from its journal; every
// model call that answered and every tool call that finished is replayed from the record (the
// server's request log shows no second request), only the interrupted call is asked again, and the
// totals count what was paid in both runs.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConversationLibrary } from '../../../src/core/conversations/library';
import type { EngineEvent } from '../../../src/core/protocol/events';
import { config, model, newEngine, recordingHost, runTask, scriptedServerSuite } from './helpers';

async function waitFor(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 1000; i++) {
    if (cond()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  assert.fail(`timed out waiting for: ${what}`);
}

describe('resume', () => {
  const { server, ws } = scriptedServerSuite({ 'a.txt': 'alpha\n' });
  const dir = mkdtempSync(join(tmpdir(), 'orchestra-resume-'));
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  const price = { inputPricePerMillion: 1, outputPricePerMillion: 2 };
  const cfg = () =>
    config({
      models: [
        model('orch', server.url, { roles: ['orchestrator'], ...price }),
        model('fast', server.url, { ...price }),
        model('slow', server.url, { ...price }),
      ],
      orchestrator: { model: 'orch', dialect: 'general' },
      tools: { runCode: { enabled: false } },
    });

  test('a stopped task resumes: answered calls are replayed from the record, only the interrupted one is asked again', async () => {
    server.script('orch', [
      {
        toolCalls: [
          { name: 'read_file', arguments: { path: 'a.txt' } },
          { name: 'call_model', arguments: { model: 'fast', task: 'quick part' } },
          { name: 'call_model', arguments: { model: 'slow', task: 'slow part' } },
        ],
      },
      { toolCalls: [{ name: 'answer', arguments: { answer: 'Both parts done.' } }] },
    ]);
    server.script('fast', [{ content: 'Quick result.' }]);
    server.script('slow', [{ content: 'slow words '.repeat(400), tokensPerSecond: 20 }, { content: 'Slow result.' }]);
    const engine = newEngine(recordingHost(), cfg());
    const controller = new AbortController();
    const conversation = { dir, id: 'c-resume' };
    const first = runTask(engine, { question: 'Do both parts.', workspace: ws.dir, conversation }, { signal: controller.signal });
    await waitFor(
      () => server.requestsFor('fast')[0]?.finishedAt !== undefined && server.requestsFor('slow').length === 1,
      'fast done, slow streaming',
    );
    controller.abort();
    const stopped = await first;
    assert.equal(stopped.outcome.error?.code, 'cancelled');
    const taskId = stopped.outcome.taskId;
    assert.equal(new ConversationLibrary(dir).tasks('c-resume')[0].state, 'stopped');

    const events: EngineEvent[] = [];
    const resumed = await engine.resume({ taskId, conversation, workspace: ws.dir }, (e) => events.push(e));
    assert.equal(resumed.ok, true, JSON.stringify(resumed.error));
    assert.equal(resumed.answer, 'Both parts done.');
    // The server's request log: the orchestrator's first turn and the fast expert once; the slow one again (it never answered).
    assert.equal(server.requestsFor('orch').length, 2, 'turn 1 replayed, turn 2 asked');
    assert.equal(server.requestsFor('fast').length, 1, 'the answered call was not asked again');
    assert.equal(server.requestsFor('slow').length, 2, 'the interrupted call ran again');
    // The resumed run shows the whole tree again, costs included.
    assert.equal(events[0].type, 'task_started');
    const finished = events.filter((e) => e.type === 'tool_call_finished');
    assert.deepEqual(
      finished.map((e) => e.type === 'tool_call_finished' && [e.tool, e.state]).sort(),
      [
        ['answer', 'ok'],
        ['call_model', 'ok'],
        ['call_model', 'ok'],
        ['read_file', 'ok'],
      ].sort(),
    );
    const fastCard = finished.find((e) => e.type === 'tool_call_finished' && e.model === 'fast');
    assert.ok(fastCard && fastCard.type === 'tool_call_finished' && fastCard.dollars > 0, 'the replayed call shows what it cost');
    // Totals: both orchestrator turns, both experts, and the cut slow stream of the first run are paid.
    assert.ok(resumed.totals.dollars > stopped.outcome.totals.dollars);
    assert.deepEqual([...resumed.totals.models].sort(), ['fast', 'orch', 'slow']);
    const j = new ConversationLibrary(dir).journal('c-resume', taskId)!;
    assert.equal(j.resumes, 1);
    assert.equal(j.end?.ok, true);
    assert.equal(j.events[0].type, 'task_started', 'the record shows the latest run');
    await engine.dispose();
  });

  test('a reply the server reported no usage for is recorded as counted and settled, and resumed at that cost', async () => {
    const quick = 'Quick result, with no usage reported.';
    server.script('orch', [
      {
        toolCalls: [
          { name: 'call_model', arguments: { model: 'fast', task: 'quick part' } },
          { name: 'call_model', arguments: { model: 'slow', task: 'slow part' } },
        ],
      },
      { toolCalls: [{ name: 'answer', arguments: { answer: 'Both parts done.' } }] },
    ]);
    server.script('fast', [{ content: quick, usage: false }]);
    server.script('slow', [{ content: 'slow words '.repeat(400), tokensPerSecond: 20 }, { content: 'Slow result.' }]);
    const engine = newEngine(recordingHost(), cfg());
    const controller = new AbortController();
    const conversation = { dir, id: 'c-counted' };
    const fastSeen = server.requestsFor('fast').length;
    const slowSeen = server.requestsFor('slow').length;
    const first = runTask(engine, { question: 'Do both parts.', workspace: ws.dir, conversation }, { signal: controller.signal });
    await waitFor(
      () => server.requestsFor('fast')[fastSeen]?.finishedAt !== undefined && server.requestsFor('slow').length === slowSeen + 1,
      'fast done, slow streaming',
    );
    controller.abort();
    const stopped = await first;
    const taskId = stopped.outcome.taskId;
    const fastCard = (events: EngineEvent[]) => {
      const card = events.find((e) => e.type === 'tool_call_finished' && e.model === 'fast');
      assert.ok(card && card.type === 'tool_call_finished', 'the fast call finished');
      return card;
    };
    const paid = fastCard(stopped.events).dollars;
    // Settled at what the reply can have cost: with no tokenizer at the server, one token per byte that arrived.
    const rec = [...new ConversationLibrary(dir).journal('c-counted', taskId)!.models.values()].find((r) => r.modelId === 'fast');
    assert.ok(rec, 'the answered call is in the journal');
    assert.equal(rec.result.usage.estimated, true);
    assert.ok(rec.result.usage.outputTokens >= Buffer.byteLength(quick), `counted ${rec.result.usage.outputTokens} output tokens`);
    assert.ok(paid > 0 && Math.abs(rec.dollars - paid) < 1e-12, `recorded $${rec.dollars}, charged $${paid}`);

    const events: EngineEvent[] = [];
    const resumed = await engine.resume({ taskId, conversation, workspace: ws.dir }, (e) => events.push(e));
    assert.equal(resumed.ok, true, JSON.stringify(resumed.error));
    assert.equal(server.requestsFor('fast').length, fastSeen + 1, 'the answered call was not asked again');
    assert.ok(Math.abs(fastCard(events).dollars - paid) < 1e-12, 'replayed at the cost it was settled at');
    await engine.dispose();
  });

  test('resume is refused for a task that answered, or one with no record', async () => {
    server.script('orch', [{ content: 'Done.' }]);
    const engine = newEngine(recordingHost(), cfg());
    const conversation = { dir, id: 'c-refuse' };
    const run = await runTask(engine, { question: 'q', workspace: ws.dir, conversation });
    await assert.rejects(
      engine.resume({ taskId: run.outcome.taskId, conversation, workspace: ws.dir }, () => undefined),
      /already answered/,
    );
    await assert.rejects(
      engine.resume({ taskId: 'no-such-task', conversation, workspace: ws.dir }, () => undefined),
      /no record of task no-such-task/,
    );
    await engine.dispose();
  });
});
