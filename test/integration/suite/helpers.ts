// Shared by the integration suites that run inside the VS Code extension host.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { OrchestraApi } from '../../../src/extension/extension';

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
