// The Settings UI is a real way to configure Orchestra only if package.json's configuration schema
// and the engine's zod schema agree: same keys, same defaults, same enums.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { z } from 'zod';
import { OrchestraConfig, ModelEntry, PRIVACY_MODES, MODEL_ROLES, TOOL_CALL_FORMAT_SETTINGS } from '../../src/core/config';

const pkg = JSON.parse(readFileSync(resolve(__dirname, '../../../package.json'), 'utf8'));
const props: Record<string, { default?: unknown; enum?: unknown[]; items?: any }> = pkg.contributes.configuration.properties;

function leaves(obj: unknown, prefix: string, out: Record<string, unknown>): Record<string, unknown> {
  // An empty object default (a map such as preferences.byRole) is one setting, like an array.
  if (obj && typeof obj === 'object' && !Array.isArray(obj) && Object.keys(obj).length) {
    for (const [k, v] of Object.entries(obj)) leaves(v, prefix ? `${prefix}.${k}` : k, out);
  } else out[prefix] = obj;
  return out;
}

test('every setting in package.json exists in the engine schema with the same default', () => {
  const defaults = leaves(OrchestraConfig.parse({}), '', {});
  const settingKeys = Object.keys(props).map((k) => k.replace(/^orchestra\./, ''));
  assert.deepEqual([...settingKeys].sort(), Object.keys(defaults).sort());
  for (const key of settingKeys) assert.deepEqual(props[`orchestra.${key}`].default, defaults[key], `default of orchestra.${key}`);
});

test('enums in package.json match the engine schema', () => {
  assert.deepEqual(props['orchestra.privacyMode'].enum, [...PRIVACY_MODES]);
  assert.deepEqual(props['orchestra.models'].items.properties.roles.items.enum, [...MODEL_ROLES]);
  assert.deepEqual(props['orchestra.models'].items.properties.toolCallFormat.enum, [...TOOL_CALL_FORMAT_SETTINGS]);
  const modelKeys = Object.keys(props['orchestra.models'].items.properties).sort();
  assert.deepEqual(modelKeys, Object.keys(ModelEntry.in.shape).sort());
});

test('every contributed command has a title in the Orchestra category', () => {
  for (const c of pkg.contributes.commands) {
    assert.match(c.command, /^orchestra\./);
    assert.equal(c.category, 'Orchestra');
    assert.ok(c.title.length > 2);
  }
  const ids = pkg.contributes.commands.map((c: { command: string }) => c.command);
  for (const required of [
    'orchestra.ask',
    'orchestra.askAboutSelection',
    'orchestra.openPanel',
    'orchestra.setPrivacyMode',
    'orchestra.addModel',
    'orchestra.setApiKey',
    'orchestra.discoverLocalServers',
    'orchestra.exportTrajectory',
    'orchestra.showLog',
  ]) {
    assert.ok(ids.includes(required), `missing command ${required}`);
  }
});

test('numeric upper bounds in package.json match the engine schema (durations stay within what timers can hold)', () => {
  const schema = z.toJSONSchema(OrchestraConfig, { io: 'input' }) as any;
  const engineMax = (path: string[]): unknown => {
    let node = schema;
    for (const k of path) node = k === '[]' ? node.items : node.properties[k];
    // zod's int() states the safe-integer range; that is no bound a user sets.
    return node.maximum === Number.MAX_SAFE_INTEGER ? undefined : node.maximum;
  };
  for (const [key, setting] of Object.entries(props) as Array<[string, any]>) {
    if (setting.type !== 'number' && setting.type !== 'integer') continue;
    assert.equal(setting.maximum, engineMax(key.replace(/^orchestra\./, '').split('.')), `maximum of ${key}`);
  }
  const modelProps = props['orchestra.models'].items.properties;
  for (const [key, setting] of Object.entries<any>(modelProps)) {
    if (setting.type !== 'number' && setting.type !== 'integer') continue;
    assert.equal(setting.maximum, engineMax(['models', '[]', key]), `maximum of orchestra.models[].${key}`);
  }
  for (const key of [
    'orchestra.requests.timeoutSeconds',
    'orchestra.budget.maxWallTimeSeconds',
    'orchestra.tools.runCode.timeoutSeconds',
    'orchestra.local.idleUnloadSeconds',
  ]) {
    assert.ok((props[key] as any).maximum * 1000 < 2 ** 31 - 1, `${key} fits a timer`);
  }
});

test('every object schema in the settings refuses unknown keys, and the array items match the engine schema', () => {
  const objects: string[] = [];
  const walk = (node: any, where: string) => {
    if (!node || typeof node !== 'object') return;
    if (node.type === 'object' && node.properties) {
      assert.equal(node.additionalProperties, false, `${where} must set additionalProperties: false`);
      objects.push(where);
    }
    for (const [k, v] of Object.entries(node.properties ?? {})) walk(v, `${where}.${k}`);
    if (node.items) walk(node.items, `${where}[]`);
  };
  for (const [key, setting] of Object.entries(props)) walk(setting, key);
  assert.deepEqual(objects.sort(), ['orchestra.models[]', 'orchestra.tools.mcpServers[]']);

  const engine = z.toJSONSchema(OrchestraConfig, { io: 'input' }) as any;
  const pairs: Array<[string, any, any]> = [
    ['orchestra.models[]', props['orchestra.models'].items, engine.properties.models.items],
    ['orchestra.tools.mcpServers[]', props['orchestra.tools.mcpServers'].items, engine.properties.tools.properties.mcpServers.items],
  ];
  for (const [where, manifest, generated] of pairs) {
    assert.deepEqual(Object.keys(manifest.properties).sort(), Object.keys(generated.properties).sort(), `${where}: same keys`);
    assert.deepEqual([...(manifest.required ?? [])].sort(), [...(generated.required ?? [])].sort(), `${where}: same required keys`);
    for (const [k, m] of Object.entries(manifest.properties) as Array<[string, any]>) {
      const g = generated.properties[k];
      const type = g.type === 'integer' || g.type === 'number' ? ['integer', 'number'] : [g.type];
      assert.ok(type.includes(m.type), `${where}.${k}: type ${m.type} vs ${g.type}`);
      if (g.enum) assert.deepEqual(m.enum, g.enum, `${where}.${k}: enum`);
      if (g.items?.enum) assert.deepEqual(m.items.enum, g.items.enum, `${where}.${k}: item enum`);
    }
  }
});

test('orchestra.json is validated by the schema generated at build time', () => {
  const validation = pkg.contributes.jsonValidation as Array<{ fileMatch: string[]; url: string }>;
  const entry = validation.find((v) => v.fileMatch.includes('orchestra.json'));
  assert.ok(entry, 'a jsonValidation entry for orchestra.json');
  const file = resolve(__dirname, '../../..', entry.url);
  const shipped = JSON.parse(readFileSync(file, 'utf8'));
  assert.equal(shipped.additionalProperties, false);
  assert.ok(shipped.properties.budget.properties.maxDollarsPerTask.markdownDescription, 'descriptions come from the settings');
  assert.ok(shipped.properties['orchestra.budget.maxDollarsPerTask'], 'settings-style keys are allowed too');
  const ignore = readFileSync(resolve(__dirname, '../../../.vscodeignore'), 'utf8');
  assert.match(ignore, /^!dist\/orchestra\.schema\.json$/m, 'the schema is packaged');
});
