// The engine process (dist/server.js) as an editor sees it: a real child process spoken to over
// stdio JSON-RPC with vscode-jsonrpc, models served by the project's scripted test server over HTTP.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ResponseError } from 'vscode-jsonrpc/node';
import { startModelServer } from '../../support/model-server';
import { startEngineProcess } from '../../support/engine-process';
import { makeModelDir, writeToolCallScriptModel } from '../../support/gguf';
import type { ModelServer } from '../../support/model-server';
import type { EngineProcess } from '../../support/engine-process';
import type { EngineEvent } from '../../../src/core/protocol/events';
import type { ModelInfo } from '../../../src/core/engine-api';
import {
  AskRequest,
  CancelCallRequest,
  CancelRequest,
  ConfigureRequest,
  ListModelsRequest,
  ProbeEndpointRequest,
  TestModelRequest,
  TrajectoryRequest,
} from '../../../src/protocol/engine-rpc';

const SECRET = 'sk-test-orchestra-0123456789abcdef';

/** The engine as this suite's editor: it holds a key for the paid model and knows one symbol. */
function startEngine(args: string[] = ['--stdio'], env?: NodeJS.ProcessEnv): Promise<EngineProcess> {
  return startEngineProcess({
    args,
    env,
    secret: (p) => (p.modelId === 'paid' ? SECRET : undefined),
    findSymbols: (p) => ({
      symbols: p.query === 'parseConfig' ? [{ name: 'parseConfig', kind: 'Function', path: 'src/core/config.ts', line: 157 }] : [],
    }),
  });
}

function modelsConfig(server: ModelServer, extra: Record<string, unknown> = {}) {
  return {
    models: [
      { id: 'orch', baseUrl: server.url, model: 'orch-model', roles: ['orchestrator', 'general'], openWeights: true },
      { id: 'paid', baseUrl: server.url, model: 'paid-model', roles: ['code'], inputPricePerMillion: 1, outputPricePerMillion: 2 },
    ],
    orchestrator: { model: 'orch', dialect: 'general' },
    ...extra,
  };
}

function assertWellFormedStream(events: EngineEvent[]): void {
  assert.ok(events.length >= 2, `expected a stream of events, got ${events.map((e) => e.type).join(', ')}`);
  assert.equal(events[0].type, 'task_started');
  const finals = events.filter((e) => e.type === 'done' || e.type === 'error');
  assert.equal(finals.length, 1, 'exactly one final event');
  assert.equal(events[events.length - 1], finals[0], 'the final event comes last');
  for (let i = 1; i < events.length; i++)
    assert.ok(events[i].seq > events[i - 1].seq, `seq increases (${events[i - 1].seq} → ${events[i].seq})`);
}

describe('engine process over stdio JSON-RPC', () => {
  let server: ModelServer;
  let engine: EngineProcess;
  let workspace: string;

  before(async () => {
    server = await startModelServer({ usage: true });
    workspace = mkdtempSync(join(tmpdir(), 'orchestra-engine-ws-'));
    writeFileSync(join(workspace, 'notes.md'), '# notes\n');
    engine = await startEngine();
  });

  after(async () => {
    await engine?.close();
    await server?.close();
    rmSync(workspace, { recursive: true, force: true });
  });

  test('refuses work before it is configured, with a message that says what to do', async () => {
    await assert.rejects(engine.rpc.sendRequest(AskRequest, { question: 'hi' }), (err: ResponseError<unknown>) => {
      assert.match(err.message, /not configured yet: send orchestra\/configure first/);
      return true;
    });
  });

  test('configure reports invalid settings by field name and keeps the valid rest', async () => {
    const result = await engine.rpc.sendRequest(ConfigureRequest, {
      config: {
        ...modelsConfig(server),
        budget: { maxDollarsPerTask: -1 },
        models: [...modelsConfig(server).models, { id: 'bad', baseUrl: 'not a url', model: 'x' }],
      },
      workspace,
      workspaceTrusted: true,
    });
    const paths = result.problems.map((p) => p.path);
    assert.ok(paths.includes('budget.maxDollarsPerTask'), `problems: ${JSON.stringify(result.problems)}`);
    assert.ok(paths.includes('models[2].baseUrl'), `problems: ${JSON.stringify(result.problems)}`);
    const models = await engine.rpc.sendRequest(ListModelsRequest, {});
    assert.deepEqual(models.map((m: ModelInfo) => m.id).sort(), ['orch', 'paid']);
    assert.ok(engine.logs.some((l) => l.level === 'warn' && l.message.includes('orchestra.models[2].baseUrl')));
  });

  test('invalid request params are answered with an error naming the field', async () => {
    await assert.rejects(engine.rpc.sendRequest(AskRequest, { question: '   ' }), /question: the question is empty/);
    await assert.rejects(engine.rpc.sendRequest(ConfigureRequest, { config: {}, workspace: '', workspaceTrusted: true }), /workspace/);
  });

  test('a task streams its events as notifications and ends with one done event', async () => {
    await engine.rpc.sendRequest(ConfigureRequest, { config: modelsConfig(server), workspace, workspaceTrusted: true });
    server.script('orch-model', [{ toolCalls: [{ name: 'answer', arguments: { answer: 'Forty-two.' } }] }]);
    const { taskId } = await engine.rpc.sendRequest(AskRequest, { question: 'What is six times seven?' });
    assert.ok(taskId);
    const end = await engine.finished(taskId);
    assert.equal(end.type, 'done', JSON.stringify(end));
    assert.equal(end.type === 'done' && end.answer, 'Forty-two.');
    assertWellFormedStream(engine.eventsOf(taskId));
    assert.equal(server.requestsFor('orch-model').length, 1);
    // The trajectory of the finished task is there, as JSONL.
    const { jsonl } = await engine.rpc.sendRequest(TrajectoryRequest, { taskId });
    assert.ok(jsonl, 'a trajectory');
    for (const line of jsonl.trim().split('\n')) JSON.parse(line);
    assert.ok(engine.logs.some((l) => l.message.includes(`task ${taskId}: done`)));
  });

  test('streamed tokens arrive merged into fewer delta notifications, whole and in order', async () => {
    // Unpaced, the server writes faster than one notification per token could carry them.
    const chunks = Array.from({ length: 2000 }, (_, i) => `w${i} `);
    server.script('orch-model', [{ chunks }]);
    const { taskId } = await engine.rpc.sendRequest(AskRequest, { question: 'Stream a long reply.' });
    const end = await engine.finished(taskId);
    assert.equal(end.type, 'done', JSON.stringify(end));
    const events = engine.eventsOf(taskId);
    assertWellFormedStream(events);
    // A plain-text reply is the answer: it streams into the answer area.
    const deltas = events.filter((e) => e.type === 'answer_delta');
    assert.equal(deltas.map((e) => (e.type === 'answer_delta' ? e.text : '')).join(''), chunks.join(''), 'every token, once, in order');
    assert.ok(deltas.length < chunks.length, `${deltas.length} delta notifications for ${chunks.length} tokens: expected merging`);
    // Merged deltas never straddle a turn: each stays before the turn's next non-delta event.
    const firstOther = events.findIndex((e, i) => i > events.indexOf(deltas[0]) && e.type !== 'answer_delta');
    assert.ok(events.indexOf(deltas[deltas.length - 1]) < firstOther, 'the deltas precede the events that follow the turn');
  });

  test('the client chooses the task id; a second task with the same id is refused', async () => {
    server.script('orch-model', [{ toolCalls: [{ name: 'answer', arguments: { answer: 'ok' } }] }]);
    const { taskId } = await engine.rpc.sendRequest(AskRequest, { question: 'ping', taskId: 'client-chosen-1' });
    assert.equal(taskId, 'client-chosen-1');
    await assert.rejects(engine.rpc.sendRequest(AskRequest, { question: 'ping', taskId: 'client-chosen-1' }), /already in use/);
    assert.equal((await engine.finished(taskId)).type, 'done');
  });

  test('API keys come from the client on request and never appear in events or logs', async () => {
    server.script('orch-model', [
      { toolCalls: [{ name: 'call_model', arguments: { model: 'paid', task: 'Write a haiku about stdio.' } }] },
      { toolCalls: [{ name: 'answer', arguments: { answer: 'Here is the haiku.' } }] },
    ]);
    server.script('paid-model', [{ content: `pipes carry the words` }]);
    const { taskId } = await engine.rpc.sendRequest(AskRequest, { question: 'A haiku please' });
    const end = await engine.finished(taskId);
    assert.equal(end.type, 'done', JSON.stringify(end));
    assert.ok(engine.secretAsks.some((s) => s.modelId === 'paid' && s.purpose === 'model'));
    // The client learns where the key would go, so it can refuse an endpoint the key was not stored for.
    assert.ok(
      engine.secretAsks.filter((s) => s.modelId === 'paid').every((s) => s.baseUrl === server.url),
      JSON.stringify(engine.secretAsks),
    );
    const paidRequest = server.requestsFor('paid-model')[0];
    assert.equal(paidRequest.headers.authorization, `Bearer ${SECRET}`, 'the key reached the model endpoint');
    const everything = JSON.stringify(engine.events) + JSON.stringify(engine.logs) + engine.stderr.join('');
    assert.ok(!everything.includes(SECRET), 'the key leaked into events, logs or stderr');
  });

  test('an approval round-trips: the engine asks the client, the denial reaches the tool', async () => {
    server.script('orch-model', [
      { toolCalls: [{ name: 'run_code', arguments: { language: 'python', code: 'print("approval test")' } }] },
      { toolCalls: [{ name: 'answer', arguments: { answer: 'The code was not run.' } }] },
    ]);
    engine.approve = () => false;
    const { taskId } = await engine.rpc.sendRequest(AskRequest, { question: 'Run some python' });
    const end = await engine.finished(taskId);
    assert.equal(end.type, 'done', JSON.stringify(end));
    const asked = engine.approvals.find((a) => a.taskId === taskId);
    assert.ok(asked, 'the client was asked');
    assert.equal(asked.kind, 'run_code');
    assert.match(asked.detail, /print\("approval test"\)/, 'the code is shown in full');
    const events = engine.eventsOf(taskId);
    const resolved = events.find((e) => e.type === 'approval_resolved');
    assert.ok(resolved && resolved.type === 'approval_resolved' && resolved.approved === false);
    const call = events.find((e) => e.type === 'tool_call_finished' && e.tool === 'run_code');
    assert.ok(call && call.type === 'tool_call_finished' && call.state === 'denied', JSON.stringify(call));
    // The orchestrator was told the call was denied.
    assert.match(JSON.stringify(server.requestsFor('orch-model').at(-1)!.body.messages), /denied/i);
  });

  test('find_symbols is served by the client when it declares it', async () => {
    await engine.rpc.sendRequest(ConfigureRequest, {
      config: modelsConfig(server),
      workspace,
      workspaceTrusted: true,
      clientTools: ['find_symbols'],
    });
    server.script('orch-model', [
      { toolCalls: [{ name: 'find_symbols', arguments: { query: 'parseConfig' } }] },
      { toolCalls: [{ name: 'answer', arguments: { answer: 'It is in src/core/config.ts.' } }] },
    ]);
    const { taskId } = await engine.rpc.sendRequest(AskRequest, { question: 'Where is parseConfig defined?' });
    const end = await engine.finished(taskId);
    assert.equal(end.type, 'done', JSON.stringify(end));
    const first = server.requestsFor('orch-model').at(-2)!.body;
    assert.ok(
      first.tools.some((t: { function: { name: string } }) => t.function.name === 'find_symbols'),
      'the tool was offered',
    );
    assert.match(JSON.stringify(server.requestsFor('orch-model').at(-1)!.body.messages), /src\/core\/config\.ts:157/);
  });

  test('cancel stops a running task with a cancelled error event', async () => {
    server.script('orch-model', [{ content: 'thinking '.repeat(400), tokensPerSecond: 20 }]);
    const { taskId } = await engine.rpc.sendRequest(AskRequest, { question: 'Think slowly' });
    await new Promise<void>((res) => {
      // Mid-stream: the model has started answering.
      const poll = () => (engine.eventsOf(taskId).some((e) => e.type === 'answer_delta') ? res() : setTimeout(poll, 20));
      poll();
    });
    const { cancelled } = await engine.rpc.sendRequest(CancelRequest, { taskId });
    assert.equal(cancelled, true);
    const end = await engine.finished(taskId);
    assert.equal(end.type, 'error');
    assert.equal(end.type === 'error' && end.code, 'cancelled');
    assertWellFormedStream(engine.eventsOf(taskId));
    const req = server.requestsFor('orch-model').at(-1)!;
    // The HTTP request was ended, not left running.
    await new Promise<void>((res) => {
      const poll = () => (req.aborted || req.finishedAt ? res() : setTimeout(poll, 20));
      poll();
    });
    assert.equal(req.aborted, true);
  });

  test('cancelCall stops one running call: its request is aborted, the orchestrator reads why and answers', async () => {
    server.script('orch-model', [
      { toolCalls: [{ name: 'call_model', arguments: { model: 'orch', task: 'a long side job' } }] },
      { content: 'slow '.repeat(400), tokensPerSecond: 20 },
      { toolCalls: [{ name: 'answer', arguments: { answer: 'answered after the stop' } }] },
    ]);
    const before = server.requestsFor('orch-model').length;
    const { taskId } = await engine.rpc.sendRequest(AskRequest, { question: 'Start a side job' });
    // Mid-stream: the call's model has started answering.
    const callId = await new Promise<string>((res) => {
      const poll = () => {
        const delta = engine.eventsOf(taskId).find((e) => e.type === 'tool_call_delta');
        if (delta && delta.type === 'tool_call_delta') res(delta.callId);
        else setTimeout(poll, 20);
      };
      poll();
    });
    assert.deepEqual(await engine.rpc.sendRequest(CancelCallRequest, { taskId, callId: 'call_unknown' }), { cancelled: false });
    const bad = await engine.rpc.sendRequest(CancelCallRequest, { taskId } as never).catch((e: Error) => e);
    assert.ok(bad instanceof ResponseError && /callId/.test(bad.message), bad instanceof Error ? bad.message : JSON.stringify(bad));
    assert.deepEqual(await engine.rpc.sendRequest(CancelCallRequest, { taskId, callId }), { cancelled: true });

    const end = await engine.finished(taskId);
    assert.equal(end.type, 'done', JSON.stringify(end));
    assert.equal(end.type === 'done' && end.answer, 'answered after the stop');
    assertWellFormedStream(engine.eventsOf(taskId));
    const finished = engine.eventsOf(taskId).find((e) => e.type === 'tool_call_finished' && e.callId === callId);
    assert.equal(finished?.type === 'tool_call_finished' && finished.state, 'cancelled');
    const requests = server.requestsFor('orch-model').slice(before);
    assert.equal(requests.length, 3, 'the stopped call was not sent again');
    assert.equal(requests[1].aborted, true, "the stopped call's HTTP request was ended");
    const observation = requests[2].body.messages.find((m: any) => m.role === 'tool');
    assert.match(observation.content, /^\[state: cancelled[\s\S]*cancelled by the user/);
    assert.deepEqual(
      await engine.rpc.sendRequest(CancelCallRequest, { taskId, callId }),
      { cancelled: false },
      'nothing to stop once the task ended',
    );
  });

  test('a failing model ends the task with an error event and the process keeps serving', async () => {
    server.script('orch-model', [{ fault: 'http500' }, { fault: 'http500' }, { fault: 'http500' }, { fault: 'http500' }]);
    const { taskId } = await engine.rpc.sendRequest(AskRequest, { question: 'This will fail' });
    const end = await engine.finished(taskId);
    assert.equal(end.type, 'error', JSON.stringify(end));
    assertWellFormedStream(engine.eventsOf(taskId));
    assert.equal(engine.child.exitCode, null, 'the process is alive');
    const test = await engine.rpc.sendRequest(TestModelRequest, { id: 'missing' }).catch((e: Error) => e);
    assert.ok(test instanceof Error && /no model with id "missing"/.test(test.message));
  });

  test('probeEndpoint lists an endpoint’s models and tests one; a closed port says why', async () => {
    server.reset();
    server.script('orch-model', [{ content: 'OK' }]);
    const ok = await engine.rpc.sendRequest(ProbeEndpointRequest, { baseUrl: server.url, model: 'orch-model' });
    assert.equal(ok.ok, true, JSON.stringify(ok));
    assert.ok(ok.models.includes('orch-model'));
    assert.equal(ok.chat?.ok, true);
    const closed = await engine.rpc.sendRequest(ProbeEndpointRequest, { baseUrl: 'http://127.0.0.1:9/v1', timeoutMs: 2000 });
    assert.equal(closed.ok, false);
    assert.match(closed.error ?? '', /listing models at http:\/\/127\.0\.0\.1:9\/v1 failed/);
  });

  test('probeEndpoint errors that echo the key come back with it blanked out', async () => {
    // An endpoint that answers every request with an error quoting the Authorization header it got.
    const echo = createServer((req, res) => {
      res.writeHead(400, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ error: { message: `rejected credentials ${req.headers.authorization}` } }));
    });
    await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
    try {
      const key = 'sk-probe-echo-key-9876543210';
      const url = `http://127.0.0.1:${(echo.address() as AddressInfo).port}/v1`;
      const r = await engine.rpc.sendRequest(ProbeEndpointRequest, { baseUrl: url, apiKey: key, model: 'm' });
      assert.equal(r.ok, false);
      assert.match(`${r.error} ${r.chat?.error}`, /rejected credentials/);
      assert.ok(!JSON.stringify(r).includes(key), JSON.stringify(r));
      assert.match(JSON.stringify(r), /\[redacted\]/);
    } finally {
      await new Promise((r) => echo.close(r));
    }
  });
});

describe('engine process: keys from the environment', () => {
  const ENV_KEY = 'sk-from-the-environment-424242';
  let server: ModelServer;
  let engine: EngineProcess;
  before(async () => {
    server = await startModelServer({ usage: true });
    engine = await startEngine(['--stdio'], { ...process.env, ORCHESTRA_TEST_ENV_KEY: ENV_KEY });
  });
  after(async () => {
    await engine?.close();
    await server?.close();
  });

  test('a model’s apiKeyEnv is read only when the client allows it (editors whose workspaces write settings do not)', async () => {
    const config = {
      models: [
        {
          id: 'envy',
          baseUrl: server.url,
          model: 'envy-model',
          roles: ['orchestrator', 'general'],
          openWeights: true,
          apiKeyEnv: 'ORCHESTRA_TEST_ENV_KEY',
        },
      ],
    };
    const workspace = tmpdir();
    await engine.rpc.sendRequest(ConfigureRequest, { config, workspace, workspaceTrusted: true, allowEnvSecrets: false });
    server.script('envy-model', [{ content: 'OK' }]);
    await engine.rpc.sendRequest(TestModelRequest, { id: 'envy' });
    const refused = server.requestsFor('envy-model').at(-1)!;
    assert.ok(!JSON.stringify(refused.headers).includes(ENV_KEY), 'the variable was sent although the client forbade it');

    // A client that allows it (the CLI-style default) gets the variable used.
    await engine.rpc.sendRequest(ConfigureRequest, { config, workspace, workspaceTrusted: true });
    server.script('envy-model', [{ content: 'OK' }]);
    await engine.rpc.sendRequest(TestModelRequest, { id: 'envy' });
    assert.equal(server.requestsFor('envy-model').at(-1)!.headers.authorization, `Bearer ${ENV_KEY}`);
  });
});

describe("engine process: the client's ripgrep", () => {
  test('search_workspace runs the ripgrep the client names (an editor install folder), not only one on PATH', async () => {
    const server = await startModelServer({ usage: true });
    const workspace = mkdtempSync(join(tmpdir(), 'orchestra-rg-ws-'));
    const appRoot = mkdtempSync(join(tmpdir(), 'orchestra-approot-'));
    const engine = await startEngine();
    try {
      writeFileSync(join(workspace, 'notes.md'), 'the needle is here\n');
      const binDir = join(appRoot, 'node_modules/@vscode/ripgrep/bin');
      mkdirSync(binDir, { recursive: true });
      const calls = join(appRoot, 'calls.log');
      const realRg = execFileSync('sh', ['-c', 'command -v rg']).toString().trim();
      writeFileSync(join(binDir, 'rg'), `#!/bin/sh\necho called >> '${calls}'\nexec '${realRg}' "$@"\n`, { mode: 0o755 });
      await engine.rpc.sendRequest(ConfigureRequest, {
        config: modelsConfig(server),
        workspace,
        workspaceTrusted: true,
        ripgrepHint: appRoot,
      });
      server.script('orch-model', [
        { toolCalls: [{ name: 'search_workspace', arguments: { query: 'needle' } }] },
        { toolCalls: [{ name: 'answer', arguments: { answer: 'Found it.' } }] },
      ]);
      const { taskId } = await engine.rpc.sendRequest(AskRequest, { question: 'Where is the needle?' });
      const end = await engine.finished(taskId);
      assert.equal(end.type, 'done', JSON.stringify(end));
      const search = engine.eventsOf(taskId).find((e) => e.type === 'tool_call_finished' && e.tool === 'search_workspace');
      assert.ok(
        search && search.type === 'tool_call_finished' && search.state === 'ok' && search.result.includes('notes.md'),
        JSON.stringify(search),
      );
      assert.ok(existsSync(calls) && readFileSync(calls, 'utf8').includes('called'), "the client's ripgrep ran");
    } finally {
      await engine.close();
      await server.close();
      rmSync(workspace, { recursive: true, force: true });
      rmSync(appRoot, { recursive: true, force: true });
    }
  });
});

describe('engine process transports', () => {
  test('with no transport flag it speaks stdio, so any LSP client can start it plainly', async () => {
    const engine = await startEngine([]);
    try {
      const r = await engine.rpc.sendRequest(ListModelsRequest, {}).catch((e: Error) => e);
      assert.ok(r instanceof Error && /not configured yet/.test(r.message));
    } finally {
      await engine.close();
    }
  });
});

describe('engine process with embedded local models', () => {
  test('GGUF files of orchestra.local are served on loopback and join the pool; a bad file is named', async () => {
    const models = makeModelDir();
    const engine = await startEngine();
    try {
      const good = join(models.dir, 'tiny-orchestrator.gguf');
      writeToolCallScriptModel(good, { toolName: 'answer', arguments: { answer: 'Local hello.' }, answer: 'unused' });
      const bad = join(models.dir, 'not-a-model.gguf');
      writeFileSync(bad, 'this is not GGUF');
      const result = await engine.rpc.sendRequest(ConfigureRequest, {
        config: { local: { models: [good, bad] }, orchestrator: { model: 'local:tiny-orchestrator', dialect: 'general' } },
        workspace: models.dir,
        workspaceTrusted: true,
      });
      assert.equal(result.modelCount, 1, JSON.stringify(result));
      const problem = result.problems.find((p) => p.path === 'local.models');
      assert.ok(problem && problem.message.includes('not-a-model.gguf'), JSON.stringify(result.problems));
      const [info] = await engine.rpc.sendRequest(ListModelsRequest, {});
      assert.equal(info.id, 'local:tiny-orchestrator');
      assert.equal(info.local, true);
      assert.equal(info.openWeights, true);
      assert.match(info.baseUrl, /^http:\/\/127\.0\.0\.1:\d+\/v1$/);
      // A real generation through the embedded runtime (a short prompt: the tiny model's context is small).
      const tested = await engine.rpc.sendRequest(TestModelRequest, { id: 'local:tiny-orchestrator' });
      assert.equal(tested.ok, true, JSON.stringify(tested));
    } finally {
      await engine.close();
      models.cleanup();
    }
  });
});
