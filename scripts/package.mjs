#!/usr/bin/env node
// Builds the .vsix files users install. Each platform target carries the embedded llama.cpp runtime
// (node-llama-cpp, its runtime dependencies, and that platform's prebuilt binary only), so nothing
// is compiled or downloaded when it is installed; the universal .vsix (`--no-runtime`) has no
// runtime and works with remote and server models only, saying how to get local ones.
//   node scripts/package.mjs                    every target + the universal .vsix
//   node scripts/package.mjs --target linux-x64 one target (repeatable)
//   node scripts/package.mjs --no-runtime       the universal .vsix only
//   --out DIR (default: the repository root)    --skip-build (reuse the last production build)
// A platform binary that cannot be obtained here is reported, and that target is not built (exit 1).
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const runtimeVersion = pkg.dependencies['node-llama-cpp'];

/** VS Code's platform targets and node-llama-cpp's prebuilt package for each (CPU, or Metal on Apple silicon). */
export const TARGETS = {
  'linux-x64': '@node-llama-cpp/linux-x64',
  'linux-arm64': '@node-llama-cpp/linux-arm64',
  'darwin-arm64': '@node-llama-cpp/mac-arm64-metal',
  'darwin-x64': '@node-llama-cpp/mac-x64',
  'win32-x64': '@node-llama-cpp/win-x64',
};

function parseArgs(argv) {
  const out = { targets: [], noRuntime: false, out: root, skipBuild: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--target') out.targets.push(argv[++i]);
    else if (a === '--no-runtime') out.noRuntime = true;
    else if (a === '--out') out.out = resolve(argv[++i]);
    else if (a === '--skip-build') out.skipBuild = true;
    else throw new Error(`unknown option ${a}`);
  }
  for (const t of out.targets) if (!TARGETS[t]) throw new Error(`unknown target ${t}; choose from ${Object.keys(TARGETS).join(', ')}`);
  return out;
}

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { stdio: opts.capture ? 'pipe' : 'inherit', encoding: 'utf8', ...opts });
  if (r.status !== 0 && !opts.allowFail)
    throw new Error(`${cmd} ${args.join(' ')} failed (${r.status ?? r.signal})${opts.capture ? `:\n${r.stderr}` : ''}`);
  return r;
}

function dirSize(p) {
  let total = 0;
  for (const e of readdirSync(p, { withFileTypes: true })) {
    const f = join(p, e.name);
    total += e.isDirectory() ? dirSize(f) : statSync(f).size;
  }
  return total;
}
const mb = (n) => `${(n / 1024 / 1024).toFixed(1)} MB`;

/** Where `name` resolves from package folder `from`, as Node finds it (nearest node_modules upwards, inside the repository). */
function resolvePackage(from, name) {
  for (let d = from; d.startsWith(root); d = dirname(d)) {
    const candidate = join(d, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return candidate;
    if (dirname(d) === d) break;
  }
  return undefined;
}

/** node-llama-cpp and everything it needs at run time (its `dependencies`, recursively; no platform packages). */
function runtimeClosure() {
  const seen = new Set();
  const visit = (dir) => {
    if (seen.has(dir)) return;
    seen.add(dir);
    const p = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    for (const dep of Object.keys(p.dependencies ?? {})) {
      const found = resolvePackage(dir, dep);
      if (!found) throw new Error(`${relative(root, dir)} needs ${dep}, which is not installed (run npm ci)`);
      visit(found);
    }
  };
  const start = join(root, 'node_modules/node-llama-cpp');
  if (!existsSync(start)) throw new Error('node-llama-cpp is not installed (run npm ci)');
  visit(start);
  return [...seen];
}

/** Files a runtime that never compiles does not need: llama.cpp's sources bundle (34 MB) is for source builds. */
const NOT_SHIPPED = [/[\\/]node-llama-cpp[\\/]llama[\\/]gitRelease\.bundle$/, /\.map$/, /\.md$/i, /\.d\.[mc]?ts$/];

function copyPackage(src, stagingModules) {
  const dest = join(stagingModules, relative(join(root, 'node_modules'), src));
  cpSync(src, dest, {
    recursive: true,
    dereference: true,
    // Nested node_modules are copied as packages of their own, when the closure holds them.
    filter: (f) => !relative(src, f).split(/[\\/]/).includes('node_modules') && !NOT_SHIPPED.some((re) => re.test(f)),
  });
}

/**
 * The platform package for `target`: from node_modules when installed (the host platform's), else
 * fetched with `npm pack` from the registry (and cached). Undefined, with the reason, when it cannot be had.
 */
function platformPackage(target, cacheDir) {
  const name = TARGETS[target];
  const installed = join(root, 'node_modules', name);
  if (existsSync(join(installed, 'package.json'))) {
    const v = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')).version;
    if (v === runtimeVersion) return { dir: installed };
  }
  const unpacked = join(cacheDir, `${name.replace('/', '+')}@${runtimeVersion}`);
  if (existsSync(join(unpacked, 'package', 'package.json'))) return { dir: join(unpacked, 'package') };
  mkdirSync(unpacked, { recursive: true });
  const packed = run('npm', ['pack', `${name}@${runtimeVersion}`, '--silent', '--pack-destination', unpacked], {
    capture: true,
    allowFail: true,
  });
  const tgz = readdirSync(unpacked).find((f) => f.endsWith('.tgz'));
  if (packed.status !== 0 || !tgz)
    return {
      reason: `${name}@${runtimeVersion} could not be fetched from the npm registry: ${(packed.stderr || packed.stdout || '').trim().split('\n').pop()}`,
    };
  run('tar', ['-xzf', join(unpacked, tgz), '-C', unpacked]);
  rmSync(join(unpacked, tgz));
  return { dir: join(unpacked, 'package') };
}

/** A folder holding exactly what one .vsix ships, with a package.json for it. */
function stage(stagingDir, buildDir, withRuntime) {
  rmSync(stagingDir, { recursive: true, force: true });
  mkdirSync(stagingDir, { recursive: true });
  for (const f of ['README.md', 'LICENSE', 'media', 'docs']) cpSync(join(root, f), join(stagingDir, f), { recursive: true });
  cpSync(buildDir, join(stagingDir, 'dist'), { recursive: true });
  const shipped = { ...pkg, dependencies: withRuntime ? { 'node-llama-cpp': runtimeVersion } : {} };
  delete shipped.devDependencies;
  delete shipped.scripts;
  writeFileSync(join(stagingDir, 'package.json'), `${JSON.stringify(shipped, null, 2)}\n`);
  // What vsce puts in: the staging folder holds only shipped files, source maps aside.
  writeFileSync(join(stagingDir, '.vscodeignore'), '**/*.map\n.vscodeignore\n');
}

function vsce(stagingDir, outFile, target, withRuntime) {
  const bin = join(root, 'node_modules/@vscode/vsce/vsce');
  const args = [
    bin,
    'package',
    ...(withRuntime ? [] : ['--no-dependencies']),
    '--no-rewrite-relative-links',
    '--allow-missing-repository',
    '--out',
    outFile,
  ];
  if (target) args.push('--target', target);
  run(process.execPath, args, { cwd: stagingDir, capture: true });
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const targets = opts.noRuntime ? [] : opts.targets.length ? opts.targets : Object.keys(TARGETS);
  const universal = opts.noRuntime || opts.targets.length === 0;
  const work = join(root, '.tmp/package');
  const buildDir = join(work, 'dist');
  if (!opts.skipBuild || !existsSync(buildDir)) {
    rmSync(buildDir, { recursive: true, force: true });
    run(process.execPath, [join(root, 'scripts/build.mjs'), '--production', '--dist', buildDir]);
  }
  mkdirSync(opts.out, { recursive: true });
  const closure = targets.length ? runtimeClosure() : [];
  const results = [];
  for (const target of targets) {
    const platform = platformPackage(target, join(work, 'platform-cache'));
    if (!platform.dir) {
      console.error(`\n✗ ${target}: NOT BUILT — ${platform.reason}. No .vsix is made for it rather than one that cannot run local models.`);
      results.push({ target, error: platform.reason });
      continue;
    }
    const staging = join(work, target);
    stage(staging, buildDir, true);
    const modules = join(staging, 'node_modules');
    for (const dir of closure) copyPackage(dir, modules);
    cpSync(platform.dir, join(modules, TARGETS[target]), { recursive: true, dereference: true });
    const outFile = join(opts.out, `orchestra-${pkg.version}-${target}.vsix`);
    vsce(staging, outFile, target, true);
    results.push({
      target,
      file: outFile,
      vsix: statSync(outFile).size,
      unpacked: dirSize(staging),
      runtime: `${TARGETS[target]}@${runtimeVersion}`,
    });
  }
  if (universal) {
    const staging = join(work, 'universal');
    stage(staging, buildDir, false);
    const outFile = join(opts.out, `orchestra-${pkg.version}.vsix`);
    vsce(staging, outFile, undefined, false);
    results.push({
      target: 'universal',
      file: outFile,
      vsix: statSync(outFile).size,
      unpacked: dirSize(staging),
      runtime: 'none (remote and server models only)',
    });
  }
  console.log('\ntarget        .vsix      installed   embedded runtime');
  for (const r of results) {
    if (r.error) console.log(`${r.target.padEnd(13)} NOT BUILT  ${r.error}`);
    else
      console.log(
        `${r.target.padEnd(13)} ${mb(r.vsix).padStart(9)}  ${mb(r.unpacked).padStart(9)}   ${r.runtime}  → ${relative(process.cwd(), r.file)}`,
      );
  }
  if (results.some((r) => r.error)) process.exitCode = 1;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((err) => {
    console.error(`package: ${err instanceof Error ? err.message : err}`);
    process.exit(1);
  });
}
