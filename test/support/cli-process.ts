// The CLI (dist/cli.js) run as a real child process with a bare environment, its output collected.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findRepoRoot } from './engine-process';

/** dist/cli.js of this repository. */
export const CLI = join(findRepoRoot(), 'dist', 'cli.js');

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Where runs keep their conversations unless a test names a folder: never the real home's data folder. */
let scratchData: string | undefined;
function testDataDir(): string {
  if (!scratchData) {
    scratchData = mkdtempSync(join(tmpdir(), 'orchestra-cli-data-'));
    const dir = scratchData;
    process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  }
  return scratchData;
}

/**
 * Runs the CLI with only PATH, HOME and NO_COLOR (plus `env`) set, so nothing of the caller's
 * environment leaks in; conversations go to a scratch data folder unless `env` names one.
 */
export function runCli(args: string[], opts: { cwd?: string; env?: Record<string, string> } = {}): Promise<CliRun> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: opts.cwd,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', NO_COLOR: '1', ORCHESTRA_DATA_DIR: testDataDir(), ...opts.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolveRun({ code, stdout, stderr }));
  });
}
