// A key kept under an innocent name with an innocent-looking value (VLLM_ACCESS=c0ffee…) matches no
// secret pattern; the engine still knows it is a key (a model's apiKeyEnv, and the value it fetched),
// so neither run_code children nor MCP stdio servers inherit it — under that name or any other.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startModelServer, type ModelServer } from '../support/model-server';
import { parseConfig } from '../../src/core/config';
import { createEngine } from '../../src/core/engine';
import { isSecretEnv } from '../../src/core/tools';
import type { EngineHost } from '../../src/core/engine-api';
import { runChecked } from './support/tasks';
import { tempWorkspace } from '../unit/engine/helpers';

const KEY_ENV = 'VLLM_ACCESS';
const KEY = 'c0ffee5eed0ddba11';
/** The same value under another innocent name. */
const COPY_ENV = 'BUILD_LABEL';
const SEARCH_KEY_ENV = 'SEARX_PASS_PHRASE_FILE_X';

describe('secrets: configured key variables with innocent names and values', () => {
  let server: ModelServer;
  const ws = tempWorkspace({ 'README.md': 'A project.\n' });
  const buildDir = fs.mkdtempSync(path.join(os.tmpdir(), 'orchestra-mcp-'));
  const mcpJs = path.join(buildDir, 'mcp-echo-server.js');

  before(async () => {
    assert.equal(isSecretEnv(KEY_ENV, KEY), false, 'the name and value look innocent to the patterns');
    process.env[KEY_ENV] = KEY;
    process.env[COPY_ENV] = `v1-${KEY}`;
    process.env[SEARCH_KEY_ENV] = 'plainvalue42';
    const root = path.resolve(__dirname, '../../..');
    execFileSync(
      path.join(root, 'node_modules', '.bin', 'esbuild'),
      [
        'test/support/mcp-echo-server.ts',
        '--bundle',
        '--platform=node',
        '--format=cjs',
        '--target=node20',
        `--outfile=${mcpJs}`,
        '--log-level=warning',
      ],
      { cwd: root },
    );
    server = await startModelServer();
    server.setHandler('orch', (body) => {
      const turn = body.messages.filter((m: any) => m.role === 'assistant').length;
      if (turn === 0) {
        return {
          toolCalls: [
            { name: 'call_model', arguments: { model: 'vllm', task: 'say hi' } },
            { name: 'run_code', arguments: { language: 'javascript', code: 'console.log(JSON.stringify(process.env))' } },
            { name: 'echo__has_env', arguments: { name: KEY_ENV } },
            { name: 'echo__has_env', arguments: { name: COPY_ENV } },
            { name: 'echo__has_env', arguments: { name: SEARCH_KEY_ENV } },
            { name: 'echo__has_env', arguments: { name: 'PATH' } },
          ],
        };
      }
      return { toolCalls: [{ name: 'answer', arguments: { answer: 'checked' } }] };
    });
    server.setHandler('vllm', () => ({ content: 'hi' }));
  });
  after(async () => {
    delete process.env[KEY_ENV];
    delete process.env[COPY_ENV];
    delete process.env[SEARCH_KEY_ENV];
    await server.close();
    ws.cleanup();
    fs.rmSync(buildDir, { recursive: true, force: true });
  });

  test('run_code and MCP stdio children inherit neither the key variable nor its value under another name', async () => {
    const approvals: string[] = [];
    const host: EngineHost = {
      async getSecret(ref) {
        return ref.env ? process.env[ref.env] : undefined;
      },
      async requestApproval(req) {
        approvals.push(req.kind);
        return true;
      },
    };
    const { config, problems } = parseConfig({
      models: [
        { id: 'orch', baseUrl: server.url, model: 'orch', roles: ['orchestrator'] },
        { id: 'vllm', baseUrl: server.url, model: 'vllm', roles: ['general'], apiKeyEnv: KEY_ENV },
      ],
      orchestrator: { model: 'orch', dialect: 'general' },
      requests: { retries: 0, timeoutSeconds: 10 },
      tools: {
        runCode: { autoApprove: true, timeoutSeconds: 20 },
        webSearch: { provider: 'searxng', url: 'http://127.0.0.1:9', apiKeyEnv: SEARCH_KEY_ENV },
        mcpServers: [{ name: 'echo', command: process.execPath, args: [mcpJs] }],
      },
    });
    assert.deepEqual(problems, []);
    const engine = createEngine(host, config, { pool: { backoffBaseMs: 2, maxBackoffMs: 10 } });
    try {
      const run = await runChecked(engine, { question: 'check the environment', workspace: ws.dir });
      assert.equal(run.terminal.type, 'done', JSON.stringify(run.terminal));
      assert.equal(server.requestsFor('vllm')[0].headers.authorization, `Bearer ${KEY}`, 'the key was really used');
      const finished = run.of('tool_call_finished');
      const code = finished.find((e) => e.tool === 'run_code')!;
      assert.equal(code.state, 'ok', code.result);
      assert.match(code.result, /PATH/, 'the environment was really dumped');
      for (const name of [KEY_ENV, COPY_ENV, SEARCH_KEY_ENV])
        assert.ok(!code.result.includes(name), `run_code's child does not see ${name}`);
      assert.ok(!code.result.includes(KEY), 'nor the key value');
      const mcp = finished.filter((e) => e.tool === 'echo__has_env');
      assert.equal(mcp.length, 4);
      assert.deepEqual(
        mcp.map((e) => [(e as any).state, /\byes\b/.test(e.result) ? 'yes' : /\bno\b/.test(e.result) ? 'no' : e.result]),
        [
          ['ok', 'no'],
          ['ok', 'no'],
          ['ok', 'no'],
          ['ok', 'yes'],
        ],
      );
      // run_code's autoApprove covers run_code only: every MCP call still asked.
      assert.deepEqual(approvals, ['mcp_tool', 'mcp_tool', 'mcp_tool', 'mcp_tool']);
    } finally {
      await engine.dispose();
    }
  });
});
