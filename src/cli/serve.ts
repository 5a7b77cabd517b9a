// `orchestra serve --model FILE.gguf …`: serves local GGUF models as an OpenAI-compatible endpoint
// until SIGINT/SIGTERM, then stops accepting, lets requests in flight finish (--drain-seconds),
// aborts the rest, unloads the models and exits 0. A second signal skips the wait.
import { validateLocalModel } from '../server/llama/gguf-info';
import { isLoopbackHost, modelIdForFile, startLocalEndpoint, type LocalEndpoint } from '../server/llama/openai-server';
import { loadNodeLlamaCpp, type GpuLayers } from '../server/llama/runtime';

export const SERVE_USAGE = `usage: orchestra serve --model FILE.gguf [--model FILE2.gguf …] [--port N] [--host 127.0.0.1]
                       [--allow-remote] [--threads N] [--gpu-layers N|auto|max] [--cpu]
                       [--concurrency N] [--context N] [--api-key-env VAR] [--drain-seconds N]
Serves local GGUF models at an OpenAI-compatible endpoint (/v1/chat/completions, /v1/models).
Listens on 127.0.0.1 only unless --allow-remote is given with another --host.
  --threads N          CPU threads (default: the physical cores; never more than the cores)
  --gpu-layers N       layers offloaded to the GPU when a GPU build of node-llama-cpp is installed:
                       auto (default: as many as fit), max (all), or a number; 0 is CPU only
  --cpu                the same as --gpu-layers 0
  --drain-seconds N    on Ctrl-C/SIGTERM, wait this long for requests in flight (default 10)
On Ctrl-C or SIGTERM it stops accepting requests, lets those in flight finish (a second signal
aborts them), unloads the models and exits 0.
Exit codes: 0 stopped by a signal; 1 a model file or the port could not be used; 2 usage error.`;

export interface ServeArgs {
  models: string[];
  port: number;
  host: string;
  allowRemote: boolean;
  threads?: number;
  concurrency?: number;
  contextSize?: number;
  apiKeyEnv?: string;
  cpu: boolean;
  gpuLayers?: GpuLayers;
  drainSeconds: number;
}

/** `auto`, `max` or a whole number of layers. */
export function parseGpuLayers(flag: string, v: string): GpuLayers {
  if (v === 'auto' || v === 'max') return v;
  const n = Number(v);
  if (!/^\d+$/.test(v) || !Number.isSafeInteger(n)) throw new Error(`${flag} must be auto, max or a whole number of layers, got "${v}"`);
  return n;
}

export function parseServeArgs(args: string[]): ServeArgs {
  const out: ServeArgs = { models: [], port: 8088, host: '127.0.0.1', allowRemote: false, cpu: false, drainSeconds: 10 };
  const int = (flag: string, v: string | undefined, min: number, max: number): number => {
    const n = Number(v);
    if (v === undefined || !Number.isInteger(n) || n < min || n > max)
      throw new Error(`${flag} needs a whole number from ${min} to ${max}`);
    return n;
  };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const [flag, inline] =
      a.startsWith('--') && a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    const value = () => {
      const v = inline ?? args[++i];
      if (v === undefined || (inline === undefined && v.startsWith('--'))) throw new Error(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case '--model':
      case '-m':
        out.models.push(value());
        break;
      case '--port':
        out.port = int(flag, value(), 0, 65535);
        break;
      case '--host':
        out.host = value();
        break;
      case '--allow-remote':
        out.allowRemote = true;
        break;
      case '--threads':
        out.threads = int(flag, value(), 1, 1024);
        break;
      case '--concurrency':
        out.concurrency = int(flag, value(), 1, 64);
        break;
      case '--context':
        out.contextSize = int(flag, value(), 512, 1_048_576);
        break;
      case '--api-key-env':
        out.apiKeyEnv = value();
        break;
      case '--cpu':
        out.cpu = true;
        break;
      case '--gpu-layers':
        out.gpuLayers = parseGpuLayers(flag, value());
        break;
      case '--drain-seconds':
        out.drainSeconds = int(flag, value(), 0, 3600);
        break;
      default:
        throw new Error(`unknown option ${a}`);
    }
  }
  if (out.models.length === 0) throw new Error('--model FILE.gguf is required');
  if (out.cpu && out.gpuLayers !== undefined && out.gpuLayers !== 0) throw new Error('--cpu and --gpu-layers contradict each other');
  if (!isLoopbackHost(out.host) && !out.allowRemote) {
    throw new Error(`refusing to listen on ${out.host}: other machines could use your models; add --allow-remote if that is intended`);
  }
  return out;
}

export interface ServeIo {
  out: (line: string) => void;
  err: (line: string) => void;
  /** Resolves when the server should stop; default: SIGINT or SIGTERM. */
  stopSignal?: Promise<void>;
  /** Resolves when waiting for requests in flight should end (default: a second SIGINT or SIGTERM). */
  abortSignal?: Promise<void>;
  /** Called once the endpoint is listening (tests use it). */
  onListening?: (endpoint: LocalEndpoint) => void;
}

/**
 * The first SIGINT/SIGTERM asks to stop, the second to stop waiting. The handler stays installed
 * until the process exits: a library's `signal-exit` hook (node-llama-cpp's dependencies install
 * one) re-raises a signal when it is the only listener left, which would kill us with 130/143
 * in the middle of the clean shutdown.
 */
function signalStops(): { stop: Promise<void>; abort: Promise<void> } {
  let count = 0;
  let onStop!: () => void;
  let onAbort!: () => void;
  const stop = new Promise<void>((r) => (onStop = r));
  const abort = new Promise<void>((r) => (onAbort = r));
  const handler = () => {
    count++;
    if (count === 1) onStop();
    else onAbort();
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return { stop, abort };
}

export async function runServeCommand(
  args: string[],
  io: ServeIo = { out: (l) => console.log(l), err: (l) => console.error(l) },
): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    io.out(SERVE_USAGE);
    return 0;
  }
  let parsed: ServeArgs;
  try {
    parsed = parseServeArgs(args);
  } catch (err) {
    io.err(`orchestra serve: ${(err as Error).message}\n${SERVE_USAGE}`);
    return 2;
  }
  let apiKey: string | undefined;
  if (parsed.apiKeyEnv) {
    apiKey = process.env[parsed.apiKeyEnv];
    if (!apiKey) {
      io.err(`orchestra serve: environment variable ${parsed.apiKeyEnv} is empty or unset`);
      return 2;
    }
  }
  const models: Array<{ id: string; path: string }> = [];
  for (const file of parsed.models) {
    try {
      await validateLocalModel(file, { contextLength: parsed.contextSize });
    } catch (err) {
      io.err(`orchestra serve: ${(err as Error).message}`);
      return 1;
    }
    let id = modelIdForFile(file);
    for (let n = 2; models.some((m) => m.id === id); n++) id = `${modelIdForFile(file)}-${n}`;
    models.push({ id, path: file });
  }
  try {
    // A build without the runtime says so now, not on the first request.
    await loadNodeLlamaCpp();
  } catch (err) {
    io.err(`orchestra serve: ${(err as Error).message}`);
    return 1;
  }
  let endpoint: LocalEndpoint;
  try {
    endpoint = await startLocalEndpoint({
      models,
      host: parsed.host,
      port: parsed.port,
      allowNonLoopback: parsed.allowRemote,
      threads: parsed.threads,
      concurrency: parsed.concurrency,
      contextSize: parsed.contextSize,
      gpu: parsed.cpu || parsed.gpuLayers === 0 ? false : 'auto',
      gpuLayers: parsed.gpuLayers,
      apiKey,
      log: (e) => {
        if (e.level !== 'info') io.err(`${e.level}: ${e.message}`);
        else if (e.requestId) io.out(`${e.model} ${e.finishReason} ${e.promptTokens ?? 0}+${e.completionTokens ?? 0} tokens ${e.ms} ms`);
        else io.out(e.message);
      },
    });
  } catch (err) {
    io.err(`orchestra serve: ${(err as Error).message}`);
    return 1;
  }
  io.out(`OpenAI-compatible endpoint: ${endpoint.baseUrl}`);
  for (const m of models) io.out(`  model "${m.id}"  ${m.path}`);
  if (!isLoopbackHost(parsed.host))
    io.out(`warning: listening on ${parsed.host}; other machines can reach it${apiKey ? ' (API key required)' : ' without a key'}`);
  io.out('Press Ctrl+C to stop.');
  io.onListening?.(endpoint);
  const signals = io.stopSignal ? undefined : signalStops();
  await (io.stopSignal ?? signals!.stop);
  const inFlight = endpoint.inFlight();
  io.out(
    inFlight
      ? `stopping: no new requests; waiting up to ${parsed.drainSeconds} s for ${inFlight} in flight (Ctrl-C again to abort them)`
      : 'stopping',
  );
  const drainMs = parsed.drainSeconds * 1000;
  const closing = endpoint.close({ drainMs });
  // A second signal ends the wait: close again with no drain aborts what is left.
  void (io.abortSignal ?? signals?.abort)?.then(() => endpoint.abortInFlight());
  await closing;
  io.out('stopped');
  return 0;
}
