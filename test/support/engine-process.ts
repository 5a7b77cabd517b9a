// The engine process (dist/server.js) driven over JSON-RPC the way an editor drives it: a real child
// process spoken to with vscode-jsonrpc over stdio, with everything it says recorded (events, log
// notifications, stderr, secret and approval requests). Shared by the unit, reliability and bench
// clients; the options cover how they differ.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter, type MessageConnection } from 'vscode-jsonrpc/node';
import type { EngineEvent } from '../../src/core/protocol/events';
import {
  ApprovalRequestType,
  AskRequest,
  ConfigureRequest,
  EventNotification,
  FindSymbolsRequest,
  LogNotification,
  SecretRequest,
  type ApprovalParams,
  type FindSymbolsParams,
  type FindSymbolsResult,
  type LogParams,
  type SecretParams,
} from '../../src/protocol/engine-rpc';

/** The repository root: the nearest folder above `from` holding package.json and scripts/build.mjs.
 *  Found by walking up because this module is bundled into several places (out/test/…, bench/.out). */
export function findRepoRoot(from: string = __dirname): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'scripts', 'build.mjs'))) return dir;
    if (dirname(dir) === dir) throw new Error(`no repository root (package.json with scripts/build.mjs) above ${from}`);
  }
}

export interface EngineProcess {
  child: ChildProcess;
  rpc: MessageConnection;
  events: EngineEvent[];
  logs: LogParams[];
  stderr: string[];
  secretAsks: SecretParams[];
  approvals: ApprovalParams[];
  /** How the client answers approvals; may be changed between tasks. */
  approve: (p: ApprovalParams) => boolean;
  /** Called for every event notification, after it is recorded. */
  onEvent: (e: EngineEvent) => void;
  eventsOf(taskId: string): EngineEvent[];
  /** Resolves with the task's terminal event (done or error). */
  finished(taskId: string): Promise<EngineEvent>;
  /** Configures a trusted workspace; throws on any configuration problem. */
  configure(config: unknown, workspace: string): Promise<void>;
  /** Asks and resolves with the terminal event. */
  ask(question: string): Promise<EngineEvent>;
  close(): Promise<void>;
}

export interface EngineProcessOptions {
  /** Repository root holding dist/server.js; by default the one above this module. */
  root?: string;
  /** Arguments after the server module; `--stdio` by default. */
  args?: string[];
  env?: NodeJS.ProcessEnv;
  /** Node flags before the server module (`--expose-gc`, `--require …`). */
  nodeArgs?: string[];
  /** Opens a Node IPC channel to the process as well (for the memory probe). */
  ipc?: boolean;
  /** The key to answer a secret request with; none by default. */
  secret?: (p: SecretParams) => string | undefined;
  /** How approvals are answered at first; deny by default. */
  approve?: (p: ApprovalParams) => boolean;
  /** Answers the engine's find-symbols requests (the editor's symbol search); unanswered by default. */
  findSymbols?: (p: FindSymbolsParams) => FindSymbolsResult;
}

export async function startEngineProcess(options: EngineProcessOptions = {}): Promise<EngineProcess> {
  const serverModule = join(options.root ?? findRepoRoot(), 'dist', 'server.js');
  assert.ok(existsSync(serverModule), `${serverModule} is missing: run node scripts/build.mjs first`);
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), serverModule, ...(options.args ?? ['--stdio'])], {
    stdio: options.ipc ? ['pipe', 'pipe', 'pipe', 'ipc'] : ['pipe', 'pipe', 'pipe'],
    env: options.env ?? process.env,
  });
  const rpc = createMessageConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
  // Terminal events by task, and who waits for them: finished() must not rescan every event, as a
  // streaming bench sends thousands of deltas while a task is awaited.
  const ends = new Map<string, EngineEvent>();
  const waiters = new Map<string, Array<(e: EngineEvent) => void>>();
  const p: EngineProcess = {
    child,
    rpc,
    events: [],
    logs: [],
    stderr: [],
    secretAsks: [],
    approvals: [],
    approve: options.approve ?? (() => false),
    onEvent: () => undefined,
    eventsOf: (taskId) => p.events.filter((e) => e.taskId === taskId),
    finished: (taskId) =>
      new Promise((res) => {
        const end = ends.get(taskId);
        if (end) return res(end);
        waiters.set(taskId, [...(waiters.get(taskId) ?? []), res]);
      }),
    async configure(config, workspace) {
      const r = await rpc.sendRequest(ConfigureRequest, { config, workspace, workspaceTrusted: true });
      if (r.problems.length) throw new Error(`engine configuration problems: ${JSON.stringify(r.problems)}`);
    },
    async ask(question) {
      const { taskId } = await rpc.sendRequest(AskRequest, { question });
      return p.finished(taskId);
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
  child.stderr!.on('data', (d) => p.stderr.push(String(d)));
  // A process that dies with tasks still awaited would otherwise leave only a hang to go on.
  child.once('exit', (code) => {
    if (waiters.size) process.stderr.write(`engine process exited (${code}) with tasks open:\n${p.stderr.join('').slice(-4000)}\n`);
  });
  rpc.onNotification(EventNotification, (e) => {
    p.events.push(e);
    p.onEvent(e);
    if ((e.type === 'done' || e.type === 'error') && !ends.has(e.taskId)) {
      ends.set(e.taskId, e);
      for (const w of waiters.get(e.taskId) ?? []) w(e);
      waiters.delete(e.taskId);
    }
  });
  rpc.onNotification(LogNotification, (l) => {
    p.logs.push(l);
  });
  rpc.onRequest(SecretRequest, (params) => {
    p.secretAsks.push(params);
    return { value: options.secret?.(params) };
  });
  rpc.onRequest(ApprovalRequestType, (params) => {
    p.approvals.push(params);
    return { approved: p.approve(params) };
  });
  const findSymbols = options.findSymbols;
  if (findSymbols) rpc.onRequest(FindSymbolsRequest, (params) => findSymbols(params));
  rpc.listen();
  const init = await rpc.sendRequest<{ serverInfo?: { name: string } }>('initialize', {
    processId: process.pid,
    rootUri: null,
    capabilities: {},
  });
  assert.equal(init.serverInfo?.name, 'orchestra-engine');
  await rpc.sendNotification('initialized', {});
  return p;
}
