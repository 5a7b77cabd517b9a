// `orchestra local list [--dir D] [FILES…]`: each local GGUF model's size, architecture, trained
// context and whether it fits in memory, plus the download catalog.
// `orchestra local download <catalog-id> [--dir D]`: downloads a catalog model with a progress bar
// (resumable: run it again after a cut).
import { formatBytes } from '../server/llama/gguf-info';
import { catalogModels, defaultModelsDir, downloadCatalogModel, findCatalogModel } from '../server/llama/catalog';
import { describeLocalModels, resolveLocalModelFiles } from '../server/llama/embedded';
import type { DownloadProgress } from '../server/llama/download';

export const LOCAL_USAGE = `usage: orchestra local list [--dir D] [FILE.gguf …]
       orchestra local download <catalog-id> [--dir D]
Models are looked for (and downloaded) in ${defaultModelsDir()} unless --dir is given.`;

export interface LocalIo {
  out: (text: string) => void;
  err: (text: string) => void;
  /** Whether out is a terminal (progress redraws in place). */
  isTty?: boolean;
  signal?: AbortSignal;
  /** Overrides catalog URLs (tests serve files from loopback). */
  urlFor?: (catalogId: string) => string | undefined;
}

function formatDuration(s: number | undefined): string {
  if (s === undefined || !Number.isFinite(s)) return '--:--';
  const t = Math.round(s);
  const h = Math.floor(t / 3600);
  const m = Math.floor((t % 3600) / 60);
  const sec = t % 60;
  return h ? `${h}:${String(m).padStart(2, '0')}:${String(sec).padStart(2, '0')}` : `${m}:${String(sec).padStart(2, '0')}`;
}

export function progressBar(p: DownloadProgress, width = 30): string {
  const frac = p.totalBytes ? Math.min(1, p.receivedBytes / p.totalBytes) : 0;
  const filled = Math.round(frac * width);
  const bar = p.totalBytes
    ? `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(frac * 100).toFixed(1).padStart(5)}%`
    : '[size unknown]';
  return `${bar} ${formatBytes(p.receivedBytes)}${p.totalBytes ? ` / ${formatBytes(p.totalBytes)}` : ''}  ${formatBytes(p.bytesPerSecond)}/s  ETA ${formatDuration(p.etaSeconds)}`;
}

function catalogIds(): string {
  try {
    return catalogModels()
      .map((m) => m.id)
      .join(', ');
  } catch (err) {
    return (err as Error).message;
  }
}

function parseDir(args: string[]): { dir: string | undefined; rest: string[] } {
  const rest: string[] = [];
  let dir: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--dir') {
      dir = args[++i];
      if (!dir) throw new Error('--dir needs a folder');
    } else if (a.startsWith('--dir=')) dir = a.slice(6);
    else if (a.startsWith('--')) throw new Error(`unknown option ${a}`);
    else rest.push(a);
  }
  return { dir, rest };
}

export async function runLocalModelsCommand(
  args: string[],
  io: LocalIo = { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t), isTty: process.stdout.isTTY },
): Promise<number> {
  const [sub, ...rest] = args;
  if (!sub || sub === '--help' || sub === '-h' || sub === 'help') {
    io.out(`${LOCAL_USAGE}\n`);
    return sub ? 0 : 2;
  }
  let parsed: { dir: string | undefined; rest: string[] };
  try {
    parsed = parseDir(rest);
  } catch (err) {
    io.err(`orchestra local: ${(err as Error).message}\n${LOCAL_USAGE}\n`);
    return 2;
  }
  if (sub === 'list') return listCommand(parsed.dir, parsed.rest, io);
  if (sub === 'download') {
    if (parsed.rest.length !== 1) {
      io.err(`orchestra local download: name one catalog model (${catalogIds()})\n`);
      return 2;
    }
    return downloadCommand(parsed.rest[0], parsed.dir ?? defaultModelsDir(), io);
  }
  io.err(`orchestra local: unknown command "${sub}"\n${LOCAL_USAGE}\n`);
  return 2;
}

async function listCommand(dir: string | undefined, files: string[], io: LocalIo): Promise<number> {
  const folder = dir ?? (files.length ? undefined : defaultModelsDir());
  const { files: found, problems } = await resolveLocalModelFiles({ models: files, modelsDir: folder ?? '' });
  const described = await describeLocalModels(found);
  if (described.length === 0) io.out(`No GGUF models found${folder ? ` in ${folder}` : ''}.\n`);
  for (const d of described) {
    if (d.info && d.fit) {
      const i = d.info;
      io.out(
        `${d.id}\n  ${d.file}\n  ${formatBytes(i.sizeBytes)}, ${i.architecture}, ${i.parameterLabel} parameters, ${i.quantization}, trained context ${i.trainedContextLength ?? 'unknown'} tokens\n  memory: ${d.fit.summary}${d.problem ? `\n  problem: ${d.problem}` : ''}\n`,
      );
    } else io.out(`${d.id}\n  ${d.file}\n  problem: ${d.problem}\n`);
  }
  for (const p of problems) io.out(`problem: ${p.message}\n`);
  io.out('\nDownloadable (orchestra local download <id>):\n');
  let catalog;
  try {
    catalog = catalogModels();
  } catch (err) {
    io.err(`orchestra local list: ${(err as Error).message}\n`);
    return 1;
  }
  for (const m of catalog)
    io.out(
      `  ${m.id.padEnd(28)} ${formatBytes(m.sizeBytes).padStart(8)} file, ~${formatBytes(m.memoryBytes)} RAM  ${m.title}; ${m.licence}\n`,
    );
  return described.some((d) => d.problem) || problems.length ? 1 : 0;
}

async function downloadCommand(id: string, dir: string, io: LocalIo): Promise<number> {
  let model;
  try {
    model = findCatalogModel(id);
  } catch (err) {
    io.err(`orchestra local download: ${(err as Error).message}\n`);
    return 2;
  }
  io.out(`Downloading ${model.title} (${formatBytes(model.sizeBytes)}, licence: ${model.licence}) to ${dir}\n`);
  let lastLine = '';
  try {
    const result = await downloadCatalogModel(model, dir, {
      url: io.urlFor?.(id),
      signal: io.signal,
      onProgress: (p) => {
        const line = progressBar(p);
        if (io.isTty) io.out(`\r${line}\x1b[K`);
        else if (line !== lastLine) io.out(`${line}\n`);
        lastLine = line;
      },
    });
    io.out(`${io.isTty ? '\n' : ''}Saved ${result.path} (${formatBytes(result.bytes)}, sha256 ${result.sha256})\n`);
    io.out(`Use it: add "${result.path}" to orchestra.local.models, or run: orchestra serve --model "${result.path}"\n`);
    return 0;
  } catch (err) {
    io.err(`${io.isTty ? '\n' : ''}orchestra local download: ${(err as Error).message}\n`);
    return 1;
  }
}
