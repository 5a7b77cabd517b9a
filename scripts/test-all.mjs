#!/usr/bin/env node
// `npm test`: builds once, then runs every suite — unit (Node's test runner), webview (headless
// Chromium), reliability, and integration (inside the real VS Code server) — and ends with one line
// `N passed, N failed` summing them all. A suite that cannot start, or runs no test, fails loudly.
import { spawn } from 'node:child_process';
import { readdirSync, statSync, existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { root } from './vscode-server.mjs';

const only = process.argv[2];
const suites = [
  { name: 'typecheck', kind: 'tsc' },
  { name: 'lint', kind: 'lint' },
  { name: 'unit', kind: 'node', dir: 'out/test/unit' },
  { name: 'webview', kind: 'node', dir: 'out/test/webview' },
  { name: 'reliability', kind: 'node', dir: 'out/test/reliability', env: { ORCHESTRA_STRESS: '0' } },
  { name: 'integration', kind: 'vscode' },
  { name: 'ui', kind: 'node', dir: 'out/test/ui' },
];
if (only === 'stress')
  suites.splice(0, suites.length, { name: 'stress', kind: 'node', dir: 'out/test/reliability', env: { ORCHESTRA_STRESS: '1' } });
const selected = only && only !== 'stress' ? suites.filter((s) => s.name === only) : suites;
if (!selected.length) {
  console.error(`unknown suite "${only}"; use one of: ${suites.map((s) => s.name).join(', ')}, stress`);
  process.exit(2);
}

function run(cmd, args, env = {}) {
  return new Promise((resolve) => {
    let out = '';
    const child = spawn(cmd, args, { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    const onData = (b) => {
      out += b.toString();
      process.stdout.write(b);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('close', (code, signal) => resolve({ code: code ?? (signal ? 128 : 1), out }));
    child.on('error', (e) => resolve({ code: 127, out: String(e) }));
  });
}

function listFiles(dir) {
  const abs = join(root, dir);
  if (!existsSync(abs)) return [];
  const out = [];
  for (const name of readdirSync(abs).sort()) {
    const p = join(abs, name);
    if (statSync(p).isDirectory()) out.push(...listFiles(relative(root, p)));
    else if (name.endsWith('.test.js')) out.push(relative(root, p));
  }
  return out;
}

const build = await run(process.execPath, ['scripts/build.mjs']);
if (build.code !== 0) {
  console.log('\nbuild failed\n0 passed, 1 failed');
  process.exit(1);
}

const results = [];
for (const suite of selected) {
  console.log(`\n━━ ${suite.name} ━━`);
  let passed = 0;
  let failed = 0;
  let code;
  if (suite.kind === 'tsc') {
    const r = await run(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', '.', '--noEmit']);
    code = r.code;
    [passed, failed] = r.code === 0 ? [1, 0] : [0, 1];
    if (r.code === 0) console.log('tsc: no type errors');
  } else if (suite.kind === 'lint') {
    // Two checks: ESLint (eslint.config.mjs: types, layers, cycles, sizes) and Prettier's format.
    const eslint = await run(process.execPath, [join(root, 'node_modules/eslint/bin/eslint.js'), '.']);
    if (eslint.code === 0) console.log('eslint: no problems');
    const prettier = await run(process.execPath, [
      join(root, 'node_modules/prettier/bin/prettier.cjs'),
      '--check',
      '.',
      '--log-level',
      'warn',
    ]);
    if (prettier.code === 0) console.log('prettier: every file is formatted');
    code = eslint.code || prettier.code;
    passed = (eslint.code === 0) + (prettier.code === 0);
    failed = 2 - passed;
  } else if (suite.kind === 'node') {
    const files = listFiles(suite.dir);
    if (!files.length) {
      console.log(`no test files under ${suite.dir}`);
      results.push({ name: suite.name, passed: 0, failed: 1, note: 'no tests found' });
      continue;
    }
    const r = await run(process.execPath, ['--test', '--test-reporter=spec', ...files], { ...suite.env, FORCE_COLOR: '0' });
    code = r.code;
    passed = Number(/ℹ pass (\d+)/.exec(r.out)?.[1] ?? 0);
    failed = Number(/ℹ fail (\d+)/.exec(r.out)?.[1] ?? 0) + Number(/ℹ cancelled (\d+)/.exec(r.out)?.[1] ?? 0);
  } else {
    if (!existsSync(join(root, 'node_modules/.bin/vscode-test'))) {
      console.log('@vscode/test-cli is not installed (npm ci)');
      results.push({ name: suite.name, passed: 0, failed: 1 });
      continue;
    }
    const r = await run(join(root, 'node_modules/.bin/vscode-test'), []);
    code = r.code;
    passed = Number(/(\d+) passing/.exec(r.out)?.[1] ?? 0);
    failed = Number(/(\d+) failing/.exec(r.out)?.[1] ?? 0);
  }
  // A runner that failed without reporting a failing test (crash, VS Code not started) counts as one failure.
  if (code !== 0 && failed === 0) failed = 1;
  if (passed + failed === 0) failed = 1;
  results.push({ name: suite.name, passed, failed });
}

console.log('\n━━ summary ━━');
for (const r of results) console.log(`${r.name.padEnd(12)} ${r.passed} passed, ${r.failed} failed${r.note ? ` (${r.note})` : ''}`);
const total = results.reduce((a, r) => ({ passed: a.passed + r.passed, failed: a.failed + r.failed }), { passed: 0, failed: 0 });
console.log(`${total.passed} passed, ${total.failed} failed`);
process.exit(total.failed ? 1 : 0);
