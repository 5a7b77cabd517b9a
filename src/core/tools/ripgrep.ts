// Locating and running ripgrep. The extension passes VS Code's bundled rg as `preferred`; the CLI
// finds a system `rg` on PATH.
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { DENIED_GLOBS } from './paths';
import { findOnPath, isExecutable } from './which';

/** `preferred` when it is an executable file, else `rg` on PATH, else undefined. */
export function findRipgrep(preferred?: string): string | undefined {
  if (preferred) {
    if (isExecutable(preferred)) return preferred;
    // VS Code's appRoot layouts: node_modules/@vscode/ripgrep/bin/rg (or the .asar.unpacked variant).
    for (const sub of ['node_modules/@vscode/ripgrep/bin/rg', 'node_modules.asar.unpacked/@vscode/ripgrep/bin/rg']) {
      const candidate = path.join(preferred, sub + (process.platform === 'win32' ? '.exe' : ''));
      if (isExecutable(candidate)) return candidate;
    }
  }
  return findOnPath('rg');
}

/**
 * Flags every ripgrep call shares: ignore user config, honour .gitignore even outside git, then the
 * caller's globs, then the deny list last (a later glob wins in rg, so no include can re-admit `.env`).
 */
export function baseRgArgs(userGlobs: string[] = []): string[] {
  const args = ['--no-config', '--no-require-git', '--hidden', '--no-follow'];
  for (const g of userGlobs) args.push(`--glob=${g}`);
  for (const g of DENIED_GLOBS) args.push(`--glob=!${g}`);
  return args;
}

export interface RgRun {
  lines: string[];
  /** True when we stopped reading (and killed rg) at `maxLines`. */
  cut: boolean;
  exitCode: number | null;
  stderr: string;
}

/** Runs rg and collects stdout lines, stopping at `maxLines`. Exit code 1 (no matches) is not an error. */
export function runRg(rgPath: string, args: string[], cwd: string, signal: AbortSignal, maxLines: number): Promise<RgRun> {
  return new Promise<RgRun>((resolve, reject) => {
    const child = spawn(rgPath, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    const lines: string[] = [];
    let partial = '';
    let stderr = '';
    let cut = false;
    const onAbort = () => child.kill('SIGKILL');
    signal.addEventListener('abort', onAbort, { once: true });
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      if (cut) return;
      const parts = (partial + chunk).split('\n');
      partial = parts.pop() ?? '';
      for (const line of parts) {
        if (lines.length >= maxLines) {
          cut = true;
          child.kill('SIGKILL');
          return;
        }
        lines.push(line);
      }
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (c: string) => {
      if (stderr.length < 4000) stderr += c;
    });
    child.on('error', (e) => {
      signal.removeEventListener('abort', onAbort);
      reject(new Error(`could not run ripgrep (${rgPath}): ${e.message}`));
    });
    child.on('close', (code) => {
      signal.removeEventListener('abort', onAbort);
      if (!cut && partial && lines.length < maxLines) lines.push(partial);
      if (signal.aborted) return reject(new Error('cancelled'));
      resolve({ lines, cut, exitCode: code, stderr: stderr.trim() });
    });
  });
}
