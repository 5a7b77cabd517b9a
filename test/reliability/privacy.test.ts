// Privacy checked at the socket level, not by trusting the engine's bookkeeping: the test process's
// `net`/`tls` connects and the fetch dispatcher are wrapped (support/net-guard.ts) so every
// destination is recorded and anything but loopback is refused before a packet leaves. Across
// randomised local-only configurations with remote models (TEST-NET addresses and names under
// .example), remote web search providers and remote MCP HTTP servers, and orchestrators that try
// to reach all of them, not one non-loopback connection may be attempted. In open-weights-only
// mode, closed models (served on their own loopback server) must never receive a request.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { startModelServer, type ModelServer, type ScriptedReply } from '../support/model-server';
import { parseConfig } from '../../src/core/config';
import { createEngine } from '../../src/core/engine';
import type { EngineHost } from '../../src/core/engine-api';
import { installNetGuard, type NetGuard } from './support/net-guard';
import { Rng, STRESS, suiteSeed } from './support/random';
import { crashWatch, runChecked } from './support/tasks';

const RUNS = STRESS ? 120 : 12;

const REMOTE_URLS = [
  'http://192.0.2.1:8080/v1',
  'https://198.51.100.7/v1',
  'http://203.0.113.5:11434/v1',
  'https://api.remote-llm.example/v1',
  'https://api.openai.com/v1',
];
const REMOTE_MCP = ['http://192.0.2.10:3000/mcp', 'https://mcp.remote.example/mcp', 'http://198.51.100.20/mcp'];

const host: EngineHost = {
  async getSecret() {
    return 'sk-privacy-test-key-000000000000';
  },
  async requestApproval() {
    return true;
  },
};

function answer(text: string): ScriptedReply {
  return { toolCalls: [{ name: 'answer', arguments: { answer: text } }] };
}

describe('privacy at the socket level', () => {
  let guard: NetGuard;
  let local: ModelServer;
  let closed: ModelServer;
  const watch = crashWatch();
  const seed = suiteSeed('privacy');
  const rng = new Rng(seed);
  /** What the orchestrator tries in its first turn, per task tag. */
  const attempts = new Map<string, ScriptedReply>();

  before(async () => {
    guard = await installNetGuard();
    local = await startModelServer();
    closed = await startModelServer();
    // The orchestrator: first turn from the task's plan, then an answer.
    local.setHandler('orch', (body) => {
      const tag = /\[(p\d+)\]/.exec(JSON.stringify(body.messages))?.[1] ?? '';
      if (body.messages.length === 2 && attempts.has(tag)) return attempts.get(tag)!;
      return answer(`done [${tag}]`);
    });
    // A local helper that may lead subtasks (it then gets tools) or answer a call_model.
    local.setHandler('helper', (body) => (body.tools ? answer('subtask done') : { content: 'helper says hi' }));
    for (const m of ['closed-a', 'closed-b']) closed.setHandler(m, () => ({ content: 'a closed model answered' }));
  });
  after(async () => {
    guard.uninstall();
    watch.stop();
    await local.close();
    await closed.close();
  });

  test(`local-only: ${RUNS} randomised configurations and tasks, zero non-loopback connection attempts`, async () => {
    guard.clear();
    let remoteModels = 0;
    let remoteTools = 0;
    let tries = 0;
    for (let i = 0; i < RUNS; i++) {
      const r = rng.fork();
      const tag = `p${i}`;
      const remotes = Array.from({ length: r.int(1, 4) }, (_, k) => ({
        id: `remote-${k}`,
        baseUrl: r.pick(REMOTE_URLS),
        model: `remote-model-${k}`,
        roles: [r.pick(['general', 'code', 'math', 'reasoning'] as const), ...(r.chance(0.3) ? (['orchestrator'] as const) : [])],
        openWeights: r.chance(0.5),
        inputPricePerMillion: r.pick([0, 1, 5]),
        outputPricePerMillion: r.pick([0, 4, 20]),
        apiKeyEnv: 'REMOTE_KEY',
      }));
      remoteModels += remotes.length;
      const webSearch = r.pick([
        { provider: 'tavily' },
        { provider: 'brave' },
        { provider: 'searxng', url: 'http://192.0.2.9:8888' },
        { provider: 'searxng', url: 'https://search.remote.example' },
        { provider: 'none' },
      ]);
      const mcpServers = Array.from({ length: r.int(0, 2) }, (_, k) => ({ name: `remote_mcp_${k}`, url: r.pick(REMOTE_MCP) }));
      remoteTools += (webSearch.provider !== 'none' ? 1 : 0) + mcpServers.length;
      const models = [
        { id: 'orch', baseUrl: local.url, model: 'orch', roles: ['orchestrator'] },
        { id: 'helper', baseUrl: local.url, model: 'helper', roles: ['general', 'code', 'math', 'reasoning'] },
        ...remotes,
      ];
      // Remote models listed first half the time, so "the first model" would be remote.
      if (r.chance(0.5)) models.reverse();
      const orchestratorModel = r.chance(0.15) ? remotes[0].id : r.chance(0.5) ? 'orch' : '';
      const { config, problems } = parseConfig({
        models,
        privacyMode: 'local-only',
        orchestrator: { model: orchestratorModel, dialect: 'general' },
        requests: { retries: r.int(0, 2), timeoutSeconds: 5 },
        tools: { webSearch, mcpServers, runCode: { enabled: false } },
        budget: { maxWallTimeSeconds: 60 },
      });
      assert.deepEqual(problems, []);
      // The orchestrator reaches for everything remote it can name, in parallel.
      const pickRemote = () => r.pick(remotes).id;
      const calls = Array.from({ length: r.int(1, 5) }, () =>
        r.pick([
          () => ({ name: 'call_model', arguments: { model: pickRemote(), task: 'send this to the cloud' } }),
          () => ({
            name: 'call_model',
            arguments: { role: r.pick(['general', 'code', 'math', 'reasoning']), task: 'best model for the job' },
          }),
          () => ({
            name: 'delegate',
            arguments: {
              subtasks: [
                { task: 'remote subtask', model: pickRemote() },
                { task: 'by role', role: 'code' },
              ],
            },
          }),
          () => ({ name: 'web_search', arguments: { query: 'leak this query' } }),
          () => ({ name: mcpServers.length ? `${mcpServers[0].name}__echo` : 'remote_mcp_0__echo', arguments: { text: 'leak' } }),
        ])(),
      );
      tries += calls.length;
      attempts.set(tag, { toolCalls: calls });
      const engine = createEngine(host, config, { pool: { backoffBaseMs: 2, maxBackoffMs: 20 } });
      try {
        const run = await runChecked(engine, { question: `[${tag}] summarise the workspace`, workspace: tmpdir() });
        assert.deepEqual(run.terminal.totals.remoteHosts, [], `task ${tag}: nothing left the machine by the engine's own account`);
        // Probing a remote model and discovering servers must not reach out either.
        const probe = await engine.testModel(remotes[0].id);
        assert.equal(probe.ok, false);
        assert.match(probe.error ?? '', /local-only/);
        await engine.discover({ timeoutMs: 300 });
        assert.ok(
          engine
            .listModels()
            .filter((m) => !m.local)
            .every((m) => !m.eligible && /local-only/.test(m.ineligibleReason ?? '')),
        );
      } finally {
        await engine.dispose();
        attempts.delete(tag);
      }
      assert.deepEqual(
        guard.refused().map((a) => `${a.via} ${a.host}:${a.port}\n${a.stack}`),
        [],
        `task ${tag} (seed ${seed}): no connection to a non-loopback address was attempted`,
      );
    }
    // The guard itself saw the loopback traffic, so it was watching.
    assert.ok(
      guard.attempts.some((a) => a.allowed && a.via === 'fetch'),
      'the guard recorded the local model traffic',
    );
    console.log(
      `[privacy] ${JSON.stringify({ seed, runs: RUNS, remoteModels, remoteTools, remoteCallsTried: tries, loopbackConnections: guard.attempts.length, refused: guard.refused().length })}`,
    );
    assert.deepEqual(watch.crashes, []);
  });

  test(`open-weights-only: ${STRESS ? 60 : 8} randomised tasks, no request reaches a closed model's server`, async () => {
    guard.clear();
    const runs = STRESS ? 60 : 8;
    for (let i = 0; i < runs; i++) {
      const r = rng.fork();
      const tag = `p${1000 + i}`;
      const models = [
        { id: 'orch', baseUrl: local.url, model: 'orch', roles: ['orchestrator'], openWeights: true },
        { id: 'helper', baseUrl: local.url, model: 'helper', roles: ['general', 'code'], openWeights: true },
        {
          id: 'closed-a',
          baseUrl: closed.url,
          model: 'closed-a',
          roles: ['general', 'code'],
          openWeights: false,
          local: r.chance(0.5) ? false : undefined,
        },
        {
          id: 'closed-b',
          baseUrl: closed.url,
          model: 'closed-b',
          roles: ['code', 'orchestrator'],
          inputPricePerMillion: 1,
          outputPricePerMillion: 1,
        },
      ];
      if (r.chance(0.5)) models.reverse();
      const { config, problems } = parseConfig({
        models,
        privacyMode: 'open-weights-only',
        orchestrator: { model: r.chance(0.2) ? 'closed-b' : r.chance(0.5) ? 'orch' : '', dialect: 'general' },
        requests: { retries: 1, timeoutSeconds: 5 },
        tools: { runCode: { enabled: false } },
      });
      assert.deepEqual(problems, []);
      const calls = Array.from({ length: r.int(1, 4) }, () =>
        r.pick([
          () => ({ name: 'call_model', arguments: { model: r.pick(['closed-a', 'closed-b']), task: 'closed please' } }),
          () => ({ name: 'call_model', arguments: { role: 'code', task: 'by role' } }),
          () => ({
            name: 'delegate',
            arguments: {
              subtasks: [
                { task: 'closed subtask', model: 'closed-a' },
                { task: 'by role', role: 'general' },
              ],
            },
          }),
        ])(),
      );
      attempts.set(tag, { toolCalls: calls });
      const engine = createEngine(host, config, { pool: { backoffBaseMs: 2, maxBackoffMs: 20 } });
      try {
        await runChecked(engine, { question: `[${tag}] which model?`, workspace: tmpdir() });
        assert.equal((await engine.testModel('closed-a')).ok, false);
      } finally {
        await engine.dispose();
        attempts.delete(tag);
      }
      assert.deepEqual(
        closed.requests.map((q) => q.model),
        [],
        `task ${tag} (seed ${seed}): no request reached a closed model`,
      );
    }
    assert.ok(local.requests.length > 0, 'the open models did work');
    assert.deepEqual(guard.refused(), []);
  });
});
