// @vscode/test-cli configuration: the suite runs inside the real VS Code server (from the code-server
// npm package) through scripts/vscode-exec.mjs, a local executable that stands in for desktop VS Code.
import { defineConfig } from '@vscode/test-cli';

export default defineConfig({
  label: 'integration',
  files: 'out/test/integration/suite/**/*.test.js',
  workspaceFolder: './test/integration/fixtures/workspace',
  useInstallation: { fromPath: './scripts/vscode-exec.mjs' },
  // A second extension, as another installed extension would be: scripted chat models, and a caller of Orchestra's tools.
  launchArgs: ['--extra-extension=./test/extensions/scripted-models'],
  mocha: { ui: 'bdd', timeout: 60_000, color: false },
});
