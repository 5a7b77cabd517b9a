// A canary API key, set in the environment and handed out through EngineHost.getSecret (the
// engine process asks the editor for it), must never show up anywhere else: not in events (even when
// a model or a provider's error echoes it back), logs, trajectories, error messages, the engine
// process's stderr, or the environment of run_code children.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startModelServer, type ModelServer } from '../support/model-server';
import { parseConfig } from '../../src/core/config';
import { createEngine } from '../../src/core/engine';
import type { EngineHost } from '../../src/core/engine-api';
import { AskRequest, ConfigureRequest, TrajectoryRequest } from '../../src/protocol/engine-rpc';
import { runChecked, crashWatch } from './support/tasks';
import { startEngineProcess } from '../support/engine-process';
import { tempWorkspace } from '../unit/engine/helpers';

const CANARY = 'sk-canary-0RCHESTRA-4f3b2a1c9d8e7f60a1b2';
const CANARY_ENV = 'CANARY_PROVIDER_KEY';
/** The same canary under a name that does not say "key": only its value gives it away. */
const INNOCENT_ENV = 'ORCHESTRA_REL_SETTING';

/** A provider that echoes the Authorization header back in its error message (it happens). */
async function startEchoingProvider(): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const body = JSON.stringify({
        error: { message: `invalid request for key ${req.headers.authorization}`, type: 'invalid_request_error' },
      });
      res.writeHead(400, { 'content-type': 'application/json' }).end(body);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

function canaryIn(label: string, text: string): void {
  assert.ok(
    !text.includes(CANARY),
    `the canary key leaked into ${label}: …${text.slice(Math.max(0, text.indexOf(CANARY) - 120), text.indexOf(CANARY) + 60)}…`,
  );
}

const ENV_DUMP = 'import os, json\nprint(json.dumps(dict(os.environ)))';

describe('secrets: a canary key stays where it belongs', () => {
  let server: ModelServer;
  let echoing: Awaited<ReturnType<typeof startEchoingProvider>>;
  const ws = tempWorkspace({ 'README.md': 'A project.\n' });
  const watch = crashWatch();

  before(async () => {
    process.env[CANARY_ENV] = CANARY;
    process.env[INNOCENT_ENV] = `prefix ${CANARY}`;
    server = await startModelServer();
    echoing = await startEchoingProvider();
    // The paid model echoes the key it was sent, in its reply text and in a tool call's arguments.
    // Streamed with the key cut in two: each piece alone passes a scrub, joined they must not hold it.
    server.setHandler('paid', (body) => ({
      chunks: [
        `I was called with ${String(body.messages.at(-1)?.content).slice(0, 40)}; my key: `,
        CANARY.slice(0, 14),
        CANARY.slice(14),
        ' (end)',
      ],
    }));
    server.setHandler('orch', (body) => {
      const turn = body.messages.filter((m: any) => m.role === 'assistant').length;
      if (turn === 0) {
        return {
          content: `Thinking about ${CANARY}…`,
          reasoningChunks: ['The key is ', CANARY.slice(0, 9), CANARY.slice(9), ', I think.'],
          toolCalls: [
            { name: 'call_model', arguments: { model: 'paid', task: `use the key ${CANARY}` } },
            { name: 'call_model', arguments: { model: 'echo', task: 'say hi' } },
            { name: 'run_code', arguments: { language: 'python', code: ENV_DUMP } },
            { name: 'run_code', arguments: { language: 'javascript', code: 'console.log(JSON.stringify(process.env))' } },
          ],
        };
      }
      return { toolCalls: [{ name: 'answer', arguments: { answer: `The key was ${CANARY}.` } }] };
    });
  });
  after(async () => {
    delete process.env[CANARY_ENV];
    delete process.env[INNOCENT_ENV];
    watch.stop();
    await server.close();
    await echoing.close();
    ws.cleanup();
  });

  const rawConfig = () => ({
    models: [
      { id: 'orch', baseUrl: server.url, model: 'orch', roles: ['orchestrator'] },
      {
        id: 'paid',
        baseUrl: server.url,
        model: 'paid',
        roles: ['code'],
        apiKeyEnv: CANARY_ENV,
        inputPricePerMillion: 1,
        outputPricePerMillion: 2,
      },
      { id: 'echo', baseUrl: echoing.url, model: 'echo', roles: ['math'], apiKeyEnv: CANARY_ENV },
    ],
    orchestrator: { model: 'orch', dialect: 'general' },
    requests: { retries: 0, timeoutSeconds: 10 },
    tools: { runCode: { autoApprove: true, timeoutSeconds: 20 } },
  });

  test('in-process engine: events, logs, trajectory, errors and run_code children never hold the key', async () => {
    const logs: string[] = [];
    const asked: string[] = [];
    const host: EngineHost = {
      async getSecret(ref) {
        asked.push(`${ref.modelId}:${ref.env}`);
        return ref.env ? process.env[ref.env] : undefined;
      },
      async requestApproval() {
        return true;
      },
      log: (level, message) => logs.push(`${level}: ${message}`),
    };
    const { config, problems } = parseConfig(rawConfig());
    assert.deepEqual(problems, []);
    const engine = createEngine(host, config, { pool: { backoffBaseMs: 2, maxBackoffMs: 10 } });
    const trajectoryPath = join(ws.dir, 'trajectory.jsonl');
    try {
      const run = await runChecked(engine, { question: 'What key do you use?', workspace: ws.dir, trajectoryPath });
      assert.equal(run.terminal.type, 'done', JSON.stringify(run.terminal));
      assert.ok(
        asked.some((a) => a.startsWith('paid:')),
        'the key was really handed out for the paid model',
      );
      // The key really travelled to the servers (so there was something to leak) …
      assert.equal(server.requestsFor('paid')[0].headers.authorization, `Bearer ${CANARY}`);
      // … and came back in the model's text, a tool call, an error message and run_code output.
      const finished = run.of('tool_call_finished');
      assert.match(finished.find((e) => e.model === 'paid')!.result, /my key: \[redacted\]/);
      assert.match(finished.find((e) => e.model === 'echo')!.error ?? '', /HTTP 400/);
      const codeRuns = finished.filter((e) => e.tool === 'run_code');
      assert.equal(codeRuns.length, 2);
      for (const r of codeRuns) {
        assert.equal(r.state, 'ok', r.result);
        assert.ok(
          !r.result.includes(CANARY_ENV) && !r.result.includes(INNOCENT_ENV),
          `the child's environment holds neither variable: ${r.result.slice(0, 300)}`,
        );
        assert.match(r.result, /PATH/, 'the environment was really dumped');
      }
      canaryIn('events', JSON.stringify(run.events));
      // Streamed pieces are scrubbed one by one: joined, as a panel shows them, they must not hold it either.
      const streamed = new Map<string, string>();
      for (const e of run.events) if (e.type === 'tool_call_delta') streamed.set(e.callId, (streamed.get(e.callId) ?? '') + e.text);
      canaryIn('a call streamed piece by piece', [...streamed.values()].join('\n'));
      canaryIn('the reasoning streamed piece by piece', run.events.map((e) => (e.type === 'orchestrator_delta' ? e.text : '')).join(''));
      canaryIn('the answer streamed piece by piece', run.events.map((e) => (e.type === 'answer_delta' ? e.text : '')).join(''));
      canaryIn('the outcome', JSON.stringify(run.outcome));
      canaryIn('logs', logs.join('\n'));
      canaryIn('the trajectory file', readFileSync(trajectoryPath, 'utf8'));
      canaryIn('the in-memory trajectory', engine.trajectory(run.outcome.taskId) ?? '');
      assert.match(run.terminal.type === 'done' ? run.terminal.answer : '', /The key was \[redacted\]\./);
    } finally {
      await engine.dispose();
    }
    assert.deepEqual(watch.crashes, []);
  });

  test('engine process: the key fetched from the editor never reaches notifications, logs or stderr', async () => {
    // The engine process inherits an environment with the canary in it, like an editor's would.
    const proc = await startEngineProcess({
      secret: (p) => (p.modelId === 'paid' || p.modelId === 'echo' ? CANARY : undefined),
      approve: () => true,
    });
    try {
      const raw = rawConfig();
      for (const m of raw.models) delete (m as { apiKeyEnv?: string }).apiKeyEnv;
      const configured = await proc.rpc.sendRequest(ConfigureRequest, { config: raw, workspace: ws.dir, workspaceTrusted: true });
      assert.deepEqual(configured.problems, []);
      const { taskId } = await proc.rpc.sendRequest(AskRequest, { question: 'What key do you use?' });
      const end = await proc.finished(taskId);
      assert.equal(end.type, 'done', JSON.stringify(end));
      assert.ok(
        proc.secretAsks.some((a) => a.modelId === 'paid'),
        'the engine asked the editor for the key',
      );
      assert.ok(
        server.requests.some((r) => r.headers.authorization === `Bearer ${CANARY}`),
        'the key was used',
      );
      const events = proc.events.filter((e) => e.taskId === taskId);
      assert.ok(events.some((e) => e.type === 'tool_call_finished' && e.tool === 'run_code' && /PATH/.test(e.result)));
      canaryIn('event notifications', JSON.stringify(events));
      canaryIn('log notifications', JSON.stringify(proc.logs));
      const { jsonl } = await proc.rpc.sendRequest(TrajectoryRequest, { taskId });
      assert.ok(jsonl);
      canaryIn('the trajectory', jsonl);
    } finally {
      await proc.close();
    }
    canaryIn("the engine process's stderr", proc.stderr.join(''));
  });
});
