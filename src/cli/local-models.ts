// `orchestra local …`: the GGUF models in the models folder and the download catalog.
//   list      each model's size, architecture, trained context and memory fit, plus the catalog
//   download  a catalog model or a GGUF URL, with a progress bar; resumes a cut download, skips a
//             complete one, refuses anything that is not a GGUF file (nothing is saved then)
//   verify    each local file's header and SHA-256 against the catalog
import { stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { formatBytes } from '../server/llama/gguf-info';
import { catalogModels, defaultModelsDir, downloadCatalogModel, findCatalogModel, type CatalogModel } from '../server/llama/catalog';
import { describeLocalModels, localModelListing, resolveLocalModelFiles } from '../server/llama/embedded';
import { displayUrl, ensureDownloaded, GGUF_MAGIC, type DownloadProgress, type EnsureResult } from '../server/llama/download';
import { modelIdForFile } from '../server/llama/openai-server';
import { verifyModelFiles, type VerifyOutcome } from '../server/llama/verify';
import { parseArgs, UsageError } from './args';

const EXIT_CODES = `Exit codes: 0 done; 1 a download or check failed, or a named model has a problem;
2 usage error; 141 the output pipe was closed.`;

export const LOCAL_USAGE = `usage: orchestra local list [--dir D] [FILE.gguf …] [--json]
       orchestra local download <catalog-id | URL> [--dir D] [--name FILE.gguf] [--retries N]
       orchestra local verify [--dir D] [FILE.gguf …] [--json]
       orchestra local <command> --help
Models are looked for (and downloaded) in the models folder: --dir, else $ORCHESTRA_MODELS_DIR,
else ${defaultModelsDir({})}. Every GGUF file there joins the model pool of \`orchestra ask\`.
${EXIT_CODES}`;

const HELP: Record<string, string> = {
  list: `usage: orchestra local list [--dir D] [FILE.gguf …] [--json]
Lists the GGUF models in the models folder (or the files and folders named): size, architecture,
parameters, quantisation, trained context and whether each fits in this machine's memory; then
the catalog of models \`orchestra local download\` can fetch. Nothing is loaded.
${EXIT_CODES}`,
  download: `usage: orchestra local download <catalog-id | URL> [--dir D] [--name FILE.gguf] [--retries N]
Downloads a catalog model (see \`orchestra local list\`) or any http(s) URL of a GGUF file into the
models folder, with a progress bar. The file is written as NAME.part and renamed when complete.
- A cut download resumes: run the same command again.
- A complete file already there is not fetched again: its size (and SHA-256, when the catalog
  has one) is checked instead.
- A response that is not a GGUF file (an HTML login page, a JSON error) is refused with the URL
  and the HTTP status, and nothing is saved.
--name sets the file name for a URL whose path does not end in .gguf. --retries sets how many
times a cut or stalled transfer is resumed before giving up (default 3).
${EXIT_CODES}`,
  verify: `usage: orchestra local verify [--dir D] [FILE.gguf …] [--json]
Checks each local GGUF file: its header must be readable and complete, and its SHA-256 must match
the catalog entry of the same file name (files not in the catalog, or whose entry has no hash, are
reported as unchecked, not as failures).
${EXIT_CODES}`,
};

/** The usage of a subcommand, or undefined for anything that is not one. */
function helpFor(sub: string): string | undefined {
  return Object.hasOwn(HELP, sub) ? HELP[sub] : undefined;
}

export interface LocalIo {
  out: (text: string) => void;
  err: (text: string) => void;
  /** Whether out is a terminal (progress redraws in place). */
  isTty?: boolean;
  signal?: AbortSignal;
  env?: NodeJS.ProcessEnv;
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

export async function runLocalModelsCommand(
  args: string[],
  io: LocalIo = { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t), isTty: process.stdout.isTTY },
): Promise<number> {
  const [sub, ...rest] = args;
  if (!sub || sub === '--help' || sub === '-h' || sub === 'help') {
    const topic = sub === 'help' ? rest[0] : undefined;
    io.out(`${(topic && helpFor(topic)) || LOCAL_USAGE}\n`);
    return sub ? 0 : 2;
  }
  const env = io.env ?? process.env;
  try {
    if (!helpFor(sub)) throw new UsageError(`unknown command "${sub}"`);
    const a = parseArgs(rest, {
      values: ['--dir', ...(sub === 'download' ? ['--name', '--retries'] : [])],
      booleans: ['--help', '-h', ...(sub === 'download' ? [] : ['--json'])],
    });
    if (a.flags.has('--help') || a.flags.has('-h')) {
      io.out(`${HELP[sub]}\n`);
      return 0;
    }
    const dir = a.values['--dir'] !== undefined ? resolve(a.values['--dir']) : undefined;
    if (sub === 'list') return await listCommand(dir, a.positionals, a.flags.has('--json'), io, env);
    if (sub === 'verify') return await verifyCommand(dir, a.positionals, a.flags.has('--json'), io, env);
    if (a.positionals.length !== 1) throw new UsageError(`download needs one catalog id or URL (catalog: ${catalogIds()})`);
    const retries = a.values['--retries'];
    if (retries !== undefined && !/^\d{1,2}$/.test(retries))
      throw new UsageError(`--retries must be a whole number from 0 to 99, got "${retries}"`);
    return await downloadCommand(
      a.positionals[0],
      dir ?? defaultModelsDir(env),
      a.values['--name'],
      retries ? Number(retries) : undefined,
      io,
      env,
    );
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`orchestra local: ${err.message}\n${helpFor(sub) ?? LOCAL_USAGE}\n`);
      return 2;
    }
    io.err(`orchestra local ${sub}: ${(err as Error).message}\n`);
    return 1;
  }
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

/** The files to look at: those named, else the models folder (a missing default folder holds nothing). */
async function localFiles(dir: string | undefined, files: string[], env: NodeJS.ProcessEnv) {
  const folder = dir ?? (files.length ? undefined : defaultModelsDir(env));
  const named = dir !== undefined || files.length > 0;
  const found = await resolveLocalModelFiles({ models: files, modelsDir: folder ?? '' });
  // The default folder not existing yet is a fresh machine, not a problem.
  const problems = named ? found.problems : found.problems.filter((p) => p.file !== folder);
  return { folder, files: found.files, problems, missingDefault: !named && found.problems.length > problems.length };
}

async function listCommand(dir: string | undefined, names: string[], json: boolean, io: LocalIo, env: NodeJS.ProcessEnv): Promise<number> {
  const { folder, files, problems, missingDefault } = await localFiles(dir, names, env);
  const described = await describeLocalModels(files);
  const catalog = catalogModels(env);
  const failed = described.some((d) => d.problem) || problems.length > 0;
  if (json) {
    io.out(
      `${JSON.stringify(
        {
          folder,
          models: described.map(localModelListing),
          problems,
          catalog: catalog.map((m) => ({ id: m.id, title: m.title, fileName: m.fileName, sizeBytes: m.sizeBytes, licence: m.licence })),
        },
        null,
        2,
      )}\n`,
    );
    return failed ? 1 : 0;
  }
  if (described.length === 0)
    io.out(
      `No GGUF models found${folder ? ` in ${folder}` : ''}${missingDefault ? ' (the folder does not exist yet; a download creates it)' : ''}.\n`,
    );
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
  for (const m of catalog)
    io.out(
      `  ${m.id.padEnd(28)} ${formatBytes(m.sizeBytes).padStart(8)} file, ~${formatBytes(m.memoryBytes)} RAM  ${m.title}; ${m.licence}\n`,
    );
  return failed ? 1 : 0;
}

async function partialSize(path: string): Promise<number> {
  return stat(path).then(
    (s) => s.size,
    () => 0,
  );
}

/** A URL's file name: `--name`, else the last path segment when it ends in .gguf. */
function fileNameForUrl(url: URL, name: string | undefined): string {
  const chosen = name ?? decodeURIComponent(basename(url.pathname));
  if (!/^[^/\\]+\.gguf$/i.test(chosen))
    throw new UsageError(
      name
        ? `--name must be a file name ending in .gguf, got "${name}"`
        : `cannot tell a .gguf file name from ${displayUrl(url.toString())}; add --name FILE.gguf`,
    );
  return chosen;
}

async function downloadCommand(
  what: string,
  dir: string,
  name: string | undefined,
  retries: number | undefined,
  io: LocalIo,
  env: NodeJS.ProcessEnv,
): Promise<number> {
  let model: CatalogModel | undefined;
  let url: URL | undefined;
  if (/^https?:\/\//i.test(what)) {
    url = new URL(what);
  } else {
    try {
      model = findCatalogModel(what, catalogModels(env));
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
    if (name) throw new UsageError('--name is for URL downloads; a catalog model keeps its file name');
  }
  const destination = model ? join(dir, model.fileName) : join(dir, fileNameForUrl(url!, name));
  io.out(
    model
      ? `Downloading ${model.title} (${formatBytes(model.sizeBytes)}, licence: ${model.licence}) to ${dir}\n`
      : `Downloading ${displayUrl(url!.toString())} to ${destination}\n`,
  );
  let lastLine = '';
  const common = {
    signal: io.signal,
    retries,
    onProgress: (p: DownloadProgress) => {
      const line = progressBar(p);
      if (io.isTty) io.out(`\r${line}\x1b[K`);
      else if (line !== lastLine) io.out(`${line}\n`);
      lastLine = line;
    },
    onHashing: () => io.out(`${destination} is already there; checking its SHA-256…\n`),
  };
  let result: EnsureResult;
  try {
    result = model
      ? await downloadCatalogModel(model, dir, { ...common, url: io.urlFor?.(model.id) })
      : await ensureDownloaded({ ...common, url: url!.toString(), destination, magic: GGUF_MAGIC });
  } catch (err) {
    const kept = await partialSize(`${destination}.part`);
    const resume = kept ? `\n${formatBytes(kept)} are kept in ${destination}.part: run the same command again to resume from there.` : '';
    io.err(`${io.isTty && lastLine ? '\n' : ''}orchestra local download: ${(err as Error).message}${resume}\n`);
    return 1;
  }
  if (result.alreadyPresent)
    io.out(
      `Already downloaded: ${result.path} (${formatBytes(result.bytes)}, ${result.checkedBy === 'sha256' ? 'SHA-256 matches the catalog' : 'size and GGUF header checked; no SHA-256 to compare'}); nothing was fetched\n`,
    );
  else io.out(`${io.isTty ? '\n' : ''}Saved ${result.path} (${formatBytes(result.bytes)}, sha256 ${result.sha256})\n`);
  io.out(
    `It is in the models folder, so \`orchestra ask\` can use it as "${modelIdForFile(result.path)}"; other programs: orchestra serve --model "${result.path}"\n`,
  );
  return 0;
}

async function verifyCommand(
  dir: string | undefined,
  names: string[],
  json: boolean,
  io: LocalIo,
  env: NodeJS.ProcessEnv,
): Promise<number> {
  const { folder, files, problems, missingDefault } = await localFiles(dir, names, env);
  const outcomes: VerifyOutcome[] = await verifyModelFiles(files, catalogModels(env), (file) => {
    if (!json) io.out(`${file}: hashing…\n`);
  });
  const failed = outcomes.some((o) => o.status === 'mismatch' || o.status === 'bad') || problems.length > 0;
  if (json) {
    io.out(`${JSON.stringify({ folder, files: outcomes, problems }, null, 2)}\n`);
    return failed ? 1 : 0;
  }
  if (!outcomes.length && !problems.length)
    io.out(`No GGUF models found${folder ? ` in ${folder}` : ''}${missingDefault ? ' (the folder does not exist yet)' : ''}.\n`);
  for (const o of outcomes) io.out(`${o.status.toUpperCase().padEnd(9)} ${o.file}\n          ${o.detail}\n`);
  for (const p of problems) io.out(`BAD       ${p.file}\n          ${p.message}\n`);
  return failed ? 1 : 0;
}
