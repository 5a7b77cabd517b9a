// The editor's own models over the engine protocol: the real engine process asks this test client (in
// the editor's place) to run calls with `orchestra/hostChat`; the reply streams back as
// `orchestra/hostChatDelta`; cancelling a task cancels the request; a consent error is told, not retried.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ResponseError, type CancellationToken } from 'vscode-jsonrpc/node';
import { startModelServer, type ModelServer } from '../../support/model-server';
import { startEngineProcess, type EngineProcess } from '../../support/engine-process';
import {
  AskRequest,
  CancelRequest,
  ConfigureRequest,
  HostChatDeltaNotification,
  HostChatRequestType,
  ListModelsRequest,
  type HostChatParams,
  type HostModel,
} from '../../../src/protocol/engine-rpc';

const LM: HostModel = {
  id: 'lm:scripted:echo-1',
  hostModelId: 'echo-1',
  vendor: 'scripted',
  family: 'echo',
  version: '1',
  name: 'Echo One',
  contextWindow: 16_000,
  maxOutputTokens: 800,
  toolCalling: true,
  pricing: 'subscription',
  roles: ['code'],
};

describe('host models over the engine protocol', () => {
  let server: ModelServer;
  let engine: EngineProcess;
  let ws: string;
  /** How this client (the editor) answers host calls; set per test. */
  let answer: (p: HostChatParams, token: CancellationToken) => Promise<{ usage?: { inputTokens: number; outputTokens: number } }>;
  const asked: HostChatParams[] = [];

  before(async () => {
    server = await startModelServer();
    ws = mkdtempSync(join(tmpdir(), 'orchestra-hostrpc-'));
    engine = await startEngineProcess();
    engine.rpc.onRequest(HostChatRequestType, (p, token) => {
      asked.push(p);
      return answer(p, token);
    });
  });
  after(async () => {
    await engine?.close();
    await server?.close();
    rmSync(ws, { recursive: true, force: true });
  });

  async function configure(extra: Record<string, unknown> = {}) {
    server.reset();
    asked.length = 0;
    const r = await engine.rpc.sendRequest(ConfigureRequest, {
      config: {
        models: [{ id: 'orch', baseUrl: server.url, model: 'orch', roles: ['orchestrator'], local: true }],
        orchestrator: { model: 'orch', dialect: 'general' },
        tools: { runCode: { enabled: false } },
        requests: { retries: 2, timeoutSeconds: 20 },
        ...extra,
      },
      workspace: ws,
      workspaceTrusted: true,
      hostModels: [LM],
    });
    assert.deepEqual(r.problems, []);
    assert.equal(r.modelCount, 2);
  }

  test('listed by the engine, and `orchestrator.model` may name it', async () => {
    await configure({ orchestrator: { model: 'lm:scripted:echo-1', dialect: 'general' } });
    const models = await engine.rpc.sendRequest(ListModelsRequest, {});
    const lm = models.find((m) => m.id === 'lm:scripted:echo-1');
    assert.equal(lm?.provider?.vendor, 'scripted');
    assert.equal(lm?.pricing, 'subscription');
    assert.equal(lm?.local, false);
  });

  test('a task uses it as an expert: the request goes to the editor, the reply streams back', async () => {
    await configure();
    answer = async (p) => {
      for (const word of ['fib(10) ', 'is ', '55.'])
        await engine.rpc.sendNotification(HostChatDeltaNotification, { requestId: p.requestId, delta: { content: word } });
      return { usage: { inputTokens: 40, outputTokens: 6 } };
    };
    server.script('orch', [
      { toolCalls: [{ name: 'call_model', arguments: { model: 'lm:scripted:echo-1', task: 'What is fib(10)?' } }] },
      { toolCalls: [{ name: 'answer', arguments: { answer: '55' } }] },
    ]);
    const end = await engine.ask('fib(10)?');
    assert.equal(end.type, 'done');
    assert.equal(asked.length, 1);
    assert.equal(asked[0].vendor, 'scripted');
    assert.equal(asked[0].hostModelId, 'echo-1');
    assert.match(JSON.stringify(asked[0].messages), /What is fib\(10\)\?/);
    const finished = engine.eventsOf(end.taskId).find((e) => e.type === 'tool_call_finished' && e.tool === 'call_model');
    assert.ok(finished && finished.type === 'tool_call_finished');
    assert.equal(finished.result, 'fib(10) is 55.');
    assert.equal(finished.pricing, 'subscription');
    assert.deepEqual(finished.usage && [finished.usage.inputTokens, finished.usage.outputTokens], [40, 6]);
    if (end.type === 'done') assert.deepEqual(end.totals.unpriced, [{ model: 'lm:scripted:echo-1', pricing: 'subscription', calls: 1 }]);
  });

  test('cancelling the task cancels the request in the editor', async () => {
    await configure();
    let cancelled: () => void = () => undefined;
    const sawCancel = new Promise<void>((r) => (cancelled = r));
    answer = (p, token) =>
      new Promise((_resolve, reject) => {
        void engine.rpc.sendNotification(HostChatDeltaNotification, { requestId: p.requestId, delta: { content: 'thinking…' } });
        token.onCancellationRequested(() => {
          cancelled();
          reject(new ResponseError(-32800, 'cancelled', { kind: 'cancelled' }));
        });
      });
    server.script('orch', [{ toolCalls: [{ name: 'call_model', arguments: { model: 'lm:scripted:echo-1', task: 'Think long.' } }] }]);
    const { taskId } = await engine.rpc.sendRequest(AskRequest, { question: 'think' });
    while (!asked.length) await new Promise((r) => setTimeout(r, 20));
    await engine.rpc.sendRequest(CancelRequest, { taskId });
    await sawCancel;
    const end = await engine.finished(taskId);
    assert.equal(end.type, 'error');
    if (end.type === 'error') assert.equal(end.code, 'cancelled');
  });

  test('a consent error is told as such and not retried', async () => {
    await configure();
    answer = async () => {
      throw new ResponseError(-32001, 'The user has not given consent', { kind: 'no_permissions' });
    };
    server.script('orch', [
      { toolCalls: [{ name: 'call_model', arguments: { model: 'lm:scripted:echo-1', task: 'Anything.' } }] },
      { toolCalls: [{ name: 'answer', arguments: { answer: 'could not' } }] },
    ]);
    const end = await engine.ask('consent?');
    assert.equal(end.type, 'done');
    assert.equal(asked.length, 1, 'not retried');
    const finished = engine.eventsOf(end.taskId).find((e) => e.type === 'tool_call_finished' && e.tool === 'call_model');
    assert.ok(finished && finished.type === 'tool_call_finished');
    assert.equal(finished.state, 'error');
    assert.match(finished.error ?? '', /may not use this scripted model yet.*not given consent.*Allow it when VS Code asks/);
  });
});
