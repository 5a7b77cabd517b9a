// The engine process (dist/server.js) driven over stdio JSON-RPC the way an editor drives it, with
// everything it says recorded: events, log notifications, stderr, secret and approval requests.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter, type MessageConnection } from 'vscode-jsonrpc/node';
import type { EngineEvent } from '../../../src/core/protocol/events';
import { ApprovalRequestType, EventNotification, LogNotification, SecretRequest, type ApprovalParams, type LogParams, type SecretParams } from '../../../src/protocol/engine-rpc';

// out/test/reliability/support → the repository root.
export const repoRoot = resolve(__dirname, '..', '..', '..');

export interface EngineProcess {
  child: ChildProcess;
  rpc: MessageConnection;
  events: EngineEvent[];
  logs: LogParams[];
  stderr: string[];
  secretAsks: SecretParams[];
  approvals: ApprovalParams[];
  finished(taskId: string): Promise<EngineEvent>;
  close(): Promise<void>;
}

export async function startEngineProcess(opts: { secret: (p: SecretParams) => string | undefined; approve: (p: ApprovalParams) => boolean; env?: NodeJS.ProcessEnv }): Promise<EngineProcess> {
  const serverModule = join(repoRoot, 'dist', 'server.js');
  assert.ok(existsSync(serverModule), `${serverModule} is missing: run node scripts/build.mjs first`);
  const child = spawn(process.execPath, [serverModule, '--stdio'], { stdio: ['pipe', 'pipe', 'pipe'], env: opts.env ?? process.env });
  const rpc = createMessageConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
  const waiters: Array<() => void> = [];
  const p: EngineProcess = {
    child,
    rpc,
    events: [],
    logs: [],
    stderr: [],
    secretAsks: [],
    approvals: [],
    finished: (taskId) =>
      new Promise((res) => {
        const check = () => {
          const end = p.events.find((e) => e.taskId === taskId && (e.type === 'done' || e.type === 'error'));
          if (end) return res(end);
          waiters.push(check);
        };
        check();
      }),
    async close() {
      rpc.dispose();
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill();
        await exited;
      }
    },
  };
  child.stderr!.on('data', (d) => p.stderr.push(String(d)));
  rpc.onNotification(EventNotification, (e) => {
    p.events.push(e);
    for (const w of waiters.splice(0)) w();
  });
  rpc.onNotification(LogNotification, (l) => {
    p.logs.push(l);
  });
  rpc.onRequest(SecretRequest, (params) => {
    p.secretAsks.push(params);
    return { value: opts.secret(params) };
  });
  rpc.onRequest(ApprovalRequestType, (params) => {
    p.approvals.push(params);
    return { approved: opts.approve(params) };
  });
  rpc.listen();
  await rpc.sendRequest('initialize', { processId: process.pid, rootUri: null, capabilities: {} });
  await rpc.sendNotification('initialized', {});
  return p;
}
