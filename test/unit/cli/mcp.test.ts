// `orchestra mcp` as a real child process, driven by the MCP SDK's own client over both transports:
// initialize, list tools, call `ask` against the scripted model server with progress notifications
// and the answer (cost, models used, trajectory id, the trajectory resource), concurrent asks from
// two clients as separate tasks, the `models` tool, a caller that tries to loosen privacy or raise the
// budget; and the HTTP door's refusals (no or wrong token, a browser Origin, an unknown Host,
// listening off loopback).
import { test, describe, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import * as http from 'node:http';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { startModelServer, type ModelServer } from '../../support/model-server';
import { CLI, runCli } from '../../support/cli-process';
import { tempWorkspace } from '../engine/helpers';

const ENV = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', NO_COLOR: '1' };

interface AskResult {
  ok: boolean;
  answer: string;
  taskId: string;
  trajectoryId: string;
  dollars: number;
  cost: string;
  models: string[];
  remoteHosts: string[];
  privacyMode: string;
}

describe('orchestra mcp', () => {
  let server: ModelServer;
  const ws = tempWorkspace({ 'src/fib.py': 'def fib(n):\n    return n if n < 2 else fib(n - 1) + fib(n - 2)\n' });
  const configFile = join(ws.dir, 'orchestra.json');

  before(async () => {
    assert.ok(existsSync(CLI), `build the CLI first (node scripts/build.mjs): ${CLI} is missing`);
    server = await startModelServer({ usage: true });
    writeFileSync(
      configFile,
      JSON.stringify({
        models: [
          { id: 'orch', baseUrl: server.url, model: 'orch', roles: ['orchestrator'], openWeights: true },
          { id: 'coder', baseUrl: server.url, model: 'coder', roles: ['code'], inputPricePerMillion: 1, outputPricePerMillion: 2 },
        ],
        orchestrator: { model: 'orch', dialect: 'general' },
        tools: { runCode: { enabled: false } },
        budget: { maxDollarsPerTask: 0.25 },
        requests: { retries: 0 },
      }),
    );
  });
  after(async () => {
    await server.close();
    ws.cleanup();
  });
  beforeEach(() => {
    server.reset();
    // The orchestrator reads the file, asks the coder, then answers with the question it was asked:
    // concurrent tasks each get the answer to their own question.
    server.setHandler('orch', (body) => {
      const question = String(body.messages.find((m: { role: string }) => m.role === 'user')?.content ?? '');
      const results = body.messages.filter((m: { role: string }) => m.role === 'tool').length;
      if (results === 0)
        return {
          toolCalls: [{ name: 'read_file', arguments: { path: 'src/fib.py' } }],
          usage: { prompt_tokens: 300, completion_tokens: 20 },
        };
      if (results === 1)
        return {
          toolCalls: [{ name: 'call_model', arguments: { model: 'coder', task: `Explain: ${question.slice(-60)}` } }],
          usage: { prompt_tokens: 400, completion_tokens: 30 },
        };
      return {
        toolCalls: [{ name: 'answer', arguments: { answer: `Answer to «${question.slice(-40)}»: fib is recursive.` } }],
        usage: { prompt_tokens: 500, completion_tokens: 20 },
      };
    });
    server.setHandler('coder', () => ({
      content: 'It calls itself twice per step.',
      usage: { prompt_tokens: 100, completion_tokens: 10 },
    }));
  });

  async function connect(transport: Transport): Promise<Client> {
    const client = new Client({ name: 'orchestra-test-client', version: '1.0.0' });
    await client.connect(transport);
    return client;
  }

  /** Calls `ask` and returns its structured answer, its text and the progress messages seen. */
  async function ask(client: Client, args: Record<string, unknown>) {
    const progress: string[] = [];
    const r = await client.callTool({ name: 'ask', arguments: args }, undefined, {
      onprogress: (p) => progress.push(p.message ?? ''),
      timeout: 60_000,
    });
    return { result: r, structured: r.structuredContent as AskResult, progress };
  }

  async function exercise(client: Client): Promise<void> {
    const info = client.getServerVersion();
    assert.equal(info?.name, 'orchestra');
    const tools = await client.listTools();
    assert.deepEqual(tools.tools.map((t) => t.name).sort(), ['ask', 'models']);
    const askTool = tools.tools.find((t) => t.name === 'ask');
    assert.ok(askTool?.inputSchema.properties && 'question' in askTool.inputSchema.properties);

    const { result, structured, progress } = await ask(client, { question: 'How does fib work?' });
    assert.notEqual(result.isError, true, JSON.stringify(result.content));
    assert.equal(structured.ok, true);
    assert.equal(structured.answer, 'Answer to «How does fib work?»: fib is recursive.');
    assert.deepEqual([...structured.models].sort(), ['coder', 'orch']);
    assert.ok(structured.dollars > 0, 'the coder is priced');
    assert.match(structured.cost, /^\$0\.\d+/);
    assert.equal(structured.trajectoryId, structured.taskId);
    assert.deepEqual(structured.remoteHosts, [], 'every model is on loopback');
    const text = (result.content as Array<{ type: string; text: string }>).map((c) => c.text).join('\n');
    assert.match(text, /fib is recursive/);
    assert.match(text, /trajectory /);
    // Progress arrived while it worked: the start, the tool calls, their results.
    assert.ok(
      progress.some((p) => /^started: orchestrator orch/.test(p)),
      progress.join('\n'),
    );
    assert.ok(
      progress.some((p) => /^read_file .*running/.test(p)),
      progress.join('\n'),
    );
    assert.ok(
      progress.some((p) => /^call_model \[coder\] ok/.test(p)),
      progress.join('\n'),
    );

    const trajectory = await client.readResource({ uri: `orchestra://trajectories/${structured.trajectoryId}` });
    const jsonl = String((trajectory.contents[0] as { text: string }).text);
    assert.match(jsonl.split('\n')[0], /"type":"header"/);
    assert.match(jsonl, /How does fib work\?/);

    const models = await client.callTool({ name: 'models', arguments: {} });
    const listed = (models.structuredContent as { models: Array<{ id: string; price: string; eligible: boolean }> }).models;
    assert.deepEqual(
      listed.map((m) => [m.id, m.price, m.eligible]),
      [
        ['orch', '$0/$0', true],
        ['coder', '$1/$2', true],
      ],
    );

    // A caller may make the rules stricter, never looser.
    const looser = await ask(client, { question: 'loosen?', maxDollars: 5 });
    assert.equal(looser.result.isError, true);
    assert.match(JSON.stringify(looser.result.content), /above the configured cap of \$0\.25/);
    const stricter = await ask(client, { question: 'Stay local, how does fib work?', privacy: 'local-only' });
    assert.equal(stricter.structured.privacyMode, 'local-only');
    assert.equal(stricter.structured.ok, true);
  }

  test('over stdio: initialize, list tools, ask with progress and the answer, models, trajectory', async () => {
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [CLI, 'mcp', '--config', configFile, '--workspace', ws.dir],
      env: ENV,
      stderr: 'pipe',
    });
    const client = await connect(transport);
    try {
      await exercise(client);
    } finally {
      await client.close();
    }
  });

  describe('over Streamable HTTP', () => {
    let child: ChildProcess;
    let url: string;
    let token: string;
    let port: number;

    before(async () => {
      child = spawn(process.execPath, [CLI, 'mcp', '--http', '--config', configFile, '--workspace', ws.dir], {
        env: ENV,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      await new Promise<void>((resolve, reject) => {
        child.stdout!.on('data', (d) => {
          out += d;
          const u = /Streamable HTTP\): (\S+)/.exec(out);
          const t = /Bearer token: (\S+)/.exec(out);
          if (u && t) {
            url = u[1];
            token = t[1];
            resolve();
          }
        });
        child.once('exit', (code) => reject(new Error(`orchestra mcp --http exited (${code}): ${out}`)));
      });
      port = Number(new URL(url).port);
      assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/mcp$/);
      assert.ok(token.length >= 32);
      assert.match(out, /"Authorization":"Bearer /, 'prints the lines to paste into a client');
    });
    after(() => {
      child?.kill();
    });

    const httpClient = (headers: Record<string, string> = { Authorization: `Bearer ${token}` }) =>
      connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers } }));

    test('initialize, list tools, ask with progress and the answer, models, trajectory', async () => {
      const client = await httpClient();
      try {
        await exercise(client);
      } finally {
        await client.close();
      }
    });

    test('concurrent asks from two clients are separate tasks', async () => {
      const [a, b] = await Promise.all([httpClient(), httpClient()]);
      try {
        const [ra, rb] = await Promise.all([ask(a, { question: 'Question A about fib' }), ask(b, { question: 'Question B about fib' })]);
        assert.equal(ra.structured.answer, 'Answer to «Question A about fib»: fib is recursive.');
        assert.equal(rb.structured.answer, 'Answer to «Question B about fib»: fib is recursive.');
        assert.notEqual(ra.structured.taskId, rb.structured.taskId);
        // Each client saw only its own task's progress.
        assert.ok(!ra.progress.some((p) => /Question B/.test(p)) && !rb.progress.some((p) => /Question A/.test(p)));
      } finally {
        await Promise.all([a.close(), b.close()]);
      }
    });

    /** A raw request to the door, with full control over the headers (Host included). */
    function raw(headers: Record<string, string>): Promise<{ status: number; body: string }> {
      const body = JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
      });
      return new Promise((resolve, reject) => {
        const req = http.request(
          {
            host: '127.0.0.1',
            port,
            path: '/mcp',
            method: 'POST',
            headers: {
              'content-type': 'application/json',
              accept: 'application/json, text/event-stream',
              host: `127.0.0.1:${port}`,
              ...headers,
            },
          },
          (res) => {
            let text = '';
            res.on('data', (d) => (text += d));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
          },
        );
        req.on('error', reject);
        req.end(body);
      });
    }

    test('the door refuses a missing or wrong token, browser origins and unknown hosts', async () => {
      assert.equal((await raw({})).status, 401);
      assert.equal((await raw({ authorization: `Bearer ${'x'.repeat(token.length)}` })).status, 401);
      const origin = await raw({ authorization: `Bearer ${token}`, origin: 'http://evil.example' });
      assert.equal(origin.status, 403);
      assert.match(origin.body, /browsers or unknown hosts/);
      assert.equal((await raw({ authorization: `Bearer ${token}`, host: `evil.example:${port}` })).status, 403);
      assert.equal((await raw({ authorization: `Bearer ${token}`, host: `127.0.0.1:${port + 1}` })).status, 403);
      // The right token from a non-browser client on the right host gets in.
      assert.equal((await raw({ authorization: `Bearer ${token}` })).status, 200);
    });
  });

  test('listening off loopback is refused', async () => {
    const r = await runCli(['mcp', '--http', '--host', '0.0.0.0', '--config', configFile, '--workspace', ws.dir]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /refusing to listen on 0\.0\.0\.0: .*loopback only/);
  });
});
