// `orchestra local …` and `orchestra serve` as a user runs them: dist/cli.js as a real child process,
// against a loopback HTTP server that serves a complete GGUF file, an HTML login page at a .gguf
// URL, a transfer that is cut, and a 404; then the signals that stop `serve`, and a closed pipe.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, writeFileSync, copyFileSync, mkdirSync } from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import OpenAI from 'openai';
import { makeModelDir, writeRandomModel } from '../../support/gguf';
import { CLI, runCli } from '../../support/cli-process';

describe('orchestra local (as a process, against a loopback model host)', () => {
  const tmp = makeModelDir();
  const source = join(tmp.dir, 'source.gguf');
  writeRandomModel(source);
  const model = readFileSync(source);
  const sha = createHash('sha256').update(model).digest('hex');
  let server: http.Server;
  let base = '';
  const requests: Array<{ path: string; range?: string }> = [];
  let cutsLeft = 0;

  before(async () => {
    server = http.createServer((req, res) => {
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      requests.push({ path, range: req.headers.range });
      if (path === '/login/tiny.gguf') {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end('<!DOCTYPE html><p>Please sign in</p>');
        return;
      }
      if (!path.endsWith('/tiny.gguf')) {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('no such file');
        return;
      }
      const m = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
      const start = m ? Number(m[1]) : 0;
      const body = model.subarray(start);
      res.writeHead(m ? 206 : 200, {
        'content-type': 'application/octet-stream',
        'content-length': body.length,
        ...(m ? { 'content-range': `bytes ${start}-${model.length - 1}/${model.length}` } : {}),
      });
      if (path.startsWith('/cut/') && cutsLeft > 0) {
        cutsLeft--;
        res.write(body.subarray(0, Math.floor(body.length / 3)), () => setTimeout(() => res.socket?.destroy(), 20));
        return;
      }
      res.end(body);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
    tmp.cleanup();
  });

  test('every command and subcommand answers --help with its usage and exit codes', async () => {
    for (const args of [
      ['--help'],
      ['ask', '--help'],
      ['models', '--help'],
      ['replay', '--help'],
      ['serve', '--help'],
      ['local', '--help'],
      ['local', 'list', '--help'],
      ['local', 'download', '--help'],
      ['local', 'verify', '--help'],
      ['local', 'help', 'download'],
    ]) {
      const r = await runCli(args);
      assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stdout, /usage/i, args.join(' '));
      assert.match(r.stdout, /Exit codes: 0 /, args.join(' '));
      assert.equal(r.stderr, '');
    }
    const bad = await runCli(['local', 'download', '--bogus']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /unknown option --bogus/);
  });

  test('local list on a fresh machine (no models folder yet) succeeds and says so', async () => {
    const r = await runCli(['local', 'list'], { env: { ORCHESTRA_MODELS_DIR: join(tmp.dir, 'never-created') } });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /No GGUF models found in .*never-created \(the folder does not exist yet; a download creates it\)/);
    assert.match(r.stdout, /orchestrator-8b/);
  });

  test('an HTML page and a 404 are refused with the URL and HTTP status; nothing is saved', async () => {
    const dir = join(tmp.dir, 'refused');
    const page = await runCli(['local', 'download', `${base}/login/tiny.gguf`, '--dir', dir]);
    assert.equal(page.code, 1, page.stdout + page.stderr);
    assert.match(
      page.stderr,
      new RegExp(`${base}/login/tiny\\.gguf answered HTTP 200 OK with text/html, not a GGUF model file; nothing was saved`),
    );
    assert.doesNotMatch(page.stdout, /Saved/);
    const missing = await runCli(['local', 'download', `${base}/gone/missing.gguf`, '--dir', dir]);
    assert.equal(missing.code, 1, missing.stdout + missing.stderr);
    assert.match(missing.stderr, new RegExp(`${base}/gone/missing\\.gguf answered HTTP 404 Not Found`));
    assert.equal(existsSync(dir), false, 'no folder, no file, no .part');
  });

  test('a cut download is kept and resumed by the next run; a complete file is not fetched again', async () => {
    const dir = join(tmp.dir, 'resumed');
    const dest = join(dir, 'tiny.gguf');
    cutsLeft = 1;
    const first = await runCli(['local', 'download', `${base}/cut/tiny.gguf`, '--dir', dir, '--retries', '0']);
    assert.equal(first.code, 1);
    assert.match(first.stderr, /connection (cut|closed) after \d+/);
    assert.match(first.stderr, /are kept in .*tiny\.gguf\.part: run the same command again to resume from there/);
    const kept = readFileSync(`${dest}.part`).length;
    assert.ok(kept > 0 && kept < model.length);

    requests.length = 0;
    const second = await runCli(['local', 'download', `${base}/cut/tiny.gguf`, '--dir', dir]);
    assert.equal(second.code, 0, second.stderr);
    assert.deepEqual(requests, [{ path: '/cut/tiny.gguf', range: `bytes=${kept}-` }]);
    assert.ok(readFileSync(dest).equals(model));
    assert.equal(existsSync(`${dest}.part`), false);
    assert.match(second.stdout, new RegExp(`Saved .*tiny\\.gguf \\(.*, sha256 ${sha}\\)`));
    assert.match(second.stdout, /orchestra ask` can use it as "local:tiny"/);

    requests.length = 0;
    const third = await runCli(['local', 'download', `${base}/cut/tiny.gguf`, '--dir', dir]);
    assert.equal(third.code, 0, third.stderr);
    assert.match(third.stdout, /Already downloaded: .*tiny\.gguf .*nothing was fetched/);
    assert.equal(requests.length, 0, 'no request for a complete file');
  });

  test('a catalog model is checked against its SHA-256 when present, and local verify tells good from damaged', async () => {
    const dir = join(tmp.dir, 'catalog');
    const catalog = join(tmp.dir, 'catalog.json');
    writeFileSync(
      catalog,
      JSON.stringify([
        {
          id: 'tiny',
          title: 'Tiny test model',
          url: `${base}/models/tiny.gguf`,
          fileName: 'tiny.gguf',
          sizeBytes: model.length,
          sizeExact: true,
          memoryBytes: 1e6,
          licence: 'MIT',
          sha256: sha,
          checksumSource: 'computed by this test',
        },
      ]),
    );
    const env = { ORCHESTRA_CATALOG_FILE: catalog };
    const got = await runCli(['local', 'download', 'tiny', '--dir', dir], { env });
    assert.equal(got.code, 0, got.stderr);
    requests.length = 0;
    const again = await runCli(['local', 'download', 'tiny', '--dir', dir], { env });
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /checking its SHA-256/);
    assert.match(again.stdout, /Already downloaded: .*SHA-256 matches the catalog/);
    assert.equal(requests.length, 0);

    const ok = await runCli(['local', 'verify', '--dir', dir], { env });
    assert.equal(ok.code, 0, ok.stdout + ok.stderr);
    assert.match(ok.stdout, /^OK +.*tiny\.gguf\n +SHA-256 matches catalog model tiny$/m);
    // A damaged copy under the catalog's name, and a file the catalog does not know.
    const damaged = join(tmp.dir, 'damaged');
    mkdirSync(damaged);
    const bytes = Buffer.from(model);
    bytes[bytes.length - 1] ^= 0xff;
    writeFileSync(join(damaged, 'tiny.gguf'), bytes);
    copyFileSync(source, join(damaged, 'other.gguf'));
    const bad = await runCli(['local', 'verify', '--dir', damaged], { env });
    assert.equal(bad.code, 1);
    assert.match(bad.stdout, /^MISMATCH +.*tiny\.gguf\n +SHA-256 [0-9a-f]{64} differs from catalog model tiny/m);
    assert.match(bad.stdout, /^UNCHECKED +.*other\.gguf\n +not a catalog file; header complete; SHA-256 [0-9a-f]{64}$/m);
  });

  test('a closed output pipe ends the command quietly', async () => {
    const dir = join(tmp.dir, 'many');
    mkdirSync(dir);
    for (let i = 0; i < 40; i++) copyFileSync(source, join(dir, `model-${i}.gguf`));
    const child = spawn(process.execPath, [CLI, 'local', 'list', '--dir', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    // The reader goes away at once, like `| head -0`.
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const code = await new Promise<number | null>((r) => child.on('close', (c) => r(c)));
    assert.equal(stderr, '', 'no stack trace');
    assert.equal(code, 141);
    assert.equal(readdirSync(dir).length, 40);
  });
});

describe('orchestra serve (as a process): signals end it cleanly', () => {
  const tmp = makeModelDir();
  const modelFile = join(tmp.dir, 'tiny.gguf');
  writeRandomModel(modelFile);
  after(() => tmp.cleanup());

  async function startServe(extra: string[] = []): Promise<{ child: ChildProcessWithoutNullStreams; url: string; output: () => string }> {
    const child = spawn(process.execPath, [CLI, 'serve', '--model', modelFile, '--port', '0', '--threads', '1', '--cpu', ...extra], {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' },
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`serve did not start:\n${out}`)), 60_000);
      const check = () => {
        const m = /OpenAI-compatible endpoint: (\S+)/.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]);
        }
      };
      child.stdout.on('data', check);
      child.on('exit', () => reject(new Error(`serve exited early:\n${out}`)));
    });
    return { child, url, output: () => out };
  }
  const exitOf = (child: ChildProcessWithoutNullStreams) =>
    new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.on('exit', (code, signal) => r({ code, signal })));

  test('SIGTERM after a model was loaded: the request in flight finishes, the model unloads, exit 0', async () => {
    const { child, url, output } = await startServe();
    const exited = exitOf(child);
    const client = new OpenAI({ baseURL: url, apiKey: 'unused', maxRetries: 0 });
    await client.chat.completions.create({ model: 'local:tiny', messages: [{ role: 'user', content: 'hi' }], max_tokens: 3 });
    const stream = await client.chat.completions.create({
      model: 'local:tiny',
      messages: [{ role: 'user', content: 'tell me more' }],
      max_tokens: 40,
      stream: true,
    });
    let finish: string | null | undefined;
    let signalled = false;
    for await (const chunk of stream) {
      if (!signalled) {
        signalled = true;
        child.kill('SIGTERM');
      }
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    assert.equal(finish, 'length', 'the stream in flight was allowed to finish');
    assert.deepEqual(await exited, { code: 0, signal: null }, output());
    assert.match(output(), /stopping: no new requests; waiting up to 10 s for 1 in flight[\s\S]*\nstopped\n/);
  });

  test('SIGINT with --drain-seconds 0 aborts a stream with an error event, then exits 0', async () => {
    const { child, url, output } = await startServe(['--drain-seconds', '0']);
    const exited = exitOf(child);
    const client = new OpenAI({ baseURL: url, apiKey: 'unused', maxRetries: 0 });
    const stream = await client.chat.completions.create({
      model: 'local:tiny',
      messages: [{ role: 'user', content: 'a long story please' }],
      max_tokens: 3000,
      stream: true,
    });
    let signalled = false;
    await assert.rejects(
      (async () => {
        for await (const chunk of stream) {
          if (!signalled && chunk.choices[0]?.delta.content) {
            signalled = true;
            child.kill('SIGINT');
          }
        }
      })(),
      (err: unknown) => {
        assert.ok(err instanceof OpenAI.APIError, String(err));
        assert.match(err.message, /the local model server is shutting down; the response was cut short/);
        return true;
      },
    );
    assert.deepEqual(await exited, { code: 0, signal: null }, output());
    assert.match(output(), /local:tiny cancelled [\s\S]*\nstopped\n/);
  });
});
