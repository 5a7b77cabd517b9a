// Local models from inside the real VS Code: "Download a local model" run with a catalog id fetches a
// tiny generated GGUF model from a loopback server (the catalog replaced through
// ORCHESTRA_CATALOG_FILE), writes it into orchestra.local.models, and the engine serves it in the
// pool; "Use a GGUF model file…" refuses a file that is not GGUF and adds a good one.
import * as assert from 'node:assert/strict';
import { copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { EXTENSION_ID, until } from './helpers';
import { makeModelDir, writeToolCallScriptModel } from '../../support/gguf';
import type { OrchestraApi } from '../../../src/extension/extension';

function localModelsSetting(): string[] {
  return vscode.workspace.getConfiguration('orchestra').inspect<string[]>('local.models')?.globalValue ?? [];
}

describe('Local models in VS Code', function () {
  this.timeout(120_000);
  let api: OrchestraApi;
  const work = makeModelDir();
  const modelsDir = join(work.dir, 'models');
  const source = join(work.dir, 'served.gguf');
  let server: http.Server;
  let requests = 0;
  const previousCatalog = process.env.ORCHESTRA_CATALOG_FILE;

  before(async () => {
    const ext = vscode.extensions.getExtension<OrchestraApi>(EXTENSION_ID);
    assert.ok(ext);
    api = ext.isActive ? ext.exports : await ext.activate();
    writeToolCallScriptModel(source, { toolName: 'answer', arguments: { answer: 'From the embedded model.' }, answer: 'unused' });
    const payload = readFileSync(source);
    server = http.createServer((req, res) => {
      requests++;
      res.writeHead(200, { 'content-length': payload.length });
      res.end(payload);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/tiny.gguf`;
    const catalogFile = join(work.dir, 'catalog.json');
    writeFileSync(
      catalogFile,
      JSON.stringify([
        {
          id: 'tiny-it',
          title: 'Tiny integration model',
          url,
          fileName: 'tiny-it.gguf',
          sizeBytes: payload.length,
          memoryBytes: 64 * 1024 * 1024,
          licence: 'MIT',
        },
      ]),
    );
    // The engine process reads the catalog variable from its environment: restart it with the test catalog.
    process.env.ORCHESTRA_CATALOG_FILE = catalogFile;
    await api.engine.restart();
  });

  after(async () => {
    await vscode.workspace.getConfiguration('orchestra').update('local.models', undefined, vscode.ConfigurationTarget.Global);
    if (previousCatalog === undefined) delete process.env.ORCHESTRA_CATALOG_FILE;
    else process.env.ORCHESTRA_CATALOG_FILE = previousCatalog;
    await api?.engine.restart().catch(() => undefined);
    server?.closeAllConnections();
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
    work.cleanup();
  });

  it('Download a local model (with a catalog id) saves the file, adds it to the settings, and the engine serves it', async () => {
    const path = await vscode.commands.executeCommand<string | undefined>('orchestra.downloadLocalModel', 'tiny-it', { dir: modelsDir });
    const expected = join(modelsDir, 'tiny-it.gguf');
    assert.equal(path, expected);
    assert.ok(readFileSync(expected).equals(readFileSync(source)), 'the downloaded file is the served one');
    assert.equal(existsSync(`${expected}.part`), false);
    assert.equal(requests, 1);
    assert.deepEqual(localModelsSetting(), [expected]);
    const model = await until('the engine to serve the downloaded model', async () =>
      (await api.engine.listModels()).find((m) => m.id === 'local:tiny-it'),
    );
    assert.equal(model.local, true);
    assert.equal(model.openWeights, true);
    assert.match(model.baseUrl, /^http:\/\/127\.0\.0\.1:\d+\/v1$/);

    // Run again: the file is there already; nothing is downloaded and the setting is not duplicated.
    assert.equal(
      await vscode.commands.executeCommand<string | undefined>('orchestra.downloadLocalModel', 'tiny-it', { dir: modelsDir }),
      expected,
    );
    assert.equal(requests, 1);
    assert.deepEqual(localModelsSetting(), [expected]);
  });

  it('an unknown catalog id adds nothing', async () => {
    const before = localModelsSetting();
    assert.equal(await vscode.commands.executeCommand('orchestra.downloadLocalModel', 'no-such-model', { dir: modelsDir }), undefined);
    assert.deepEqual(localModelsSetting(), before);
  });

  it('Use a GGUF model file refuses a file that is not GGUF and adds a good one', async () => {
    const before = localModelsSetting();
    const bad = join(work.dir, 'notes.gguf');
    writeFileSync(bad, 'plain text, not a model');
    assert.equal(await vscode.commands.executeCommand('orchestra.useLocalModelFile', vscode.Uri.file(bad)), undefined);
    assert.deepEqual(localModelsSetting(), before, 'a bad file is not added');

    const good = join(work.dir, 'second-model.gguf');
    copyFileSync(source, good);
    assert.equal(await vscode.commands.executeCommand('orchestra.useLocalModelFile', vscode.Uri.file(good)), good);
    assert.deepEqual(localModelsSetting(), [...before, good]);
    await until('the engine to serve the added file', async () =>
      (await api.engine.listModels()).some((m) => m.id === 'local:second-model'),
    );
  });
});
