// Used by scripts/install-vscode-server.sh: replaces the Git-pinned @parcel/watcher in the VS Code
// server's package.json and npm-shrinkwrap.json by the registry's release, since only the npm registry
// is reachable here. Usage: node vscode-server-deps.mjs <package.json> <npm-shrinkwrap.json>
import { readFileSync, writeFileSync } from 'node:fs';

const WATCHER = '@parcel/watcher';
const REGISTRY_VERSION = '2.5.1';
const [pkgPath, shrinkwrapPath] = process.argv.slice(2);
if (!pkgPath || !shrinkwrapPath) {
  console.error('usage: node vscode-server-deps.mjs <package.json> <npm-shrinkwrap.json>');
  process.exit(2);
}

const isGitSpec = (spec) => typeof spec === 'string' && /^(git\+|github:|git:|[\w-]+\/[\w.-]+#)/.test(spec);

const pkg = JSON.parse(readFileSync(pkgPath, 'utf8'));
const spec = pkg.dependencies?.[WATCHER];
if (!isGitSpec(spec)) {
  console.log(`${WATCHER} is "${spec ?? 'absent'}" in ${pkgPath}: nothing to replace`);
  process.exit(0);
}
pkg.dependencies[WATCHER] = REGISTRY_VERSION;
writeFileSync(pkgPath, JSON.stringify(pkg, null, 2) + '\n');

// Drop the Git entry from the shrinkwrap so npm resolves the registry release (and its prebuilt
// per-platform optional packages) in its place; every other entry stays pinned.
const shrinkwrap = JSON.parse(readFileSync(shrinkwrapPath, 'utf8'));
const rootDeps = shrinkwrap.packages?.['']?.dependencies;
if (rootDeps?.[WATCHER]) rootDeps[WATCHER] = REGISTRY_VERSION;
delete shrinkwrap.packages?.[`node_modules/${WATCHER}`];
delete shrinkwrap.dependencies?.[WATCHER];
writeFileSync(shrinkwrapPath, JSON.stringify(shrinkwrap, null, 2) + '\n');
console.log(`${WATCHER}: Git pin "${spec}" replaced by the registry's ${REGISTRY_VERSION}`);
