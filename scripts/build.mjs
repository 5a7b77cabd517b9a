// One build for every bundle: the extension host side, the engine process, the CLI, the panel, and
// the test suites. `--production` minifies without source maps (and builds no tests); `--watch`
// rebuilds on change; `--dist DIR` puts the shipped bundles elsewhere than dist/ (packaging does).
import * as esbuild from 'esbuild';
import { mkdirSync, readdirSync, statSync, chmodSync, existsSync, rmSync } from 'node:fs';
import { join, dirname, resolve } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');
const distArg = process.argv.indexOf('--dist');
const dist = distArg > 0 ? process.argv[distArg + 1] : 'dist';
if (!dist) throw new Error('--dist needs a folder');

const common = {
  bundle: true,
  sourcemap: production ? false : 'linked',
  minify: production,
  logLevel: 'warning',
  absWorkingDir: root,
  legalComments: production ? 'none' : 'inline',
};
const node = { ...common, platform: 'node', format: 'cjs', target: 'node20', external: ['vscode', 'node-llama-cpp'] };

// The BPE ranks of the OpenAI encodings (about 3.6 MB of JavaScript) are loaded on first use by
// src/core/tokens/bpe.ts. Inlined, the engine process and the CLI would each carry a copy; instead
// both load dist/bpe/<encoding>.js, built once beside them.
const BPE_ENCODINGS = ['o200k_base', 'cl100k_base'];
const require = createRequire(import.meta.url);
const sharedBpe = {
  name: 'shared-bpe',
  setup(build) {
    build.onResolve({ filter: new RegExp(`^gpt-tokenizer/encoding/(${BPE_ENCODINGS.join('|')})$`) }, (args) => ({
      path: `./bpe/${args.path.split('/').pop()}.js`,
      external: true,
    }));
  },
};

function listTests(dir) {
  if (!existsSync(join(root, dir))) return [];
  const out = [];
  for (const name of readdirSync(join(root, dir))) {
    const rel = join(dir, name);
    if (statSync(join(root, rel)).isDirectory()) out.push(...listTests(rel));
    else if (/\.test\.ts$/.test(name)) out.push(rel);
  }
  return out;
}

const builds = [
  // Two extension bundles: the small one VS Code loads at activation, and the rest, which it
  // require()s on first use (src/extension/extension.ts says why).
  {
    ...node,
    entryPoints: { extension: 'src/extension/extension.ts', 'extension-main': 'src/extension/extension-main.ts' },
    outdir: dist,
  },
  { ...node, entryPoints: { server: 'src/server/server.ts' }, outdir: dist, plugins: [sharedBpe] },
  { ...node, entryPoints: { cli: 'src/cli/cli.ts' }, outdir: dist, banner: { js: '#!/usr/bin/env node' }, plugins: [sharedBpe] },
  {
    ...node,
    entryPoints: Object.fromEntries(BPE_ENCODINGS.map((e) => [`bpe/${e}`, require.resolve(`gpt-tokenizer/encoding/${e}`)])),
    outdir: dist,
  },
  {
    ...common,
    platform: 'browser',
    format: 'iife',
    target: 'chrome120',
    entryPoints: { panel: 'webview-ui/src/main.ts' },
    outdir: join(dist, 'webview'),
  },
  // The codicon font (@vscode/codicons) is emitted next to the stylesheet, served from the webview's own origin (font-src in its CSP).
  {
    ...common,
    entryPoints: { panel: 'webview-ui/src/panel.css' },
    outdir: join(dist, 'webview'),
    loader: { '.css': 'css', '.ttf': 'file' },
  },
];
if (!production) {
  // Tests are bundled too, so they run as plain Node (unit, webview) or inside the extension host.
  const testEntries = [...listTests('test/unit'), ...listTests('test/webview'), ...listTests('test/reliability'), ...listTests('test/ui')];
  // The scripted model server also runs as a process (benchmarks, integration tests, `npm start --demo`).
  testEntries.push(...['test/support/model-server.ts'].filter((f) => existsSync(join(root, f))));
  if (testEntries.length)
    builds.push({
      ...node,
      entryPoints: testEntries,
      outdir: 'out',
      outbase: '.',
      external: [...node.external, 'playwright-core', 'fast-check'],
    });
  const suite = ['test/integration/suite/index.ts', ...listTests('test/integration/suite')].filter((f) => existsSync(join(root, f)));
  if (suite.length) builds.push({ ...node, entryPoints: suite, outdir: 'out', outbase: '.', external: [...node.external, 'mocha'] });
}

mkdirSync(resolve(root, dist), { recursive: true });
// A test whose source was deleted or moved must not keep running (and counting) from an old bundle.
if (!production) rmSync(resolve(root, 'out'), { recursive: true, force: true });
if (watch) {
  for (const b of builds) await (await esbuild.context(b)).watch();
  console.log('watching for changes…');
} else {
  const t0 = Date.now();
  await Promise.all(builds.map((b) => esbuild.build(b)));
  chmodSync(resolve(root, dist, 'cli.js'), 0o755);
  // The config file's JSON Schema, generated from the engine's own schema (package.json's
  // jsonValidation points editors at it for orchestra.json).
  const schemaFile = resolve(root, dist, 'orchestra.schema.json');
  const schema = spawnSync(process.execPath, [resolve(root, dist, 'cli.js'), 'config', 'schema', '--output', schemaFile], {
    cwd: root,
    encoding: 'utf8',
  });
  if (schema.status !== 0) throw new Error(`generating ${schemaFile} failed: ${schema.stderr}`);
  console.log(`built ${builds.length} bundles in ${Date.now() - t0} ms${production ? ' (production)' : ''}`);
}
