// Tool calls a local model gets wrong, end to end over real HTTP: an unknown tool, a call cut by the
// token limit and a good one in turn; cards while calls are written; the answer streaming from a
// text-format call; another model taking over after repeated unusable turns; an explicit format the
// model does not follow, reported.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { config, model, newEngine, recordingHost, runTask, scriptedServerSuite, lastUserOrToolText } from './helpers';
import { readTrajectory } from '../../../src/core/trajectory';

describe('tool calls a model gets wrong', () => {
  const { server, ws } = scriptedServerSuite({ 'src/answer.ts': 'export const ANSWER = 4217;\n' });

  const cfg = (extra: Record<string, unknown> = {}, orch: Record<string, unknown> = {}) =>
    config({
      models: [model('orch', server.url, { roles: ['orchestrator'], maxOutputTokens: 300, ...orch })],
      orchestrator: { model: 'orch', dialect: 'general' },
      tools: { runCode: { enabled: false } },
      ...extra,
    });

  test('an unknown tool, then a cut call, then a good one: each answered, the task ends answered', async () => {
    server.script('orch', [
      { content: 'Looking.\n<tool_call>\n{"name": "open_file", "arguments": {"path": "src/answer.ts"}}\n</tool_call>' },
      { content: '<tool_call>\n{"name": "read_file", "arguments": {"path": "src/ans', finishReason: 'length' },
      { content: '<tool_call>\n{"name": "read_file", "arguments": {"path": "src/answer.ts"}}\n</tool_call>' },
      { content: '<tool_call>\n{"name": "answer", "arguments": {"answer": "The magic number is 4217."}}\n</tool_call>' },
    ]);
    const engine = newEngine(recordingHost(), cfg());
    const run = await runTask(engine, { question: 'What is the magic number?', workspace: ws.dir });
    assert.equal(run.outcome.ok, true, JSON.stringify(run.outcome.error));
    assert.equal(run.outcome.answer, 'The magic number is 4217.');

    const finished = run.of('tool_call_finished');
    const [unknown, cut, good] = finished;
    assert.equal(unknown.tool, 'open_file');
    assert.equal(unknown.state, 'error');
    assert.match(
      unknown.error!,
      /not run: unknown tool "open_file"; the tools you can call are: search_workspace, read_file, list_files, delegate, answer/,
    );
    assert.equal(cut.tool, 'read_file');
    assert.equal(cut.state, 'error');
    assert.match(cut.error!, /not run: the reply reached the max-token limit \(\d+ tokens\) in the middle of the call to "read_file"/);
    assert.equal(good.tool, 'read_file');
    assert.equal(good.state, 'ok');

    // The orchestrator read each error as the result of its own call (by id), and corrected itself.
    const reqs = server.requestsFor('orch');
    assert.equal(reqs.length, 4);
    assert.match(lastUserOrToolText(reqs[1].body), /unknown tool "open_file"; the tools you can call are: .*read_file/);
    assert.match(lastUserOrToolText(reqs[2].body), /max-token limit[\s\S]*shorter arguments/);
    const cutTurn = reqs[2].body.messages.find((m: any) => m.role === 'assistant' && m.tool_calls?.[0]?.function?.name === 'read_file');
    assert.equal(cutTurn.tool_calls[0].function.arguments, '{}', 'a cut call goes back with no arguments, never a guess');
    assert.match(lastUserOrToolText(reqs[3].body), /ANSWER = 4217/);

    // Each call's card appeared while the model wrote it, then ran (or ended) under the same id.
    for (const f of finished) {
      const starts = run.of('tool_call_started').filter((s) => s.callId === f.callId);
      assert.equal(starts[0].state, 'writing', `${f.tool} was shown while written`);
    }
    // The ledger holds the cut call like any other: 4 turns and 4 calls.
    assert.equal(run.outcome.totals.calls, 8);
    const trajectory = readTrajectory(engine.trajectory(run.outcome.taskId)!);
    assert.ok(
      trajectory.events.some((e) => e.type === 'tool_call_finished' && e.callId === cut.callId && /max-token limit/.test(e.error ?? '')),
    );
    // No markup reached what the panel shows.
    for (const d of run.of('orchestrator_delta')) assert.doesNotMatch(d.text, /<\/?tool_call>/);
    await engine.dispose();
  });

  test('an answer written as Qwen3-Coder XML streams into the answer as it is written', async () => {
    const answer = 'The magic number is 4217, found in src/answer.ts as a constant.';
    const reply = `<tool_call>\n<function=answer>\n<parameter=answer>\n${answer}\n</parameter>\n</function>\n</tool_call>`;
    server.script('orch', [{ chunks: reply.match(/[\s\S]{1,6}/g)!, tokensPerSecond: 2000 }]);
    const engine = newEngine(recordingHost(), cfg());
    const run = await runTask(engine, { question: 'magic?', workspace: ws.dir });
    assert.equal(run.outcome.answer, answer);
    const deltas = run.of('answer_delta');
    assert.ok(deltas.length > 2, 'the answer arrived in pieces');
    assert.equal(deltas.map((d) => d.text).join(''), answer);
    await engine.dispose();
  });

  test('after three unusable turns another eligible model takes over, and says so', async () => {
    server.script('orch', [
      { content: '<tool_call>{"name": "read_file", "arguments": {"path": 1 2}}</tool_call>' },
      { content: '<tool_call>{"name": "read_file", "arguments": {"path": "src/answer.ts"' },
      { content: '<tool_call>{"name": "grep", "arguments": {}}</tool_call>' },
    ]);
    server.script('orch2', [{ toolCalls: [{ name: 'answer', arguments: { answer: 'orch2 answered' } }] }]);
    const host = recordingHost();
    const c = config({
      models: [model('orch', server.url, { roles: ['orchestrator'] }), model('orch2', server.url, { roles: ['orchestrator'] })],
      orchestrator: { model: 'orch', dialect: 'general' },
      tools: { runCode: { enabled: false } },
    });
    const engine = newEngine(host, c);
    const run = await runTask(engine, { question: 'magic?', workspace: ws.dir });
    assert.equal(run.outcome.ok, true, JSON.stringify(run.outcome.error));
    assert.equal(run.outcome.answer, 'orch2 answered');
    assert.equal(server.requestsFor('orch').length, 3);
    assert.match(host.logs.join('\n'), /orch wrote 3 turns in a row whose tool calls could not be used .*; orch2 takes over/);
    assert.ok(run.of('orchestrator_delta').some((d) => /orch2 takes over/.test(d.text)));
    // The new model read the whole conversation, errors included.
    assert.match(lastUserOrToolText(server.requestsFor('orch2')[0].body), /unknown tool "grep"/);
    await engine.dispose();
  });

  test('with no model to take over, a model that keeps writing unusable calls ends the task with the reason', async () => {
    server.setHandler('orch', () => ({ content: '<tool_call>{"name": "grep", "arguments": {}}</tool_call>' }));
    const engine = newEngine(recordingHost(), cfg());
    const run = await runTask(engine, { question: 'magic?', workspace: ws.dir });
    assert.equal(run.outcome.ok, false);
    assert.equal(run.outcome.error?.code, 'model_failed');
    assert.match(
      run.outcome.error?.message ?? '',
      /orch\) wrote 6 turns in a row whose tool calls could not be used, and no other eligible model can take over: not run: unknown tool "grep"/,
    );
    await engine.dispose();
  });

  test('a model set to one format that writes another is told, and so is the user; nothing runs', async () => {
    server.script('orch', [
      { content: '<tool_call>{"name": "read_file", "arguments": {"path": "src/answer.ts"}}</tool_call>' },
      { content: '[TOOL_CALLS]read_file[ARGS]{"path": "src/answer.ts"}' },
      { content: 'The magic number is 4217.' },
    ]);
    const host = recordingHost();
    const engine = newEngine(host, cfg({}, { toolCallFormat: 'mistral_args' }));
    const run = await runTask(engine, { question: 'magic?', workspace: ws.dir });
    assert.equal(run.outcome.ok, true, JSON.stringify(run.outcome.error));
    const reqs = server.requestsFor('orch');
    assert.match(lastUserOrToolText(reqs[1].body), /written as hermes, but this model's toolCallFormat is "mistral_args"/);
    assert.match(host.logs.join('\n'), /warn: orch, turn 1: .*toolCallFormat is "mistral_args"/);
    const ran = run.of('tool_call_finished');
    assert.deepEqual(
      ran.map((e) => [e.tool, e.state]),
      [['read_file', 'ok']],
      'only the call in the set format ran',
    );
    await engine.dispose();
  });
});
