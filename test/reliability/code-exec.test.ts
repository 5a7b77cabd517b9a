// Code execution under pressure. In an untrusted workspace nothing is spawned (run_code refuses, MCP
// stdio servers are not started). In a trusted one, an infinite loop, a memory hog and a fork bomb
// (depth-bounded: at most 128 processes, so it cannot hurt the machine) run at once through the real
// engine process; each is stopped at its limit, the whole process tree goes with it, and the engine
// process answers a listModels request while they run.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { startModelServer, type ModelServer } from '../support/model-server';
import { parseConfig } from '../../src/core/config';
import { createEngine } from '../../src/core/engine';
import type { EngineHost } from '../../src/core/engine-api';
import { AskRequest, ConfigureRequest, ListModelsRequest } from '../../src/protocol/engine-rpc';
import { runChecked, crashWatch } from './support/tasks';
import { startEngineProcess } from '../support/engine-process';
import { within } from './support/random';
import { tempWorkspace } from '../unit/engine/helpers';

const INFINITE_LOOP = 'while True:\n    pass';
const MEMORY_HOG = 'const hog = [];\nwhile (true) hog.push(new ArrayBuffer(256 * 1024 * 1024));';
// Seven rounds of fork: 2^7 = 128 processes at most, each appending a heartbeat byte every 50 ms.
const FORK_BOMB = [
  'import os, time',
  'for _ in range(7):',
  '    try:',
  '        os.fork()',
  '    except OSError:',
  '        break',
  "fd = os.open('beats', os.O_WRONLY | os.O_APPEND | os.O_CREAT)",
  'while True:',
  "    os.write(fd, b'.')",
  '    time.sleep(0.05)',
].join('\n');

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('code execution: refusals, limits, and a responsive engine', () => {
  let server: ModelServer;
  const watch = crashWatch();
  before(async () => {
    server = await startModelServer();
  });
  after(async () => {
    watch.stop();
    await server.close();
  });

  test('untrusted workspace: run_code refuses and MCP stdio servers never start; nothing is spawned, nothing asked', async () => {
    const ws = tempWorkspace({ 'a.txt': 'a\n' });
    const codeMarker = join(ws.dir, 'code-ran');
    const mcpMarker = join(ws.dir, 'mcp-started');
    server.setHandler('orch-untrusted', (body) =>
      body.messages.length === 2
        ? {
            toolCalls: [
              { name: 'run_code', arguments: { language: 'python', code: `open(${JSON.stringify(codeMarker)}, 'w').write('x')` } },
            ],
          }
        : { toolCalls: [{ name: 'answer', arguments: { answer: 'ok' } }] },
    );
    const approvals: string[] = [];
    const host: EngineHost = {
      workspaceTrusted: false,
      async getSecret() {
        return undefined;
      },
      async requestApproval(req) {
        approvals.push(req.kind);
        return true;
      },
    };
    const { config, problems } = parseConfig({
      models: [{ id: 'orch', baseUrl: server.url, model: 'orch-untrusted', roles: ['orchestrator'] }],
      requests: { retries: 0 },
      tools: {
        runCode: { autoApprove: false },
        mcpServers: [
          { name: 'starter', command: process.execPath, args: ['-e', `require('fs').writeFileSync(${JSON.stringify(mcpMarker)}, 'x')`] },
        ],
      },
    });
    assert.deepEqual(problems, []);
    const engine = createEngine(host, config);
    try {
      const run = await runChecked(engine, { question: 'run it', workspace: ws.dir });
      assert.equal(run.terminal.type, 'done');
      const fin = run.of('tool_call_finished').find((e) => e.tool === 'run_code');
      assert.equal(fin?.state, 'denied');
      assert.match(fin?.error ?? '', /untrusted workspace/);
      assert.deepEqual(approvals, [], 'no approval is even asked for code that cannot run');
      assert.equal(existsSync(codeMarker), false, 'the code never ran');
      assert.equal(existsSync(mcpMarker), false, 'the MCP server command never ran');
    } finally {
      await engine.dispose();
      ws.cleanup();
    }
  });

  test('an infinite loop, a memory hog and a bounded fork bomb are stopped at their limits while the engine process answers', async () => {
    const ws = tempWorkspace({ 'README.md': 'stress\n' });
    server.setHandler('orch-hogs', (body) =>
      body.messages.length === 2
        ? {
            toolCalls: [
              { name: 'run_code', arguments: { language: 'python', code: INFINITE_LOOP } },
              { name: 'run_code', arguments: { language: 'javascript', code: MEMORY_HOG } },
              { name: 'run_code', arguments: { language: 'python', code: FORK_BOMB } },
            ],
          }
        : { toolCalls: [{ name: 'answer', arguments: { answer: 'all stopped' } }] },
    );
    const proc = await startEngineProcess({ secret: () => undefined, approve: () => true });
    try {
      const configured = await proc.rpc.sendRequest(ConfigureRequest, {
        config: {
          models: [{ id: 'orch', baseUrl: server.url, model: 'orch-hogs', roles: ['orchestrator'] }],
          requests: { retries: 0, timeoutSeconds: 30 },
          tools: { runCode: { autoApprove: true, timeoutSeconds: 4 } },
          budget: { maxWallTimeSeconds: 90 },
        },
        workspace: ws.dir,
        workspaceTrusted: true,
      });
      assert.deepEqual(configured.problems, []);
      const { taskId } = await proc.rpc.sendRequest(AskRequest, { question: 'stress the machine' });
      // Wait until all three are running, then ask the engine something.
      await within(
        (async () => {
          while (
            proc.events.filter(
              (e) => e.taskId === taskId && e.type === 'tool_call_started' && e.tool === 'run_code' && e.state === 'running',
            ).length < 3
          )
            await sleep(20);
        })(),
        30_000,
        'the three run_code calls starting',
      );
      const models = await within(proc.rpc.sendRequest(ListModelsRequest, {}), 10_000, 'listModels while the code runs');
      const answeredAt = proc.events.length;
      assert.deepEqual(
        models.map((m) => m.id),
        ['orch'],
      );
      const end = await within(proc.finished(taskId), 90_000, 'the task');
      assert.equal(end.type, 'done', JSON.stringify(end));
      const events = proc.events.filter((e) => e.taskId === taskId);
      const fin = events.filter((e) => e.type === 'tool_call_finished' && e.tool === 'run_code') as Array<
        Extract<(typeof events)[number], { type: 'tool_call_finished' }>
      >;
      assert.equal(fin.length, 3);
      const [loop, hog, bomb] = ['python', 'javascript', 'python'].map((_, i) => {
        const started = events.filter((e) => e.type === 'tool_call_started' && e.tool === 'run_code' && e.state === 'running');
        return fin.find((f) => f.callId === (started[i] as { callId: string }).callId)!;
      });
      // The loop ran to its timeout, so listModels answering before it finished shows the engine stayed responsive.
      assert.ok(proc.events.indexOf(loop) >= answeredAt, 'listModels was answered while the infinite loop still ran');
      assert.equal(loop.state, 'timeout', loop.result);
      assert.match(loop.result, /killed: timed out after 4 s \(whole process tree\)/);
      assert.equal(hog.state, 'error', hog.result);
      assert.match(hog.result, /RangeError|allocation failed|out of memory|heap/i, 'the hog died at the memory cap');
      assert.equal(bomb.state, 'timeout', bomb.result);
      assert.match(bomb.result, /whole process tree/);
      // Every forked process is gone: the heartbeat file stops growing.
      const beats = join(ws.dir, 'beats');
      assert.ok(existsSync(beats), 'the fork bomb really ran');
      await sleep(300);
      const before = statSync(beats).size;
      await sleep(700);
      assert.equal(statSync(beats).size, before, 'no forked process survived the kill');
      assert.ok(before > 100, `many processes beat (${before} beats)`);
    } finally {
      await proc.close();
      ws.cleanup();
    }
    assert.deepEqual(watch.crashes, []);
  });
});
