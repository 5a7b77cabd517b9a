// run_code against real child processes: timeouts that kill the tree, output caps, secret-free
// environment, closed stdin, the bubblewrap sandbox (no network, only the workspace writable),
// memory caps, refusals, scratch isolation and cancellation.
import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import type { AddressInfo } from 'node:net';
import { runCode, probeSandbox, createWorkspaceTools, type RunCodeOptions } from '../../../src/core/tools';
import { makeConfig, makeContext, makeWorkspace, processesWith } from './helpers';

const ws = makeWorkspace({
  'data.txt': 'hello from the workspace\n',
  '.env': 'SECRET_IN_DOTENV=do-not-leak\n',
  'sub/notes.md': '# notes\n',
});
after(() => ws.cleanup());

function opts(overrides: Partial<RunCodeOptions> = {}, runCodeSettings: Record<string, unknown> = {}): RunCodeOptions {
  return {
    workspace: ws.dir,
    config: makeConfig({ tools: { runCode: { timeoutSeconds: 30, ...runCodeSettings } } }),
    signal: new AbortController().signal,
    workspaceTrusted: true,
    ...overrides,
  };
}

async function waitUntilGone(marker: string): Promise<number[]> {
  // Killed processes vanish asynchronously; poll (bounded) instead of asserting a duration.
  for (let i = 0; i < 100; i++) {
    const left = processesWith(marker);
    if (left.length === 0) return left;
    await new Promise((r) => setTimeout(r, 50));
  }
  return processesWith(marker);
}

describe('run_code: process tree, timeout and cancellation', () => {
  for (const sandbox of ['auto', 'none'] as const) {
    test(`a script that sleeps forever is killed at the timeout, with its grandchild (sandbox ${sandbox})`, async () => {
      const marker = `orchestra-grandchild-${sandbox}-${process.pid}-${Date.now()}`;
      const code = [
        'import subprocess, sys, time',
        `subprocess.Popen([sys.executable, "-c", "import time; time.sleep(1000)", "${marker}"])`,
        'print("started", flush=True)',
        'time.sleep(1000)',
      ].join('\n');
      const r = await runCode({ language: 'python', code }, opts({ sandbox }, { timeoutSeconds: 2 }));
      assert.equal(r.killed, true, r.summary);
      assert.equal(r.killReason, 'timeout');
      assert.equal(r.exitCode, null);
      assert.match(r.stdout, /started/);
      assert.match(r.summary, /timed out after 2 s/);
      assert.deepEqual(await waitUntilGone(marker), [], 'the grandchild must be killed too');
    });
  }

  test('cancellation kills the whole tree and says so', async () => {
    const marker = `orchestra-cancel-${process.pid}-${Date.now()}`;
    const ac = new AbortController();
    const code = `const { spawn } = require('node:child_process');
spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)', '${marker}'], { stdio: 'ignore' });
console.log('ready');
setInterval(() => {}, 1000);`;
    const r = await runCode(
      { language: 'javascript', code },
      opts({ signal: ac.signal, onOutput: (_s, text) => text.includes('ready') && ac.abort() }),
    );
    assert.equal(r.killed, true);
    assert.equal(r.killReason, 'cancelled');
    assert.match(r.summary, /cancelled/);
    assert.deepEqual(await waitUntilGone(marker), []);
  });

  test('background processes left behind by shell code are cleaned up when it exits', async () => {
    const marker = `orchestra-bg-${process.pid}-${Date.now()}`;
    const r = await runCode(
      { language: 'shell', code: `echo hi\n${JSON.stringify(process.execPath)} -e 'setInterval(()=>{},1000)' ${marker} &\necho bye` },
      opts({}, { allowShell: true }),
    );
    assert.equal(r.exitCode, 0, r.stderr);
    assert.equal(r.killed, false);
    assert.equal(r.stdout, 'hi\nbye\n');
    assert.deepEqual(await waitUntilGone(marker), []);
  });
});

describe('run_code: output, environment, stdin', () => {
  test('megabytes of output are truncated, and the result says how much was dropped', async () => {
    const r = await runCode(
      { language: 'python', code: 'import sys\nsys.stdout.write("x" * 3_000_000)\nsys.stderr.write("e" * 50_000)' },
      opts({}, { maxOutputBytes: 10_000 }),
    );
    assert.equal(r.exitCode, 0);
    assert.equal(r.killed, false);
    assert.equal(r.truncated, true);
    assert.ok(r.stdout.startsWith('x'.repeat(10_000)));
    assert.match(r.stdout, /\[truncated: 2990000 more bytes\]$/);
    assert.match(r.stderr, /\[truncated: 40000 more bytes\]$/);
    assert.match(r.summary, /output truncated to 10000 bytes per stream/);
  });

  test('endless output is killed rather than left to run to the timeout', async () => {
    const r = await runCode(
      { language: 'python', code: "import sys\ns = 'y' * 65536\nwhile True:\n    sys.stdout.write(s)" },
      opts({}, { maxOutputBytes: 1000 }),
    );
    assert.equal(r.killed, true);
    assert.equal(r.killReason, 'output');
    assert.equal(r.truncated, true);
  });

  test('secrets in the parent environment are absent in the child (by name and by value)', async () => {
    const names = {
      ORCHESTRA_CANARY_API_KEY: 'canary-by-name-7f3a',
      ORCHESTRA_CANARY_PLAIN: 'sk-canary-by-value-0123',
      ORCHESTRA_VISIBLE: 'visible-control-value',
    };
    Object.assign(process.env, names);
    try {
      for (const language of ['python', 'javascript'] as const) {
        const code =
          language === 'python' ? 'import os, json\nprint(json.dumps(dict(os.environ)))' : 'console.log(JSON.stringify(process.env))';
        const r = await runCode({ language, code }, opts());
        assert.equal(r.exitCode, 0, r.stderr);
        const env = JSON.parse(r.stdout) as Record<string, string>;
        assert.equal(env.ORCHESTRA_VISIBLE, 'visible-control-value', 'ordinary variables pass through');
        assert.equal(env.ORCHESTRA_CANARY_API_KEY, undefined);
        assert.equal(env.ORCHESTRA_CANARY_PLAIN, undefined);
        assert.ok(!r.stdout.includes('canary-by-name-7f3a') && !r.stdout.includes('sk-canary-by-value'), 'no canary value anywhere');
      }
    } finally {
      for (const k of Object.keys(names)) delete process.env[k];
    }
  });

  test('stdin is closed: reading it returns end-of-file at once', async () => {
    const r = await runCode({ language: 'python', code: 'import sys\ndata = sys.stdin.read()\nprint("stdin:", repr(data))' }, opts());
    assert.equal(r.killed, false);
    assert.equal(r.stdout.trim(), "stdin: ''");
  });

  test('JavaScript runs on Node in the workspace folder; ES module syntax works too', async () => {
    const cjs = await runCode(
      {
        language: 'javascript',
        code: "console.log(process.cwd()); console.log(require('node:fs').readFileSync('data.txt', 'utf8').trim())",
      },
      opts(),
    );
    assert.equal(cjs.exitCode, 0, cjs.stderr);
    assert.deepEqual(cjs.stdout.trim().split('\n'), [ws.dir, 'hello from the workspace']);
    const esm = await runCode(
      { language: 'javascript', code: "import { readFileSync } from 'node:fs';\nconsole.log(readFileSync('data.txt', 'utf8').length)" },
      opts(),
    );
    assert.equal(esm.exitCode, 0, esm.stderr);
    assert.equal(esm.stdout.trim(), '25');
  });

  test('a non-zero exit is reported with stderr', async () => {
    const r = await runCode({ language: 'python', code: 'raise SystemExit("boom")' }, opts());
    assert.equal(r.exitCode, 1);
    assert.match(r.stderr, /boom/);
    assert.match(r.summary, /exit code 1/);
  });

  test('a memory hog dies at the memory cap', async () => {
    const py = await runCode(
      { language: 'python', code: 'x = bytearray(1024 * 1024 * 1024)\nprint("allocated")' },
      opts({ memoryLimitMb: 256 }),
    );
    assert.notEqual(py.exitCode, 0);
    assert.doesNotMatch(py.stdout, /allocated/);
    assert.match(py.stderr, /MemoryError/);
    const js = await runCode(
      {
        language: 'javascript',
        code: 'const a = []; for (let i = 0; i < 64; i++) a.push(Buffer.alloc(32 * 1024 * 1024, 1)); console.log("allocated")',
      },
      opts({ memoryLimitMb: 256 }),
    );
    assert.notEqual(js.exitCode, 0);
    assert.doesNotMatch(js.stdout, /allocated/);
  });
});

describe('run_code: sandbox', () => {
  test('with bubblewrap there is no network inside; without it the summary says plainly there is no sandbox', async () => {
    let hits = 0;
    const server = http.createServer((_req, res) => {
      hits++;
      res.end('pong');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    try {
      const code = [
        'import urllib.request',
        'try:',
        `    print(urllib.request.urlopen("http://127.0.0.1:${port}/", timeout=5).read().decode())`,
        'except Exception as e:',
        '    print("blocked:", type(e).__name__)',
      ].join('\n');
      const open = await runCode({ language: 'python', code }, opts({ sandbox: 'none' }));
      assert.equal(open.stdout.trim(), 'pong', 'control: without the sandbox the loopback server is reachable');
      assert.equal(open.sandboxed, false);
      assert.match(open.summary, /NO SANDBOX/);
      assert.equal(hits, 1);

      const support = await probeSandbox();
      const boxed = await runCode({ language: 'python', code }, opts());
      if (support.available) {
        assert.equal(boxed.sandboxed, true);
        assert.equal(boxed.sandbox, 'bubblewrap');
        assert.match(boxed.stdout, /^blocked:/);
        assert.equal(hits, 1, 'the sandboxed run never reached the server');
        assert.match(boxed.summary, /bubblewrap \(no network/);
      } else {
        assert.equal(boxed.sandboxed, false);
        assert.match(boxed.summary, new RegExp(`NO SANDBOX \\(${support.reason!.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
      }
    } finally {
      await new Promise((r) => server.close(r));
    }
  });

  test('sandboxed code can write the workspace but not outside it, and .env reads as empty', async () => {
    const support = await probeSandbox();
    const outside = fs.mkdtempSync(path.join(os.homedir(), '.orchestra-outside-'));
    try {
      const code = [
        'import os',
        'open("written.txt", "w").write("ok")',
        'try:',
        `    open(${JSON.stringify(path.join(outside, 'escape.txt'))}, "w").write("escaped")`,
        '    print("outside: written")',
        'except OSError as e:',
        '    print("outside: refused")',
        'print("dotenv:", repr(open(".env").read()))',
      ].join('\n');
      const r = await runCode({ language: 'python', code }, opts());
      assert.equal(r.exitCode, 0, r.stderr);
      assert.equal(fs.readFileSync(path.join(ws.dir, 'written.txt'), 'utf8'), 'ok');
      if (support.available) {
        assert.match(r.stdout, /outside: refused/);
        assert.equal(fs.existsSync(path.join(outside, 'escape.txt')), false);
        assert.match(r.stdout, /dotenv: ''/);
      } else {
        assert.match(r.summary, /NO SANDBOX/);
      }
    } finally {
      fs.rmSync(outside, { recursive: true, force: true });
      fs.rmSync(path.join(ws.dir, 'written.txt'), { force: true });
    }
  });

  test('scratch isolation runs in a copy without secrets or node_modules and leaves the workspace untouched', async () => {
    const local = makeWorkspace({ 'a.txt': 'A', '.env': 'X=1', 'node_modules/dep/index.js': '', 'src/b.txt': 'B' });
    try {
      const code =
        "import os\nopen('created.txt','w').write('new')\nprint(os.getcwd() != %r, os.path.exists('.env'), os.path.exists('node_modules'), open('src/b.txt').read())";
      const r = await runCode(
        { language: 'python', code: code.replace('%r', JSON.stringify(local.dir)) },
        { ...opts({}, { isolation: 'scratch' }), workspace: local.dir },
      );
      assert.equal(r.exitCode, 0, r.stderr);
      assert.equal(r.stdout.trim(), 'True False False B');
      assert.equal(fs.existsSync(path.join(local.dir, 'created.txt')), false);
      assert.match(r.summary, /scratch copy/);
    } finally {
      local.cleanup();
    }
  });
});

describe('run_code: refusals and approval', () => {
  test('an untrusted workspace refuses without spawning anything', async () => {
    const code = `open(${JSON.stringify(path.join(ws.dir, 'should-not-exist.txt'))}, "w").write("x")`;
    const r = await runCode({ language: 'python', code }, opts({ workspaceTrusted: false }));
    assert.equal(r.refused, 'refused: code execution is disabled in an untrusted workspace');
    const [tool] = createWorkspaceTools({
      config: makeConfig(),
      getSecret: async () => undefined,
      workspace: ws.dir,
      workspaceTrusted: false,
    });
    assert.equal(tool.name, 'run_code');
    const res = await tool.run({ language: 'python', code }, makeContext(ws.dir));
    assert.equal(res.ok, false);
    assert.equal(res.state, 'denied');
    assert.equal(res.output, 'refused: code execution is disabled in an untrusted workspace');
    assert.equal(fs.existsSync(path.join(ws.dir, 'should-not-exist.txt')), false);
  });

  test('shell is refused unless allowShell, and not offered in the schema', async () => {
    const r = await runCode({ language: 'shell', code: 'echo hi' }, opts());
    assert.match(r.refused ?? '', /shell commands are not allowed/);
    const [tool] = createWorkspaceTools({
      config: makeConfig(),
      getSecret: async () => undefined,
      workspace: ws.dir,
      workspaceTrusted: true,
    });
    const parsed = tool.schema.safeParse({ language: 'shell', code: 'echo hi' });
    assert.equal(parsed.success, false);
    const [shellTool] = createWorkspaceTools({
      config: makeConfig({ tools: { runCode: { allowShell: true } } }),
      getSecret: async () => undefined,
      workspace: ws.dir,
      workspaceTrusted: true,
    });
    assert.equal(shellTool.schema.safeParse({ language: 'shell', code: 'echo hi' }).success, true);
  });

  test('needsApproval carries the full code unless auto-approve is on; the tool reports the run', async () => {
    const code = 'print(6 * 7)';
    const [tool] = createWorkspaceTools({
      config: makeConfig(),
      getSecret: async () => undefined,
      workspace: ws.dir,
      workspaceTrusted: true,
    });
    assert.deepEqual(tool.needsApproval!({ language: 'python', code }), {
      kind: 'run_code',
      title: 'Run python code',
      detail: code,
      language: 'python',
    });
    assert.equal(tool.destination({ language: 'python', code }), 'local');
    const ctx = makeContext(ws.dir);
    const res = await tool.run({ language: 'python', code }, ctx);
    assert.equal(res.ok, true, res.output);
    assert.equal(res.state, 'ok');
    assert.match(res.output, /^\[run_code python\] exit code 0;/);
    assert.match(res.output, /--- stdout ---\n42/);
    assert.deepEqual(ctx.progressText.join(''), '42\n');
    const [auto] = createWorkspaceTools({
      config: makeConfig({ tools: { runCode: { autoApprove: true } } }),
      getSecret: async () => undefined,
      workspace: ws.dir,
      workspaceTrusted: true,
    });
    assert.equal(auto.needsApproval!({ language: 'python', code }), undefined);
  });

  test('disabled in settings: run_code is not offered at all', () => {
    const tools = createWorkspaceTools({
      config: makeConfig({ tools: { runCode: { enabled: false } } }),
      getSecret: async () => undefined,
      workspace: ws.dir,
      workspaceTrusted: true,
    });
    assert.deepEqual(
      tools.map((t) => t.name),
      ['search_workspace', 'read_file', 'list_files'],
    );
  });
});

describe('run_code without a sandbox', () => {
  test('local-only mode refuses to run unsandboxed code (it would have the network and the parent environment)', async () => {
    const localOnly = makeConfig({ privacyMode: 'local-only', tools: { runCode: { timeoutSeconds: 30 } } });
    const refused = await runCode({ language: 'python', code: 'print("ran")' }, { ...opts({ sandbox: 'none' }), config: localOnly });
    assert.equal(refused.stdout, '');
    assert.match(
      refused.refused ?? '',
      /^refused: privacy mode local-only runs code only inside a sandbox with no network, and the sandbox is turned off/,
    );
    // The tool reports it as denied, and asks no approval for code it will refuse.
    const { createRunCodeTool } = await import('../../../src/core/tools/run-code');
    const tool = createRunCodeTool({ config: localOnly, workspace: ws.dir, workspaceTrusted: true, sandbox: 'none' });
    assert.equal(tool.needsApproval?.({ language: 'python', code: 'print(1)' }), undefined);
    const res = await tool.run({ language: 'python', code: 'print("ran")' }, makeContext(ws.dir));
    assert.equal(res.state, 'denied');
    assert.doesNotMatch(res.output, /ran\n/);
    // In other modes it runs, and says so plainly.
    const any = await runCode({ language: 'python', code: 'print("ran")' }, opts({ sandbox: 'none' }));
    assert.equal(any.stdout, 'ran\n');
    assert.match(any.summary, /NO SANDBOX/);
  });

  test('the approval title says NO SANDBOX when the code would run unsandboxed (auto-approve is unchanged)', async () => {
    const { createRunCodeTool } = await import('../../../src/core/tools/run-code');
    const unsandboxed = createRunCodeTool({ config: makeConfig(), workspace: ws.dir, workspaceTrusted: true, sandbox: 'none' });
    const ask = unsandboxed.needsApproval?.({ language: 'python', code: 'print(1)' });
    assert.equal(ask?.kind, 'run_code');
    assert.match(ask?.title ?? '', /NO SANDBOX/);
    const support = await probeSandbox();
    const auto = createRunCodeTool({ config: makeConfig(), workspace: ws.dir, workspaceTrusted: true });
    const title = auto.needsApproval?.({ language: 'python', code: 'print(1)' })?.title ?? '';
    if (support.available) assert.doesNotMatch(title, /NO SANDBOX/);
    else assert.match(title, /NO SANDBOX/);
    const autoApproved = createRunCodeTool({
      config: makeConfig({ tools: { runCode: { autoApprove: true } } }),
      workspace: ws.dir,
      workspaceTrusted: true,
      sandbox: 'none',
    });
    assert.equal(autoApproved.needsApproval?.({ language: 'python', code: 'print(1)' }), undefined);
  });
});
