// The ToolOrchestra-native dialect end to end: stateless two-message rounds, the three tools with
// alias lists and the price/latency table, enhance_reasoning running real python (approved), search
// running real ripgrep over the workspace, answer extraction, validation and the repetition rule.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { toolCallText } from '../../support/model-server';
import { extractAnswer, lastBoxed, cutFront } from '../../../src/core/orchestrator/toolorchestra';
import { config, model, newEngine, recordingHost, runTask, scriptedServerSuite, toolNames } from './helpers';

describe('toolorchestra dialect', () => {
  const { server, ws } = scriptedServerSuite({ 'src/config.ts': 'export const RETRY_LIMIT = 7; // how often we retry\n' });

  const cfg = () =>
    config({
      models: [
        { id: 'orch8b', baseUrl: server.url, model: 'Nemotron-Orchestrator-8B', roles: ['orchestrator'], openWeights: true },
        model('qwen', server.url, {
          roles: ['general', 'code'],
          inputPricePerMillion: 0.8,
          outputPricePerMillion: 0.8,
          description: 'Strong general and code model.',
        }),
        model('mathy', server.url, { roles: ['math'], inputPricePerMillion: 0.2, outputPricePerMillion: 0.2 }),
      ],
      tools: { runCode: { enabled: true, autoApprove: false } },
    });

  const user = (body: any) => body.messages[1].content as string;

  test('rounds: enhance_reasoning runs python, search runs ripgrep, answer ends the episode', async () => {
    server.script('Nemotron-Orchestrator-8B', [
      {
        content:
          '<think>compute first</think>\n' + toolCallText.hermes([{ name: 'enhance_reasoning', arguments: { model: 'reasoner-1' } }]),
      },
      { content: toolCallText.hermes([{ name: 'search', arguments: { model: 'search-1' } }]) },
      { toolCalls: [{ name: 'answer', arguments: { model: 'answer-1' } }] },
    ]);
    server.script('qwen', [
      { content: 'Here is code:\n```python\nprint(6 * 7)\n```' },
      { content: '<query>RETRY_LIMIT</query>' },
      { content: '<think>42 and 7</think><answer>42, and RETRY_LIMIT is 7</answer>' },
    ]);
    const host = recordingHost({ approve: true });
    const engine = newEngine(host, cfg());
    const run = await runTask(engine, { question: 'What is 6*7, and what is the retry limit?', workspace: ws.dir });
    assert.equal(run.outcome.ok, true, JSON.stringify(run.outcome.error));
    assert.equal(run.outcome.answer, '42, and RETRY_LIMIT is 7');
    assert.equal(run.of('task_started')[0].dialect, 'toolorchestra', 'auto-detected from the model name');

    const reqs = server.requestsFor('Nemotron-Orchestrator-8B');
    assert.equal(reqs.length, 3);
    for (const r of reqs) {
      assert.equal(r.body.messages.length, 2, 'each round is a fresh two-message chat');
      assert.equal(r.body.messages[0].content, 'You are good at using tools.');
      assert.match(user(r.body), /^Problem: What is 6\*7, and what is the retry limit\?\n\n/);
      assert.match(user(r.body), /\n\nChoose an appropriate tool\.$/);
    }
    assert.deepEqual(toolNames(reqs[0].body), ['search', 'enhance_reasoning', 'answer']);
    const modelDesc = reqs[0].body.tools[1].function.parameters.properties.model.description as string;
    assert.match(modelDesc, /reasoner-1: Strong general and code model\./);
    assert.match(modelDesc, /\| Model \| price per million input tokens \| price per million output tokens \| average latency \|/);
    assert.match(modelDesc, /\| reasoner-1 \| \$0\.8 \| \$0\.8 \| /);
    const answerDesc = reqs[0].body.tools[2].function.parameters.properties.model.description as string;
    assert.match(answerDesc, /answer-1/);
    assert.match(answerDesc, /answer-math-1/);

    // Round 2 reads the code and its output; round 3 also the search documents.
    assert.match(user(reqs[1].body), /```python\nprint\(6 \* 7\)\n```\n\n```output\n42\n```/);
    assert.match(user(reqs[2].body), /Documents:\nDoc 1: .*RETRY_LIMIT = 7/s);
    assert.equal(host.approvals.length, 1);
    assert.equal(host.approvals[0].kind, 'run_code');
    assert.match(host.approvals[0].detail, /print\(6 \* 7\)/);

    const fin = run.of('tool_call_finished');
    assert.deepEqual(
      fin.map((e) => [e.tool, e.model, e.state]),
      [
        ['enhance_reasoning', 'qwen', 'ok'],
        ['search', 'qwen', 'ok'],
        ['answer', 'qwen', 'ok'],
      ],
    );
    assert.ok(run.outcome.totals.dollars > 0);
    await engine.dispose();
  });

  test('validation, one call per tool, the repetition rule, and a math answer in \\boxed{}', async () => {
    server.script('Nemotron-Orchestrator-8B', [
      { toolCalls: [{ name: 'search', arguments: { model: 'reasoner-1' } }] },
      {
        toolCalls: [
          { name: 'search', arguments: { model: 'search-1' } },
          { name: 'search', arguments: { model: 'search-1' } },
        ],
      },
      { toolCalls: [{ name: 'search', arguments: { model: 'search-1' } }] },
      { toolCalls: [{ name: 'answer', arguments: { model: 'answer-math-1' } }] },
    ]);
    server.script('qwen', [{ content: '<query>RETRY_LIMIT</query>' }, { content: '<query>retry</query>' }]);
    server.script('mathy', [{ content: 'So the answer is \\boxed{\\frac{7}{1}}.' }]);
    const engine = newEngine(recordingHost({ approve: true }), cfg());
    const run = await runTask(engine, { question: 'limit?', workspace: ws.dir });
    assert.equal(run.outcome.ok, true, JSON.stringify(run.outcome.error));
    assert.equal(run.outcome.answer, '\\frac{7}{1}');
    const reqs = server.requestsFor('Nemotron-Orchestrator-8B');
    assert.match(user(reqs[1].body), /model must be one of: search-1/);
    assert.match(user(reqs[2].body), /only one call per tool/);
    assert.equal(server.requestsFor('qwen').length, 2, 'the duplicate call in round 2 was not run');
    assert.deepEqual(toolNames(reqs[3].body), ['enhance_reasoning', 'answer'], 'search used twice in a row sits out a round');
    await engine.dispose();
  });

  test('answer extraction and context cutting', () => {
    assert.equal(lastBoxed('a \\boxed{1} then \\boxed{x^{2}}'), 'x^{2}');
    assert.equal(extractAnswer('<think>hmm</think><answer> yes </answer>', false), 'yes');
    assert.equal(extractAnswer('<think>hmm</think>plain', false), 'plain');
    assert.equal(extractAnswer('\\boxed{5}', true), '5');
    const cut = cutFront('a'.repeat(1000) + 'END', 10);
    assert.ok(cut.endsWith('END') && cut.length < 100);
  });
});
