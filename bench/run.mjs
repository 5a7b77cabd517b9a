#!/usr/bin/env node
// `npm run bench [-- --quick] [-- --only NAME[,NAME]] [-- --no-build]`
// Builds the project and the benchmark bundle (bench/src → bench/.out), runs every benchmark in its
// own process, prints `what | baseline | measured | ratio | target | met?`, and writes the rows to
// bench/results/latest.json. Every ratio is against a baseline measured in the same run.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const argv = process.argv.slice(2);
const quick = argv.includes('--quick');
const noBuild = argv.includes('--no-build');
const onlyIdx = argv.indexOf('--only');
const only = onlyIdx >= 0 ? (argv[onlyIdx + 1] ?? '').split(',').filter(Boolean) : [];
for (const a of argv) {
  if (!['--quick', '--no-build', '--only'].includes(a) && argv[argv.indexOf(a) - 1] !== '--only') {
    console.error(`bench: unknown argument ${a}\nusage: node bench/run.mjs [--quick] [--only NAME[,NAME]] [--no-build]`);
    process.exit(2);
  }
}

// In run order; `package` is last because it rebuilds dist/ for production.
const ALL = [
  'engine-overhead',
  'parallel',
  'streaming',
  'markdown',
  'cards-scroll',
  'search',
  'run-code',
  'memory',
  'cost',
  'toolcalls',
  'llama',
  'replicas',
  'package',
];
const selected = only.length ? only : ALL;
for (const name of selected) {
  if (!ALL.includes(name)) {
    console.error(`bench: unknown benchmark "${name}"; the benchmarks are: ${ALL.join(', ')}`);
    process.exit(2);
  }
}

const started = Date.now();
if (!noBuild) {
  const b = spawnSync(process.execPath, [join(root, 'scripts/build.mjs')], { cwd: root, stdio: 'inherit' });
  if (b.status !== 0) process.exit(b.status ?? 1);
}
await esbuild.build({
  absWorkingDir: root,
  entryPoints: { bench: 'bench/src/main.ts' },
  outdir: 'bench/.out',
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  sourcemap: 'linked',
  logLevel: 'warning',
  external: ['vscode', 'node-llama-cpp', 'playwright-core'],
});
// The Markdown bench's in-page harness, for the browser.
await esbuild.build({
  absWorkingDir: root,
  entryPoints: { 'markdown-page': 'bench/src/markdown-page.ts' },
  outdir: 'bench/.out',
  bundle: true,
  platform: 'browser',
  format: 'iife',
  target: 'chrome120',
  logLevel: 'warning',
});

function runChild(args) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('close', (code) => resolve({ code, out }));
  });
}

const rows = [];
const failures = [];
for (const name of selected) {
  const t0 = Date.now();
  process.stderr.write(`▶ ${name}…\n`);
  const args = name === 'package' ? [join(root, 'bench/activation.mjs')] : [join(root, 'bench/.out/bench.js'), name];
  if (quick) args.push('--quick');
  const { code, out } = await runChild(args);
  const line = out.split('\n').find((l) => l.startsWith('RESULT '));
  if (code !== 0 || !line) {
    failures.push(name);
    rows.push({
      bench: name,
      what: `${name}: FAILED (exit ${code}; see the output above)`,
      baseline: '',
      measured: '',
      ratio: '',
      target: '',
      met: false,
    });
  } else rows.push(...JSON.parse(line.slice(7)));
  process.stderr.write(`  ${name} took ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
}

const header = ['what', 'baseline', 'measured', 'ratio', 'target', 'met?'];
const cells = rows.map((r) => [r.what, r.baseline, r.measured, r.ratio, r.target, r.met === null ? 'report' : r.met ? 'yes' : 'NO']);
const esc = (s) => String(s).replace(/\|/g, '\\|');
const lines = [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...cells.map((c) => `| ${c.map(esc).join(' | ')} |`)];
console.log(lines.join('\n'));
const notes = rows.filter((r) => r.note);
if (notes.length) {
  console.log('\nNotes:');
  for (const r of notes) console.log(`- ${r.what}: ${r.note}`);
}
const seconds = (Date.now() - started) / 1000;
console.log(
  `\n${quick ? 'quick ' : ''}run of ${selected.length} benchmark(s) in ${seconds.toFixed(0)} s on ${process.platform} ${process.arch}, Node ${process.version}, ${(await import('node:os')).availableParallelism()} cores.`,
);

mkdirSync(join(root, 'bench/results'), { recursive: true });
writeFileSync(
  join(root, 'bench/results/latest.json'),
  JSON.stringify(
    {
      date: new Date().toISOString(),
      quick,
      seconds,
      node: process.version,
      cores: (await import('node:os')).availableParallelism(),
      rows,
    },
    null,
    2,
  ) + '\n',
);
console.log('written: bench/results/latest.json');
process.exit(failures.length ? 1 : 0);
