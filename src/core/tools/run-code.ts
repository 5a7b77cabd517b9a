// run_code: executes Python, JavaScript or (when allowed) shell code as a real child process in the
// workspace or a scratch copy of it. The child gets no stdin, a scrubbed environment, its own
// process group (so a timeout or cancel kills the whole tree), capped output and, where bubblewrap
// works, a sandbox with no network where only the working folder is writable.
import { spawn, execFile, execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { z } from 'zod';
import type { OrchestraConfig } from '../config';
import { defineTool, type Tool } from './tool';
import { scrubEnv, type KnownSecrets } from './env';
import { deniedReason, resolveInWorkspace } from './paths';
import { findOnPath } from './which';

export type RunCodeLanguage = 'python' | 'javascript' | 'shell';

export interface RunCodeResult {
  stdout: string;
  stderr: string;
  exitCode: number | null;
  signal?: string;
  durationMs: number;
  killed: boolean;
  killReason?: 'timeout' | 'cancelled' | 'output';
  truncated: boolean;
  sandboxed: boolean;
  /** 'bubblewrap' or 'none'. */
  sandbox: string;
  /** One honest paragraph: how it ran, how it ended, what was cut, which sandbox (or none). */
  summary: string;
  /** Set when nothing was run because a rule refused it (untrusted workspace, shell not allowed…). */
  refused?: string;
}

export interface RunCodeOptions {
  workspace: string;
  config: OrchestraConfig;
  signal: AbortSignal;
  workspaceTrusted?: boolean;
  /** Data-segment cap for the child (heap allocations); default 2048 MiB. */
  memoryLimitMb?: number;
  /** 'none' skips bubblewrap even when it works (used to exercise the unsandboxed path). */
  sandbox?: 'auto' | 'none';
  /** Key variable names and key values the engine knows of: kept out of the child's environment too. */
  knownSecrets?: () => KnownSecrets;
  /** Streams output as it arrives (capped like the result). */
  onOutput?(stream: 'stdout' | 'stderr', text: string): void;
}

export const DEFAULT_MEMORY_LIMIT_MB = 2048;
/** Past this much output the child is killed: an endless print loop should not run to the timeout. */
const OUTPUT_KILL_FACTOR = 64;
const OUTPUT_KILL_FLOOR = 16 * 1024 * 1024;

/** Secrets in the home folder hidden inside the sandbox (the root is otherwise readable). */
const HOME_SECRET_DIRS = [
  '.ssh',
  '.aws',
  '.gnupg',
  '.azure',
  '.kube',
  '.docker',
  '.config/gh',
  '.config/gcloud',
  '.config/hub',
  '.password-store',
  '.vscode-server/data/User/globalStorage',
];
const HOME_SECRET_FILES = ['.netrc', '.npmrc', '.pypirc', '.git-credentials', '.pgpass', '.my.cnf'];

// ---------------------------------------------------------------------------------------------
// Environment discovery (each done once per process).

export interface PythonInfo {
  /** The real interpreter behind `python3` (or `python`) on PATH, resolved through shims such as pyenv's. */
  executable: string;
  sympy: boolean;
}

let pythonInfo: PythonInfo | null | undefined;
/** Finds Python once per process (a short synchronous probe, so tool descriptions can mention sympy). */
export function findPythonSync(): PythonInfo | undefined {
  if (pythonInfo !== undefined) return pythonInfo ?? undefined;
  pythonInfo = null;
  for (const name of ['python3', 'python']) {
    const onPath = findOnPath(name);
    if (!onPath) continue;
    try {
      const out = execFileSync(
        onPath,
        ['-c', 'import sys, importlib.util; print(sys.executable); print(importlib.util.find_spec("sympy") is not None)'],
        {
          timeout: 15_000,
          encoding: 'utf8',
          stdio: ['ignore', 'pipe', 'ignore'],
        },
      );
      const [executable, sympy] = out.trim().split('\n');
      if (executable && fs.existsSync(executable)) {
        pythonInfo = { executable, sympy: sympy?.trim() === 'True' };
        break;
      }
    } catch {
      // Try the next name: a broken shim must not hide a working `python`.
    }
  }
  return pythonInfo ?? undefined;
}

export interface SandboxSupport {
  available: boolean;
  bwrapPath?: string;
  /** Why not, when unavailable (not installed, or installed but failing here, e.g. in a container). */
  reason?: string;
}

const SANDBOX_PROBE_ARGS = [
  '--ro-bind',
  '/',
  '/',
  '--dev',
  '/dev',
  '--proc',
  '/proc',
  '--tmpfs',
  '/tmp',
  '--unshare-net',
  '--unshare-pid',
  '--die-with-parent',
  '--',
  '/bin/sh',
  '-c',
  'exit 0',
];

function sandboxPrecheck(): SandboxSupport | { bwrapPath: string } {
  if (process.platform !== 'linux') return { available: false, reason: `bubblewrap is Linux-only (this is ${process.platform})` };
  const bwrapPath = findOnPath('bwrap');
  if (!bwrapPath) return { available: false, reason: 'bubblewrap (bwrap) is not installed' };
  return { bwrapPath };
}

function probeFailure(bwrapPath: string, message: string): SandboxSupport {
  return { available: false, bwrapPath, reason: `bubblewrap is installed but failed here: ${message.trim().split('\n')[0]}` };
}

let sandboxPromise: Promise<SandboxSupport> | undefined;
/** The probe's answer once known (either probe fills it), for callers that cannot wait. */
let sandboxKnown: SandboxSupport | undefined;
/** Checks once that bubblewrap is installed and can actually create the namespaces we ask for. */
export function probeSandbox(): Promise<SandboxSupport> {
  if (sandboxKnown) return Promise.resolve(sandboxKnown);
  sandboxPromise ??= (async (): Promise<SandboxSupport> => {
    const pre = sandboxPrecheck();
    if (!('bwrapPath' in pre) || 'available' in pre) return (sandboxKnown = pre);
    return new Promise<SandboxSupport>((resolve) => {
      execFile(pre.bwrapPath, SANDBOX_PROBE_ARGS, { timeout: 10_000 }, (err, _stdout, stderr) => {
        sandboxKnown = err ? probeFailure(pre.bwrapPath, stderr || err.message) : { available: true, bwrapPath: pre.bwrapPath };
        resolve(sandboxKnown);
      });
    });
  })();
  return sandboxPromise;
}

/** The same answer as `probeSandbox`, probing synchronously when it is not known yet (approval titles need it now). */
export function probeSandboxSync(): SandboxSupport {
  if (sandboxKnown) return sandboxKnown;
  const pre = sandboxPrecheck();
  if (!('bwrapPath' in pre) || 'available' in pre) return (sandboxKnown = pre);
  try {
    execFileSync(pre.bwrapPath, SANDBOX_PROBE_ARGS, { timeout: 10_000, stdio: ['ignore', 'ignore', 'pipe'] });
    sandboxKnown = { available: true, bwrapPath: pre.bwrapPath };
  } catch (err) {
    const stderr = (err as { stderr?: Buffer }).stderr?.toString() ?? '';
    sandboxKnown = probeFailure(pre.bwrapPath, stderr || (err as Error).message);
  }
  return sandboxKnown;
}

/**
 * Why run_code must not run at all without a sandbox: in local-only mode unsandboxed code has the
 * network (data could leave the machine) and can read the parent's environment through /proc.
 */
export function unsandboxedRefusal(config: OrchestraConfig, support: SandboxSupport, forcedOff: boolean): string | undefined {
  if (config.privacyMode !== 'local-only') return undefined;
  const why = forcedOff ? 'the sandbox is turned off' : (support.reason ?? 'no sandbox is available');
  return `refused: privacy mode local-only runs code only inside a sandbox with no network, and ${why} (install bubblewrap, or change the privacy mode)`;
}

// ---------------------------------------------------------------------------------------------

function refusedResult(reason: string): RunCodeResult {
  return {
    stdout: '',
    stderr: '',
    exitCode: null,
    durationMs: 0,
    killed: false,
    truncated: false,
    sandboxed: false,
    sandbox: 'none',
    summary: reason,
    refused: reason,
  };
}

/** Keeps the first `cap` bytes of a stream and counts the rest. */
class CappedBuffer {
  private chunks: Buffer[] = [];
  kept = 0;
  dropped = 0;
  constructor(private readonly cap: number) {}
  /** Returns the part that was kept (for streaming), possibly empty. */
  push(chunk: Buffer): Buffer {
    const room = this.cap - this.kept;
    if (room <= 0) {
      this.dropped += chunk.length;
      return Buffer.alloc(0);
    }
    const kept = chunk.length <= room ? chunk : chunk.subarray(0, room);
    this.chunks.push(kept);
    this.kept += kept.length;
    this.dropped += chunk.length - kept.length;
    return kept;
  }
  text(): string {
    let s = new TextDecoder('utf-8', { fatal: false }).decode(Buffer.concat(this.chunks));
    if (this.dropped > 0) s += `${s.endsWith('\n') || s === '' ? '' : '\n'}[truncated: ${this.dropped} more bytes]`;
    return s;
  }
}

function killGroup(pid: number | undefined): void {
  if (!pid) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // ESRCH: the group is already gone.
  }
}

/** Workspace files matching the deny list (for masking inside the sandbox); bounded walk. */
function findDeniedFiles(root: string, limit = 200): string[] {
  const found: string[] = [];
  const stack = [root];
  let visited = 0;
  while (stack.length && found.length < limit && visited < 20_000) {
    const dir = stack.pop()!;
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      continue;
    }
    for (const e of entries) {
      visited++;
      if (e.name === 'node_modules' || e.name === '.git') continue;
      const full = path.join(dir, e.name);
      if (e.isDirectory()) stack.push(full);
      else if ((e.isFile() || (e.isSymbolicLink() && isFile(full))) && deniedReason(e.name)) found.push(full);
    }
  }
  return found;
}

function copyWorkspace(src: string, dest: string): void {
  fs.cpSync(src, dest, {
    recursive: true,
    dereference: false,
    // Dependency trees and VCS data are large and rarely needed; secret files never travel.
    filter: (from) => {
      const rel = path.relative(src, from);
      return rel === '' || !deniedReason(rel);
    },
  });
}

function isDirectory(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}

function isFile(p: string): boolean {
  try {
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
}

/** Secret files are replaced by this empty, read-only file inside the sandbox (reads give ''). */
const EMPTY_FILE_NAME = '.empty';

function bwrapArgs(cwd: string, codeDir: string): string[] {
  const empty = path.join(codeDir, EMPTY_FILE_NAME);
  fs.writeFileSync(empty, '');
  const args = ['--ro-bind', '/', '/', '--dev', '/dev', '--proc', '/proc', '--tmpfs', '/tmp'];
  args.push('--bind', cwd, cwd, '--ro-bind', codeDir, codeDir);
  args.push('--unshare-net', '--unshare-pid', '--unshare-ipc', '--die-with-parent', '--chdir', cwd);
  const home = os.homedir();
  for (const d of HOME_SECRET_DIRS) {
    const p = path.join(home, d);
    if (isDirectory(p) && !cwd.startsWith(p + path.sep) && cwd !== p) args.push('--tmpfs', p);
  }
  for (const f of HOME_SECRET_FILES) {
    const p = path.join(home, f);
    if (isFile(p)) args.push('--ro-bind', empty, p);
  }
  for (const f of findDeniedFiles(cwd)) args.push('--ro-bind', empty, f);
  return args;
}

function memoryWrapped(argv: string[], memoryLimitMb: number): string[] {
  const bytes = Math.floor(memoryLimitMb * 1024 * 1024);
  // RLIMIT_DATA rather than RLIMIT_AS: V8 reserves large address ranges up front and dies under AS.
  const prlimit = findOnPath('prlimit');
  if (prlimit) return [prlimit, `--data=${bytes}`, '--', ...argv];
  return ['/bin/sh', '-c', `ulimit -d ${Math.floor(bytes / 1024)} 2>/dev/null; exec "$@"`, 'sh', ...argv];
}

function describeSandbox(sandboxed: boolean, support: SandboxSupport, forcedOff: boolean): string {
  if (sandboxed)
    return 'sandbox: bubblewrap (no network; only the working folder and a private /tmp are writable; .env/key files and home-folder credentials hidden)';
  const why = forcedOff ? 'the sandbox was turned off for this run' : (support.reason ?? 'no sandbox available');
  return `NO SANDBOX (${why}): the code ran with your user's full access, including the network and files outside the workspace`;
}

/** Runs code as a child process; never throws for failures of the code itself. */
export async function runCode(args: { language: RunCodeLanguage; code: string }, opts: RunCodeOptions): Promise<RunCodeResult> {
  const settings = opts.config.tools.runCode;
  if (opts.workspaceTrusted === false) return refusedResult('refused: code execution is disabled in an untrusted workspace');
  if (!settings.enabled) return refusedResult('refused: code execution is disabled in settings (orchestra.tools.runCode.enabled)');
  if (args.language === 'shell' && !settings.allowShell) {
    return refusedResult('refused: shell commands are not allowed (enable orchestra.tools.runCode.allowShell to permit them)');
  }
  if (opts.signal.aborted) return refusedResult('cancelled before it started');

  let interpreter: string[];
  let fileName: string;
  if (args.language === 'python') {
    const py = findPythonSync();
    if (!py) return refusedResult('error: no Python interpreter (python3 or python) was found on PATH');
    interpreter = [py.executable];
    fileName = 'main.py';
  } else if (args.language === 'javascript') {
    interpreter = [process.execPath];
    // ES module syntax needs the .mjs extension; everything else runs as CommonJS (require works).
    fileName = /^\s*(import\s[^(]|export\s)/m.test(args.code) ? 'main.mjs' : 'main.js';
  } else {
    interpreter = [fs.existsSync('/bin/bash') ? '/bin/bash' : '/bin/sh'];
    fileName = 'main.sh';
  }

  const workspace = resolveInWorkspace(opts.workspace, '.');
  const tmpRoot = fs.realpathSync(os.tmpdir());
  const codeDir = fs.mkdtempSync(path.join(tmpRoot, 'orchestra-code-'));
  let scratchDir: string | undefined;
  try {
    const codeFile = path.join(codeDir, fileName);
    fs.writeFileSync(codeFile, args.code);
    let cwd = workspace;
    if (settings.isolation === 'scratch') {
      scratchDir = fs.mkdtempSync(path.join(tmpRoot, 'orchestra-scratch-'));
      copyWorkspace(workspace, scratchDir);
      cwd = scratchDir;
    }

    const support: SandboxSupport = opts.sandbox === 'none' ? { available: false, reason: 'turned off' } : await probeSandbox();
    const sandboxed = support.available && opts.sandbox !== 'none';
    if (!sandboxed) {
      const refusal = unsandboxedRefusal(opts.config, support, opts.sandbox === 'none');
      if (refusal) return refusedResult(refusal);
    }
    let argv = memoryWrapped([...interpreter, codeFile], opts.memoryLimitMb ?? DEFAULT_MEMORY_LIMIT_MB);
    if (sandboxed) argv = [support.bwrapPath!, ...bwrapArgs(cwd, codeDir), '--', ...argv];

    const env: NodeJS.ProcessEnv = {
      ...scrubEnv(process.env, opts.knownSecrets?.()),
      PYTHONUNBUFFERED: '1',
      PYTHONDONTWRITEBYTECODE: '1',
      ELECTRON_RUN_AS_NODE: '1',
    };
    if (sandboxed) env.TMPDIR = '/tmp';

    const result = await spawnCapped(argv, cwd, env, settings.timeoutSeconds * 1000, settings.maxOutputBytes, opts);
    const parts: string[] = [];
    if (result.killReason === 'timeout') parts.push(`killed: timed out after ${settings.timeoutSeconds} s (whole process tree)`);
    else if (result.killReason === 'cancelled') parts.push('killed: cancelled (whole process tree)');
    else if (result.killReason === 'output') parts.push('killed: it printed far more than the output cap');
    else if (result.exitCode !== null) parts.push(`exit code ${result.exitCode}`);
    else parts.push(`ended by signal ${result.signal ?? 'unknown'}`);
    parts.push(`${result.durationMs} ms`);
    if (result.truncated) parts.push(`output truncated to ${settings.maxOutputBytes} bytes per stream`);
    if (scratchDir) parts.push('ran in a scratch copy of the workspace (changes discarded)');
    parts.push(describeSandbox(sandboxed, support, opts.sandbox === 'none'));
    return { ...result, sandboxed, sandbox: sandboxed ? 'bubblewrap' : 'none', summary: parts.join('; ') };
  } finally {
    fs.rmSync(codeDir, { recursive: true, force: true });
    if (scratchDir) fs.rmSync(scratchDir, { recursive: true, force: true });
  }
}

type SpawnOutcome = Omit<RunCodeResult, 'sandboxed' | 'sandbox' | 'summary'>;

function spawnCapped(
  argv: string[],
  cwd: string,
  env: NodeJS.ProcessEnv,
  timeoutMs: number,
  maxOutputBytes: number,
  opts: RunCodeOptions,
): Promise<SpawnOutcome> {
  return new Promise<SpawnOutcome>((resolve) => {
    const started = Date.now();
    const out = new CappedBuffer(maxOutputBytes);
    const err = new CappedBuffer(maxOutputBytes);
    const killAt = Math.max(maxOutputBytes * OUTPUT_KILL_FACTOR, OUTPUT_KILL_FLOOR);
    let killReason: SpawnOutcome['killReason'];
    let exitCode: number | null = null;
    let exitSignal: string | undefined;
    let settled = false;

    const child = spawn(argv[0], argv.slice(1), { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    const kill = (reason: NonNullable<SpawnOutcome['killReason']>) => {
      killReason ??= reason;
      killGroup(child.pid);
    };
    const timer = setTimeout(() => kill('timeout'), timeoutMs);
    const onAbort = () => kill('cancelled');
    opts.signal.addEventListener('abort', onAbort, { once: true });

    const onData = (stream: 'stdout' | 'stderr', buf: CappedBuffer) => (chunk: Buffer) => {
      const kept = buf.push(chunk);
      if (kept.length && opts.onOutput) opts.onOutput(stream, kept.toString('utf8'));
      if (out.kept + out.dropped + err.kept + err.dropped > killAt) kill('output');
    };
    child.stdout.on('data', onData('stdout', out));
    child.stderr.on('data', onData('stderr', err));

    const finish = (spawnError?: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearTimeout(closeGrace);
      opts.signal.removeEventListener('abort', onAbort);
      let stderr = err.text();
      if (spawnError) stderr += `${stderr ? '\n' : ''}failed to start ${argv[0]}: ${spawnError.message}`;
      resolve({
        stdout: out.text(),
        stderr,
        exitCode,
        ...(exitSignal ? { signal: exitSignal } : {}),
        durationMs: Date.now() - started,
        killed: killReason !== undefined,
        ...(killReason ? { killReason } : {}),
        truncated: out.dropped > 0 || err.dropped > 0,
      });
    };
    let closeGrace: NodeJS.Timeout | undefined;
    child.on('error', (e) => finish(e));
    child.on('exit', (code, signal) => {
      exitCode = code;
      exitSignal = signal ?? undefined;
      // Background processes the code left behind would keep the pipes open: the tree goes with it.
      killGroup(child.pid);
      closeGrace = setTimeout(() => {
        child.stdout?.destroy();
        child.stderr?.destroy();
        finish();
      }, 2000);
    });
    child.on('close', () => finish());
  });
}

// ---------------------------------------------------------------------------------------------

export interface RunCodeToolOptions {
  config: OrchestraConfig;
  workspace: string;
  workspaceTrusted: boolean;
  /** See RunCodeOptions.sandbox. */
  sandbox?: 'auto' | 'none';
  /** See RunCodeOptions.knownSecrets. */
  knownSecrets?: () => KnownSecrets;
}

/** Formats a run for the orchestrator: what ran, how it ended, then the output. */
export function formatRunCodeResult(language: string, r: RunCodeResult): string {
  if (r.refused) return r.refused;
  const lines = [`[run_code ${language}] ${r.summary}`];
  lines.push('--- stdout ---', r.stdout === '' ? '(empty)' : r.stdout);
  if (r.stderr !== '') lines.push('--- stderr ---', r.stderr);
  return lines.join('\n');
}

function runCodeArgs<L extends readonly [string, ...string[]]>(languages: L) {
  return z.object({
    language: z.enum(languages).describe(`Which interpreter runs the code: ${languages.join(', ')}`),
    code: z.string().min(1, 'code must not be empty').describe('The complete program; print what you need to see'),
  });
}
// Built once, not per task: a schema object is converted to JSON schema once (runtime.ts jsonSchemaOf).
const RunCodeArgs = runCodeArgs(['python', 'javascript'] as const);
const RunCodeArgsWithShell = runCodeArgs(['python', 'javascript', 'shell'] as const);

export function createRunCodeTool(opts: RunCodeToolOptions): Tool {
  const python = findPythonSync();
  const settings = opts.config.tools.runCode;
  const languages = settings.allowShell ? (['python', 'javascript', 'shell'] as const) : (['python', 'javascript'] as const);
  const schema = settings.allowShell ? RunCodeArgsWithShell : RunCodeArgs;
  const description = [
    `Runs a ${languages.join(' / ')} program as a child process in the workspace${settings.isolation === 'scratch' ? ' (a scratch copy; changes are discarded)' : ''} and returns stdout, stderr and the exit code.`,
    python
      ? `Python is the interpreter on the user's PATH${python.sympy ? ' with sympy installed (use it for exact math)' : ' (sympy is not installed)'}; JavaScript runs on Node.`
      : 'No Python interpreter was found on this machine, so use JavaScript (Node).',
    `Limits: ${settings.timeoutSeconds} s timeout, ${settings.maxOutputBytes} bytes of output per stream, no stdin, no secrets in the environment; no network when sandboxed.`,
  ].join(' ');
  return defineTool({
    name: 'run_code',
    description,
    schema,
    kind: 'local',
    destination: () => 'local',
    // Nothing to approve where the code will be refused anyway (an untrusted workspace, local-only
    // without a sandbox): asking would suggest that approving runs it.
    needsApproval: (args) => {
      if (settings.autoApprove || !opts.workspaceTrusted) return undefined;
      const forcedOff = opts.sandbox === 'none';
      const support = forcedOff ? { available: false } : probeSandboxSync();
      if (!support.available && unsandboxedRefusal(opts.config, support, forcedOff)) return undefined;
      const title = support.available
        ? `Run ${args.language} code`
        : `Run ${args.language} code — NO SANDBOX: full access to your files and the network`;
      return { kind: 'run_code', title, detail: args.code, language: args.language };
    },
    async run(args, ctx) {
      if (!opts.workspaceTrusted) {
        const msg = 'refused: code execution is disabled in an untrusted workspace';
        return { ok: false, output: msg, error: msg, state: 'denied' };
      }
      const r = await runCode(args, {
        workspace: ctx.workspace || opts.workspace,
        config: opts.config,
        signal: ctx.signal,
        workspaceTrusted: opts.workspaceTrusted,
        sandbox: opts.sandbox,
        knownSecrets: opts.knownSecrets,
        onOutput: (_s, text) => ctx.progress(text),
      });
      const output = formatRunCodeResult(args.language, r);
      if (r.refused) return { ok: false, output, error: r.refused, state: r.refused.startsWith('refused') ? 'denied' : 'error', data: r };
      const ok = !r.killed && r.exitCode === 0;
      return {
        ok,
        output,
        data: r,
        display: { kind: 'code', exitCode: r.exitCode, stdout: r.stdout, stderr: r.stderr, summary: r.summary },
        state: r.killReason === 'timeout' ? 'timeout' : r.killReason === 'cancelled' ? 'cancelled' : ok ? 'ok' : 'error',
        ...(ok ? {} : { error: r.killed ? `killed (${r.killReason})` : `exit code ${r.exitCode ?? r.signal}` }),
      };
    },
  });
}
