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

let dataDir: string | undefined;
/** A data folder of this test process (quality estimates), so a test run never writes into ~/.orchestra. */
function testDataDir(): string {
  if (!dataDir) {
    const dir = mkdtempSync(join(tmpdir(), 'orchestra-cli-data-'));
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    dataDir = dir;
  }
  return dataDir;
}

/**
 * Runs the CLI with only PATH, HOME, NO_COLOR and ORCHESTRA_DATA_DIR (a temporary folder) set, plus
 * `env`, so nothing of the caller's environment leaks in and nothing is written to the real home.
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
