// The model downloader against a loopback HTTP server serving a generated file.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { makeModelDir } from '../../support/gguf';
import { DownloadError, downloadFile, ensureDownloaded, GGUF_MAGIC, type DownloadProgress } from '../../../src/server/llama/download';
import { MODEL_CATALOG } from '../../../src/server/llama/catalog';

type Mode = 'normal' | 'cut-once' | 'cut-always' | 'stall' | 'silent' | 'missing' | 'html' | 'html-as-binary' | 'json';

describe('model downloads', () => {
  // Starts like a GGUF file, so the downloads that check the magic accept it.
  const payload = Buffer.concat([Buffer.from('GGUF'), randomBytes(3 * 1024 * 1024 + 119)]);
  const loginPage = '<!DOCTYPE html><html><body>Sign in to download this model</body></html>';
  const sha = createHash('sha256').update(payload).digest('hex');
  const dir = makeModelDir();
  let server: http.Server;
  let base = '';
  const ranges: Array<string | undefined> = [];
  let cuts = 0;

  before(async () => {
    server = http.createServer((req, res) => {
      const mode = new URL(req.url ?? '/', 'http://x').pathname.slice(1) as Mode;
      ranges.push(req.headers.range);
      if (mode === 'missing') {
        res.writeHead(404).end('not here');
        return;
      }
      if (mode === 'silent') return; // accepts, never answers
      if (mode === 'html' || mode === 'html-as-binary') {
        res.writeHead(200, { 'content-type': mode === 'html' ? 'text/html; charset=utf-8' : 'application/octet-stream' }).end(loginPage);
        return;
      }
      if (mode === 'json') {
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"error":"Access to model is restricted"}');
        return;
      }
      const m = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
      const start = m ? Number(m[1]) : 0;
      const body = payload.subarray(start);
      res.writeHead(m ? 206 : 200, {
        'content-length': body.length,
        ...(m ? { 'content-range': `bytes ${start}-${payload.length - 1}/${payload.length}` } : {}),
      });
      const cut = mode === 'cut-always' || (mode === 'cut-once' && cuts === 0);
      if (cut || mode === 'stall') {
        // Send a first part, then cut the connection (or go silent).
        res.write(body.subarray(0, 1024 * 1024), () => {
          if (mode === 'stall') return;
          cuts++;
          setTimeout(() => res.socket?.destroy(), 20);
        });
        return;
      }
      // Several writes so progress has several points.
      let off = 0;
      const step = () => {
        if (off >= body.length) return void res.end();
        const next = body.subarray(off, off + 256 * 1024);
        off += next.length;
        res.write(next, () => setImmediate(step));
      };
      step();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
    dir.cleanup();
  });

  test('reports progress and renames the file only when complete and verified', async () => {
    const dest = join(dir.dir, 'a.gguf');
    const events: DownloadProgress[] = [];
    const result = await downloadFile({
      url: `${base}/normal`,
      destination: dest,
      sha256: sha,
      onProgress: (p) => events.push(p),
      progressIntervalMs: 0,
    });
    assert.equal(result.sha256, sha);
    assert.equal(result.bytes, payload.length);
    assert.equal(result.attempts, 1);
    assert.ok(readFileSync(dest).equals(payload));
    assert.equal(existsSync(`${dest}.part`), false);
    assert.ok(events.length >= 3, `only ${events.length} progress events`);
    for (let i = 1; i < events.length; i++) assert.ok(events[i].receivedBytes >= events[i - 1].receivedBytes);
    const last = events[events.length - 1];
    assert.equal(last.receivedBytes, payload.length);
    assert.equal(last.totalBytes, payload.length);
    assert.ok(events.some((e) => e.bytesPerSecond > 0));
    assert.ok(events.some((e) => e.etaSeconds !== undefined));
  });

  test('resumes with Range after the server cuts the connection', async () => {
    const dest = join(dir.dir, 'b.gguf');
    cuts = 0;
    ranges.length = 0;
    const result = await downloadFile({ url: `${base}/cut-once`, destination: dest, sha256: sha, retryDelayMs: 10 });
    assert.equal(result.attempts, 2);
    assert.equal(ranges[0], undefined);
    assert.match(ranges[1] ?? '', /^bytes=\d+-$/);
    // Resumed where the cut left it (how much arrived before the cut depends on the machine's load).
    assert.ok(Number(/\d+/.exec(ranges[1]!)![0]) > 0);
    assert.ok(readFileSync(dest).equals(payload));
  });

  test('a later run resumes the part file an interrupted run left', async () => {
    const dest = join(dir.dir, 'c.gguf');
    await assert.rejects(
      downloadFile({ url: `${base}/cut-always`, destination: dest, retries: 0 }),
      (err: unknown) => err instanceof DownloadError && err.kind === 'network' && /connection/.test(err.message),
    );
    assert.equal(existsSync(dest), false);
    const partial = readFileSync(`${dest}.part`).length;
    assert.ok(partial > 0 && partial < payload.length);
    const events: DownloadProgress[] = [];
    const result = await downloadFile({ url: `${base}/normal`, destination: dest, sha256: sha, onProgress: (p) => events.push(p) });
    assert.equal(result.sha256, sha);
    assert.equal(events[events.length - 1].resumedFromBytes, partial);
    assert.ok(readFileSync(dest).equals(payload));
  });

  test('gives up after a bounded number of retries', async () => {
    const dest = join(dir.dir, 'd.gguf');
    ranges.length = 0;
    await assert.rejects(
      downloadFile({ url: `${base}/cut-always`, destination: dest, retries: 2, retryDelayMs: 5 }),
      /gave up after 3 attempts/,
    );
    assert.equal(ranges.length, 3);
  });

  test('a checksum mismatch is refused and the corrupt file deleted', async () => {
    const dest = join(dir.dir, 'e.gguf');
    await assert.rejects(downloadFile({ url: `${base}/normal`, destination: dest, sha256: '0'.repeat(64) }), (err: unknown) => {
      assert.ok(err instanceof DownloadError);
      assert.equal(err.kind, 'checksum');
      assert.match(err.message, /checksum mismatch/);
      return true;
    });
    assert.equal(existsSync(dest), false);
    assert.equal(existsSync(`${dest}.part`), false);
  });

  test('a size mismatch deletes the part file, so the next download starts over instead of failing again', async () => {
    const dest = join(dir.dir, 'k.gguf');
    await assert.rejects(downloadFile({ url: `${base}/normal`, destination: dest, expectedBytes: payload.length + 5 }), (err: unknown) => {
      assert.ok(err instanceof DownloadError);
      assert.equal(err.kind, 'size');
      assert.match(err.message, /size mismatch, got \d+ bytes but expected \d+; the incomplete download was deleted/);
      return true;
    });
    assert.equal(existsSync(`${dest}.part`), false);
    assert.equal(existsSync(dest), false);
    const again = await downloadFile({ url: `${base}/normal`, destination: dest, sha256: sha });
    assert.equal(again.bytes, payload.length);
  });

  test('retries do not pile up abort listeners on the caller’s signal', async () => {
    const controller = new AbortController();
    const added: string[] = [];
    const removed: string[] = [];
    const add = controller.signal.addEventListener.bind(controller.signal);
    const remove = controller.signal.removeEventListener.bind(controller.signal);
    controller.signal.addEventListener = ((type: string, ...rest: unknown[]) => {
      added.push(type);
      return (add as (...a: unknown[]) => void)(type, ...rest);
    }) as typeof controller.signal.addEventListener;
    controller.signal.removeEventListener = ((type: string, ...rest: unknown[]) => {
      removed.push(type);
      return (remove as (...a: unknown[]) => void)(type, ...rest);
    }) as typeof controller.signal.removeEventListener;
    await assert.rejects(
      downloadFile({
        url: `${base}/cut-always`,
        destination: join(dir.dir, 'l.gguf'),
        retries: 1,
        retryDelayMs: 1,
        signal: controller.signal,
      }),
      /gave up after 2 attempts/,
    );
    assert.ok(added.length >= 3, `listeners added: ${added.length}`);
    assert.equal(removed.length, added.length, 'every abort listener added for an attempt or a retry wait is removed');
  });

  test('a stalled transfer and a silent server time out with a clear error', async () => {
    await assert.rejects(
      downloadFile({ url: `${base}/stall`, destination: join(dir.dir, 'f.gguf'), idleTimeoutMs: 200, retries: 0 }),
      (err: unknown) => {
        assert.ok(err instanceof DownloadError);
        assert.equal(err.kind, 'timeout');
        assert.match(err.message, /^no data after 0\.2 s from 127\.0\.0\.1:\d+$/);
        return true;
      },
    );
    await assert.rejects(
      downloadFile({ url: `${base}/silent`, destination: join(dir.dir, 'g.gguf'), connectTimeoutMs: 200, retries: 1, retryDelayMs: 5 }),
      /no response after 0\.2 s .*gave up after 2 attempts/,
    );
  });

  test('cancellation and HTTP errors stop at once', async () => {
    const controller = new AbortController();
    const pending = downloadFile({
      url: `${base}/stall`,
      destination: join(dir.dir, 'h.gguf'),
      signal: controller.signal,
      onProgress: () => controller.abort(),
      progressIntervalMs: 0,
    });
    await assert.rejects(pending, (err: unknown) => err instanceof DownloadError && err.kind === 'cancelled');
    ranges.length = 0;
    await assert.rejects(
      downloadFile({ url: `${base}/missing`, destination: join(dir.dir, 'i.gguf'), retries: 3 }),
      /http:\/\/127\.0\.0\.1:\d+\/missing answered HTTP 404 Not Found$/,
    );
    assert.equal(ranges.length, 1, 'a 404 is not retried');
    writeFileSync(join(dir.dir, 'j.gguf.part'), payload.subarray(0, 10));
    await assert.rejects(
      downloadFile({ url: 'ftp://example.invalid/x', destination: join(dir.dir, 'j.gguf') }),
      /unsupported URL scheme ftp:/,
    );
  });

  test('an HTML or JSON answer is refused with the URL and status, and nothing is left on disk', async () => {
    for (const [mode, pattern] of [
      ['html', /answered HTTP 200 OK with text\/html, not a GGUF model file; nothing was saved$/],
      ['json', /answered HTTP 200 OK with application\/json, not a GGUF model file; nothing was saved$/],
      [
        'html-as-binary',
        /answered HTTP 200 OK but sent a file starting with "<!DOCTYPE html><", not a GGUF model file; nothing was saved$/,
      ],
    ] as const) {
      const folder = join(dir.dir, `fresh-${mode}`);
      const dest = join(folder, 'model.gguf');
      ranges.length = 0;
      await assert.rejects(
        downloadFile({ url: `${base}/${mode}?token=secret`, destination: dest, magic: GGUF_MAGIC, retries: 3 }),
        (err: unknown) => {
          assert.ok(err instanceof DownloadError);
          assert.equal(err.kind, 'not-gguf', err.message);
          assert.ok(err.message.startsWith(`${base}/${mode} answered`), err.message);
          assert.doesNotMatch(err.message, /secret/, 'query strings stay out of messages');
          assert.match(err.message, pattern);
          return true;
        },
      );
      assert.equal(ranges.length, 1, 'refused at once, not retried');
      assert.equal(existsSync(folder), false, `${mode}: nothing may be created on disk`);
    }
  });

  test('a part file left by an error page is discarded, not resumed', async () => {
    const dest = join(dir.dir, 'from-html.gguf');
    writeFileSync(`${dest}.part`, loginPage);
    ranges.length = 0;
    const result = await downloadFile({ url: `${base}/normal`, destination: dest, sha256: sha, magic: GGUF_MAGIC });
    assert.equal(ranges[0], undefined, 'started from byte 0');
    assert.equal(result.sha256, sha);
  });

  test('a complete file is not fetched again; one that differs is left alone with a clear error', async () => {
    const dest = join(dir.dir, 'complete.gguf');
    const first = await ensureDownloaded({ url: `${base}/normal`, destination: dest, sha256: sha, magic: GGUF_MAGIC });
    assert.equal(first.alreadyPresent, false);
    ranges.length = 0;
    let hashing = 0;
    const again = await ensureDownloaded(
      { url: `${base}/normal`, destination: dest, sha256: sha, expectedBytes: payload.length, magic: GGUF_MAGIC },
      () => hashing++,
    );
    assert.deepEqual([again.alreadyPresent, again.checkedBy, again.sha256, again.attempts], [true, 'sha256', sha, 0]);
    assert.equal(hashing, 1);
    assert.equal(ranges.length, 0, 'no request was made');
    await assert.rejects(
      ensureDownloaded({ url: `${base}/normal`, destination: dest, expectedBytes: payload.length + 1 }),
      /complete\.gguf already exists but holds \d+ bytes where the download has \d+; it was left as it is: move or delete it to download again$/,
    );
    await assert.rejects(
      ensureDownloaded({ url: `${base}/normal`, destination: dest, sha256: 'a'.repeat(64) }),
      (err: unknown) =>
        err instanceof DownloadError && err.kind === 'checksum' && /its SHA-256 is [0-9a-f]{64}, expected a{64}/.test(err.message),
    );
    assert.ok(readFileSync(dest).equals(payload), 'the file is untouched');
    assert.equal(ranges.length, 0);
  });
});

describe('the built-in model catalog', () => {
  test('every file has a SHA-256 and says where it comes from; a file without a pinned revision is checked by hash, not size', () => {
    for (const m of MODEL_CATALOG) {
      assert.match(m.sha256 ?? '', /^[0-9a-f]{64}$/, `${m.id} has a SHA-256`);
      assert.match(m.checksumSource, /SHA-256|sha256/, `${m.id} records the source of its hash`);
      assert.match(m.fileName, /\.gguf$/);
      assert.ok(m.url.endsWith(`/${m.fileName}`), `${m.id}: the URL names the file it saves`);
      const pinned = /\/resolve\/[0-9a-f]{40}\//.test(m.url);
      // A revision pins the exact size; a file taken from a branch only has the approximate one.
      assert.equal(Boolean(m.sizeExact), pinned, `${m.id}: exact size exactly when the revision is pinned`);
    }
    assert.equal(new Set(MODEL_CATALOG.map((m) => m.sha256)).size, MODEL_CATALOG.length, 'no hash copied between entries');
  });
});
