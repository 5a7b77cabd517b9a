// A plain Node client of the engine process (dist/server.js over stdio JSON-RPC), as an editor is.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter, type MessageConnection } from 'vscode-jsonrpc/node';
import type { EngineEvent } from '../../src/core/protocol/events';
import { ApprovalRequestType, AskRequest, ConfigureRequest, EventNotification, LogNotification, SecretRequest } from '../../src/protocol/engine-rpc';

export interface EngineProcess {
  child: ChildProcess;
  rpc: MessageConnection;
  /** Called for every event notification. */
  onEvent: (e: EngineEvent) => void;
  configure(config: unknown, workspace: string): Promise<void>;
  /** Asks and resolves with the terminal event. */
  ask(question: string): Promise<EngineEvent>;
  close(): Promise<void>;
}

export interface EngineProcessOptions {
  /** Node flags before the server module (`--expose-gc`, `--require …`). */
  nodeArgs?: string[];
  /** Opens a Node IPC channel to the process as well (for the memory probe). */
  ipc?: boolean;
}

export async function startEngineProcess(root: string, options: EngineProcessOptions = {}): Promise<EngineProcess> {
  const serverModule = join(root, 'dist', 'server.js');
  if (!existsSync(serverModule)) throw new Error(`${serverModule} is missing: run node scripts/build.mjs first`);
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), serverModule, '--stdio'], { stdio: options.ipc ? ['pipe', 'pipe', 'pipe', 'ipc'] : ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr = (stderr + String(d)).slice(-4000)));
  const rpc = createMessageConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
  const waiting = new Map<string, (e: EngineEvent) => void>();
  const p: EngineProcess = {
    child,
    rpc,
    onEvent: () => undefined,
    async configure(config, workspace) {
      const r = await rpc.sendRequest(ConfigureRequest, { config, workspace, workspaceTrusted: true });
      if (r.problems.length) throw new Error(`engine configuration problems: ${JSON.stringify(r.problems)}`);
    },
    async ask(question) {
      const { taskId } = await rpc.sendRequest(AskRequest, { question });
      return new Promise<EngineEvent>((resolve) => waiting.set(taskId, resolve));
    },
    async close() {
      rpc.dispose();
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill();
        await exited;
      }
    },
  };
  rpc.onNotification(EventNotification, (e) => {
    p.onEvent(e);
    if (e.type === 'done' || e.type === 'error') {
      waiting.get(e.taskId)?.(e);
      waiting.delete(e.taskId);
    }
  });
  rpc.onNotification(LogNotification, () => undefined);
  rpc.onRequest(SecretRequest, () => ({ value: undefined }));
  rpc.onRequest(ApprovalRequestType, () => ({ approved: false }));
  child.once('exit', (code) => {
    if (waiting.size) process.stderr.write(`engine process exited (${code}) with tasks open:\n${stderr}\n`);
  });
  rpc.listen();
  await rpc.sendRequest('initialize', { processId: process.pid, rootUri: null, capabilities: {} });
  await rpc.sendNotification('initialized', {});
  return p;
}
