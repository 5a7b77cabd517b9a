// Where the composer's switches write the privacy mode and the orchestrator model, and when a privacy
// switch is refused: a stricter mode in a scope the write cannot change (orchestra.json, the user's
// settings under a workspace value) would keep applying, and an untrusted workspace's rules may only
// be tightened.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { planPlainWrite, planPrivacyWrite } from '../../../src/extension/setting-writes';

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
