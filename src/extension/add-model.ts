// "Add model endpoint": a guided flow — base URL, key, a model from the endpoint's own /models list,
// a test call, prices, roles — that saves the entry to `orchestra.models` and the key to SecretStorage.
import * as vscode from 'vscode';
import { MODEL_ROLES, ModelEntry } from '../core/config';
import type { ModelEntryInput } from '../core/config';
import { hostOf, isLocalHost } from '../core/pool/locality';
import type { Orchestra } from './orchestra';
import { writeSetting } from './settings';

const PRESETS: Array<{ label: string; url: string; local: boolean }> = [
  { label: 'Ollama (this machine)', url: 'http://127.0.0.1:11434/v1', local: true },
  { label: 'LM Studio (this machine)', url: 'http://127.0.0.1:1234/v1', local: true },
  { label: 'vLLM (this machine)', url: 'http://127.0.0.1:8000/v1', local: true },
  { label: 'llama.cpp server (this machine)', url: 'http://127.0.0.1:8080/v1', local: true },
  { label: 'OpenAI', url: 'https://api.openai.com/v1', local: false },
  { label: 'OpenRouter', url: 'https://openrouter.ai/api/v1', local: false },
];

export async function addModelEndpoint(o: Orchestra): Promise<ModelEntryInput | undefined> {
  const title = 'Add model endpoint';
  const preset = await vscode.window.showQuickPick(
    [
      ...PRESETS.map((p) => ({ label: p.label, description: p.url, url: p.url })),
      { label: '$(edit) Another OpenAI-compatible endpoint…', description: '', url: '' },
    ],
    { title: `${title} (1/6): where is it?`, placeHolder: 'Pick a known server or enter a base URL', ignoreFocusOut: true },
  );
  if (!preset) return undefined;
  const baseUrl = (
    await vscode.window.showInputBox({
      title: `${title} (2/6): base URL`,
      prompt: 'The OpenAI-compatible base URL, usually ending in /v1',
      value: preset.url || 'http://127.0.0.1:8080/v1',
      ignoreFocusOut: true,
      validateInput: validateBaseUrl,
    })
  )?.trim();
  if (!baseUrl) return undefined;
  const local = isLocalHost(hostOf(baseUrl));

  const apiKey = await vscode.window.showInputBox({
    title: `${title} (3/6): API key`,
    prompt: local
      ? 'Local servers usually need none: leave empty.'
      : 'Stored in VS Code’s secret storage, never in settings. Leave empty if the endpoint needs none.',
    password: true,
    ignoreFocusOut: true,
  });
  if (apiKey === undefined) return undefined;

  const listing = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `Orchestra: asking ${baseUrl} for its models…`, cancellable: true },
    (_p, token) => o.engine.probeEndpoint({ baseUrl, apiKey: apiKey || undefined }, token),
  );
  let model: string | undefined;
  if (listing.models.length) {
    const pick = await vscode.window.showQuickPick(
      [...listing.models.map((m) => ({ label: m })), { label: '$(edit) Type a model name…' }],
      { title: `${title} (4/6): model`, placeHolder: `${listing.models.length} model(s) at ${baseUrl}`, ignoreFocusOut: true },
    );
    if (!pick) return undefined;
    model = pick.label.startsWith('$(edit)') ? undefined : pick.label;
  } else if (listing.error) {
    void vscode.window.showWarningMessage(`Orchestra: ${listing.error}. You can still type the model name.`);
  }
  model ??= (
    await vscode.window.showInputBox({
      title: `${title} (4/6): model`,
      prompt: 'The model name the endpoint expects',
      ignoreFocusOut: true,
      validateInput: (v) => (v.trim() ? undefined : 'enter a model name'),
    })
  )?.trim();
  if (!model) return undefined;

  const test = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `Orchestra: testing ${model}…`, cancellable: true },
    (_p, token) => o.engine.probeEndpoint({ baseUrl, apiKey: apiKey || undefined, model }, token),
  );
  if (!test.chat?.ok) {
    const choice = await vscode.window.showWarningMessage(
      `Orchestra: the test call to ${model} at ${baseUrl} failed: ${test.chat?.error ?? test.error ?? 'no answer'}`,
      { modal: true },
      'Save Anyway',
    );
    if (choice !== 'Save Anyway') return undefined;
  } else {
    o.log.info(`test call to ${model} at ${baseUrl} answered in ${test.chat.latencyMs} ms`);
  }

  const prices = local ? { input: 0, output: 0 } : await askPrices(`${title} (5/6): prices`);
  if (!prices) return undefined;

  const roles = await vscode.window.showQuickPick(
    MODEL_ROLES.map((r) => ({
      label: r,
      picked:
        r === 'general' ||
        (r === 'code' && /coder|code/i.test(model)) ||
        (r === 'math' && /math/i.test(model)) ||
        (r === 'orchestrator' && /orchestrator/i.test(model)),
    })),
    {
      title: `${title} (6/6): roles`,
      placeHolder: 'What is this model good for? (pick one or more)',
      canPickMany: true,
      ignoreFocusOut: true,
    },
  );
  if (!roles?.length) return undefined;

  const openWeights = await vscode.window.showQuickPick(
    [
      { label: 'Open weights', description: 'e.g. Llama, Qwen, Mistral, gpt-oss, Nemotron', value: true },
      { label: 'Closed weights', description: 'e.g. GPT-4o, Claude, Gemini', value: false },
    ],
    { title: 'Are the model’s weights open? (the open-weights-only privacy mode relies on this)', ignoreFocusOut: true },
  );
  if (!openWeights) return undefined;

  const existing = o.settings.config.models;
  const id = uniqueId(
    model,
    existing.map((m) => m.id),
  );
  const entry: ModelEntryInput = {
    id,
    baseUrl,
    model,
    inputPricePerMillion: prices.input,
    outputPricePerMillion: prices.output,
    openWeights: openWeights.value,
    roles: roles.map((r) => r.label),
  };
  const checked = ModelEntry.safeParse(entry);
  if (!checked.success)
    throw new Error(`the new model entry is invalid: ${checked.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  if (apiKey) await o.keys.setModelKey(id, apiKey.trim(), baseUrl);
  const raw = vscode.workspace.getConfiguration('orchestra').get<unknown[]>('models') ?? [];
  await writeSetting('models', [...(JSON.parse(JSON.stringify(raw)) as unknown[]), entry]);
  o.log.info(`model ${id} (${model} at ${baseUrl}) added${apiKey ? ' with a stored key' : ''}`);
  void vscode.window.showInformationMessage(`Orchestra: added model "${id}".`);
  return entry;
}

async function askPrices(title: string): Promise<{ input: number; output: number } | undefined> {
  const parse = (v: string) => (v.trim() === '' ? 0 : Number(v));
  const check = (v: string) => (Number.isFinite(parse(v)) && parse(v) >= 0 ? undefined : 'a number of dollars, 0 or more');
  const input = await vscode.window.showInputBox({
    title,
    prompt: 'Price in dollars per million INPUT tokens (0 if free)',
    value: '0',
    ignoreFocusOut: true,
    validateInput: check,
  });
  if (input === undefined) return undefined;
  const output = await vscode.window.showInputBox({
    title,
    prompt: 'Price in dollars per million OUTPUT tokens (0 if free)',
    value: '0',
    ignoreFocusOut: true,
    validateInput: check,
  });
  if (output === undefined) return undefined;
  return { input: parse(input), output: parse(output) };
}

export function validateBaseUrl(v: string): string | undefined {
  try {
    const u = new URL(v.trim());
    if (u.protocol !== 'http:' && u.protocol !== 'https:') return 'the URL must start with http:// or https://';
    return undefined;
  } catch {
    return 'not a valid URL (e.g. http://127.0.0.1:11434/v1)';
  }
}

/** A model id allowed by the schema (letters, digits, . _ : -) and not used yet. */
export function uniqueId(model: string, taken: string[]): string {
  const base = model.replace(/[^A-Za-z0-9._:-]+/g, '-').replace(/^-+|-+$/g, '') || 'model';
  let id = base;
  for (let n = 2; taken.includes(id); n++) id = `${base}-${n}`;
  return id;
}
