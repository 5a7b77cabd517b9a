// "Add model": one short form in the quick input — the server's URL (checked as you type: the
// server is asked for its model list), the model picked from that list, an optional key (checked by
// a test call), and for a remote endpoint its prices — then the entry is saved to `orchestra.models`
// and the key to SecretStorage. Roles, open weights and the real context window are filled in from
// the model's name and the local server; the Models view edits any of it later.
import * as vscode from 'vscode';
import { ModelEntry, type ModelEntryInput } from '../core/config';
import { guessRoles } from '../core/discovery';
import { hostOf, isLocalHost } from '../core/pool/locality';
import type { ProbeEndpointResult } from '../protocol/engine-rpc';
import type { Orchestra } from './orchestra';
import { SECTION, writeSetting } from './settings';
import { PRICES_PROMPT, guessOpenWeights, parsePrices, uniqueId, validateBaseUrl } from './models/model-input';

const TITLE = 'Add a model';
/** Typing pauses this long before the server is asked for its models. */
const CHECK_DELAY_MS = 350;

interface Draft {
  baseUrl: string;
  listing?: ProbeEndpointResult;
  model?: string;
  apiKey?: string;
  prices?: { input: number; output: number };
}

type Step = 'url' | 'model' | 'key' | 'prices';
type Outcome = 'next' | 'back' | 'cancel';

export async function addModelEndpoint(o: Orchestra, initialUrl?: string): Promise<ModelEntryInput | undefined> {
  const draft: Draft = { baseUrl: typeof initialUrl === 'string' ? initialUrl : '' };
  const steps = (): Step[] =>
    draft.baseUrl && !isLocalHost(hostOf(draft.baseUrl)) ? ['url', 'model', 'key', 'prices'] : ['url', 'model', 'key'];
  let at = 0;
  while (at < steps().length) {
    const step = steps()[at];
    const label = `${TITLE} (${at + 1}/${steps().length})`;
    const outcome =
      step === 'url'
        ? await urlStep(o, draft, label)
        : step === 'model'
          ? await modelStep(o, draft, label)
          : step === 'key'
            ? await keyStep(o, draft, label)
            : await pricesStep(draft, label);
    if (outcome === 'cancel') return undefined;
    at = outcome === 'back' ? Math.max(0, at - 1) : at + 1;
  }
  return save(o, draft);
}

/** Runs one quick input until it settles on an outcome. */
function run<T extends vscode.QuickInput>(input: T, wire: (settle: (o: Outcome) => void) => vscode.Disposable[]): Promise<Outcome> {
  return new Promise<Outcome>((resolve) => {
    let done = false;
    const settle = (o: Outcome) => {
      if (done) return;
      done = true;
      for (const d of subs) d.dispose();
      input.dispose();
      resolve(o);
    };
    const subs = [...wire(settle), input.onDidHide(() => settle('cancel'))];
    input.show();
  });
}

function backButton(
  input: vscode.QuickInput & { buttons: readonly vscode.QuickInputButton[]; onDidTriggerButton: vscode.Event<vscode.QuickInputButton> },
  settle: (o: Outcome) => void,
) {
  input.buttons = [vscode.QuickInputButtons.Back];
  return input.onDidTriggerButton((b) => b === vscode.QuickInputButtons.Back && settle('back'));
}

function listingMessage(url: string, r: ProbeEndpointResult): vscode.InputBoxValidationMessage {
  if (!r.error) {
    const names = r.models.slice(0, 3).join(', ');
    return {
      message: r.models.length
        ? `✓ The server answers with ${r.models.length} model${r.models.length === 1 ? '' : 's'} (${names}${r.models.length > 3 ? ', …' : ''}). Enter to pick one.`
        : '✓ The server answers but lists no models: you can type the model name next.',
      severity: vscode.InputBoxValidationSeverity.Info,
    };
  }
  if (/HTTP 40[13]/.test(r.error))
    return {
      message: 'The server needs an API key to list its models: you can type the model name, then give the key.',
      severity: vscode.InputBoxValidationSeverity.Warning,
    };
  return {
    message: `No answer from ${url}: ${r.error.replace(/^listing models at \S+ failed: /, '')}. Enter to go on anyway.`,
    severity: vscode.InputBoxValidationSeverity.Warning,
  };
}

async function urlStep(o: Orchestra, draft: Draft, title: string): Promise<Outcome> {
  const box = vscode.window.createInputBox();
  box.title = title;
  box.placeholder = 'http://127.0.0.1:11434/v1';
  box.prompt =
    'The server’s OpenAI-compatible URL: Ollama :11434/v1, LM Studio :1234/v1, vLLM :8000/v1, llama.cpp :8080/v1, or an API such as https://api.openai.com/v1';
  box.value = draft.baseUrl;
  box.ignoreFocusOut = true;
  let checking: { url: string; result: Promise<ProbeEndpointResult>; cancel: vscode.CancellationTokenSource } | undefined;
  let timer: NodeJS.Timeout | undefined;
  const check = (value: string) => {
    if (timer) clearTimeout(timer);
    checking?.cancel.cancel();
    checking = undefined;
    const url = value.trim().replace(/\/+$/, '');
    const problem = url ? validateBaseUrl(url) : 'enter the server’s URL';
    box.validationMessage = problem;
    box.busy = false;
    if (problem) return;
    box.busy = true;
    timer = setTimeout(() => {
      const cancel = new vscode.CancellationTokenSource();
      const result = o.engine
        .probeEndpoint({ baseUrl: url, timeoutMs: 8_000 }, cancel.token)
        .catch((err: unknown): ProbeEndpointResult => ({ ok: false, models: [], error: err instanceof Error ? err.message : String(err) }));
      checking = { url, result, cancel };
      void result.then((r) => {
        if (checking?.result !== result) return;
        box.busy = false;
        box.validationMessage = listingMessage(url, r);
      });
    }, CHECK_DELAY_MS);
  };
  if (draft.baseUrl) check(draft.baseUrl);
  return run(box, (settle) => [
    box.onDidChangeValue(check),
    box.onDidAccept(async () => {
      const url = box.value.trim().replace(/\/+$/, '');
      if (!url || validateBaseUrl(url)) return;
      if (!checking || checking.url !== url) check(url);
      // The check is in flight (or about to be): wait for it, so the next step has the model list.
      while (!checking) await new Promise((r) => setTimeout(r, 50));
      const listing = await checking.result;
      draft.baseUrl = url;
      draft.listing = listing;
      settle('next');
    }),
    { dispose: () => (timer ? clearTimeout(timer) : undefined) },
  ]);
}

async function modelStep(o: Orchestra, draft: Draft, title: string): Promise<Outcome> {
  const qp = vscode.window.createQuickPick<vscode.QuickPickItem & { model: string; taken?: string }>();
  qp.title = title;
  qp.ignoreFocusOut = true;
  const configured = o.settings.config.models.filter((m) => m.baseUrl.replace(/\/+$/, '') === draft.baseUrl);
  const listed = [...(draft.listing?.models ?? [])].sort((a, b) => a.localeCompare(b));
  const base = listed.map((m) => {
    const taken = configured.find((c) => c.model === m)?.id;
    return { label: m, model: m, taken, description: taken ? `already added as ${taken}` : undefined };
  });
  qp.placeholder = listed.length
    ? `Pick one of the ${listed.length} models at ${draft.baseUrl}, or type its name`
    : `Type the model name ${draft.baseUrl} expects`;
  const update = () => {
    const typed = qp.value.trim();
    const custom =
      typed && !listed.includes(typed)
        ? [{ label: typed, model: typed, description: listed.length ? 'not in the server’s list' : 'the name you typed', alwaysShow: true }]
        : [];
    qp.items = [...custom, ...base];
  };
  update();
  if (draft.model) qp.activeItems = qp.items.filter((i) => i.model === draft.model);
  return run(qp, (settle) => [
    backButton(qp, settle),
    qp.onDidChangeValue(update),
    qp.onDidAccept(() => {
      const pick = qp.selectedItems[0] ?? qp.activeItems[0];
      if (!pick) return;
      if (pick.taken) {
        qp.title = `${title}: ${pick.model} is already added as ${pick.taken}; pick another`;
        return;
      }
      draft.model = pick.model;
      settle('next');
    }),
  ]);
}

async function keyStep(o: Orchestra, draft: Draft, title: string): Promise<Outcome> {
  const local = isLocalHost(hostOf(draft.baseUrl));
  const box = vscode.window.createInputBox();
  box.title = title;
  box.password = true;
  box.ignoreFocusOut = true;
  box.value = draft.apiKey ?? '';
  box.prompt = `API key for ${draft.baseUrl}, if it needs one: kept in VS Code’s secret storage and sent only there. Enter runs a test call.`;
  const hint = (v: string): string | vscode.InputBoxValidationMessage | undefined =>
    /\s/.test(v.trim())
      ? 'an API key has no spaces'
      : v.trim()
        ? undefined
        : {
            message: local ? 'No key: local servers usually need none.' : 'No key: most hosted APIs need one.',
            severity: vscode.InputBoxValidationSeverity.Info,
          };
  box.validationMessage = hint(box.value);
  let failedWith: string | undefined;
  return run(box, (settle) => [
    backButton(box, settle),
    box.onDidChangeValue((v) => {
      failedWith = undefined;
      box.validationMessage = hint(v);
    }),
    box.onDidAccept(async () => {
      const key = box.value.trim();
      if (/\s/.test(key) || box.busy) return;
      // A second Enter after a failed test adds the model anyway.
      if (failedWith !== undefined && failedWith === key) {
        draft.apiKey = key || undefined;
        return settle('next');
      }
      box.busy = true;
      box.enabled = false;
      const res = await o.engine
        .probeEndpoint({ baseUrl: draft.baseUrl, apiKey: key || undefined, model: draft.model, timeoutMs: 30_000 })
        .catch((err: unknown): ProbeEndpointResult => ({ ok: false, models: [], error: err instanceof Error ? err.message : String(err) }));
      box.busy = false;
      box.enabled = true;
      if (res.chat?.ok) {
        o.log.info(`test call to ${draft.model} at ${draft.baseUrl} answered in ${res.chat.latencyMs} ms`);
        draft.apiKey = key || undefined;
        return settle('next');
      }
      failedWith = key;
      box.validationMessage = {
        message: `The test call failed: ${res.chat?.error ?? res.error ?? 'no answer'}. Fix the key, or Enter again to add the model anyway.`,
        severity: vscode.InputBoxValidationSeverity.Warning,
      };
    }),
  ]);
}

async function pricesStep(draft: Draft, title: string): Promise<Outcome> {
  const box = vscode.window.createInputBox();
  box.title = title;
  box.ignoreFocusOut = true;
  box.prompt = `${PRICES_PROMPT}. Orchestra’s budget and costs rely on them.`;
  box.placeholder = '0.25 / 2';
  box.value = draft.prices ? `${draft.prices.input} / ${draft.prices.output}` : '';
  const check = (v: string) => (v.trim() ? parsePrices(v).error : 'give the prices ("0 / 0" if it is free)');
  box.validationMessage = draft.prices ? undefined : check(box.value);
  return run(box, (settle) => [
    backButton(box, settle),
    box.onDidChangeValue((v) => (box.validationMessage = check(v))),
    box.onDidAccept(() => {
      const p = parsePrices(box.value).prices;
      if (!p) return;
      draft.prices = p;
      settle('next');
    }),
  ]);
}

async function save(o: Orchestra, draft: Draft): Promise<ModelEntryInput | undefined> {
  const model = draft.model!;
  const local = isLocalHost(hostOf(draft.baseUrl));
  const entry: ModelEntryInput = {
    id: uniqueId(
      model,
      o.settings.config.models.map((m) => m.id),
    ),
    baseUrl: draft.baseUrl,
    model,
    inputPricePerMillion: draft.prices?.input ?? 0,
    outputPricePerMillion: draft.prices?.output ?? 0,
    openWeights: local || guessOpenWeights(model),
    roles: guessRoles(model),
  };
  if (local) {
    // The context window the local server really runs the model with, when it says.
    const servers = await o.engine.discover({ timeoutMs: 3_000 }).catch(() => []);
    const found = servers.find((s) => s.baseUrl.replace(/\/+$/, '') === draft.baseUrl)?.models.find((m) => m.id === model);
    if (found?.contextWindow) entry.contextWindow = found.contextWindow;
  }
  const checked = ModelEntry.safeParse(entry);
  if (!checked.success)
    throw new Error(`the new model entry is invalid: ${checked.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  if (draft.apiKey) await o.keys.setModelKey(entry.id, draft.apiKey, draft.baseUrl);
  const raw = vscode.workspace.getConfiguration(SECTION).get<unknown[]>('models') ?? [];
  await writeSetting('models', [...(JSON.parse(JSON.stringify(raw)) as unknown[]), entry]);
  o.log.info(`model ${entry.id} (${model} at ${draft.baseUrl}) added${draft.apiKey ? ' with a stored key' : ''}`);
  void vscode.window.showInformationMessage(
    `Orchestra: added model "${entry.id}" (${entry.openWeights ? 'open' : 'closed'} weights, roles: ${(entry.roles ?? []).join(', ')}). Edit it in the Models view.`,
  );
  return entry;
}
