// The general dialect's final answer forms in view: a plain-text reply streams into the answer area
// while the model writes it; text that turns out to precede a tool call is taken back (a reset delta)
// and moved to the reasoning row; reasoning and <think> blocks never reach the answer area; a retried
// reply starts the answer over. Real HTTP and SSE against the scripted model server.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { EventOf } from '../../../src/core/protocol/events';
import { AnswerStream } from '../../../src/core/orchestrator/answer-stream';
import { streamingReplyText } from '../../../src/core/orchestrator/partial-text';
import { config, model, newEngine, recordingHost, runTask, scriptedServerSuite } from './helpers';

/** What the answer area shows after these deltas (resets replace, others append). */
function shown(deltas: Array<EventOf<'answer_delta'>>): string {
  return deltas.reduce((text, d) => (d.reset ? d.text : text + d.text), '');
}

function orchestratorOnly(url: string) {
  return config({ models: [model('orch', url, { roles: ['orchestrator'] })], orchestrator: { model: 'orch', dialect: 'general' } });
}

describe('the general answer streams into the answer area', () => {
  const { server, ws } = scriptedServerSuite({ 'a.txt': 'alpha\n' });

  test('a plain-text reply streams word by word before the model has finished, and equals the answer at the end', async () => {
    const text = 'Rust has no garbage collector. It frees memory when its owner goes out of scope, checked at compile time.';
    server.script('orch', [{ content: text, tokensPerSecond: 40 }]);
    const engine = newEngine(recordingHost(), orchestratorOnly(server.url));
    let firstDeltaWhileStreaming: boolean | undefined;
    const run = await runTask(
      engine,
      { question: 'How does Rust manage memory?', workspace: ws.dir },
      {
        onEvent: (e) => {
          if (e.type === 'answer_delta' && firstDeltaWhileStreaming === undefined)
            firstDeltaWhileStreaming = server.requestsFor('orch')[0]?.finishedAt === undefined;
        },
      },
    );
    assert.equal(run.outcome.ok, true);
    assert.equal(run.outcome.answer, text);
    const deltas = run.of('answer_delta');
    assert.ok(deltas.length > 5, `streamed in pieces (${deltas.length})`);
    assert.equal(firstDeltaWhileStreaming, true, 'the first words were out before the server sent its last token');
    assert.equal(shown(deltas), text);
    assert.ok(!deltas.some((d) => d.reset), 'nothing was taken back');
    // The answer is not repeated in the reasoning row.
    assert.equal(
      run
        .of('orchestrator_delta')
        .map((d) => d.text)
        .join(''),
      '',
    );
    await engine.dispose();
  });

  test('text before a tool call is taken back from the answer area and kept in the reasoning row', async () => {
    server.script('orch', [
      { content: 'Let me look at the file first. ', toolCalls: [{ name: 'read_file', arguments: { path: 'a.txt' } }] },
      { content: 'Checked. ', toolCalls: [{ name: 'answer', arguments: { answer: 'The file says alpha.' } }] },
    ]);
    const engine = newEngine(recordingHost(), orchestratorOnly(server.url));
    const run = await runTask(engine, { question: 'What does a.txt say?', workspace: ws.dir });
    assert.equal(run.outcome.answer, 'The file says alpha.');
    const deltas = run.of('answer_delta');
    assert.ok(
      deltas.some((d) => d.reset && d.text === ''),
      'the preamble was retracted',
    );
    assert.equal(shown(deltas), 'The file says alpha.', 'the answer area ends with the answer alone');
    const reasoning = run.of('orchestrator_delta');
    assert.match(
      reasoning
        .filter((d) => d.turn === 1)
        .map((d) => d.text)
        .join(''),
      /Let me look at the file first\./,
    );
    assert.match(
      reasoning
        .filter((d) => d.turn === 2)
        .map((d) => d.text)
        .join(''),
      /Checked\./,
    );
    await engine.dispose();
  });

  test('server reasoning and <think> blocks go to the reasoning row, never to the answer area', async () => {
    server.script('orch', [{ reasoning: 'The user wants a number.', content: '<think>six times seven</think>The answer is 42.' }]);
    const engine = newEngine(recordingHost(), orchestratorOnly(server.url));
    const run = await runTask(engine, { question: 'What is 6*7?', workspace: ws.dir });
    assert.equal(run.outcome.answer, 'The answer is 42.');
    const answerText = shown(run.of('answer_delta'));
    assert.equal(answerText, 'The answer is 42.');
    const reasoning = run
      .of('orchestrator_delta')
      .map((d) => d.text)
      .join('');
    assert.match(reasoning, /The user wants a number\./);
    assert.match(reasoning, /six times seven/);
    await engine.dispose();
  });

  test('a reply cut mid-stream and retried starts the answer over instead of garbling it', async () => {
    server.script('orch', [
      { content: 'First attempt words that will be cut off before the end of it all.', fault: 'cut-mid-chunk' },
      { content: 'Second attempt, complete.' },
    ]);
    const cfg = config({
      models: [model('orch', server.url, { roles: ['orchestrator'] })],
      orchestrator: { model: 'orch', dialect: 'general' },
      requests: { timeoutSeconds: 20, retries: 1, stream: true },
    });
    const engine = newEngine(recordingHost(), cfg);
    const run = await runTask(engine, { question: 'Say something.', workspace: ws.dir });
    assert.equal(run.outcome.answer, 'Second attempt, complete.');
    assert.equal(shown(run.of('answer_delta')), 'Second attempt, complete.');
    await engine.dispose();
  });
});

describe('streaming readers', () => {
  test('streamingReplyText: thinking, held-back tool-call markup and cut tags', () => {
    assert.deepEqual(streamingReplyText('Hello <think>hm</think>world'), { visible: 'Hello world', thinking: 'hm' });
    assert.deepEqual(streamingReplyText('Hello <think>still thinking'), { visible: 'Hello ', thinking: 'still thinking' });
    assert.deepEqual(streamingReplyText('planned in the template</think>Answer.'), {
      visible: 'Answer.',
      thinking: 'planned in the template',
    });
    assert.equal(streamingReplyText('Let me call <tool_call>{"name":"x"}').visible, 'Let me call ');
    assert.equal(streamingReplyText('Let me call <tool_ca').visible, 'Let me call ');
    assert.equal(streamingReplyText('Working [TOOL_CALLS][{"name"').visible, 'Working ');
    assert.equal(streamingReplyText('{"name": "read_file", "arguments": {').visible, '');
    assert.equal(streamingReplyText('```json\n{"name"').visible, '');
    assert.equal(streamingReplyText('Plain text with a < sign and a [link]').visible, 'Plain text with a < sign and a [link]');
  });

  test('AnswerStream: whole words, extension as deltas, retract clears, finish makes it whole', () => {
    const sent: Array<[string, boolean]> = [];
    const s = new AnswerStream((text, reset) => sent.push([text, reset]));
    s.extend('  Hello wor');
    s.extend('ld and');
    assert.deepEqual(sent, [
      ['Hello ', false],
      ['world ', false],
    ]);
    assert.equal(s.retract(), 'Hello world ');
    assert.deepEqual(sent.at(-1), ['', true]);
    s.extend('Goodbye now');
    assert.deepEqual(sent.at(-1), ['Goodbye ', false], 'after a retract the next text starts over, the held word dropped');
    assert.equal(s.retract(), 'Goodbye ');
    assert.deepEqual(sent.at(-1), ['', true]);
    s.finish('Final answer');
    assert.deepEqual(sent.at(-1), ['Final answer', false]);
    s.finish('Final answer');
    assert.equal(sent.length, 6, 'finishing with what was streamed sends nothing');
  });
});
