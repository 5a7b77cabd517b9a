// McpManager against a real MCP server over stdio (test/support/mcp-echo-server.ts, bundled here
// with esbuild), plus servers that fail, hang or are refused.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { McpManager, mcpToolName, jsonSchemaToZod } from '../../../src/core/tools';
import { McpServer as McpServerSchema, type McpServer } from '../../../src/core/config';
import type { Tool } from '../../../src/core/tools/tool';
import { makeContext, makeWorkspace, processesWith, repoRoot } from './helpers';

const ws = makeWorkspace();
const buildDir = fs.mkdtempSync(path.join(os.tmpdir(), 'orchestra-mcp-'));
const serverJs = path.join(buildDir, 'mcp-echo-server.js');
const managers: McpManager[] = [];

before(() => {
  const root = repoRoot();
  execFileSync(
    path.join(root, 'node_modules', '.bin', 'esbuild'),
    [
      'test/support/mcp-echo-server.ts',
      '--bundle',
      '--platform=node',
      '--format=cjs',
      '--target=node20',
      `--outfile=${serverJs}`,
      '--log-level=warning',
    ],
    { cwd: root, stdio: 'inherit' },
  );
});
after(async () => {
  await Promise.all(managers.map((m) => m.dispose()));
  ws.cleanup();
  fs.rmSync(buildDir, { recursive: true, force: true });
});

function server(input: Record<string, unknown>): McpServer {
  return McpServerSchema.parse(input);
}

function manager(servers: McpServer[], opts: Partial<ConstructorParameters<typeof McpManager>[1]> = {}): McpManager {
  const m = new McpManager(servers, { workspace: ws.dir, workspaceTrusted: true, ...opts });
  managers.push(m);
  return m;
}

const byName = (tools: Tool[]) => Object.fromEntries(tools.map((t) => [t.name, t]));

describe('MCP servers as tools', () => {
  test('a stdio server’s tools are listed, prefixed, validated and callable; the environment is scrubbed', async () => {
    process.env.ORCHESTRA_MCP_CANARY_TOKEN = 'canary-mcp-secret';
    process.env.ORCHESTRA_MCP_PLAIN = 'plain';
    const marker = `orchestra-mcp-${process.pid}-${Date.now()}`;
    const m = manager([
      server({ name: 'echo', command: process.execPath, args: [serverJs, marker], env: { CONFIGURED_VAR: 'set-by-config' } }),
    ]);
    try {
      const { tools, problems } = await m.start();
      assert.deepEqual(problems, []);
      const t = byName(tools);
      assert.deepEqual(Object.keys(t).sort(), ['echo__add', 'echo__echo', 'echo__fail', 'echo__has_env', 'echo__wait']);
      assert.equal(t.echo__echo.kind, 'mcp');
      assert.match(t.echo__echo.description, /^\[MCP server "echo"\] Echoes the text back$/);
      assert.equal(t.echo__echo.destination({ text: 'x' }), 'local');
      assert.deepEqual(t.echo__echo.needsApproval!({ text: 'hi' }), {
        kind: 'mcp_tool',
        title: 'Call echo on MCP server "echo"',
        detail: '{\n  "text": "hi"\n}',
      });

      const ctx = makeContext(ws.dir);
      const echoed = await t.echo__echo.run({ text: 'hello' }, ctx);
      assert.equal(echoed.ok, true);
      assert.match(echoed.output, /untrusted data from the MCP server "echo"/);
      assert.match(echoed.output, /\necho: hello\n/);

      const sum = await t.echo__add.run(t.echo__add.schema.parse({ a: 2, b: 40 }), ctx);
      assert.equal(sum.ok, true);
      assert.match(sum.output, /\n42\n/);
      assert.deepEqual((sum.data as { structuredContent: unknown }).structuredContent, { sum: 42 });

      const failed = await t.echo__fail.run({}, ctx);
      assert.equal(failed.ok, false);
      assert.equal(failed.state, 'error');
      assert.match(failed.error!, /the MCP tool reported an error: this tool always fails/);

      const has = async (name: string) => (await t.echo__has_env.run({ name }, ctx)).output.split('\n').at(-2);
      assert.equal(await has('ORCHESTRA_MCP_PLAIN'), 'yes');
      assert.equal(await has('CONFIGURED_VAR'), 'yes');
      assert.equal(await has('ORCHESTRA_MCP_CANARY_TOKEN'), 'no');

      // Bad input is caught by the converted schema before anything is sent.
      const bad = t.echo__echo.schema.safeParse({ text: 5 });
      assert.equal(bad.success, false);
      assert.match(bad.error.issues[0].message, /expected string/);
      assert.deepEqual(bad.error.issues[0].path, ['text']);
      assert.equal(t.echo__add.schema.safeParse({ a: 1 }).success, false);
      assert.equal(processesWith(marker).length, 1, 'the server runs while connected');
    } finally {
      delete process.env.ORCHESTRA_MCP_CANARY_TOKEN;
      delete process.env.ORCHESTRA_MCP_PLAIN;
    }
    await m.dispose();
    for (let i = 0; i < 100 && processesWith(marker).length; i++) await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(processesWith(marker), [], 'dispose ends the server process');
  });

  test('auto-approve removes the approval prompt', async () => {
    const m = manager([server({ name: 'echo', command: process.execPath, args: [serverJs] })], { autoApprove: true });
    const { tools } = await m.start();
    assert.equal(byName(tools).echo__echo.needsApproval!({ text: 'x' }), undefined);
    await m.dispose();
  });

  test('a call stopped by the user is cancelled on the server too (notifications/cancelled), at once', async () => {
    const m = manager([server({ name: 'echo', command: process.execPath, args: [serverJs] })], { autoApprove: true });
    const { tools } = await m.start();
    const record = path.join(ws.dir, `cancelled-${Date.now()}.txt`);
    const controller = new AbortController();
    const started = Date.now();
    const call = byName(tools).echo__wait.run({ file: record }, makeContext(ws.dir, controller.signal));
    setTimeout(() => controller.abort(), 300);
    const res = await call;
    assert.equal(res.state, 'cancelled');
    assert.ok(Date.now() - started < 20_000, 'the call ended when stopped, not at its 60 s end');
    // The server was told: its handler saw the cancellation.
    const deadline = Date.now() + 10_000;
    // The file is created before it is written: wait for its content, not only for it to exist.
    const content = () => (fs.existsSync(record) ? fs.readFileSync(record, 'utf8') : '');
    while (!content() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.equal(content(), 'cancelled');
  });

  test('servers that crash, do not exist, hang or are unreachable are reported and skipped; the good one still works', async () => {
    const logs: string[] = [];
    const m = manager(
      [
        server({ name: 'crashes', command: process.execPath, args: ['-e', 'process.stderr.write("bad config\\n"); process.exit(3)'] }),
        server({ name: 'missing', command: '/nonexistent/mcp-server' }),
        server({ name: 'slow', command: process.execPath, args: [serverJs, '--slow-start'] }),
        server({ name: 'http', url: 'http://127.0.0.1:9/mcp' }),
        server({ name: 'good', command: process.execPath, args: [serverJs] }),
      ],
      // Long enough for a good server to start on a loaded machine; the slow one waits 60 s.
      { startTimeoutMs: 8000, log: (_l, msg) => logs.push(msg) },
    );
    const { tools, problems } = await m.start();
    assert.deepEqual(tools.map((t) => t.name).sort(), ['good__add', 'good__echo', 'good__fail', 'good__has_env', 'good__wait']);
    const p = Object.fromEntries(problems.map((x) => [x.server, x.message]));
    assert.deepEqual(Object.keys(p).sort(), ['crashes', 'http', 'missing', 'slow']);
    assert.match(p.crashes, /command ".*node.*": .*\(stderr: bad config\)/);
    assert.match(p.missing, /command "\/nonexistent\/mcp-server": .*ENOENT/);
    assert.match(p.slow, /did not finish within 8 s/);
    assert.match(p.http, /url http:\/\/127\.0\.0\.1:9\/mcp: /);
    assert.ok(logs.some((l) => l.includes('MCP server "slow" skipped')));
    const res = await byName(tools).good__echo.run({ text: 'still here' }, makeContext(ws.dir));
    assert.match(res.output, /echo: still here/);
    await m.dispose();
  });

  test('an untrusted workspace starts no server and says why', async () => {
    const marker = `orchestra-mcp-untrusted-${process.pid}`;
    const m = manager([server({ name: 'echo', command: process.execPath, args: [serverJs, marker] })], { workspaceTrusted: false });
    const { tools, problems } = await m.start();
    assert.deepEqual(tools, []);
    assert.deepEqual(problems, [{ server: 'echo', message: 'not started: MCP servers are disabled in an untrusted workspace' }]);
    assert.deepEqual(processesWith(marker), []);
  });

  test('tool names are sanitised and limited to 64 characters; unconvertible schemas fall back to a loose object', () => {
    assert.equal(mcpToolName('srv', 'read.file/v2'), 'srv__read_file_v2');
    assert.equal(mcpToolName('s', 'x'.repeat(100)).length, 64);
    const exact = jsonSchemaToZod({ type: 'object', properties: { n: { type: 'integer' } }, required: ['n'] });
    assert.equal(exact.exact, true);
    assert.equal(exact.schema.safeParse({ n: 'x' }).success, false);
    const loose = jsonSchemaToZod({ type: 'object', properties: { a: { $ref: '#/definitions/missing' } } });
    assert.equal(loose.exact, false);
    assert.equal(loose.schema.safeParse({ anything: 1 }).success, true);
    assert.equal(loose.schema.safeParse('not an object').success, false);
    assert.equal(jsonSchemaToZod(undefined).exact, false);
  });
});
