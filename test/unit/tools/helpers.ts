// Shared fixtures for the tool tests: temporary workspaces, configs and a ToolContext.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { OrchestraConfig, type OrchestraConfigInput } from '../../../src/core/config';
import type { ApprovalRequest, ToolContext } from '../../../src/core/tools/tool';

export function makeConfig(input: OrchestraConfigInput = {}): OrchestraConfig {
  return OrchestraConfig.parse(input);
}

/** A fresh workspace folder under the system temp dir (real path), removed by `cleanup`. */
export function makeWorkspace(files: Record<string, string> = {}): { dir: string; cleanup(): void } {
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'orchestra-ws-')));
  for (const [rel, text] of Object.entries(files)) {
    const full = path.join(dir, rel);
    fs.mkdirSync(path.dirname(full), { recursive: true });
    fs.writeFileSync(full, text);
  }
  return { dir, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

export function makeContext(
  workspace: string,
  signal = new AbortController().signal,
): ToolContext & { progressText: string[]; approvals: ApprovalRequest[] } {
  const progressText: string[] = [];
  const approvals: ApprovalRequest[] = [];
  return {
    workspace,
    signal,
    callId: 'call-1',
    progressText,
    approvals,
    async requestApproval(req) {
      approvals.push(req);
      return true;
    },
    progress(text) {
      progressText.push(text);
    },
  };
}

/** The repository root (the folder holding package.json named "orchestra"). */
export function repoRoot(): string {
  let dir = __dirname;
  for (;;) {
    const pkg = path.join(dir, 'package.json');
    if (fs.existsSync(pkg) && JSON.parse(fs.readFileSync(pkg, 'utf8')).name === 'orchestra') return dir;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('repository root not found');
    dir = parent;
  }
}

/** Process ids whose command line contains `marker` (scans /proc; Linux). */
export function processesWith(marker: string): number[] {
  const found: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const cmdline = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      // Zombies have exited already; they only wait to be reaped by their parent.
      if (cmdline.includes(marker) && !/^\d+ \(.*\) Z /.test(stat)) found.push(Number(entry));
    } catch {
      // The process ended while we looked.
    }
  }
  return found;
}
