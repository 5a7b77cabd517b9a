#!/usr/bin/env node
// Writes the table of docs/TOOL-CALL-FORMATS.md from the catalog in src/core/toolcalls/catalog.ts
// (between the `<!-- formats -->` markers), so the two cannot drift; test/unit/toolcalls/catalog.test.ts
// fails when they do. Usage: node scripts/tool-call-formats-doc.mjs
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bundle = await esbuild.build({
  absWorkingDir: root,
  entryPoints: ['src/core/toolcalls/catalog.ts'],
  bundle: true,
  platform: 'node',
  format: 'cjs',
  write: false,
  logLevel: 'warning',
});
const mod = { exports: {} };
new Function('module', 'exports', 'require', bundle.outputFiles[0].text)(
  mod,
  mod.exports,
  (await import('node:module')).createRequire(import.meta.url),
);
const { CATALOG } = mod.exports;

/** An example in one table cell: line breaks as ⏎, pipes escaped, in a code span longer than any backtick run. */
function cell(example) {
  const text = example.replace(/\n/g, '⏎').replace(/\|/g, '\\|');
  const run = Math.max(0, ...(text.match(/`+/g) ?? []).map((r) => r.length));
  const fence = '`'.repeat(run + 1);
  return `${fence} ${text} ${fence}`;
}

const rows = [
  '| format | models that write it | parsers it follows | example (a call to `get_weather(city="Paris")`) |',
  '|---|---|---|---|',
  ...CATALOG.map((f) => `| \`${f.format}\` | ${f.models} | ${f.source} | ${cell(f.example)} |`),
];
const file = join(root, 'docs/TOOL-CALL-FORMATS.md');
const doc = readFileSync(file, 'utf8');
const start = doc.indexOf('<!-- formats -->');
const end = doc.indexOf('<!-- /formats -->');
if (start < 0 || end < start) throw new Error('docs/TOOL-CALL-FORMATS.md needs <!-- formats --> and <!-- /formats --> markers');
writeFileSync(file, `${doc.slice(0, start)}<!-- formats -->\n${rows.join('\n')}\n${doc.slice(end)}`);
console.log(`written: ${CATALOG.length} formats`);
