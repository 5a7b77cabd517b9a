// `orchestra serve --model FILE.gguf [--model FILE2.gguf] [--port N] [--host 127.0.0.1]
//  [--allow-remote] [--threads N] [--concurrency N] [--context N] [--api-key-env VAR] [--cpu]`
// Serves local GGUF models as an OpenAI-compatible endpoint until SIGINT/SIGTERM.
import { validateLocalModel } from '../server/llama/gguf-info';
import { isLoopbackHost, modelIdForFile, startLocalEndpoint, type LocalEndpoint } from '../server/llama/openai-server';

export const SERVE_USAGE = `usage: orchestra serve --model FILE.gguf [--model FILE2.gguf …] [--port N] [--host 127.0.0.1]
                       [--allow-remote] [--threads N] [--concurrency N] [--context N]
                       [--api-key-env VAR] [--cpu]
Serves local GGUF models at an OpenAI-compatible endpoint (/v1/chat/completions, /v1/models).
Listens on 127.0.0.1 only unless --allow-remote is given with another --host.`;

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
}

export function parseServeArgs(args: string[]): ServeArgs {
  const out: ServeArgs = { models: [], port: 8088, host: '127.0.0.1', allowRemote: false, cpu: false };
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
      default:
        throw new Error(`unknown option ${a}`);
    }
  }
  if (out.models.length === 0) throw new Error('--model FILE.gguf is required');
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
  /** Called once the endpoint is listening (tests use it). */
  onListening?: (endpoint: LocalEndpoint) => void;
}

function signalStop(): Promise<void> {
  return new Promise((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
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
      gpu: parsed.cpu ? false : 'auto',
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
  await (io.stopSignal ?? signalStop());
  await endpoint.close();
  io.out('stopped');
  return 0;
}
