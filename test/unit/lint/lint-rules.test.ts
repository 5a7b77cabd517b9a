// The house's shape is kept by the linter (eslint.config.mjs), so the linter's rules must bite: each
// fixture below breaks one rule and must fail with it, and a file that follows every rule must pass.
// The fixtures are written into a scratch copy of the project layout and linted with the real config
// by the real ESLint, as `npm run lint` runs it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

const root = resolve(__dirname, '../../../..');

interface LintMessage {
  ruleId: string | null;
  message: string;
}

const longFunction = `export function long(): number {\n  let n = 0;\n${'  n += 1;\n'.repeat(125)}  return n;\n}\n`;
const longFile = `${Array.from({ length: 520 }, (_, i) => `export const v${i} = ${i};`).join('\n')}\n`;

const fixtures: Record<string, string> = {
  // Layer direction and `vscode` only on the extension side.
  'src/core/uses-vscode.ts': `import * as vscode from 'vscode';\nexport const version: string = vscode.version;\n`,
  'src/core/reaches-up.ts': `import { shown } from '../extension/panel-thing';\nexport const again = shown;\n`,
  'src/protocol/reaches-server.ts': `import { served } from '../server/served';\nexport const s = served;\n`,
  // A two-file cycle; the way back is type-only, which import-x/no-cycle would not see.
  'src/core/cycle-a.ts': `import type { B } from './cycle-b';\nexport interface A { b?: B }\n`,
  'src/core/cycle-b.ts': `import type { A } from './cycle-a';\nexport interface B { a?: A }\n`,
  // The panel runs in a browser: no Node built-ins.
  'webview-ui/src/reads-disk.ts': `import { readFileSync } from 'node:fs';\nexport const read = (p: string): string => readFileSync(p, 'utf8');\n`,
  // Size caps.
  'src/core/long-function.ts': longFunction,
  'src/core/long-file.ts': longFile,
  // Type-checked rules: a promise nobody awaits.
  'src/core/floating.ts': `async function work(): Promise<void> {\n  await Promise.resolve();\n}\nexport function start(): void {\n  work();\n}\n`,
  // Files that follow every rule.
  'src/extension/panel-thing.ts': `import * as vscode from 'vscode';\nimport type { A } from '../core/cycle-a';\nexport const shown: string = vscode.version;\nexport type Seen = A;\n`,
  'src/server/served.ts': `import { readFileSync } from 'node:fs';\nexport const served = (p: string): string => readFileSync(p, 'utf8');\n`,
  'webview-ui/src/clean.ts': `import type { A } from '../../src/core/cycle-a';\nexport const none: A = {};\n`,
};

const expected: Record<string, string[]> = {
  'src/core/uses-vscode.ts': ['no-restricted-imports'],
  'src/core/reaches-up.ts': ['import-x/no-restricted-paths'],
  'src/protocol/reaches-server.ts': ['import-x/no-restricted-paths'],
  'src/core/cycle-a.ts': ['orchestra/no-import-cycle'],
  'src/core/cycle-b.ts': ['orchestra/no-import-cycle'],
  'webview-ui/src/reads-disk.ts': ['import-x/no-nodejs-modules'],
  'src/core/long-function.ts': ['max-lines-per-function'],
  'src/core/long-file.ts': ['max-lines'],
  'src/core/floating.ts': ['@typescript-eslint/no-floating-promises'],
  'src/extension/panel-thing.ts': [],
  'src/server/served.ts': [],
  'webview-ui/src/clean.ts': [],
};

let dir: string;
let results: Map<string, LintMessage[]>;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'orchestra-lint-'));
  for (const f of ['eslint.config.mjs', 'scripts/lint-rules.mjs']) {
    mkdirSync(dirname(join(dir, f)), { recursive: true });
    copyFileSync(join(root, f), join(dir, f));
  }
  symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'), 'dir');
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        target: 'ES2022',
        module: 'preserve',
        moduleResolution: 'bundler',
        strict: true,
        skipLibCheck: true,
        types: ['node'],
      },
      include: ['src', 'webview-ui/src'],
    }),
  );
  for (const [file, text] of Object.entries(fixtures)) {
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    writeFileSync(join(dir, file), text);
  }
  const run = spawnSync(process.execPath, [join(root, 'node_modules/eslint/bin/eslint.js'), '--format', 'json', 'src', 'webview-ui'], {
    cwd: dir,
    encoding: 'utf8',
    maxBuffer: 16 * 1024 * 1024,
  });
  assert.ok(run.stdout, `eslint printed nothing (exit ${run.status}): ${run.stderr}`);
  const report = JSON.parse(run.stdout) as Array<{ filePath: string; messages: LintMessage[] }>;
  results = new Map(report.map((r) => [r.filePath.slice(dir.length + 1), r.messages]));
});

after(() => rmSync(dir, { recursive: true, force: true }));

for (const [file, rules] of Object.entries(expected)) {
  test(rules.length ? `${file} fails with ${rules.join(', ')}` : `${file} follows every rule`, () => {
    const messages = results.get(file);
    assert.ok(messages, `${file} was not linted`);
    const found = [...new Set(messages.map((m) => m.ruleId ?? `(fatal) ${m.message}`))].sort();
    assert.deepEqual(found, [...rules].sort(), messages.map((m) => `${m.ruleId}: ${m.message}`).join('\n'));
  });
}

test('the cycle message names the way round', () => {
  const m = results.get('src/core/cycle-a.ts')?.find((x) => x.ruleId === 'orchestra/no-import-cycle');
  assert.match(m?.message ?? '', /src\/core\/cycle-a\.ts → src\/core\/cycle-b\.ts → src\/core\/cycle-a\.ts/);
});
