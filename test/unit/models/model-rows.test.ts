// The Models view's rows from the settings, the engine's pool, stored keys and checks: what each row
// says and which actions its menus offer. Plus what a person types when adding or editing a model.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { OrchestraConfig } from '../../../src/core/config';
import type { ModelInfo, QualityRow } from '../../../src/core/engine-api';
import {
  automaticOrchestratorOf,
  modelRows,
  rowContext,
  rowDescription,
  rowDetails,
  type Reachability,
} from '../../../src/extension/models/model-rows';
import { guessOpenWeights, parsePrices, uniqueId, validateBaseUrl } from '../../../src/extension/models/model-input';
import { COMMANDS, EDITOR_COMMANDS } from '../../../src/extension/command-ids';

const config = OrchestraConfig.parse({
  models: [
    {
      id: 'orch',
      baseUrl: 'http://127.0.0.1:8000/v1',
      model: 'Nemotron-Orchestrator-8B',
      roles: ['orchestrator'],
      openWeights: true,
      contextWindow: 32768,
    },
    { id: 'gpt', baseUrl: 'https://api.openai.com/v1', model: 'gpt-5-mini', inputPricePerMillion: 0.25, outputPricePerMillion: 2 },
    { id: 'coder', baseUrl: 'http://127.0.0.1:11434/v1', model: 'qwen2.5-coder:7b', roles: ['code'], openWeights: true },
  ],
  preferences: { preferredModels: ['coder'], deniedModels: ['gpt'] },
});

const embedded: ModelInfo = {
  id: 'local:qwen2.5-1.5b',
  model: 'qwen2.5-1.5b',
  baseUrl: 'http://127.0.0.1:41234/v1',
  host: '127.0.0.1',
  local: true,
  openWeights: true,
  roles: ['general'],
  description: 'embedded',
  inputPricePerMillion: 0,
  outputPricePerMillion: 0,
  contextWindow: 8192,
  toolCallFormat: 'auto',
  detectedToolCallFormat: 'hermes',
  latencyMs: 240,
  eligible: true,
};

describe('Models view rows', () => {
  const reach = new Map<string, Reachability>([
    ['orch', { state: 'reachable', latencyMs: 42.4, at: 1, tested: true }],
    ['coder', { state: 'unreachable', error: 'connect ECONNREFUSED 127.0.0.1:11434', at: 1, tested: false }],
  ]);
  const rows = modelRows({
    config,
    pool: [embedded],
    keyOrigins: new Map([
      ['gpt', 'https://api.openai.com'],
      ['coder', 'https://evil.example'],
    ]),
    reach,
  });

  test('settings entries first, in order, then what only the engine knows (embedded models)', () => {
    assert.deepEqual(
      rows.map((r) => [r.id, r.source]),
      [
        ['orch', 'settings'],
        ['gpt', 'settings'],
        ['coder', 'settings'],
        ['local:qwen2.5-1.5b', 'embedded'],
      ],
    );
  });

  test('state, latency, context, price, locality, weights and key are each read from where they live', () => {
    const [orch, gpt, coder, local] = rows;
    assert.equal(orch.orchestrator, true);
    assert.equal(rowDescription(orch), 'orchestrator · 42 ms · local · free');
    assert.equal(rowDescription(gpt), 'denied · remote');
    assert.equal(rowDescription(coder), 'preferred · unreachable · local · free');
    assert.equal(gpt.key, 'set');
    assert.equal(coder.key, 'other-endpoint', 'a key bound to another origin is not this endpoint’s');
    assert.equal(orch.key, 'none');
    const details = Object.fromEntries(rowDetails(gpt).map((d) => [d.label, d.value]));
    assert.equal(details['Price'], '$0.25 in / $2 out per 1M tokens');
    assert.equal(details['Weights'], 'closed');
    assert.equal(details['Runs'], 'remotely');
    assert.equal(details['State'], 'not checked yet');
    assert.match(details['Not used now'], /denied/);
    const coderDetails = Object.fromEntries(rowDetails(coder).map((d) => [d.label, d.value]));
    assert.match(coderDetails['API key'], /another endpoint/);
    assert.equal(coderDetails['State'], 'unreachable: connect ECONNREFUSED 127.0.0.1:11434');
    assert.equal(Object.fromEntries(rowDetails(orch).map((d) => [d.label, d.value]))['Context window'], '32,768 tokens');
    const localDetails = Object.fromEntries(rowDetails(local).map((d) => [d.label, d.value]));
    assert.equal(localDetails['Latency'], '240 ms average over real calls');
    assert.match(localDetails['Runs'], /embedded/);
    assert.match(localDetails['API key'], /not needed/);
    assert.match(localDetails['Tool calls'], /^auto \(hermes by the model's name/);
    // A settings entry the engine has not listed yet still says how its calls are read.
    assert.equal(Object.fromEntries(rowDetails(gpt).map((d) => [d.label, d.value]))['Tool calls'], 'auto');
  });

  test('the context flags drive which actions the menus offer', () => {
    assert.equal(rowContext(rows[0]), ';model;settings;orchestrator;');
    assert.equal(rowContext(rows[1]), ';model;settings;denied;hasKey;');
    assert.equal(rowContext(rows[2]), ';model;settings;preferred;hasKey;');
    assert.equal(rowContext(rows[3]), ';model;embedded;');
  });

  test('no orchestrator setting: the first model with the role, else the first model', () => {
    const plain = OrchestraConfig.parse({
      models: [
        { id: 'a', baseUrl: 'http://127.0.0.1:1/v1', model: 'a' },
        { id: 'b', baseUrl: 'http://127.0.0.1:2/v1', model: 'b' },
      ],
    });
    assert.deepEqual(
      modelRows({ config: plain, pool: undefined, keyOrigins: new Map(), reach: new Map() }).map((r) => r.orchestrator),
      [true, false],
    );
  });

  test('the automatic choice (the picker\'s "Automatic"): the engine\'s rule over the pool, the models the rules allow only', () => {
    const info = (id: string, roles: string[], eligible: boolean): ModelInfo => ({ ...embedded, id, roles, eligible });
    // Before the engine has listed its pool: over the configured models.
    assert.equal(automaticOrchestratorOf(config, undefined), 'orch');
    // An excluded model with the role is passed over: the first allowed one with it, else the first allowed one.
    const pool = [
      info('orch', ['orchestrator'], false),
      info('gpt', ['general'], false),
      info('coder', ['code'], true),
      info('local:orch', ['orchestrator'], true),
    ];
    assert.equal(automaticOrchestratorOf(config, pool), 'local:orch');
    assert.equal(automaticOrchestratorOf(config, pool.slice(0, 3)), 'coder');
    const none = OrchestraConfig.parse({ models: [config.models[0]] });
    assert.equal(automaticOrchestratorOf(none, pool.slice(0, 1)), undefined, 'none is allowed');
  });
});

describe('Models view rows: quality estimates', () => {
  const row = (model: string, role: string, successes: number, failures: number, mean: number): QualityRow => ({
    model,
    role,
    successes,
    failures,
    mean,
    low: mean - 0.1,
    high: mean + 0.1,
    prior: 0.6,
    priorSource: 'your prior',
    inPool: true,
  });
  const quality = [
    row('orch', 'orchestrator', 2, 1, 0.64),
    row('coder', 'general', 0, 0, 0.6),
    row('coder', 'code', 10.5, 3.5, 0.8234),
    row('gone', 'code', 4, 0, 0.9),
  ];
  const rows = modelRows({ config, pool: undefined, keyOrigins: new Map(), reach: new Map(), quality });

  test('each row shows the estimate of its main role, with how much evidence it rests on', () => {
    const [orch, gpt, coder] = rows;
    assert.equal(rowDescription(orch), 'orchestrator · local · free · quality 0.64 (n=3)');
    assert.equal(rowDescription(coder), 'preferred · local · free · quality 0.82 (n=14)', 'the role with the most evidence first');
    assert.deepEqual(gpt.quality, [], 'no estimate reported: nothing shown');
    assert.equal(rowDescription(gpt), 'denied · remote');
  });

  test('its details list every role, with the interval and the prior', () => {
    const coder = rows[2];
    const lines = rowDetails(coder).filter((d) => d.label.startsWith('Quality'));
    assert.deepEqual(lines, [
      { label: 'Quality as code', value: '0.82 (n=14), 90% interval 0.72–0.92; prior 0.60 (your prior)' },
      { label: 'Quality as general', value: '0.60 (n=0), 90% interval 0.50–0.70; prior 0.60 (your prior)' },
    ]);
    assert.ok(!rows.some((r) => r.id === 'gone'), 'evidence about a model no longer in the pool makes no row');
  });
});

describe('what a person types for a model', () => {
  test('URLs: http(s) only, named problems', () => {
    assert.equal(validateBaseUrl('http://127.0.0.1:11434/v1'), undefined);
    assert.match(validateBaseUrl('ftp://x') ?? '', /http/);
    assert.match(validateBaseUrl('127.0.0.1:11434') ?? '', /not a URL|http/);
  });

  test('prices: "in / out" in dollars per million tokens', () => {
    assert.deepEqual(parsePrices('0.25 / 2').prices, { input: 0.25, output: 2 });
    assert.deepEqual(parsePrices('$1.25, $10').prices, { input: 1.25, output: 10 });
    assert.deepEqual(parsePrices('0 0').prices, { input: 0, output: 0 });
    assert.match(parsePrices('cheap').error ?? '', /input \/ output/);
    assert.match(parsePrices('1').error ?? '', /two prices/);
  });

  test('ids: cleaned for the schema and unique', () => {
    assert.equal(uniqueId('qwen2.5-coder:7b', []), 'qwen2.5-coder:7b');
    assert.equal(uniqueId('meta/llama 3', ['meta-llama-3']), 'meta-llama-3-2');
  });

  test('open weights are guessed from well-known families only', () => {
    assert.equal(guessOpenWeights('qwen2.5-coder:7b'), true);
    assert.equal(guessOpenWeights('gpt-oss-20b'), true);
    assert.equal(guessOpenWeights('gpt-5-mini'), false);
    assert.equal(guessOpenWeights('claude-sonnet-4'), false);
  });
});

describe('manifest: commands and menus', () => {
  const pkg = JSON.parse(readFileSync(resolve(__dirname, '../../../../package.json'), 'utf8')) as {
    contributes: {
      commands: Array<{ command: string }>;
      submenus?: Array<{ id: string }>;
      menus: Record<string, Array<{ command?: string; submenu?: string }>>;
    };
  };
  const contributed: string[] = pkg.contributes.commands.map((c) => c.command);

  test('every registered command is contributed with a title in the Orchestra category, and nothing else is', () => {
    assert.deepEqual([...contributed].sort(), [...Object.values(COMMANDS)].sort());
    for (const id of EDITOR_COMMANDS) assert.ok(!contributed.includes(id));
  });

  test('every menu entry names a contributed command or submenu', () => {
    const submenus = new Set((pkg.contributes.submenus ?? []).map((s) => s.id));
    for (const [menu, entries] of Object.entries(pkg.contributes.menus))
      for (const e of entries)
        assert.ok(e.command ? contributed.includes(e.command) : submenus.has(e.submenu ?? ''), `${menu}: ${JSON.stringify(e)}`);
  });
});
