// Local models from VS Code with nothing else installed: download a recommended GGUF model (the
// engine process downloads it; this side shows a cancellable progress notification with bytes,
// speed and ETA), use a GGUF file already on disk (checked by the engine first), and the offer made
// when someone asks with no model configured. Each adds the file to `orchestra.local.models`, which
// the engine serves from its embedded llama.cpp runtime.
import * as vscode from 'vscode';
import type {
  CatalogEntry,
  DownloadErrorData,
  DownloadModelResult,
  DownloadProgressParams,
  LocalModelStatus,
} from '../protocol/engine-rpc';
import { formatBytes } from '../core/format';
import { errorText } from './engine-client';
import type { LocalModelsHost } from './hosts';
import { SECTION, writeSetting } from './settings';

export function formatEta(seconds: number | undefined): string {
  if (seconds === undefined || !Number.isFinite(seconds)) return 'time left unknown';
  const t = Math.max(0, Math.round(seconds));
  if (t < 60) return `${t} s left`;
  const m = Math.floor(t / 60);
  if (m < 60) return `${m} min ${t % 60} s left`;
  return `${Math.floor(m / 60)} h ${m % 60} min left`;
}

/** One line for the progress notification: "412.0 MB of 1.0 GB · 12.3 MB/s · 48 s left". */
export function progressMessage(
  p: Pick<DownloadProgressParams, 'received' | 'total' | 'bytesPerSecond' | 'etaSeconds' | 'resumedFrom'>,
): string {
  const amount = p.total ? `${formatBytes(p.received)} of ${formatBytes(p.total)}` : formatBytes(p.received);
  const resumed = p.resumedFrom > 0 ? ` (resumed at ${formatBytes(p.resumedFrom)})` : '';
  return `${amount}${resumed} · ${formatBytes(p.bytesPerSecond)}/s · ${formatEta(p.etaSeconds)}`;
}

/**
 * Adds `file` to `orchestra.local.models` where the setting takes effect (the user settings unless
 * the workspace sets it). Returns false when it is listed already.
 */
export async function addLocalModelSetting(file: string): Promise<boolean> {
  const info = vscode.workspace.getConfiguration(SECTION).inspect<string[]>('local.models');
  const current = info?.workspaceFolderValue ?? info?.workspaceValue ?? info?.globalValue ?? [];
  if (current.includes(file)) return false;
  await writeSetting('local.models', [...current, file]);
  return true;
}

interface CatalogPick extends vscode.QuickPickItem {
  entry: CatalogEntry;
}

function catalogItem(e: CatalogEntry): CatalogPick {
  const state = e.downloaded
    ? 'already downloaded'
    : e.partialBytes > 0
      ? `${formatBytes(e.partialBytes)} downloaded before, resumes from there`
      : '';
  const fit = e.fits ? 'fits this machine' : `too large for this machine (${formatBytes(e.totalMemoryBytes)} RAM)`;
  return {
    entry: e,
    label: `${e.downloaded ? '$(check)' : e.fits ? '$(cloud-download)' : '$(warning)'} ${e.title}`,
    description: `${formatBytes(e.sizeBytes)} file · ~${formatBytes(e.memoryBytes)} RAM`,
    detail: [e.description, `Licence: ${e.licence}`, fit, state].filter(Boolean).join(' · '),
  };
}

/**
 * "Orchestra: Download a local model". With `catalogId` the pick is skipped (scripts, tests);
 * `options.dir` names the folder (default `orchestra.local.modelsDir`, else ~/.orchestra/models).
 * Resolves to the model file, or undefined when nothing was downloaded.
 */
export async function downloadLocalModel(o: LocalModelsHost, catalogId?: string, options?: { dir?: string }): Promise<string | undefined> {
  const dir = typeof options?.dir === 'string' && options.dir ? options.dir : undefined;
  const catalog = await o.engine.catalog(dir);
  let entry: CatalogEntry | undefined;
  if (typeof catalogId === 'string' && catalogId) {
    entry = catalog.find((e) => e.id === catalogId);
    if (!entry) throw new Error(`no catalog model "${catalogId}"; choose one of: ${catalog.map((e) => e.id).join(', ')}`);
  } else {
    const pick = await vscode.window.showQuickPick(catalog.map(catalogItem), {
      title: 'Download a local model',
      placeHolder: 'Runs inside Orchestra (embedded llama.cpp): nothing else to install, nothing leaves this machine',
      matchOnDescription: true,
      matchOnDetail: true,
      ignoreFocusOut: true,
    });
    if (!pick) return undefined;
    entry = pick.entry;
    if (!entry.fits) {
      const go = await vscode.window.showWarningMessage(
        `${entry.title} needs about ${formatBytes(entry.memoryBytes)} of RAM; this machine has ${formatBytes(entry.totalMemoryBytes)}. It will probably not run here.`,
        { modal: true },
        'Download Anyway',
      );
      if (go !== 'Download Anyway') return undefined;
    }
  }
  const model = entry;

  const downloadId = `dl-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
  let result: DownloadModelResult;
  try {
    result = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Orchestra: downloading ${model.title}`, cancellable: true },
      async (progress, token) => {
        let percent = 0;
        let cancelRequested = false;
        let cancelSent = false;
        const sendCancel = () => {
          if (cancelSent) return;
          cancelSent = true;
          o.engine.cancelDownload(downloadId).then(
            // The engine may not have started the download yet: ask again at its first progress.
            (cancelled) => (cancelSent = cancelled),
            () => (cancelSent = false),
          );
        };
        const sub = token.onCancellationRequested(() => {
          cancelRequested = true;
          sendCancel();
        });
        progress.report({ message: model.partialBytes ? `resuming from ${formatBytes(model.partialBytes)}…` : 'connecting…' });
        try {
          return await o.engine.downloadModel({ catalogId: model.id, dir, downloadId }, (p) => {
            if (cancelRequested) return sendCancel();
            const now = p.total ? Math.min(100, (p.received / p.total) * 100) : percent;
            progress.report({ increment: now > percent ? now - percent : undefined, message: progressMessage(p) });
            percent = Math.max(percent, now);
          });
        } finally {
          sub.dispose();
        }
      },
    );
  } catch (err) {
    const data = (err as { data?: DownloadErrorData }).data;
    if (data?.kind === 'cancelled') {
      o.log.info(`download of ${model.id} cancelled`);
      void vscode.window.showInformationMessage(`Orchestra: ${errorText(err)}.`);
      return undefined;
    }
    o.log.error(`downloading ${model.id} failed: ${errorText(err)}`);
    void vscode.window.showErrorMessage(`Orchestra: ${errorText(err)}`, 'Retry', 'Show Log').then((choice) => {
      if (choice === 'Retry') void vscode.commands.executeCommand('orchestra.downloadLocalModel', model.id, { dir });
      else if (choice === 'Show Log') o.log.show(true);
    });
    return undefined;
  }

  await addLocalModelSetting(result.path);
  o.log.info(
    `${model.id}: ${result.alreadyPresent ? 'already on disk at' : 'downloaded to'} ${result.path}; added to orchestra.local.models`,
  );
  const served = await o.syncLocalModel(result.path);
  if (served?.problem) {
    void vscode.window.showWarningMessage(
      `Orchestra: ${model.title} was saved to ${result.path}, but it cannot run here: ${served.problem}`,
    );
  } else {
    void vscode.window.showInformationMessage(
      `Orchestra: ${model.title} is ${result.alreadyPresent ? 'already downloaded' : 'downloaded'} and runs on this machine${served ? ` as ${served.id}` : ''}.`,
    );
  }
  return result.path;
}

/**
 * "Orchestra: Use a GGUF model file…". The engine reads the file's header first: a missing file,
 * one that is not GGUF, a truncated one, an unsupported architecture or a model too large for this
 * machine is refused with the cause, and nothing is added.
 */
export async function useLocalModelFile(o: LocalModelsHost, file?: vscode.Uri | string): Promise<string | undefined> {
  let path = file instanceof vscode.Uri ? file.fsPath : typeof file === 'string' && file ? file : undefined;
  if (!path) {
    const picked = await vscode.window.showOpenDialog({
      title: 'Use a GGUF model file',
      openLabel: 'Use Model',
      canSelectMany: false,
      canSelectFolders: false,
      filters: { 'GGUF models': ['gguf'] },
    });
    if (!picked?.[0]) return undefined;
    path = picked[0].fsPath;
  }
  const status = await o.engine.inspectModelFile(path);
  if (status.problem) throw new Error(`cannot use ${status.file}: ${status.problem}`);
  await addLocalModelSetting(status.file);
  o.log.info(`${status.file} (${describeModel(status)}) added to orchestra.local.models`);
  const served = await o.syncLocalModel(status.file);
  if (served?.problem)
    void vscode.window.showWarningMessage(`Orchestra: ${status.file} was added, but it cannot run here: ${served.problem}`);
  else
    void vscode.window.showInformationMessage(
      `Orchestra: ${status.name ?? status.id} (${describeModel(status)}) runs on this machine${served ? ` as ${served.id}` : ''}.`,
    );
  return status.file;
}

/** "1.0 GB, qwen2 1.5B Q4_K_M, 32k context". */
export function describeModel(s: LocalModelStatus): string {
  const parts = [
    s.sizeBytes !== undefined ? formatBytes(s.sizeBytes) : undefined,
    [s.architecture, s.parameterLabel, s.quantization].filter(Boolean).join(' ') || undefined,
    s.trainedContextLength
      ? `${s.trainedContextLength >= 1024 ? `${Math.round(s.trainedContextLength / 1024)}k` : s.trainedContextLength} context`
      : undefined,
  ];
  return parts.filter(Boolean).join(', ');
}

type SetupChoice = vscode.QuickPickItem & { command: string };

/**
 * Asked with no model: offers the embedded runtime first (a GGUF file on disk, or a download),
 * then a running local server or an endpoint. Resolves true once the pool has a model.
 */
export async function offerModelSetup(o: LocalModelsHost): Promise<boolean> {
  const items: SetupChoice[] = [
    {
      command: 'orchestra.downloadLocalModel',
      label: '$(cloud-download) Download a recommended model',
      detail: 'Runs inside Orchestra: nothing else to install, nothing leaves this machine.',
    },
    {
      command: 'orchestra.useLocalModelFile',
      label: '$(file) Use a GGUF file on disk',
      detail: 'A model you already have, served by Orchestra’s embedded llama.cpp.',
    },
    {
      command: 'orchestra.discoverLocalServers',
      label: '$(search) Discover local servers',
      detail: 'Ollama, LM Studio, llama.cpp, vLLM or SGLang running on this machine.',
    },
    { command: 'orchestra.addModel', label: '$(add) Add an endpoint', detail: 'Any OpenAI-compatible API, hosted or local.' },
  ];
  const pick = await vscode.window.showQuickPick(items, {
    title: 'Orchestra has no model yet',
    placeHolder: 'How should Orchestra answer? A local model keeps your code on this machine.',
    ignoreFocusOut: true,
  });
  if (!pick) return false;
  const added = await vscode.commands.executeCommand<unknown>(pick.command);
  if (!added || (Array.isArray(added) && added.length === 0)) return false;
  await o.syncEngine();
  return o.modelCount() > 0;
}
