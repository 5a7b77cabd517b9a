// The engine (src/core) must run in plain Node: it may never import `vscode`, directly or through a
// relative import into another layer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve, dirname } from 'node:path';

const root = resolve(__dirname, '../../..');

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...sources(p));
    else if (/\.(ts|tsx|mts|cts|js)$/.test(name)) out.push(p);
  }
  return out;
}

const importRe =
  /(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|require\(\s*['"]([^'"]+)['"]\s*\)|import\s+['"]([^'"]+)['"]/g;

function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(importRe)].map((m) => m[1] ?? m[2] ?? m[3] ?? m[4]);
}

test('nothing under src/core imports vscode or the VS Code side', () => {
  const core = join(root, 'src/core');
  const offenders: string[] = [];
  for (const file of sources(core)) {
    for (const spec of importsOf(file)) {
      const target = spec.startsWith('.') ? resolve(dirname(file), spec) : '';
      if (spec === 'vscode' || spec.startsWith('vscode/') || (target && !target.startsWith(core))) {
        offenders.push(`${relative(root, file)} imports "${spec}"`);
      }
    }
  }
  assert.deepEqual(offenders, [], `src/core must stay free of VS Code:\n${offenders.join('\n')}`);
});

test('the boundary check sees imports in every form', () => {
  const sample = `import x from 'vscode';\nconst y = require("vscode");\nexport { z } from './a';\nawait import('b');\nimport 'c';`;
  const found = [...sample.matchAll(importRe)].map((m) => m[1] ?? m[2] ?? m[3] ?? m[4]);
  assert.deepEqual(found, ['vscode', 'vscode', './a', 'b', 'c']);
});
