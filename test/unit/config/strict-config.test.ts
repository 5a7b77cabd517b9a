// Strict settings, generated from the schema itself: every key of the configuration is misspelt one
// way, and each misspelling must be refused with its path and the key that was meant — by the
// engine's parser, by the CLI's config file loader (nested and settings-style keys), by the JSON
// Schema shipped for orchestra.json, and by package.json's settings schemas (VS Code's check).
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Ajv from 'ajv';
import { ModelEntry, OrchestraConfig, parseConfig } from '../../../src/core/config';
import { editDistance, formatKeyPath, keyPaths, unknownKeyMessage } from '../../../src/core/config-keys';
import { configJsonSchema } from '../../../src/core/config-schema';
import { parseConfigText } from '../../../src/core/config-file';
import { loadConfig } from '../../../src/cli/config-file';

type Raw = Record<string, any>;

const pkg = JSON.parse(readFileSync(resolve(__dirname, '../../../../package.json'), 'utf8'));
const settings: Record<string, any> = pkg.contributes.configuration.properties;

/** A config holding every key of the schema: the defaults, one model and one MCP server. */
function fullConfig(): Raw {
  // A copy: zod hands out its default objects themselves.
  const c = structuredClone(OrchestraConfig.parse({})) as Raw;
  c.models = [
    {
      ...(ModelEntry.parse({ id: 'm', baseUrl: 'http://127.0.0.1:1/v1', model: 'x' }) as Raw),
      apiKeyEnv: 'KEY',
      cachedInputPricePerMillion: 0.1,
      local: true,
      timeoutSeconds: 30,
    },
  ];
  c.tools.mcpServers = [{ name: 'srv', command: 'echo', args: [], env: {}, local: true }];
  c.tools.webSearch.apiKeyEnv = 'SEARCH_KEY';
  return c;
}

/** One deterministic misspelling: two inner letters swapped (long keys) or one letter doubled. */
function misspell(key: string, siblings: string[]): string {
  const candidates =
    key.length >= 5 ? [key.slice(0, 2) + key[3] + key[2] + key.slice(4), key.slice(0, -1)] : [key + key[key.length - 1], `${key}s`];
  const typo = candidates.find((c) => c !== key && !siblings.includes(c));
  assert.ok(typo, `no misspelling of ${key}`);
  return typo;
}

/** Every key path, with array elements at index 0, and the misspelt config for it. */
function cases(): Array<{ path: string[]; key: string; typo: string; raw: Raw; userPath: string }> {
  return keyPaths(OrchestraConfig).map((p) => {
    const raw = fullConfig();
    const concrete = p.map((s) => (s === '[]' ? 0 : s));
    let parent: any = raw;
    for (const s of concrete.slice(0, -1)) parent = parent[s];
    const key = p[p.length - 1];
    assert.ok(parent && typeof parent === 'object', `the full config reaches ${formatKeyPath(p)}`);
    const typo = misspell(key, Object.keys(parent));
    // Keys that exclude one another (an MCP server's url and command) are not all in the full config.
    parent[typo] = key in parent ? parent[key] : 'value';
    delete parent[key];
    const userPath = concrete
      .slice(0, -1)
      .concat(typo)
      .reduce<string>((s, seg) => (typeof seg === 'number' ? `${s}[${seg}]` : s ? `${s}.${seg}` : String(seg)), '');
    return { path: p, key, typo, raw, userPath };
  });
}

describe('every key of the schema, misspelt, is refused with its path and the key meant', () => {
  const all = cases();

  test('the generator covers every key (models, MCP servers and nested tools included)', () => {
    const names = all.map((c) => formatKeyPath(c.path));
    for (const k of ['privacyMode', 'budget.maxDollarsPerTask', 'models[].local', 'tools.mcpServers[].env', 'tools.runCode.autoApprove'])
      assert.ok(names.includes(k), `${k} is generated`);
    assert.ok(all.length >= 50, `${all.length} keys`);
  });

  test('parseConfig (engine, extension, engine process)', () => {
    for (const c of all) {
      const { problems } = parseConfig(c.raw);
      const p = problems.find((x) => x.path === c.userPath);
      assert.ok(p, `${formatKeyPath(c.path)} misspelt as "${c.typo}" must be reported at ${c.userPath}; got ${JSON.stringify(problems)}`);
      assert.match(p.message, new RegExp(`did you mean "${c.key}"`), `${c.userPath}: ${p.message}`);
    }
  });

  test('the CLI config file: nested keys, and settings-style keys for every setting', () => {
    const dir = mkdtempSync(join(tmpdir(), 'orchestra-strict-'));
    try {
      const file = join(dir, 'orchestra.json');
      for (const c of all) {
        writeFileSync(file, JSON.stringify(c.raw));
        const loaded = loadConfig(file, { cwd: dir, env: {}, required: true });
        assert.equal(loaded.ok, false, `${c.userPath} is refused`);
        if (!loaded.ok) assert.ok(loaded.problems.some((p) => p.path === c.userPath && p.message.includes(`"${c.key}"`)));
      }
      // settings.json style: "orchestra.budget.maxDollarsPerTask" misspelt in its last part.
      for (const setting of Object.keys(settings)) {
        const parts = setting.split('.');
        const typo = misspell(parts[parts.length - 1], []);
        writeFileSync(file, JSON.stringify({ [[...parts.slice(0, -1), typo].join('.')]: settings[setting].default }));
        const loaded = loadConfig(file, { cwd: dir, env: {}, required: true });
        const path = [...parts.slice(1, -1), typo].join('.');
        assert.ok(!loaded.ok && loaded.problems.some((p) => p.path === path), `${setting} misspelt is refused at ${path}`);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('the JSON Schema editors use for orchestra.json refuses each misspelling', () => {
    const validate = new Ajv({ strict: false, allErrors: true }).compile(configJsonSchema(settings));
    assert.equal(validate(fullConfig()), true, JSON.stringify(validate.errors));
    for (const c of all) {
      assert.equal(validate(c.raw), false, `${c.userPath} passes the JSON Schema`);
      assert.ok(
        validate.errors!.some((e) => e.keyword === 'additionalProperties' && (e.params as any).additionalProperty === c.typo),
        `${c.userPath}: ${JSON.stringify(validate.errors)}`,
      );
    }
  });

  test("package.json's settings schemas (what VS Code underlines in settings.json) refuse misspelt keys inside objects", () => {
    const ajv = new Ajv({ strict: false, allErrors: true });
    const inside = all.filter((c) => c.path.includes('[]'));
    assert.ok(inside.length > 10);
    for (const c of inside) {
      const top = c.path.slice(0, c.path.indexOf('[]')).join('.');
      const schema = settings[`orchestra.${top}`];
      assert.ok(schema, `orchestra.${top} is a setting`);
      let value: any = c.raw;
      for (const s of top.split('.')) value = value[s];
      assert.equal(ajv.validate(schema, value), false, `orchestra.${top}: "${c.typo}" passes package.json's schema`);
    }
  });
});

describe('suggestions', () => {
  test('a key in the wrong place, a dotted key, a misspelt prefix, a key near nothing', () => {
    assert.match(unknownKeyMessage(OrchestraConfig, [], 'maxTurns'), /did you mean "budget\.maxTurns"/);
    assert.match(
      unknownKeyMessage(OrchestraConfig, [], 'budget.maxTurns'),
      /nested \("budget" → "maxTurns"\) or as "orchestra\.budget\.maxTurns"/,
    );
    assert.match(unknownKeyMessage(OrchestraConfig, [], 'orchestr.privacyMode'), /did you mean "orchestra\.privacyMode"/);
    assert.match(unknownKeyMessage(OrchestraConfig, ['budget'], 'zzz'), /the keys here are: maxDollarsPerTask, /);
    assert.equal(editDistance('privacyMod', 'privacyMode'), 1);
    assert.equal(editDistance('retires', 'retries'), 1, 'a swap of neighbours is one edit');
  });

  test('the issue’s own examples: no weaker rule runs, each is named', () => {
    const { problems } = parseConfig({ privacyMod: 'local-only', budget: { maxDollarPerTask: 0.05 } });
    assert.deepEqual(problems.map((p) => [p.path, p.message]).sort(), [
      ['budget.maxDollarPerTask', 'unknown key "maxDollarPerTask"; did you mean "maxDollarsPerTask"?'],
      ['privacyMod', 'unknown key "privacyMod"; did you mean "privacyMode"?'],
    ]);
  });
});

describe('the config file format', () => {
  test('comments, trailing commas and $schema are accepted; syntax errors name line and column', () => {
    const ok = parseConfigText('{\n  // the budget\n  "$schema": "./schema.json",\n  "budget": { "maxTurns": 3, },\n}\n', 'orchestra.json');
    assert.ok(ok.ok);
    if (ok.ok) assert.deepEqual(parseConfig(ok.raw).problems, []);
    const bad = parseConfigText('{\n  "budget": { "maxTurns": 3 \n}\n', 'orchestra.json');
    assert.ok(!bad.ok);
    if (!bad.ok) assert.match(bad.problems[0].message, /^orchestra\.json:\d+:\d+: not valid JSON/);
    const schemaNumber = parseConfigText('{"$schema": 3}', 'orchestra.json');
    assert.ok(!schemaNumber.ok, '$schema must be a string');
  });

  test('a dotted key outside orchestra.* is refused, not skipped', () => {
    const read = parseConfigText('{"orchestr.privacyMode": "any", "orchestra.privacyMode": "local-only"}', 'orchestra.json');
    assert.ok(read.ok);
    if (read.ok) {
      const { problems } = parseConfig(read.raw);
      assert.deepEqual(
        problems.map((p) => p.path),
        ['orchestr.privacyMode'],
      );
    }
  });
});
