// Conversations in the engine, over the scripted model server: a follow-up carries the earlier
// question, answer and a compact record of the tool results; every task is journaled as it runs;
// what is sent is fitted to the orchestrator's window (long tool results shortened with a note, the
// earlier conversation summarised by an allowed model, counted in the budget) so the server never
// has to refuse a prompt that is too long; a retry may name another orchestrator model.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConversationLibrary, branchOf } from '../../../src/core/conversations/library';
import { parseJournal } from '../../../src/core/conversations/journal';
import { startModelServer } from '../../support/model-server';
import { config, model, newEngine, recordingHost, runTask, scriptedServerSuite } from './helpers';

function allText(body: any): string {
  return JSON.stringify(body.messages);
}

describe('conversations', () => {
  const { server, ws } = scriptedServerSuite({ 'notes.txt': 'The launch code is ALPHA-7.\n' });
  const dir = mkdtempSync(join(tmpdir(), 'orchestra-conv-'));
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

  const cfg = (extra: Record<string, unknown> = {}) =>
    config({
      models: [
        model('orch', server.url, { roles: ['orchestrator'], inputPricePerMillion: 1, outputPricePerMillion: 1 }),
        model('other-orch', server.url, { roles: ['orchestrator'] }),
      ],
      orchestrator: { model: 'orch', dialect: 'general' },
      tools: { runCode: { enabled: false } },
      ...extra,
    });

  test('a follow-up carries the first question, its answer and its tool results; both tasks are journaled', async () => {
    server.script('orch', [
      { toolCalls: [{ name: 'read_file', arguments: { path: 'notes.txt' } }] },
      { toolCalls: [{ name: 'answer', arguments: { answer: 'The code in notes.txt is ALPHA-7.' } }] },
    ]);
    const engine = newEngine(recordingHost(), cfg());
    const first = await runTask(engine, {
      question: 'What is the launch code?',
      workspace: ws.dir,
      conversation: { dir, id: 'c-follow' },
    });
    assert.equal(first.outcome.ok, true);

    // The follow-up's scripted answer needs the first answer: the server checks it is in the request.
    server.setHandler('orch', (body) => {
      const text = allText(body);
      const hasFirst = text.includes('What is the launch code?') && text.includes('The code in notes.txt is ALPHA-7.');
      const hasRecord = /read_file .*notes\.txt.* → ok: .*ALPHA-7/.test(text);
      return {
        toolCalls: [{ name: 'answer', arguments: { answer: hasFirst && hasRecord ? 'Reversed: 7-AHPLA.' : 'I do not know which code.' } }],
      };
    });
    const second = await runTask(engine, {
      question: 'Now write it backwards.',
      workspace: ws.dir,
      conversation: { dir, id: 'c-follow', parentTaskId: first.outcome.taskId },
    });
    assert.equal(second.outcome.answer, 'Reversed: 7-AHPLA.');
    const request = server.requestsFor('orch').at(-1)!.body;
    const roles = request.messages.map((m: { role: string }) => m.role);
    assert.deepEqual(roles, ['system', 'user', 'assistant', 'user'], 'earlier turn as a question and an answer, then the new question');

    const library = new ConversationLibrary(dir);
    const tasks = library.tasks('c-follow');
    assert.deepEqual(
      tasks.map((t) => [t.question, t.state, t.parentTaskId]),
      [
        ['What is the launch code?', 'done', undefined],
        ['Now write it backwards.', 'done', first.outcome.taskId],
      ],
    );
    const [summary] = library.list().filter((c) => c.id === 'c-follow');
    assert.equal(summary.title, 'What is the launch code?');
    assert.equal(summary.taskCount, 2);
    assert.ok(summary.dollars > 0, 'the cost of both tasks');
    assert.deepEqual(summary.models, ['orch']);
    // The journal holds the task's events, and an end line with its totals.
    const j = parseJournal(readFileSync(library.journalPath('c-follow', second.outcome.taskId), 'utf8'));
    assert.equal(j.header?.parentTaskId, first.outcome.taskId);
    assert.equal(j.events.at(-1)?.type, 'done');
    assert.equal(j.end?.answer, 'Reversed: 7-AHPLA.');
    assert.deepEqual(j.problems, []);
    await engine.dispose();
  });

  test('a follow-up whose earlier record is missing fails with the reason, and asks no model', async () => {
    const engine = newEngine(recordingHost(), cfg());
    const before = server.requests.length;
    const run = await runTask(engine, {
      question: 'And then?',
      workspace: ws.dir,
      conversation: { dir, id: 'c-missing', parentTaskId: 'task-that-never-was' },
    });
    assert.equal(run.outcome.error?.code, 'config');
    assert.match(run.outcome.error.message, /record of task task-that-never-was is not in .*c-missing/);
    assert.equal(server.requests.length, before);
    await engine.dispose();
  });

  test('branches: an edited question and a retry with another orchestrator are siblings; the newest line is shown', async () => {
    server.script('orch', [{ content: 'First answer.' }, { content: 'Edited answer.' }]);
    server.script('other-orch', [{ content: 'Answer from the other orchestrator.' }]);
    const engine = newEngine(recordingHost(), cfg());
    const a = await runTask(engine, { question: 'Q1', workspace: ws.dir, conversation: { dir, id: 'c-branch' } });
    const edited = await runTask(engine, { question: 'Q1 edited', workspace: ws.dir, conversation: { dir, id: 'c-branch' } });
    const retried = await runTask(engine, {
      question: 'Q1 edited',
      workspace: ws.dir,
      conversation: { dir, id: 'c-branch' },
      orchestratorModel: 'other-orch',
    });
    assert.equal(retried.outcome.answer, 'Answer from the other orchestrator.');
    assert.equal(retried.of('task_started')[0].orchestratorModel, 'other-orch');
    const tasks = new ConversationLibrary(dir).tasks('c-branch');
    const branch = branchOf(tasks);
    assert.deepEqual(
      branch.map((t) => t.taskId),
      [retried.outcome.taskId],
    );
    assert.deepEqual(branch[0].siblings, [a.outcome.taskId, edited.outcome.taskId, retried.outcome.taskId]);
    assert.deepEqual(
      branchOf(tasks, a.outcome.taskId).map((t) => t.answer),
      ['First answer.'],
    );
    // An unknown orchestrator is refused by name.
    const bad = await runTask(engine, { question: 'x', workspace: ws.dir, orchestratorModel: 'nope' });
    assert.match(bad.outcome.error!.message, /requested orchestrator: no model with id "nope"/);
    await engine.dispose();
  });

  test('context that fits: long tool results are shortened with a note; the turn reports its context use; the server never overflows', async () => {
    const window = 3000;
    const { writeFileSync } = await import('node:fs');
    writeFileSync(join(ws.dir, 'big.txt'), 'x'.repeat(30_000));
    // The server refuses (HTTP 400) any request whose prompt and max_tokens exceed the window, as vLLM does.
    const limited = await startModelServer({ contextWindow: window });
    try {
      limited.script('orch', [
        { toolCalls: [{ name: 'read_file', arguments: { path: 'big.txt' } }] },
        { toolCalls: [{ name: 'read_file', arguments: { path: 'notes.txt' } }] },
        { toolCalls: [{ name: 'answer', arguments: { answer: 'done' } }] },
      ]);
      const eng = newEngine(
        recordingHost(),
        config({
          models: [model('orch', limited.url, { roles: ['orchestrator'], contextWindow: window, maxOutputTokens: 512 })],
          orchestrator: { model: 'orch', dialect: 'general' },
          tools: { runCode: { enabled: false } },
        }),
      );
      const run = await runTask(eng, { question: 'Read both files.', workspace: ws.dir });
      assert.equal(run.outcome.ok, true, JSON.stringify(run.outcome.error));
      for (const r of limited.requestsFor('orch')) assert.ok(!r.aborted);
      const third = limited.requestsFor('orch')[2].body;
      const toolMsg = third.messages.find((m: { role: string }) => m.role === 'tool').content as string;
      assert.match(toolMsg, /\[shortened to fit the context window: \d+ more characters not shown\]/);
      const turns = run.of('turn_started');
      assert.ok(turns.every((t) => t.contextWindow === window && t.contextTokens! > 0 && t.contextTokens! <= window));
      await eng.dispose();
    } finally {
      await limited.close();
    }
  });

  test('a long earlier conversation is summarised by an allowed model (a call in the budget) when it no longer fits', async () => {
    const window = 4000;
    const lib = new ConversationLibrary(dir);
    const long = 'Fact: the blue key opens door 12. '.repeat(300);
    server.script('orch', [{ content: long }]);
    const big = config({
      models: [model('orch', server.url, { roles: ['orchestrator'] })],
      orchestrator: { model: 'orch', dialect: 'general' },
      tools: { runCode: { enabled: false } },
    });
    const e1 = newEngine(recordingHost(), big);
    const first = await runTask(e1, { question: 'Tell me the facts.', workspace: ws.dir, conversation: { dir, id: 'c-sum' } });
    await e1.dispose();
    assert.ok(lib.journal('c-sum', first.outcome.taskId)?.end?.ok);

    server.script('cheap', [{ content: 'Summary: the blue key opens door 12.' }]);
    server.setHandler('orch', (body) => ({
      content: allText(body).includes('Summary: the blue key opens door 12.') ? 'Door 12.' : 'No summary seen.',
    }));
    const small = config({
      models: [
        model('orch', server.url, { roles: ['orchestrator'], contextWindow: window, maxOutputTokens: 400 }),
        model('cheap', server.url, { roles: ['general'], contextWindow: 32_000, inputPricePerMillion: 0.1, outputPricePerMillion: 0.1 }),
      ],
      orchestrator: { model: 'orch', dialect: 'general' },
      tools: { runCode: { enabled: false } },
    });
    const e2 = newEngine(recordingHost(), small);
    const run = await runTask(e2, {
      question: 'Which door?',
      workspace: ws.dir,
      conversation: { dir, id: 'c-sum', parentTaskId: first.outcome.taskId },
    });
    assert.equal(run.outcome.answer, 'Door 12.');
    const card = run.of('tool_call_finished').find((e) => e.tool === 'summarize_context');
    assert.ok(card, 'the summary is a call of its own, shown as a card');
    assert.equal(card.model, 'cheap');
    assert.ok(card.dollars > 0 && run.outcome.totals.dollars >= card.dollars, 'and it is counted in the task cost');
    assert.match(JSON.stringify(server.requestsFor('cheap')[0].body.messages), /blue key opens door 12/);
    await e2.dispose();
  });
});
