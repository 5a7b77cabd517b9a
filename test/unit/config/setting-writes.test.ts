// Where the composer's switches write the privacy mode and the orchestrator model, and when a privacy
// switch is refused: a stricter mode in a scope the write cannot change (orchestra.json, the user's
// settings under a workspace value) would keep applying, and an untrusted workspace's rules may only
// be tightened. "Automatic" clears the orchestrator model from the scopes it takes effect from, or is
// refused when orchestra.json names one.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { planPlainClear, planPlainWrite, planPrivacyWrite } from '../../../src/extension/setting-writes';

const DEFAULT = { defaultValue: 'any' };

describe('privacy mode writes', () => {
  test('no workspace value: the user settings, tighter or looser', () => {
    assert.deepEqual(planPrivacyWrite('local-only', DEFAULT, true), { ok: true, scope: 'user' });
    assert.deepEqual(planPrivacyWrite('any', { ...DEFAULT, globalValue: 'local-only' }, true), { ok: true, scope: 'user' });
    assert.deepEqual(planPrivacyWrite('any', { ...DEFAULT, globalValue: 'local-only' }, false), { ok: true, scope: 'user' });
  });

  test('a workspace or folder value: written there, the most specific first', () => {
    assert.deepEqual(planPrivacyWrite('any', { ...DEFAULT, workspaceValue: 'open-weights-only' }, true), { ok: true, scope: 'workspace' });
    assert.deepEqual(planPrivacyWrite('open-weights-only', { ...DEFAULT, workspaceValue: 'any', workspaceFolderValue: 'any' }, true), {
      ok: true,
      scope: 'folder',
    });
  });

  test('orchestra.json keeps a stricter mode: loosening is refused, naming the file; tightening goes through', () => {
    const s = { ...DEFAULT, fileValue: 'local-only' };
    const r = planPrivacyWrite('any', s, true);
    assert.equal(r.ok, false);
    assert.match(!r.ok ? r.reason : '', /"local-only" in orchestra\.json.*edit the file to loosen it/);
    assert.equal(planPrivacyWrite('open-weights-only', s, true).ok, false);
    assert.deepEqual(planPrivacyWrite('local-only', s, true), { ok: true, scope: 'user' });
    // A looser file value does not stand in the way.
    assert.deepEqual(planPrivacyWrite('local-only', { ...DEFAULT, fileValue: 'any' }, true), { ok: true, scope: 'user' });
    assert.deepEqual(planPrivacyWrite('any', { ...DEFAULT, fileValue: 'any', globalValue: 'local-only' }, true), {
      ok: true,
      scope: 'user',
    });
  });

  test('a stricter user value under a workspace value is named too', () => {
    const r = planPrivacyWrite('any', { ...DEFAULT, globalValue: 'local-only', workspaceValue: 'open-weights-only' }, true);
    assert.equal(r.ok, false);
    assert.match(!r.ok ? r.reason : '', /"local-only" in your user settings/);
  });

  test('an untrusted workspace: its own settings may be tightened, not loosened', () => {
    const s = { ...DEFAULT, workspaceValue: 'open-weights-only' };
    const r = planPrivacyWrite('any', s, false);
    assert.equal(r.ok, false);
    assert.match(!r.ok ? r.reason : '', /not trusted, so its own settings \(the workspace settings\) may only tighten/);
    assert.deepEqual(planPrivacyWrite('local-only', s, false), { ok: true, scope: 'workspace' });
    assert.deepEqual(planPrivacyWrite('any', s, true), { ok: true, scope: 'workspace' });
  });

  test('an invalid user value counts as the default, as the settings watcher reads it', () => {
    assert.deepEqual(planPrivacyWrite('open-weights-only', { ...DEFAULT, globalValue: 'everything' }, true), { ok: true, scope: 'user' });
  });
});

describe('orchestrator model writes', () => {
  test('where it takes effect', () => {
    assert.equal(planPlainWrite({ defaultValue: '' }, true), 'user');
    assert.equal(planPlainWrite({ defaultValue: '', globalValue: 'a' }, true), 'user');
    assert.equal(planPlainWrite({ defaultValue: '', workspaceValue: 'a' }, true), 'workspace');
    assert.equal(planPlainWrite({ defaultValue: '', workspaceFolderValue: 'a', workspaceValue: 'b' }, true), 'folder');
    // Only orchestra.json sets it: the workspace settings override the file.
    assert.equal(planPlainWrite({ defaultValue: '', fileValue: 'a' }, true), 'workspace');
    // Untrusted: the workspace's value of a restricted setting and the file are ignored; the user's settings apply.
    assert.equal(planPlainWrite({ defaultValue: '', workspaceValue: 'a', fileValue: 'b' }, false), 'user');
  });
});

describe('orchestrator model cleared ("Automatic")', () => {
  const KEY = 'orchestrator.model';
  const clear = (s: Parameters<typeof planPlainClear>[1], trusted = true) => planPlainClear(KEY, { defaultValue: '', ...s }, trusted);

  test('removed from the scope it takes effect from', () => {
    assert.deepEqual(clear({ globalValue: 'a' }), { ok: true, scopes: ['user'] });
    assert.deepEqual(clear({ workspaceValue: 'a' }), { ok: true, scopes: ['workspace'] });
    assert.deepEqual(clear({ workspaceFolderValue: 'a' }), { ok: true, scopes: ['folder'] });
  });

  test('and from each less specific scope that would take over, down to the first that is empty', () => {
    assert.deepEqual(clear({ workspaceValue: 'a', globalValue: 'b' }), { ok: true, scopes: ['workspace', 'user'] });
    assert.deepEqual(clear({ workspaceFolderValue: 'a', workspaceValue: 'b', globalValue: 'c' }), {
      ok: true,
      scopes: ['folder', 'workspace', 'user'],
    });
    // An explicit empty value below stops the chain: the user's own choice of "automatic" elsewhere is kept.
    assert.deepEqual(clear({ workspaceValue: 'a', globalValue: '' }), { ok: true, scopes: ['workspace'] });
    assert.deepEqual(clear({ workspaceFolderValue: 'a', workspaceValue: '', globalValue: 'c' }), { ok: true, scopes: ['folder'] });
  });

  test('nothing to remove when it is empty where it takes effect', () => {
    assert.deepEqual(clear({}), { ok: true, scopes: [] });
    assert.deepEqual(clear({ workspaceValue: '', globalValue: 'b' }), { ok: true, scopes: [] });
  });

  test('orchestra.json names a model: refused, naming the file (the panel does not edit it)', () => {
    const r = clear({ fileValue: 'a', globalValue: 'b' });
    assert.equal(r.ok, false);
    assert.equal(!r.ok && r.reason, 'orchestrator.model is "a" in orchestra.json (edit the file to clear it)');
    // The workspace settings override the file; removing them would bring the file's value back.
    const under = clear({ workspaceValue: 'b', fileValue: 'a' });
    assert.equal(under.ok, false);
    assert.match(!under.ok ? under.reason : '', /"a" in orchestra\.json; removing it from the workspace settings would bring that back/);
    // An empty value above the file already makes it automatic; an empty file value is no obstacle.
    assert.deepEqual(clear({ workspaceValue: '', fileValue: 'a' }), { ok: true, scopes: [] });
    assert.deepEqual(clear({ fileValue: '', globalValue: 'b' }), { ok: true, scopes: [] });
  });

  test('untrusted: only the user settings apply (the workspace values and the file are ignored), so only they are cleared', () => {
    assert.deepEqual(clear({ workspaceValue: 'a', fileValue: 'b', globalValue: 'c' }, false), { ok: true, scopes: ['user'] });
    assert.deepEqual(clear({ workspaceValue: 'a', fileValue: 'b' }, false), { ok: true, scopes: [] });
  });
});
