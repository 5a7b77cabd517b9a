// Catalog model downloads as the engine process runs them for an editor: the catalog with what fits
// this machine and what is already on disk, downloads with progress notifications and cancellation
// (several at once, never two into one file), and the checks that turn a finished file into a
// usable model. The download itself is src/server/llama/download.ts (resume, checksum, timeouts).
import { randomUUID } from 'node:crypto';
import { rm, stat } from 'node:fs/promises';
import * as os from 'node:os';
import { join, resolve } from 'node:path';
import { ErrorCodes, LSPErrorCodes, ResponseError } from 'vscode-languageserver/node';
import type {
  CatalogEntry,
  DownloadErrorData,
  DownloadErrorKind,
  DownloadModelResult,
  DownloadProgressParams,
  LocalModelStatus,
} from '../protocol/engine-rpc';
import { catalogModels, defaultModelsDir, downloadCatalogModel, findCatalogModel } from './llama/catalog';
import type { CatalogModel } from './llama/catalog';
import { DownloadError } from './llama/download';
import { expandHome } from './llama/embedded';
import { GgufError, fitsInMemory, formatBytes, readGgufInfo, validateLocalModel } from './llama/gguf-info';
import { modelIdForFile } from './llama/openai-server';

/** RAM kept for the system and the editor when judging what fits (as fitsInMemory does). */
const MEMORY_RESERVE_BYTES = 1.5 * 1024 ** 3;

interface ActiveDownload {
  controller: AbortController;
  destination: string;
}

async function sizeOf(path: string): Promise<number | undefined> {
  try {
    const st = await stat(path);
    return st.isFile() ? st.size : undefined;
  } catch {
    return undefined;
  }
}

function downloadFailure(
  kind: DownloadErrorKind,
  message: string,
  data: Omit<DownloadErrorData, 'kind'> = {},
): ResponseError<DownloadErrorData> {
  const code =
    kind === 'cancelled'
      ? LSPErrorCodes.RequestCancelled
      : kind === 'unknown-model' || kind === 'catalog'
        ? ErrorCodes.InvalidParams
        : ErrorCodes.InternalError;
  return new ResponseError<DownloadErrorData>(code, message, { kind, ...data });
}

export class ModelDownloads {
  private readonly active = new Map<string, ActiveDownload>();

  constructor(
    private readonly notify: (p: DownloadProgressParams) => void,
    private readonly log: (level: 'debug' | 'info' | 'warn' | 'error', message: string) => void,
  ) {}

  /** The folder a download goes to: the one asked for, else `local.modelsDir`, else ~/.orchestra/models. */
  static folder(dir: string | undefined, configuredModelsDir: string | undefined, workspace: string): string {
    const chosen = dir || configuredModelsDir || defaultModelsDir();
    return resolve(workspace, expandHome(chosen));
  }

  async catalog(dir: string): Promise<CatalogEntry[]> {
    let models: readonly CatalogModel[];
    try {
      models = catalogModels();
    } catch (err) {
      throw downloadFailure('catalog', err instanceof Error ? err.message : String(err));
    }
    const total = os.totalmem();
    return Promise.all(
      models.map(async (m): Promise<CatalogEntry> => {
        const path = join(dir, m.fileName);
        const [complete, partial] = await Promise.all([sizeOf(path), sizeOf(`${path}.part`)]);
        return {
          id: m.id,
          title: m.title,
          description: m.description,
          roles: [...m.roles],
          fileName: m.fileName,
          sizeBytes: m.sizeBytes,
          memoryBytes: m.memoryBytes,
          licence: m.licence,
          licenceUrl: m.licenceUrl,
          homepage: m.homepage,
          verified: Boolean(m.sha256),
          fits: m.memoryBytes <= total - MEMORY_RESERVE_BYTES,
          totalMemoryBytes: total,
          path,
          downloaded: complete !== undefined,
          partialBytes: partial ?? 0,
        };
      }),
    );
  }

  /**
   * Downloads `catalogId` into `dir`. A complete file already there is checked and returned as is;
   * a `.part` file is resumed. Rejects with a ResponseError naming the file and the cause.
   */
  async download(params: { catalogId: string; dir: string; downloadId?: string }): Promise<DownloadModelResult> {
    const downloadId = params.downloadId ?? randomUUID();
    if (this.active.has(downloadId)) throw downloadFailure('busy', `a download with id "${downloadId}" is already running`);
    let model: CatalogModel;
    try {
      model = findCatalogModel(params.catalogId);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      throw downloadFailure(/^no catalog model/.test(message) ? 'unknown-model' : 'catalog', message);
    }
    const destination = join(params.dir, model.fileName);
    for (const other of this.active.values()) {
      if (other.destination === destination)
        throw downloadFailure('busy', `${destination} is already being downloaded; wait for that download or cancel it`, {
          file: destination,
        });
    }

    const controller = new AbortController();
    this.active.set(downloadId, { controller, destination });
    const started = Date.now();
    this.log('info', `downloading ${model.id} from ${new URL(model.url).host} to ${destination}`);
    try {
      let resumedFromBytes = 0;
      const result = await downloadCatalogModel(model, params.dir, {
        signal: controller.signal,
        onProgress: (p) => {
          resumedFromBytes = p.resumedFromBytes;
          this.notify({
            downloadId,
            catalogId: model.id,
            received: p.receivedBytes,
            total: p.totalBytes,
            bytesPerSecond: Math.max(0, p.bytesPerSecond),
            etaSeconds: p.etaSeconds,
            resumedFrom: p.resumedFromBytes,
          });
        },
      });
      if (result.alreadyPresent) {
        await this.checkGguf(destination, false);
        this.log(
          'info',
          `${model.id}: ${destination} is already downloaded (${formatBytes(result.bytes)}; ${result.checkedBy === 'sha256' ? 'SHA-256 matches the catalog' : 'size checked, the catalog has no SHA-256'})`,
        );
        return {
          downloadId,
          catalogId: model.id,
          path: destination,
          bytes: result.bytes,
          sha256: result.sha256 || undefined,
          attempts: 0,
          resumedFromBytes: 0,
          alreadyPresent: true,
        };
      }
      await this.checkGguf(result.path, true);
      this.log(
        'info',
        `${model.id}: saved ${result.path} (${formatBytes(result.bytes)}, sha256 ${result.sha256}, ${result.attempts} attempt(s), ${Math.round((Date.now() - started) / 1000)} s)`,
      );
      return {
        downloadId,
        catalogId: model.id,
        path: result.path,
        bytes: result.bytes,
        sha256: result.sha256,
        attempts: result.attempts,
        resumedFromBytes,
        alreadyPresent: false,
      };
    } catch (err) {
      if (err instanceof ResponseError) throw err;
      const partialBytes = (await sizeOf(`${destination}.part`)) ?? 0;
      if (err instanceof DownloadError) {
        if (err.kind === 'cancelled') {
          const kept = partialBytes
            ? `; ${formatBytes(partialBytes)} are kept in ${destination}.part and the next download resumes from there`
            : '';
          this.log('info', `${model.id}: download cancelled${kept}`);
          throw downloadFailure('cancelled', `the download of ${model.fileName} was cancelled${kept}`, { file: destination, partialBytes });
        }
        // The downloader's messages for checksum and size already start with the file.
        const cause = err.message.startsWith(`${destination}: `) ? err.message.slice(destination.length + 2) : err.message;
        const resume =
          partialBytes && err.retryable
            ? ` ${formatBytes(partialBytes)} are kept in ${destination}.part; downloading again resumes from there.`
            : '';
        const message = `cannot download ${model.fileName} to ${destination}: ${cause}.${resume}`;
        this.log('error', `${model.id}: ${message}`);
        throw downloadFailure(err.kind, message, { file: destination, partialBytes });
      }
      const message = `cannot download ${model.fileName} to ${destination}: ${err instanceof Error ? err.message : String(err)}`;
      this.log('error', `${model.id}: ${message}`);
      throw downloadFailure('filesystem', message, { file: destination, partialBytes });
    } finally {
      this.active.delete(downloadId);
    }
  }

  /** A finished download must be a GGUF model; a file that is not (an HTML error page, say) is deleted. */
  private async checkGguf(path: string, deleteWhenBad: boolean): Promise<void> {
    try {
      await readGgufInfo(path);
    } catch (err) {
      const reason = err instanceof GgufError ? err.reason : err instanceof Error ? err.message : String(err);
      if (deleteWhenBad) await rm(path, { force: true });
      throw downloadFailure(
        'not-gguf',
        `${path}: the downloaded file is not a usable GGUF model (${reason})${deleteWhenBad ? '; it was deleted' : ''}`,
        { file: path },
      );
    }
  }

  cancel(downloadId: string): boolean {
    const d = this.active.get(downloadId);
    if (!d || d.controller.signal.aborted) return false;
    d.controller.abort();
    return true;
  }

  cancelAll(): void {
    for (const d of this.active.values()) d.controller.abort();
  }
}

/**
 * What a GGUF file is and whether this engine can serve it: the header's facts, the memory it needs,
 * and `problem` when it cannot be used (missing, not GGUF, truncated, unsupported or non-chat
 * architecture, too large for this machine).
 */
export async function inspectModelFile(file: string, served = false, id = modelIdForFile(file)): Promise<LocalModelStatus> {
  const status: LocalModelStatus = { file, id, served };
  try {
    const info = await readGgufInfo(file);
    const fit = fitsInMemory(info, { contextLength: 8192 });
    Object.assign(status, {
      sizeBytes: info.sizeBytes,
      name: info.name,
      architecture: info.architecture,
      parameterLabel: info.parameterLabel,
      quantization: info.quantization,
      trainedContextLength: info.trainedContextLength,
      fits: fit.fits,
      neededBytes: fit.neededBytes,
      memorySummary: fit.summary,
    });
    await validateLocalModel(file, { contextLength: 8192 });
  } catch (err) {
    status.problem = err instanceof GgufError ? err.reason : err instanceof Error ? err.message : String(err);
  }
  return status;
}
