// Model downloads on node's own http/https (node-llama-cpp's downloader has no timeout or abort):
// progress with speed and ETA, resume with `Range` after a cut, optional SHA-256 check, written to
// `<name>.part` and renamed only when complete, connect and idle timeouts, AbortSignal
// cancellation, and a bounded number of retries. With `magic`, a response that is not the expected
// kind of file (an HTML login page, a JSON error) is refused before a byte is written.
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, mkdirSync } from 'node:fs';
import { open, rename, rm, stat } from 'node:fs/promises';
import * as http from 'node:http';
import * as https from 'node:https';
import { dirname } from 'node:path';

export interface DownloadProgress {
  receivedBytes: number;
  /** Undefined while the server has not said. */
  totalBytes: number | undefined;
  /** Average over the last few seconds. */
  bytesPerSecond: number;
  /** Undefined when the total or the speed is unknown. */
  etaSeconds: number | undefined;
  /** Bytes that were already on disk from an earlier, interrupted attempt. */
  resumedFromBytes: number;
}

export interface DownloadOptions {
  url: string;
  /** Final path; data goes to `<destination>.part` until complete. */
  destination: string;
  sha256?: string;
  /** Expected size; a mismatch is an error. */
  expectedBytes?: number;
  onProgress?: (p: DownloadProgress) => void;
  signal?: AbortSignal;
  /** Time to get response headers. Default 30 s. */
  connectTimeoutMs?: number;
  /** Longest silence while receiving the body. Default 60 s. */
  idleTimeoutMs?: number;
  /** Extra attempts after a cut or a timeout (each resumes). Default 3. */
  retries?: number;
  /** Wait before a retry; doubles each time. Default 1000 ms. */
  retryDelayMs?: number;
  /** Minimum interval between progress callbacks. Default 250 ms. */
  progressIntervalMs?: number;
  headers?: Record<string, string>;
  /**
   * The bytes the file must start with (e.g. `GGUF`) and what such a file is called in errors. With
   * it, HTML and JSON responses are refused by their content type, and any other body by its first
   * bytes, before anything is written; a part file that does not start so is discarded.
   */
  magic?: { bytes: Buffer; what: string };
}

export interface DownloadResult {
  path: string;
  bytes: number;
  sha256: string;
  attempts: number;
}

export class DownloadError extends Error {
  constructor(
    message: string,
    /** Whether another attempt may succeed (cuts, timeouts, 5xx). */
    readonly retryable: boolean,
    readonly kind: 'timeout' | 'network' | 'http' | 'checksum' | 'size' | 'cancelled' | 'filesystem' | 'not-gguf',
  ) {
    super(message);
    this.name = 'DownloadError';
  }
}

const MAX_REDIRECTS = 8;

async function fileSize(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch {
    return 0;
  }
}

async function hashFile(path: string, hash: ReturnType<typeof createHash>): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    createReadStream(path)
      .on('data', (c) => hash.update(c))
      .on('end', () => resolve())
      .on('error', reject);
  });
}

interface AttemptState {
  received: number;
  total: number | undefined;
  resumedFrom: number;
  hash: ReturnType<typeof createHash>;
}

/** `url` without its query and fragment (signed CDN URLs carry credentials there), for messages. */
export function displayUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return url;
  }
}

/** Content types that are never a model file: error and login pages. */
const NOT_A_FILE_TYPE = /html|json|xml/i;

/**
 * One HTTP attempt: appends to the part file from `state.received`, following redirects. It settles
 * once: with the file written, or with a DownloadError saying whether another attempt may succeed.
 */
class Attempt {
  private settled = false;
  private timer: NodeJS.Timeout | undefined;
  private req: http.ClientRequest | undefined;
  private readonly onAbort = () => this.finish(new DownloadError('download cancelled', false, 'cancelled'));

  constructor(
    private readonly opts: DownloadOptions,
    private readonly partPath: string,
    private readonly state: AttemptState,
    private readonly emit: () => void,
    private readonly resolve: () => void,
    private readonly reject: (err: Error) => void,
  ) {}

  start(): void {
    if (this.opts.signal?.aborted) return this.onAbort();
    this.opts.signal?.addEventListener('abort', this.onAbort, { once: true });
    this.request(this.opts.url, 0);
  }

  finish(err?: Error): void {
    if (this.settled) return;
    this.settled = true;
    if (this.timer) clearTimeout(this.timer);
    this.opts.signal?.removeEventListener('abort', this.onAbort);
    if (err) {
      this.req?.destroy();
      this.reject(err);
    } else this.resolve();
  }

  private arm(ms: number, what: string): void {
    if (this.timer) clearTimeout(this.timer);
    const seconds = ms < 10_000 ? (ms / 1000).toFixed(1) : String(Math.round(ms / 1000));
    this.timer = setTimeout(
      () => this.finish(new DownloadError(`${what} after ${seconds} s from ${new URL(this.opts.url).host}`, true, 'timeout')),
      ms,
    );
  }

  private request(url: string, redirects: number): void {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      return this.finish(new DownloadError(`invalid download URL: ${url}`, false, 'http'));
    }
    const lib = parsed.protocol === 'https:' ? https : parsed.protocol === 'http:' ? http : undefined;
    if (!lib) return this.finish(new DownloadError(`unsupported URL scheme ${parsed.protocol} (http and https only)`, false, 'http'));
    const headers: Record<string, string> = { 'user-agent': 'orchestra-model-downloader', ...this.opts.headers };
    if (this.state.received > 0) headers.range = `bytes=${this.state.received}-`;
    this.arm(this.opts.connectTimeoutMs ?? 30_000, 'no response');
    // Where the answer came from, when a redirect led elsewhere (query strings left out).
    const via = url === this.opts.url ? '' : ` (redirected to ${displayUrl(url)})`;
    this.req = lib.get(parsed, { headers }, (res) => {
      const status = res.statusCode ?? 0;
      if (status >= 300 && status < 400 && res.headers.location) {
        res.resume();
        if (redirects >= MAX_REDIRECTS)
          return this.finish(new DownloadError(`too many redirects from ${displayUrl(this.opts.url)}`, false, 'http'));
        return this.request(new URL(res.headers.location, parsed).toString(), redirects + 1);
      }
      this.onResponse(res, via);
    });
    this.req.on('error', (err: NodeJS.ErrnoException) => {
      const retryable = err.code !== 'ENOTFOUND' && err.code !== 'EAI_AGAIN';
      this.finish(new DownloadError(`cannot reach ${parsed.host}: ${err.code ?? err.message}`, retryable, 'network'));
    });
  }

  /** A final (non-redirect) response: its status and content type decide whether the body is taken. */
  private onResponse(res: http.IncomingMessage, via: string): void {
    const { opts, state } = this;
    const status = res.statusCode ?? 0;
    const statusText = `HTTP ${status}${res.statusMessage ? ` ${res.statusMessage}` : ''}`;
    if (status === 416 && state.received > 0) {
      // Range not satisfiable: the part file already holds the whole file.
      res.resume();
      state.total ??= state.received;
      return this.finish();
    }
    if (status !== 200 && status !== 206) {
      res.resume();
      return this.finish(
        new DownloadError(`${displayUrl(opts.url)}${via} answered ${statusText}`, status >= 500 || status === 429, 'http'),
      );
    }
    const contentType = String(res.headers['content-type'] ?? '');
    if (opts.magic && NOT_A_FILE_TYPE.test(contentType)) {
      res.resume();
      return this.finish(
        new DownloadError(
          `${displayUrl(opts.url)}${via} answered ${statusText} with ${contentType.split(';')[0]}, not ${opts.magic.what}; nothing was saved`,
          false,
          'not-gguf',
        ),
      );
    }
    if (status === 200 && state.received > 0) {
      // The server ignored the range: start over.
      state.received = 0;
      state.resumedFrom = 0;
      state.hash = createHash('sha256');
    }
    const length = Number(res.headers['content-length']);
    if (Number.isFinite(length) && res.headers['content-length'] !== undefined)
      state.total = (status === 206 ? state.received : 0) + length;
    const rangeTotal = /\/(\d+)$/.exec(String(res.headers['content-range'] ?? ''));
    if (status === 206 && rangeTotal) state.total = Number(rangeTotal[1]);
    this.receiveBody(res, statusText, via);
  }

  /**
   * Writes the body to the part file. A fresh file's first bytes are held until they show the
   * expected magic: only then is the part file created, so a wrong body leaves nothing on disk.
   */
  private receiveBody(res: http.IncomingMessage, statusText: string, via: string): void {
    const { opts, state, partPath } = this;
    const magic = state.received === 0 ? opts.magic : undefined;
    let head: Buffer[] | undefined = magic ? [] : undefined;
    let out: ReturnType<typeof createWriteStream> | undefined;
    const openOut = () => {
      try {
        mkdirSync(dirname(partPath), { recursive: true });
      } catch (err) {
        return this.finish(new DownloadError(`cannot create ${dirname(partPath)}: ${(err as Error).message}`, false, 'filesystem'));
      }
      out = createWriteStream(partPath, { flags: state.received > 0 ? 'a' : 'w' });
      out.on('error', (err) => this.finish(new DownloadError(`cannot write ${partPath}: ${err.message}`, false, 'filesystem')));
      out.on('drain', () => res.resume());
    };
    const notMagic = (first: Buffer) =>
      new DownloadError(
        `${displayUrl(opts.url)}${via} answered ${statusText} but sent ${first.length ? `a file starting with ${JSON.stringify(first.subarray(0, 16).toString('latin1'))}` : 'an empty body'}, not ${magic!.what}; nothing was saved`,
        false,
        'not-gguf',
      );
    if (!magic) openOut();
    const idleMs = opts.idleTimeoutMs ?? 60_000;
    this.arm(idleMs, 'no data');
    res.on('data', (chunk: Buffer) => {
      if (this.settled) return;
      this.arm(idleMs, 'no data');
      if (head) {
        head.push(chunk);
        const first = Buffer.concat(head);
        if (first.length < magic!.bytes.length) return;
        head = undefined;
        if (!first.subarray(0, magic!.bytes.length).equals(magic!.bytes)) {
          // Settle first: destroying the response emits 'aborted' at once, which would settle as a cut.
          this.finish(notMagic(first));
          res.destroy();
          return;
        }
        openOut();
        if (this.settled) return;
        chunk = first;
      }
      state.received += chunk.length;
      state.hash.update(chunk);
      if (!out!.write(chunk)) res.pause();
      this.emit();
    });
    const endWith = (err?: Error) => {
      if (this.timer) clearTimeout(this.timer);
      if (out) out.end(() => this.finish(err));
      else this.finish(err);
    };
    res.on('end', () => {
      if (head) return this.finish(notMagic(Buffer.concat(head)));
      if (state.total !== undefined && state.received < state.total)
        endWith(new DownloadError(`connection closed after ${state.received} of ${state.total} bytes`, true, 'network'));
      else endWith();
    });
    res.on('aborted', () => endWith(new DownloadError(`connection cut after ${state.received} bytes`, true, 'network')));
    res.on('error', (err) => endWith(new DownloadError(`connection error after ${state.received} bytes: ${err.message}`, true, 'network')));
  }
}

function attempt(opts: DownloadOptions, partPath: string, state: AttemptState, emit: () => void): Promise<void> {
  return new Promise<void>((resolve, reject) => new Attempt(opts, partPath, state, emit, resolve, reject).start());
}

/** Whether `path` starts with `magic` (false when it cannot be read). */
async function startsWith(path: string, magic: Buffer): Promise<boolean> {
  try {
    const fh = await open(path, 'r');
    try {
      const buf = Buffer.alloc(magic.length);
      const { bytesRead } = await fh.read(buf, 0, magic.length, 0);
      return bytesRead === magic.length && buf.equals(magic);
    } finally {
      await fh.close();
    }
  } catch {
    return false;
  }
}

/**
 * Downloads `url` to `destination`. Resumes a `.part` file left by an earlier attempt; retries a
 * bounded number of times after cuts and timeouts; verifies the size and the SHA-256 when given
 * (a mismatch deletes the part file, which could only fail the same way again). The destination appears only once the file is complete and verified.
 */
export async function downloadFile(opts: DownloadOptions): Promise<DownloadResult> {
  const partPath = `${opts.destination}.part`;
  let existing = await fileSize(partPath);
  // A part file that is not the start of the expected kind of file (an old error page) is no start.
  if (existing > 0 && opts.magic && !(await startsWith(partPath, opts.magic.bytes))) {
    await rm(partPath, { force: true });
    existing = 0;
  }
  const state: AttemptState = { received: existing, total: opts.expectedBytes, resumedFrom: existing, hash: createHash('sha256') };
  if (existing > 0) await hashFile(partPath, state.hash);

  const interval = opts.progressIntervalMs ?? 250;
  const samples: Array<[number, number]> = [];
  let lastEmit = 0;
  const progress = (): DownloadProgress => {
    const now = Date.now();
    samples.push([now, state.received]);
    while (samples.length > 2 && now - samples[0][0] > 5000) samples.shift();
    const [t0, b0] = samples[0];
    const bytesPerSecond = now > t0 ? ((state.received - b0) * 1000) / (now - t0) : 0;
    const etaSeconds =
      state.total !== undefined && bytesPerSecond > 0 ? Math.max(0, (state.total - state.received) / bytesPerSecond) : undefined;
    return { receivedBytes: state.received, totalBytes: state.total, bytesPerSecond, etaSeconds, resumedFromBytes: state.resumedFrom };
  };
  const emit = (force = false) => {
    const now = Date.now();
    if (!opts.onProgress) return;
    if (!force && now - lastEmit < interval) {
      samples.push([now, state.received]);
      return;
    }
    lastEmit = now;
    opts.onProgress(progress());
  };

  const retries = Math.max(0, opts.retries ?? 3);
  let delay = opts.retryDelayMs ?? 1000;
  let attempts = 0;
  for (;;) {
    attempts++;
    try {
      await attempt(opts, partPath, state, () => emit());
      break;
    } catch (err) {
      const e = err instanceof DownloadError ? err : new DownloadError(String(err), false, 'network');
      if (!e.retryable || attempts > retries) {
        if (e.kind !== 'cancelled' && attempts > 1) e.message += ` (gave up after ${attempts} attempts)`;
        // A part file holding nothing (the server sent no byte) is not worth keeping.
        if ((await fileSize(partPath)) === 0) await rm(partPath, { force: true });
        throw e;
      }
      await waitBeforeRetry(delay, opts.signal);
      delay *= 2;
    }
  }
  emit(true);
  const onDisk = await fileSize(partPath);
  const expected = opts.expectedBytes ?? state.total;
  if (expected !== undefined && onDisk !== expected) {
    // Resuming from this part file would end the same way every time: start over next time.
    await rm(partPath, { force: true });
    throw new DownloadError(
      `${opts.destination}: size mismatch, got ${onDisk} bytes but expected ${expected}; the incomplete download was deleted`,
      false,
      'size',
    );
  }
  const digest = state.hash.digest('hex');
  if (opts.sha256 && digest.toLowerCase() !== opts.sha256.toLowerCase()) {
    await rm(partPath, { force: true });
    throw new DownloadError(
      `${opts.destination}: checksum mismatch (SHA-256 ${digest}, expected ${opts.sha256}); the corrupt download was deleted`,
      false,
      'checksum',
    );
  }
  await rename(partPath, opts.destination);
  return { path: opts.destination, bytes: onDisk, sha256: digest, attempts };
}

/** Waits `ms` before the next attempt; a cancel ends the wait. The abort listener never outlives the wait. */
function waitBeforeRetry(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(new DownloadError('download cancelled', false, 'cancelled'));
    const onAbort = () => {
      clearTimeout(timer);
      reject(new DownloadError('download cancelled', false, 'cancelled'));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export interface EnsureResult extends DownloadResult {
  /** The file was complete on disk already; nothing was fetched. */
  alreadyPresent: boolean;
  /** How an existing file was recognised as complete: its SHA-256, or only its size and first bytes. */
  checkedBy?: 'sha256' | 'size';
}

/**
 * Like downloadFile, but a complete file already at `destination` is not fetched again: it is
 * checked (size when `expectedBytes` is known, first bytes when `magic` is given, SHA-256 when
 * `sha256` is) and returned. A file there that fails a check is left untouched and the call fails
 * with a message saying what differs; deleting or moving it is the user's decision.
 */
export async function ensureDownloaded(opts: DownloadOptions, onHashing?: () => void): Promise<EnsureResult> {
  let st;
  try {
    st = await stat(opts.destination);
  } catch {
    return { ...(await downloadFile(opts)), alreadyPresent: false };
  }
  const where = opts.destination;
  const keep = 'it was left as it is: move or delete it to download again';
  if (!st.isFile()) throw new DownloadError(`${where} exists and is not a file`, false, 'filesystem');
  if (opts.expectedBytes !== undefined && st.size !== opts.expectedBytes)
    throw new DownloadError(
      `${where} already exists but holds ${st.size} bytes where the download has ${opts.expectedBytes}; ${keep}`,
      false,
      'size',
    );
  if (opts.magic && !(await startsWith(where, opts.magic.bytes)))
    throw new DownloadError(`${where} already exists but is not ${opts.magic.what}; ${keep}`, false, 'not-gguf');
  let sha256 = '';
  if (opts.sha256) {
    onHashing?.();
    const hash = createHash('sha256');
    await hashFile(where, hash);
    sha256 = hash.digest('hex');
    if (sha256 !== opts.sha256.toLowerCase())
      throw new DownloadError(`${where} already exists but its SHA-256 is ${sha256}, expected ${opts.sha256}; ${keep}`, false, 'checksum');
  }
  return {
    path: where,
    bytes: st.size,
    sha256,
    attempts: 0,
    alreadyPresent: true,
    checkedBy: opts.sha256 ? 'sha256' : 'size',
  };
}

/** The first bytes of every GGUF file. */
export const GGUF_MAGIC = { bytes: Buffer.from('GGUF', 'latin1'), what: 'a GGUF model file' };
