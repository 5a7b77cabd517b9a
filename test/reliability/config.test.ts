// Bad configuration, randomised: a valid configuration gets a random set of broken fields (wrong
// types, unknown privacy mode, negative prices, malformed URLs, duplicate model ids, out-of-range
// numbers, impossible MCP entries, misspelt keys…). Every broken field must be reported by its path
// and nothing may throw: in parseConfig (whose repaired rest still describes the valid settings),
// through the engine process's configure (which refuses tasks until the settings are fixed), and
// through the CLI as a child process (which refuses to run, naming every field).
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startModelServer, type ModelServer } from '../support/model-server';
import { parseConfig } from '../../src/core/config';
import { createEngine } from '../../src/core/engine';
import type { EngineHost } from '../../src/core/engine-api';
import { AskRequest, ConfigureRequest, ListModelsRequest } from '../../src/protocol/engine-rpc';
import { Rng, STRESS, suiteSeed } from './support/random';
import { runChecked } from './support/tasks';
import { startEngineProcess } from '../support/engine-process';
import { runCli } from '../support/cli-process';
import { tempWorkspace } from '../unit/engine/helpers';

type Raw = Record<string, any>;
interface Breakage {
  name: string;
  /** The path the problem must name. */
  path: string;
  apply(c: Raw): void;
}

/** Model index 2 ("extra") is the one broken; "orch" and "helper" must survive untouched. */
const BREAKAGES: Breakage[] = [
  { name: 'malformed URL', path: 'models[2].baseUrl', apply: (c) => (c.models[2].baseUrl = 'not a url') },
  { name: 'non-http URL', path: 'models[2].baseUrl', apply: (c) => (c.models[2].baseUrl = 'ftp://example.com/v1') },
  { name: 'negative input price', path: 'models[2].inputPricePerMillion', apply: (c) => (c.models[2].inputPricePerMillion = -1) },
  { name: 'price as text', path: 'models[2].outputPricePerMillion', apply: (c) => (c.models[2].outputPricePerMillion = 'cheap') },
  { name: 'zero context', path: 'models[2].contextWindow', apply: (c) => (c.models[2].contextWindow = 0) },
  { name: 'unknown role', path: 'models[2].roles[0]', apply: (c) => (c.models[2].roles = ['wizard']) },
  { name: 'bad id characters', path: 'models[2].id', apply: (c) => (c.models[2].id = 'bad id!') },
  { name: 'model without name', path: 'models[2].model', apply: (c) => delete c.models[2].model },
  { name: 'duplicate model id', path: 'models[3].id', apply: (c) => c.models.push({ ...c.models[1] }) },
  { name: 'unknown privacy mode', path: 'privacyMode', apply: (c) => (c.privacyMode = 'nowhere') },
  { name: 'negative budget', path: 'budget.maxDollarsPerTask', apply: (c) => (c.budget.maxDollarsPerTask = -1) },
  { name: 'zero turns', path: 'budget.maxTurns', apply: (c) => (c.budget.maxTurns = 0) },
  { name: 'fractional turns', path: 'budget.maxTurns', apply: (c) => (c.budget.maxTurns = 2.5) },
  { name: 'concurrency too high', path: 'concurrency', apply: (c) => (c.concurrency = 100) },
  { name: 'retries as text', path: 'requests.retries', apply: (c) => (c.requests.retries = 'many') },
  { name: 'zero timeout', path: 'requests.timeoutSeconds', apply: (c) => (c.requests.timeoutSeconds = 0) },
  { name: 'quality above 1', path: 'preferences.quality', apply: (c) => (c.preferences.quality = 2) },
  { name: 'unknown search provider', path: 'tools.webSearch.provider', apply: (c) => (c.tools.webSearch.provider = 'google') },
  { name: 'negative code timeout', path: 'tools.runCode.timeoutSeconds', apply: (c) => (c.tools.runCode.timeoutSeconds = -5) },
  {
    name: 'MCP server with neither command nor url',
    path: 'tools.mcpServers[0]',
    apply: (c) => (c.tools.mcpServers = [{ name: 'empty' }]),
  },
  {
    name: 'MCP server with a bad url',
    path: 'tools.mcpServers[0].url',
    apply: (c) => (c.tools.mcpServers = [{ name: 'web', url: 'nope' }]),
  },
  { name: 'unknown dialect', path: 'orchestrator.dialect', apply: (c) => (c.orchestrator.dialect = 'klingon') },
  { name: 'local models as a string', path: 'local.models', apply: (c) => (c.local.models = 'x.gguf') },
  { name: 'denied models as a string', path: 'preferences.deniedModels', apply: (c) => (c.preferences.deniedModels = 'extra') },
  // Misspelt keys: refused like invalid values (dropped, they could leave a rule weaker than meant).
  { name: 'misspelt privacy key', path: 'privacyMod', apply: (c) => (c.privacyMod = 'local-only') },
  { name: 'misspelt budget key', path: 'budget.maxDollarPerTask', apply: (c) => (c.budget.maxDollarPerTask = 0.05) },
  { name: 'misspelt model key', path: 'models[2].loacl', apply: (c) => (c.models[2].loacl = false) },
  { name: 'misspelt deny list', path: 'preferences.deniedModel', apply: (c) => (c.preferences.deniedModel = ['helper']) },
];

function validConfig(url: string): Raw {
  return {
    models: [
      { id: 'orch', baseUrl: url, model: 'orch', roles: ['orchestrator'] },
      { id: 'helper', baseUrl: url, model: 'helper', roles: ['general'], inputPricePerMillion: 1, outputPricePerMillion: 2 },
      { id: 'extra', baseUrl: url, model: 'extra', roles: ['code'] },
    ],
    orchestrator: { model: 'orch', dialect: 'general' },
    privacyMode: 'any',
    budget: { maxDollarsPerTask: 1, maxTurns: 5 },
    concurrency: 3,
    requests: { retries: 1, timeoutSeconds: 20 },
    preferences: { quality: 0.7, deniedModels: [] },
    tools: { webSearch: { provider: 'none' }, runCode: { enabled: false, timeoutSeconds: 30 }, mcpServers: [] },
    local: { models: [] },
  };
}

function breakSome(rng: Rng, url: string): { raw: Raw; broken: Breakage[] } {
  const raw = validConfig(url);
  const pool = [...BREAKAGES];
  const broken: Breakage[] = [];
  const n = rng.int(1, 5);
  for (let i = 0; i < n && pool.length; i++) {
    const b = pool.splice(Math.floor(rng.next() * pool.length), 1)[0];
    // Two breakages of the same field (or both replacing the MCP list) would leave only the last.
    const group = (x: Breakage) => (x.path.startsWith('tools.mcpServers') ? 'mcp' : x.path);
    if (broken.some((x) => group(x) === group(b))) continue;
    b.apply(raw);
    broken.push(b);
  }
  return { raw, broken };
}

function assertReported(problems: Array<{ path: string; message: string }>, broken: Breakage[], ctx: string): void {
  for (const b of broken) {
    assert.ok(
      problems.some((p) => p.path === b.path || p.path.startsWith(`${b.path}.`) || p.path.startsWith(`${b.path}[`)),
      `${ctx}: "${b.name}" must be reported at ${b.path}; got ${JSON.stringify(problems)}`,
    );
  }
  for (const p of problems) assert.ok(p.message.trim().length > 3, `${ctx}: problem at ${p.path} says what is wrong`);
}

describe('bad configuration: reported by name, nothing crashes, the valid rest works', () => {
  let server: ModelServer;
  const seed = suiteSeed('config');
  const rng = new Rng(seed);
  const ws = tempWorkspace({ 'a.md': 'a\n' });

  before(async () => {
    server = await startModelServer();
    server.setHandler('orch', () => ({ toolCalls: [{ name: 'answer', arguments: { answer: 'still working' } }] }));
  });
  after(async () => {
    await server.close();
    ws.cleanup();
  });

  test(`parseConfig and the engine: ${STRESS ? 500 : 40} random breakages`, async () => {
    const counts = new Map<string, number>();
    const host: EngineHost = {
      async getSecret() {
        return undefined;
      },
      async requestApproval() {
        return false;
      },
    };
    const runs = STRESS ? 500 : 40;
    for (let i = 0; i < runs; i++) {
      const { raw, broken } = breakSome(rng, server.url);
      for (const b of broken) counts.set(b.name, (counts.get(b.name) ?? 0) + 1);
      const ctx = `seed ${seed} run ${i} (${broken.map((b) => b.name).join(', ')})`;
      const { config, problems } = parseConfig(structuredClone(raw));
      assertReported(problems, broken, ctx);
      // The valid rest survives: both good models, and every unbroken setting as given.
      const ids = config.models.map((m) => m.id);
      assert.ok(ids.includes('orch') && ids.includes('helper'), `${ctx}: valid models kept (${ids.join(', ')})`);
      assert.equal(ids.length, new Set(ids).size, `${ctx}: no duplicate ids survive`);
      const brokenPaths = broken.map((b) => b.path);
      if (!brokenPaths.includes('budget.maxTurns')) assert.equal(config.budget.maxTurns, 5, ctx);
      if (!brokenPaths.includes('concurrency')) assert.equal(config.concurrency, 3, ctx);
      if (!brokenPaths.includes('preferences.quality')) assert.equal(config.preferences.quality, 0.7, ctx);
      if (!brokenPaths.includes('privacyMode')) assert.equal(config.privacyMode, 'any', ctx);
      if (i % 8 === 0) {
        const engine = createEngine(host, config);
        try {
          const run = await runChecked(engine, { question: 'still there?', workspace: ws.dir });
          assert.equal(run.terminal.type, 'done', `${ctx}: ${JSON.stringify(run.terminal)}`);
        } finally {
          await engine.dispose();
        }
      }
    }
    console.log(`[config] ${JSON.stringify({ seed, runs, breakages: Object.fromEntries([...counts].sort()) })}`);
  });

  test('engine process: configure reports every broken field by path, keeps the valid models, refuses to run until fixed', async () => {
    const proc = await startEngineProcess({ secret: () => undefined, approve: () => false });
    try {
      for (let i = 0; i < 3; i++) {
        server.reset();
        server.setHandler('orch', () => ({ toolCalls: [{ name: 'answer', arguments: { answer: 'still working' } }] }));
        const { raw, broken } = breakSome(rng, server.url);
        const ctx = `seed ${seed} engine process ${i} (${broken.map((b) => b.name).join(', ')})`;
        const result = await proc.rpc.sendRequest(ConfigureRequest, { config: raw, workspace: ws.dir, workspaceTrusted: true });
        assertReported(result.problems, broken, ctx);
        const models = await proc.rpc.sendRequest(ListModelsRequest, {});
        assert.ok(
          ['orch', 'helper'].every((id) => models.some((m) => m.id === id)),
          ctx,
        );
        // Fail closed: no task runs while the settings are invalid, and the refusal names the problems.
        await assert.rejects(proc.rpc.sendRequest(AskRequest, { question: 'still there?' }), (err: Error) => {
          assert.match(err.message, /will not run while its settings are invalid/, ctx);
          assert.ok(err.message.includes(broken[0].path), `${ctx}: the refusal names ${broken[0].path}: ${err.message}`);
          return true;
        });
        assert.equal(server.requestsFor('orch').length, 0, `${ctx}: no request was sent`);
        const fixed = await proc.rpc.sendRequest(ConfigureRequest, {
          config: validConfig(server.url),
          workspace: ws.dir,
          workspaceTrusted: true,
        });
        assert.deepEqual(fixed.problems, [], ctx);
        const { taskId } = await proc.rpc.sendRequest(AskRequest, { question: 'still there?' });
        const end = await proc.finished(taskId);
        assert.equal(end.type, 'done', `${ctx}: ${JSON.stringify(end)}`);
      }
      assert.equal(proc.child.exitCode, null, 'the engine process is still running');
    } finally {
      await proc.close();
    }
    assert.doesNotMatch(proc.stderr.join(''), /TypeError|ReferenceError|uncaught|unhandled/i);
  });

  test('CLI child process: refuses with exit 2, names every broken field, no stack trace', async () => {
    for (let i = 0; i < 3; i++) {
      const { raw, broken } = breakSome(rng, server.url);
      const file = join(ws.dir, `bad-${i}.json`);
      writeFileSync(file, JSON.stringify(raw));
      const r = await runCli(['ask', 'q', '--config', file, '--workspace', ws.dir, '--json']);
      const ctx = `seed ${seed} CLI ${i} (${broken.map((b) => b.name).join(', ')})`;
      assert.equal(r.code, 2, `${ctx}: exit 2; stderr: ${r.stderr}`);
      for (const b of broken) assert.ok(r.stderr.includes(b.path), `${ctx}: stderr names ${b.path}: ${r.stderr}`);
      assert.doesNotMatch(r.stderr, /^\s+at .+:\d+:\d+\)?$/m, `${ctx}: no stack trace`);
    }
  });
});
