// Shared by the integration suites that run inside the VS Code extension host.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { OrchestraApi } from '../../../src/extension/extension';
import type { EngineEvent } from '../../../src/core/protocol/events';
import { startModelServer, type ModelServer } from '../../support/model-server';

export const EXTENSION_ID = 'orchestra-dev.orchestra';

/** Polls `probe` until it returns a value (not undefined/false), or fails naming what it waited for. */
export function until<T>(
  what: string,
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 30_000,
  everyMs = 50,
): Promise<T> {
  const started = Date.now();
  return new Promise<T>((resolve, reject) => {
    const tick = async () => {
      const v = await Promise.resolve(probe()).catch(() => undefined);
      if (v !== undefined && v !== false) return resolve(v);
      if (Date.now() - started > timeoutMs) return reject(new Error(`timed out waiting for ${what}`));
      setTimeout(() => void tick(), everyMs);
    };
    void tick();
  });
}

export async function activateOrchestra(): Promise<OrchestraApi> {
  const ext = vscode.extensions.getExtension<OrchestraApi>(EXTENSION_ID);
  assert.ok(ext, `extension ${EXTENSION_ID} is installed`);
  return ext.isActive ? ext.exports : await ext.activate();
}

/** What a suite driven by the scripted model server holds; filled in by its `before` hook. */
export interface ScriptedEngineSuite {
  api: OrchestraApi;
  server: ModelServer;
  /** Every engine event since the suite started. */
  events: EngineEvent[];
}

/**
 * Registers the hooks of a suite that drives the real extension against the scripted model server:
 * activate, start the server, record the engine's events; afterwards put back the `orchestra.*`
 * settings it `touches` (user scope) and close the server. `extra` hooks run inside them.
 */
export function scriptedEngineSuite(
  touches: readonly string[],
  extra: { before?: (s: ScriptedEngineSuite) => Promise<void> | void; after?: (s: ScriptedEngineSuite) => Promise<void> | void } = {},
): ScriptedEngineSuite {
  const suite = { events: [] as EngineEvent[] } as ScriptedEngineSuite;
  let sub: vscode.Disposable | undefined;
  before(async () => {
    suite.api = await activateOrchestra();
    suite.server = await startModelServer({ usage: true });
    sub = suite.api.engine.onEvent((e) => suite.events.push(e));
    await extra.before?.(suite);
  });
  after(async () => {
    sub?.dispose();
    await extra.after?.(suite);
    const config = vscode.workspace.getConfiguration('orchestra');
    for (const key of touches) await config.update(key, undefined, vscode.ConfigurationTarget.Global);
    await suite.server?.close();
  });
  return suite;
}
