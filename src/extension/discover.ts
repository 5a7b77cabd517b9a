// "Discover local model servers": the engine probes the usual ports on 127.0.0.1 (Ollama 11434,
// LM Studio 1234, vLLM 8000, llama.cpp 8080, SGLang 30000); the user ticks the models to add, each
// with the context window the server really runs with. Enter with nothing ticked says so and waits.
import * as vscode from 'vscode';
import type { ModelEntryInput } from '../core/config';
import { discoveredToModelEntries } from '../core/discovery';
import type { Orchestra } from './orchestra';
import { uniqueId } from './models/model-input';
import { writeSetting } from './settings';

export async function discoverLocalServers(o: Orchestra): Promise<ModelEntryInput[]> {
  const servers = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: 'Orchestra: looking for model servers on 127.0.0.1…' },
    () => o.engine.discover({}),
  );
  o.log.info(
    `discovery found ${servers.length} server(s)${servers.length ? `: ${servers.map((s) => `${s.kind} at ${s.baseUrl} (${s.models.length} models)`).join(', ')}` : ''}`,
  );
  if (!servers.length) {
    void vscode.window.showInformationMessage(
      'Orchestra: no model server answered on 127.0.0.1 (looked for Ollama :11434, LM Studio :1234, vLLM :8000, llama.cpp :8080, SGLang :30000). Start one, or add an endpoint by hand.',
    );
    return [];
  }
  const configured = o.settings.config.models;
  const items: Array<vscode.QuickPickItem & { entry?: ModelEntryInput }> = [];
  for (const server of servers) {
    items.push({ label: `${server.kind} — ${server.baseUrl}`, kind: vscode.QuickPickItemKind.Separator });
    const entries = discoveredToModelEntries(server);
    for (const entry of entries) {
      const already = configured.some(
        (m) => m.baseUrl.replace(/\/+$/, '') === entry.baseUrl.replace(/\/+$/, '') && m.model === entry.model,
      );
      const found = server.models.find((m) => m.id === entry.model);
      items.push({
        label: entry.model,
        description: already ? 'already configured' : (entry.roles ?? []).join(', '),
        detail: found?.contextWindow
          ? `context window ${found.contextWindow.toLocaleString('en-US')} tokens (as the server runs it)`
          : 'context window not reported: the default is used',
        entry: already ? undefined : entry,
      });
    }
  }
  const chosen = await pickToAdd(items);
  if (!chosen) return [];
  const taken = configured.map((m) => m.id);
  const added = chosen.map((e) => {
    const id = uniqueId(e.id ?? e.model, taken);
    taken.push(id);
    return { ...e, id };
  });
  const raw = vscode.workspace.getConfiguration('orchestra').get<unknown[]>('models') ?? [];
  await writeSetting('models', [...(JSON.parse(JSON.stringify(raw)) as unknown[]), ...added]);
  o.log.info(`added local model(s): ${added.map((a) => a.id).join(', ')}`);
  void vscode.window.showInformationMessage(`Orchestra: added ${added.length} local model(s): ${added.map((a) => a.id).join(', ')}.`);
  return added;
}

type Item = vscode.QuickPickItem & { entry?: ModelEntryInput };

/** The ticked entries; undefined when the user cancels. Accepting with none ticked keeps the list open and says why. */
function pickToAdd(items: Item[]): Promise<ModelEntryInput[] | undefined> {
  const title = 'Add local models to Orchestra';
  const qp = vscode.window.createQuickPick<Item>();
  qp.title = title;
  qp.placeholder = 'Tick the models to add (Space or click), then Enter';
  qp.canSelectMany = true;
  qp.ignoreFocusOut = true;
  qp.items = items;
  return new Promise((resolve) => {
    let done = false;
    const finish = (v: ModelEntryInput[] | undefined) => {
      if (done) return;
      done = true;
      qp.dispose();
      resolve(v);
    };
    qp.onDidAccept(() => {
      const chosen = qp.selectedItems.filter((p) => p.entry).map((p) => p.entry!);
      if (chosen.length) return finish(chosen);
      // Enter with nothing ticked: say so, and keep the list open.
      qp.title = `${title}: nothing is ticked`;
      qp.placeholder = qp.selectedItems.length
        ? 'The ticked models are already configured: tick others (Space), then Enter; Escape to cancel'
        : 'No model is ticked: tick the ones to add (Space or click), then Enter; Escape to cancel';
    });
    qp.onDidHide(() => finish(undefined));
    qp.show();
  });
}
