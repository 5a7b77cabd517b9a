// What the Models view's rows can do: test, edit, remove, set or clear the key, use as orchestrator,
// prefer, deny. Each takes the row it was invoked on (or a model id, or asks which), changes the
// settings or SecretStorage, and the view follows. Nothing is guessed: a change the settings schema
// refuses is not written, and the error names the field.
import * as vscode from 'vscode';
import { MODEL_ROLES, ModelEntry, type ModelEntryInput } from '../../core/config';
import { switchOrchestrator, switchOrchestratorAutomatic } from '../composer-settings';
import type { Orchestra } from '../orchestra';
import { SECTION, writeSetting } from '../settings';
import { formatPrice, type ModelRow } from './model-rows';
import { PRICES_PROMPT, parsePrices, validateBaseUrl } from './model-input';
import type { ModelsView } from './models-view';

type Target = ModelRow | { row: ModelRow } | string | undefined;

/** The row an action was invoked on: a tree node, a model id, or (from the palette) the one the user picks. */
export async function resolveRow(
  view: ModelsView,
  target: Target,
  verb: string,
  filter?: (r: ModelRow) => boolean,
): Promise<ModelRow | undefined> {
  await view.refresh();
  const id = typeof target === 'string' ? target : target && 'row' in target ? target.row.id : target?.id;
  if (id) {
    const row = view.row(id);
    if (!row) throw new Error(`no model with id "${id}" in the pool`);
    return row;
  }
  const rows = view.models.filter(filter ?? (() => true));
  if (!rows.length) {
    void vscode.window.showInformationMessage(`Orchestra: no model to ${verb}.`);
    return undefined;
  }
  const pick = await vscode.window.showQuickPick(
    rows.map((r) => ({ label: r.id, description: `${r.model} · ${r.baseUrl}`, row: r })),
    { title: `Orchestra: ${verb}`, placeHolder: 'Which model?' },
  );
  return pick?.row;
}

/** The raw `orchestra.models` array as the settings hold it (the scope writeSetting writes to). */
function rawModels(): ModelEntryInput[] {
  const raw = vscode.workspace.getConfiguration(SECTION).get<unknown[]>('models') ?? [];
  return JSON.parse(JSON.stringify(raw)) as ModelEntryInput[];
}

function settingsOnly(row: ModelRow, verb: string): void {
  if (row.source !== 'settings')
    throw new Error(
      row.source === 'embedded'
        ? `"${row.id}" is an embedded local model (orchestra.local.models): it cannot be ${verb}`
        : `"${row.id}" is not an orchestra.models entry: it cannot be ${verb}`,
    );
}

export async function testModel(o: Orchestra, view: ModelsView, row: ModelRow): Promise<boolean> {
  if (!row.local && o.settings.config.privacyMode === 'local-only')
    throw new Error(`the privacy mode is local-only: nothing is sent off this machine, so "${row.id}" (remote) is not tested`);
  view.setReach(row.id, { state: 'checking' });
  const apiKey = row.source === 'settings' ? await o.keys.get({ purpose: 'model', modelId: row.id, baseUrl: row.baseUrl }) : undefined;
  try {
    const res = await o.engine.probeEndpoint({ baseUrl: row.baseUrl, apiKey, model: row.model, timeoutMs: 30_000 });
    const at = Date.now();
    if (res.chat?.ok) {
      view.setReach(row.id, {
        state: 'reachable',
        latencyMs: res.chat.latencyMs,
        at,
        tested: true,
        listed: res.models.length ? res.models.includes(row.model) : undefined,
      });
      o.log.info(`test call to ${row.id} answered in ${res.chat.latencyMs} ms`);
      vscode.window.setStatusBarMessage(`$(pass) Orchestra: ${row.id} answered in ${res.chat.latencyMs} ms`, 5_000);
      return true;
    }
    const error = res.chat?.error ?? res.error ?? 'no answer';
    view.setReach(row.id, { state: 'unreachable', error, at, tested: true });
    o.log.warn(`test call to ${row.id} failed: ${error}`);
    void vscode.window.showWarningMessage(`Orchestra: the test call to ${row.id} failed: ${error}`);
    return false;
  } catch (err) {
    view.setReach(row.id, { state: 'unreachable', error: String(err instanceof Error ? err.message : err), at: Date.now(), tested: true });
    throw err;
  }
}

/** Writes `orchestra.models` with `id` changed by `change` (undefined removes it), after checking it against the schema. */
async function updateEntry(id: string, change: (e: ModelEntryInput) => ModelEntryInput | undefined): Promise<void> {
  const models = rawModels();
  const i = models.findIndex((m) => m.id === id);
  if (i < 0) throw new Error(`no entry with id "${id}" in orchestra.models`);
  const next = change(models[i]);
  if (next) {
    const checked = ModelEntry.safeParse(next);
    if (!checked.success) throw new Error(checked.error.issues.map((x) => `${x.path.join('.') || 'entry'}: ${x.message}`).join('; '));
    models[i] = next;
  } else models.splice(i, 1);
  await writeSetting('models', models);
}

interface Field {
  label: string;
  value: (e: ModelEntryInput) => string;
  edit: (e: ModelEntryInput) => Promise<ModelEntryInput | undefined>;
}

const number = (min: number, integer: boolean) => (v: string) => {
  const n = Number(v.trim());
  if (!v.trim() || !Number.isFinite(n) || n < min || (integer && !Number.isInteger(n)))
    return integer ? `a whole number of at least ${min}` : `a number of at least ${min}`;
  return undefined;
};

async function ask(
  title: string,
  value: string,
  validateInput: (v: string) => string | undefined,
  prompt?: string,
): Promise<string | undefined> {
  return vscode.window.showInputBox({ title, value, prompt, validateInput, ignoreFocusOut: true });
}

function fields(title: string): Field[] {
  const text = (label: string, key: 'baseUrl' | 'model' | 'description', check: (v: string) => string | undefined): Field => ({
    label,
    value: (e) => String(e[key] ?? ''),
    edit: async (e) => {
      const v = await ask(`${title}: ${label}`, String(e[key] ?? ''), check);
      return v === undefined ? undefined : { ...e, [key]: v.trim() };
    },
  });
  const num = (label: string, key: 'contextWindow' | 'maxOutputTokens' | 'timeoutSeconds', integer: boolean, min: number): Field => ({
    label,
    value: (e) => (e[key] === undefined ? 'default' : String(e[key])),
    edit: async (e) => {
      const v = await ask(`${title}: ${label}`, e[key] === undefined ? '' : String(e[key]), number(min, integer));
      return v === undefined ? undefined : { ...e, [key]: Number(v) };
    },
  });
  return [
    text('Endpoint URL', 'baseUrl', validateBaseUrl),
    text('Model name', 'model', (v) => (v.trim() ? undefined : 'enter the model name the endpoint expects')),
    {
      label: 'Prices',
      value: (e) => formatPrice({ inputPricePerMillion: e.inputPricePerMillion ?? 0, outputPricePerMillion: e.outputPricePerMillion ?? 0 }),
      edit: async (e) => {
        const v = await ask(
          `${title}: prices`,
          `${e.inputPricePerMillion ?? 0} / ${e.outputPricePerMillion ?? 0}`,
          (s) => parsePrices(s).error,
          PRICES_PROMPT,
        );
        const p = v === undefined ? undefined : parsePrices(v).prices;
        return p ? { ...e, inputPricePerMillion: p.input, outputPricePerMillion: p.output } : undefined;
      },
    },
    num('Context window (tokens)', 'contextWindow', true, 1),
    num('Most tokens per answer', 'maxOutputTokens', true, 1),
    num('Timeout per call (seconds)', 'timeoutSeconds', false, 1),
    {
      label: 'Roles',
      value: (e) => (e.roles ?? ['general']).join(', '),
      edit: async (e) => {
        const picked = await vscode.window.showQuickPick(
          MODEL_ROLES.map((r) => ({ label: r, picked: (e.roles ?? ['general']).includes(r) })),
          { title: `${title}: roles`, canPickMany: true, placeHolder: 'What is this model good for?', ignoreFocusOut: true },
        );
        if (picked && !picked.length) throw new Error('a model needs at least one role');
        return picked ? { ...e, roles: picked.map((p) => p.label) } : undefined;
      },
    },
    {
      label: 'Weights',
      value: (e) => (e.openWeights ? 'open' : 'closed'),
      edit: async (e) => {
        const pick = await vscode.window.showQuickPick(
          [
            { label: 'Open weights', value: true },
            { label: 'Closed weights', value: false },
          ],
          { title: `${title}: weights (the open-weights-only privacy mode relies on this)` },
        );
        return pick ? { ...e, openWeights: pick.value } : undefined;
      },
    },
    text('Description', 'description', () => undefined),
  ];
}

/** Edits one field at a time, each checked against the schema before it is written, until Escape. */
export async function editModel(o: Orchestra, view: ModelsView, row: ModelRow): Promise<void> {
  settingsOnly(row, 'edited here');
  const title = `Edit ${row.id}`;
  for (;;) {
    const entry = rawModels().find((m) => m.id === row.id);
    if (!entry) throw new Error(`no entry with id "${row.id}" in orchestra.models`);
    const all = fields(title);
    const pick = await vscode.window.showQuickPick(
      all.map((f) => ({ label: f.label, description: f.value(entry), field: f })),
      { title, placeHolder: 'Pick what to change (Escape when done)', ignoreFocusOut: true },
    );
    if (!pick) return;
    const next = await pick.field.edit(entry);
    if (!next) continue;
    await updateEntry(row.id, () => next);
    o.log.info(`model ${row.id}: ${pick.label} changed`);
    if (next.baseUrl !== entry.baseUrl && (await o.keys.modelKeyOrigin(row.id)))
      void vscode.window.showWarningMessage(
        `Orchestra: the key of ${row.id} was stored for ${entry.baseUrl}; it is not sent to the new endpoint. Set it again if it belongs there.`,
      );
    await view.refresh();
  }
}

/** A yes/no question in the quick input (keyboard first; the default, Escape, is No). */
async function confirm(title: string, yes: string, detail: string): Promise<boolean> {
  const pick = await vscode.window.showQuickPick(
    [
      { label: 'Cancel', yes: false },
      { label: `$(trash) ${yes}`, detail, yes: true },
    ],
    { title, placeHolder: 'Confirm' },
  );
  return pick?.yes === true;
}

export async function removeModel(o: Orchestra, view: ModelsView, row: ModelRow): Promise<boolean> {
  if (row.source === 'embedded') {
    const local = vscode.workspace.getConfiguration(SECTION).get<string[]>('local.models') ?? [];
    const file = (await o.engine.localModels()).find((m) => m.id === row.id)?.file;
    if (!file || !local.includes(file))
      throw new Error(`"${row.id}" comes from the folder orchestra.local.modelsDir: move its file out of the folder to remove it`);
    if (!(await confirm(`Remove ${row.id} from Orchestra?`, `Remove ${row.id}`, 'The GGUF file stays on disk.'))) return false;
    await writeSetting(
      'local.models',
      local.filter((f) => f !== file),
    );
  } else {
    settingsOnly(row, 'removed here');
    const detail = `${row.model} at ${row.baseUrl}${row.key !== 'none' ? '; its API key is deleted from VS Code’s secret storage too' : ''}`;
    if (!(await confirm(`Remove the model ${row.id} from Orchestra?`, `Remove ${row.id}`, detail))) return false;
    if (o.settings.config.orchestrator.model === row.id) {
      // First back to the automatic choice, cleared where the setting takes effect (the composer's
      // "Automatic"), so the settings never name a model that is gone; kept when that is refused.
      const change = await switchOrchestratorAutomatic(o);
      if (!change.ok) throw new Error(`${row.id} is the orchestrator and stays until it no longer is. ${change.message}`);
    }
    await updateEntry(row.id, () => undefined);
    await o.keys.deleteModelKey(row.id);
    await removeFromList('preferences.preferredModels', row.id);
  }
  o.log.info(`model ${row.id} removed`);
  await view.refresh();
  return true;
}

export async function setModelKey(o: Orchestra, view: ModelsView, row: ModelRow): Promise<boolean> {
  settingsOnly(row, 'given a key');
  const origin = new URL(row.baseUrl).origin;
  const key = await vscode.window.showInputBox({
    title: `API key for ${row.id}`,
    prompt: `Stored in VS Code’s secret storage, never in settings, and sent only to ${origin}.`,
    password: true,
    ignoreFocusOut: true,
    validateInput: (v) =>
      !v.trim() ? 'enter the key (Clear API key removes one)' : /\s/.test(v.trim()) ? 'an API key has no spaces' : undefined,
  });
  if (!key) return false;
  await o.keys.setModelKey(row.id, key.trim(), row.baseUrl);
  o.log.info(`API key for ${row.id} stored`);
  await view.refresh();
  return true;
}

export async function clearModelKey(o: Orchestra, view: ModelsView, row: ModelRow): Promise<void> {
  await o.keys.deleteModelKey(row.id);
  o.log.info(`API key for ${row.id} removed`);
  await view.refresh();
}

export async function useAsOrchestrator(o: Orchestra, view: ModelsView, row: ModelRow): Promise<void> {
  settingsOnly(row, 'made the orchestrator (the setting names an orchestra.models entry)');
  // The composer's switch: refused for a model the rules exclude, written where it takes effect.
  const change = await switchOrchestrator(o, row.id);
  if (!change.ok) throw new Error(change.message);
  await view.refresh();
}

/** Adds to or removes from a list setting; removal reaches every scope, since deny lists add up across them. */
async function removeFromList(key: string, id: string): Promise<void> {
  const section = vscode.workspace.getConfiguration(SECTION);
  const info = section.inspect<string[]>(key);
  const scopes: Array<[string[] | undefined, vscode.ConfigurationTarget]> = [
    [info?.globalValue, vscode.ConfigurationTarget.Global],
    [info?.workspaceValue, vscode.ConfigurationTarget.Workspace],
    [info?.workspaceFolderValue, vscode.ConfigurationTarget.WorkspaceFolder],
  ];
  for (const [list, target] of scopes)
    if (list?.includes(id))
      await section.update(
        key,
        list.filter((x) => x !== id),
        target,
      );
}

export async function setListed(
  o: Orchestra,
  view: ModelsView,
  row: ModelRow,
  key: 'preferredModels' | 'deniedModels',
  on: boolean,
): Promise<void> {
  const setting = `preferences.${key}`;
  if (on) {
    const list = vscode.workspace.getConfiguration(SECTION).get<string[]>(setting) ?? [];
    if (!list.includes(row.id)) await writeSetting(setting, [...list, row.id]);
  } else await removeFromList(setting, row.id);
  o.log.info(`${row.id} ${on ? 'added to' : 'removed from'} ${setting}`);
  await view.refresh();
}

/**
 * Forgets the quality evidence (docs/ROUTING.md) of one model, or of every model when `row` is
 * `'all'`, after a confirmation that says how much is forgotten; the estimates go back to the priors.
 */
export async function resetQuality(o: Orchestra, view: ModelsView, row: ModelRow | 'all'): Promise<number | undefined> {
  const rows = row === 'all' ? view.models : [row];
  const evidence = rows.flatMap((r) => r.quality).reduce((n, q) => n + q.evidence, 0);
  const who = row === 'all' ? 'every model' : row.id;
  const detail = `${Number(evidence.toFixed(1))} outcomes of evidence are forgotten; the estimates go back to their priors.`;
  if (!(await confirm(`Reset the quality estimates of ${who}?`, `Reset ${who}`, detail))) return undefined;
  const n = await o.engine.resetQuality(row === 'all' ? undefined : row.id);
  o.log.info(`quality estimates reset for ${who} (${n} model-role estimate${n === 1 ? '' : 's'})`);
  vscode.window.setStatusBarMessage(`$(discard) Orchestra: quality estimates of ${who} reset`, 5_000);
  o.refreshModelsSoon();
  return n;
}
