// The engine process's local-model methods as an editor drives them: dist/server.js as a real child
// process over stdio JSON-RPC, the catalog replaced through ORCHESTRA_CATALOG_FILE by tiny GGUF
// models served from a loopback HTTP server. Covers the catalog, downloads with progress, resume
// from a .part file, cancellation, checksum/HTTP/not-GGUF/disk errors, GGUF file checks, the local
// model list, and the downloaded model answering a whole task in local-only mode.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { ResponseError } from 'vscode-jsonrpc/node';
import type { MessageConnection } from 'vscode-jsonrpc/node';
import { startEngineProcess } from '../../support/engine-process';
import type { EngineProcess } from '../../support/engine-process';
import { makeModelDir, writeToolCallScriptModel } from '../../support/gguf';
import type { EngineEvent } from '../../../src/core/protocol/events';
import {
  AskRequest,
  CancelDownloadRequest,
  CatalogRequest,
  ConfigureRequest,
  DownloadModelRequest,
  DownloadProgressNotification,
  InspectModelFileRequest,
  ListModelsRequest,
  LocalModelsRequest,
} from '../../../src/protocol/engine-rpc';
import type { DownloadErrorData, DownloadProgressParams } from '../../../src/protocol/engine-rpc';

type Mode = 'normal' | 'stall' | 'missing' | 'html';

describe('engine process: local model catalog, downloads and files', () => {
  const work = makeModelDir();
  const modelsDir = join(work.dir, 'models');
  const source = join(work.dir, 'source.gguf');
  writeToolCallScriptModel(source, {
    toolName: 'answer',
    arguments: { answer: 'Answered on this machine.' },
    answer: 'unused',
    contextLength: 32768,
  });
  const payload = readFileSync(source);
  const sha = createHash('sha256').update(payload).digest('hex');
  let mode: Mode = 'normal';
  const ranges: Array<string | undefined> = [];
  let httpServer: http.Server;
  let engine: EngineProcess;
  let rpc: MessageConnection;
  const progress: DownloadProgressParams[] = [];

  before(async () => {
    httpServer = http.createServer((req, res) => {
      ranges.push(req.headers.range);
      if (mode === 'missing') return void res.writeHead(404).end('not here');
      if (mode === 'html') return void res.writeHead(200, { 'content-type': 'text/html' }).end('<html>rate limited</html>');
      const m = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
      const start = m ? Number(m[1]) : 0;
      const body = payload.subarray(start);
      res.writeHead(m ? 206 : 200, {
        'content-length': body.length,
        ...(m ? { 'content-range': `bytes ${start}-${payload.length - 1}/${payload.length}` } : {}),
      });
      if (mode === 'stall') {
        // Half the file, then silence: the download waits until it is cancelled.
        res.write(body.subarray(0, Math.floor(body.length / 2)));
        return;
      }
      let off = 0;
      const step = () => {
        if (off >= body.length) return void res.end();
        const next = body.subarray(off, off + 64 * 1024);
        off += next.length;
        res.write(next, () => setTimeout(step, 5));
      };
      step();
    });
    await new Promise<void>((r) => httpServer.listen(0, '127.0.0.1', r));
    const base = `http://127.0.0.1:${(httpServer.address() as AddressInfo).port}`;
    const entry = (id: string, fileName: string, extra: Record<string, unknown> = {}) => ({
      id,
      title: `Tiny ${id}`,
      description: 'a generated test model',
      roles: ['orchestrator', 'general'],
      url: `${base}/${id}`,
      fileName,
      sizeBytes: payload.length,
      memoryBytes: 64 * 1024 * 1024,
      licence: 'MIT',
      ...extra,
    });
    const catalogFile = join(work.dir, 'catalog.json');
    writeFileSync(
      catalogFile,
      JSON.stringify([
        entry('tiny', 'tiny-orchestrator.gguf', { sha256: sha }),
        entry('tiny-bad-sum', 'bad-sum.gguf', { sha256: '0'.repeat(64) }),
        entry('tiny-other', 'other.gguf'),
        entry('huge', 'huge.gguf', { memoryBytes: 1024 ** 5 }),
      ]),
    );

    engine = await startEngineProcess({ env: { ...process.env, ORCHESTRA_CATALOG_FILE: catalogFile } });
    rpc = engine.rpc;
    // Progress arrives only once a download is asked for, so a handler added after start sees it all.
    rpc.onNotification(DownloadProgressNotification, (p) => void progress.push(p));
  });

  after(async () => {
    await engine?.close();
    httpServer?.closeAllConnections();
    await new Promise<void>((r) => httpServer.close(() => r()));
    work.cleanup();
  });

  const downloadError = async (p: Promise<unknown>): Promise<ResponseError<DownloadErrorData>> => {
    const err = await p.then(
      () => assert.fail('the download should have failed'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof ResponseError, `a ResponseError, got ${String(err)}`);
    return err as ResponseError<DownloadErrorData>;
  };

  test('the catalog comes from ORCHESTRA_CATALOG_FILE, with what fits and what is on disk', async () => {
    const catalog = await rpc.sendRequest(CatalogRequest, { dir: modelsDir });
    assert.deepEqual(
      catalog.map((e) => e.id),
      ['tiny', 'tiny-bad-sum', 'tiny-other', 'huge'],
    );
    const tiny = catalog[0];
    assert.equal(tiny.path, join(modelsDir, 'tiny-orchestrator.gguf'));
    assert.equal(tiny.downloaded, false);
    assert.equal(tiny.partialBytes, 0);
    assert.equal(tiny.verified, true);
    assert.equal(tiny.fits, true);
    assert.equal(tiny.licence, 'MIT');
    assert.equal(catalog.find((e) => e.id === 'huge')!.fits, false);
    assert.equal(catalog.find((e) => e.id === 'tiny-other')!.verified, false);
  });

  test('an unknown catalog id is refused with the choices', async () => {
    const err = await downloadError(rpc.sendRequest(DownloadModelRequest, { catalogId: 'nope', dir: modelsDir }));
    assert.equal(err.data?.kind, 'unknown-model');
    assert.match(err.message, /no catalog model "nope"; choose one of: tiny, tiny-bad-sum, tiny-other, huge/);
  });

  test('a cancelled download keeps its .part file, and the next one resumes from it with progress', async () => {
    const dest = join(modelsDir, 'tiny-orchestrator.gguf');
    mode = 'stall';
    progress.length = 0;
    const pending = rpc.sendRequest(DownloadModelRequest, { catalogId: 'tiny', dir: modelsDir, downloadId: 'first' });
    const deadline = Date.now() + 20_000;
    while (!progress.some((p) => p.downloadId === 'first' && p.received > 0)) {
      assert.ok(Date.now() < deadline, 'no progress arrived');
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.deepEqual(await rpc.sendRequest(CancelDownloadRequest, { downloadId: 'first' }), { cancelled: true });
    const err = await downloadError(pending);
    assert.equal(err.data?.kind, 'cancelled');
    assert.equal(err.code, -32800);
    assert.match(err.message, /tiny-orchestrator\.gguf was cancelled/);
    assert.ok(err.data.partialBytes! > 0, 'bytes kept');
    assert.equal(existsSync(`${dest}.part`), true);
    assert.equal(existsSync(dest), false, 'no final file before it is complete');
    assert.deepEqual(await rpc.sendRequest(CancelDownloadRequest, { downloadId: 'first' }), { cancelled: false });
    const kept = err.data.partialBytes!;
    const listed = (await rpc.sendRequest(CatalogRequest, { dir: modelsDir })).find((e) => e.id === 'tiny')!;
    assert.equal(listed.partialBytes, kept);

    mode = 'normal';
    ranges.length = 0;
    progress.length = 0;
    const result = await rpc.sendRequest(DownloadModelRequest, { catalogId: 'tiny', dir: modelsDir, downloadId: 'second' });
    assert.deepEqual(ranges, [`bytes=${kept}-`], 'the server was asked only for the rest');
    assert.equal(result.path, dest);
    assert.equal(result.bytes, payload.length);
    assert.equal(result.sha256, sha);
    assert.equal(result.resumedFromBytes, kept);
    assert.equal(result.alreadyPresent, false);
    assert.ok(readFileSync(dest).equals(payload), 'the file is byte for byte the served one');
    assert.equal(existsSync(`${dest}.part`), false);
    const mine = progress.filter((p) => p.downloadId === 'second');
    assert.ok(mine.length >= 1, 'progress notifications arrived');
    for (let i = 1; i < mine.length; i++) assert.ok(mine[i].received >= mine[i - 1].received);
    const last = mine[mine.length - 1];
    assert.equal(last.catalogId, 'tiny');
    assert.equal(last.received, payload.length);
    assert.equal(last.total, payload.length);
    assert.equal(last.resumedFrom, kept);
    assert.ok(last.bytesPerSecond >= 0);

    // Asked again, the complete file is checked and returned without a request.
    ranges.length = 0;
    const again = await rpc.sendRequest(DownloadModelRequest, { catalogId: 'tiny', dir: modelsDir });
    assert.equal(again.alreadyPresent, true);
    assert.equal(again.path, dest);
    assert.deepEqual(ranges, []);
    assert.equal((await rpc.sendRequest(CatalogRequest, { dir: modelsDir })).find((e) => e.id === 'tiny')!.downloaded, true);
  });

  test('errors name the file and the cause: checksum, HTTP, not GGUF, disk', async () => {
    mode = 'normal';
    const sum = await downloadError(rpc.sendRequest(DownloadModelRequest, { catalogId: 'tiny-bad-sum', dir: modelsDir }));
    assert.equal(sum.data?.kind, 'checksum');
    assert.match(sum.message, /bad-sum\.gguf.*checksum mismatch/);
    assert.equal(existsSync(join(modelsDir, 'bad-sum.gguf')), false);
    assert.equal(existsSync(join(modelsDir, 'bad-sum.gguf.part')), false, 'the corrupt download is deleted');

    mode = 'missing';
    const missing = await downloadError(rpc.sendRequest(DownloadModelRequest, { catalogId: 'tiny-other', dir: modelsDir }));
    assert.equal(missing.data?.kind, 'http');
    assert.match(
      missing.message,
      /cannot download other\.gguf to .*other\.gguf: http:\/\/127\.0\.0\.1:\d+\/\S+ answered HTTP 404 Not Found\./,
    );

    mode = 'html';
    const html = await downloadError(rpc.sendRequest(DownloadModelRequest, { catalogId: 'tiny-other', dir: modelsDir }));
    assert.equal(html.data?.kind, 'not-gguf');
    assert.match(
      html.message,
      /cannot download other\.gguf to .*other\.gguf: http:\/\/127\.0\.0\.1:\d+\/\S+ answered HTTP 200 OK with text\/html, not a GGUF model file; nothing was saved\./,
    );
    assert.equal(existsSync(join(modelsDir, 'other.gguf.part')), false);
    assert.equal(existsSync(join(modelsDir, 'other.gguf')), false);

    mode = 'normal';
    const blocker = join(work.dir, 'a-file');
    writeFileSync(blocker, 'not a folder');
    const disk = await downloadError(rpc.sendRequest(DownloadModelRequest, { catalogId: 'tiny-other', dir: join(blocker, 'models') }));
    assert.equal(disk.data?.kind, 'filesystem');
    assert.match(disk.message, /a-file\/models/);
  });

  test('inspectModelFile reads a GGUF header and names what is wrong with a bad file', async () => {
    const good = await rpc.sendRequest(InspectModelFileRequest, { path: source });
    assert.equal(good.problem, undefined, JSON.stringify(good));
    assert.equal(good.file, source);
    assert.equal(good.id, 'local:source');
    assert.equal(good.architecture, 'llama');
    assert.equal(good.sizeBytes, payload.length);
    assert.equal(good.fits, true);
    assert.ok(good.trainedContextLength && good.trainedContextLength > 0);
    assert.match(good.memorySummary ?? '', /needs ~/);

    const text = join(work.dir, 'notes.gguf');
    writeFileSync(text, 'this is not a model at all, just text');
    assert.match((await rpc.sendRequest(InspectModelFileRequest, { path: text })).problem ?? '', /not a GGUF model/);
    const truncated = join(work.dir, 'cut.gguf');
    writeFileSync(truncated, payload.subarray(0, Math.floor(payload.length / 2)));
    assert.match((await rpc.sendRequest(InspectModelFileRequest, { path: truncated })).problem ?? '', /truncated/);
    assert.match((await rpc.sendRequest(InspectModelFileRequest, { path: join(work.dir, 'absent.gguf') })).problem ?? '', /file not found/);
  });

  test('the downloaded model is listed, served, and answers a whole task alone in local-only mode', async () => {
    const dest = join(modelsDir, 'tiny-orchestrator.gguf');
    const bad = join(work.dir, 'notes.gguf');
    const configured = await rpc.sendRequest(ConfigureRequest, {
      config: { local: { models: [dest, bad] }, privacyMode: 'local-only', orchestrator: { dialect: 'general' } },
      workspace: work.dir,
      workspaceTrusted: true,
    });
    assert.equal(configured.modelCount, 1, JSON.stringify(configured));

    const local = await rpc.sendRequest(LocalModelsRequest, {});
    assert.deepEqual(
      local.map((m) => [m.file, m.served]),
      [
        [dest, true],
        [bad, false],
      ],
    );
    assert.equal(local[0].id, 'local:tiny-orchestrator');
    assert.equal(local[0].architecture, 'llama');
    assert.equal(local[0].fits, true);
    assert.match(local[1].problem ?? '', /not a GGUF model/);
    assert.ok(!local[1].problem!.startsWith(bad), 'the file is a field of its own, not repeated in the problem');

    const [pool] = [await rpc.sendRequest(ListModelsRequest, {})];
    assert.deepEqual(
      pool.map((m) => [m.id, m.local, m.openWeights, m.eligible]),
      [['local:tiny-orchestrator', true, true, true]],
    );

    const { taskId } = await rpc.sendRequest(AskRequest, { question: 'Who answers?' });
    const deadline = Date.now() + 60_000;
    let end: EngineEvent | undefined;
    while (!(end = engine.events.find((e) => e.taskId === taskId && (e.type === 'done' || e.type === 'error')))) {
      assert.ok(Date.now() < deadline, `the task did not finish: ${engine.events.map((e) => e.type).join(', ')}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(end.type, 'done', JSON.stringify(end));
    assert.equal(end.type === 'done' && end.answer, 'Answered on this machine.');
    assert.deepEqual(end.totals.remoteHosts, [], 'nothing left this machine');
  });
});
