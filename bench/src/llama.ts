// Issue 10's benchmark: a tiny GGUF model served by `orchestra serve` (a real process) and read with
// the `openai` SDK, vs the same model driven by node-llama-cpp directly in this process; same prompt,
// same sampling, same thread count, runs alternated. Tokens/s end to end and time to first token.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import OpenAI from 'openai';
import { makeModelDir, writeRandomModel } from '../../test/support/gguf';
import { coreCount, createChatWrapper, detectChatFormat, loadNodeLlamaCpp } from '../../src/server/llama/runtime';
import { median, ms, now, type Bench } from './util';

interface Gen {
  totalMs: number;
  ttftMs: number;
  tokens: number;
}

const PROMPT = 'Tell me a long story about a lighthouse keeper.';
const MAX_TOKENS = 64;
const CONTEXT = 4096;

async function startServe(root: string, model: string, threads: number): Promise<{ baseUrl: string; stop(): Promise<void> }> {
  const child = spawn(process.execPath, [join(root, 'dist', 'cli.js'), 'serve', '--model', model, '--port', '0', '--cpu', '--threads', String(threads), '--context', String(CONTEXT), '--concurrency', '1'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const baseUrl = await new Promise<string>((resolve, reject) => {
    const onData = (d: Buffer) => {
      out += d.toString();
      const m = /OpenAI-compatible endpoint: (\S+)/.exec(out);
      if (m) resolve(m[1]);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => reject(new Error(`orchestra serve exited (${code}): ${out.slice(-1000)}`)));
    setTimeout(() => reject(new Error(`orchestra serve did not start in 60 s: ${out.slice(-1000)}`)), 60_000).unref();
  });
  return {
    baseUrl,
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

export const llamaServe: Bench = async (ctx) => {
  const dir = makeModelDir();
  const file = join(dir.dir, 'tiny-random.gguf');
  writeRandomModel(file);
  // One core is left to the rest on both sides: the bench's own JS (direct) or the HTTP client (serve).
  // With every core computing, the figure measured which side lost its core to the other work more
  // often (0.7× to 3.4× from one run to the next on a 2-core machine), not the endpoint.
  const threads = Math.max(1, coreCount() - 1);
  const serve = await startServe(ctx.root, file, threads);
  const lib = await loadNodeLlamaCpp();
  const llama = await lib.getLlama({ gpu: false, build: 'never', maxThreads: threads, progressLogs: false, logLevel: lib.LlamaLogLevel.error });
  const model = await llama.loadModel({ modelPath: file });
  const context = await model.createContext({ contextSize: CONTEXT, sequences: 1, threads });
  // The chat wrapper the server picks for this model (from its template), made once as the runtime
  // does per loaded model: the same prompt format and the same stop and segment handling per token.
  const template = model.fileInfo.metadata?.tokenizer?.chat_template;
  const chatWrapper = createChatWrapper(lib, detectChatFormat(typeof template === 'string' ? template : undefined), model);
  try {
    const client = new OpenAI({ baseURL: serve.baseUrl, apiKey: 'unused', maxRetries: 0 });
    const viaServe = async (): Promise<Gen> => {
      const t0 = now();
      let first = 0;
      let tokens = 0;
      const stream = await client.chat.completions.create({ model: 'local:tiny-random', messages: [{ role: 'user', content: PROMPT }], max_tokens: MAX_TOKENS, temperature: 0.7, seed: 7, stream: true, stream_options: { include_usage: true } });
      for await (const chunk of stream) {
        if (!first && chunk.choices[0]?.delta?.content) first = now();
        if (chunk.usage) tokens = chunk.usage.completion_tokens;
      }
      return { totalMs: now() - t0, ttftMs: first - t0, tokens };
    };
    const direct = async (): Promise<Gen> => {
      const t0 = now();
      let first = 0;
      const sequence = context.getSequence();
      const chat = new lib.LlamaChat({ contextSequence: sequence, chatWrapper });
      const before = sequence.tokenMeter.usedOutputTokens;
      try {
        await chat.generateResponse([{ type: 'user', text: PROMPT }, { type: 'model', response: [] }], {
          maxTokens: MAX_TOKENS,
          temperature: 0.7,
          seed: 7,
          // As the server does for an OpenAI request without frequency/presence penalties.
          repeatPenalty: false,
          onTextChunk: (c: string) => {
            if (!first && c) first = now();
          },
        });
        return { totalMs: now() - t0, ttftMs: first - t0, tokens: sequence.tokenMeter.usedOutputTokens - before };
      } finally {
        chat.dispose({ disposeSequence: false });
        sequence.dispose();
      }
    };
    const serveRuns: Gen[] = [];
    const directRuns: Gen[] = [];
    const rounds = ctx.quick ? 2 : 5;
    for (let r = -1; r < rounds; r++) {
      const pair = r % 2 ? [direct, viaServe] : [viaServe, direct];
      for (const fn of pair) {
        const g = await fn();
        if (r >= 0) (fn === direct ? directRuns : serveRuns).push(g);
      }
    }
    const tps = (g: Gen) => g.tokens / (g.totalMs / 1000);
    const serveTps = median(serveRuns.map(tps));
    const directTps = median(directRuns.map(tps));
    const overhead = directTps / serveTps;
    const serveTtft = median(serveRuns.map((g) => g.ttftMs));
    const directTtft = median(directRuns.map((g) => g.ttftMs));
    return [
      {
        bench: 'llama',
        what: `embedded llama.cpp: orchestra serve + openai SDK vs node-llama-cpp direct (tiny model, ${MAX_TOKENS} tokens, ${threads} threads)`,
        baseline: `${directTps.toFixed(0)} tok/s direct`,
        measured: `${serveTps.toFixed(0)} tok/s`,
        ratio: `${overhead.toFixed(2)}× overhead`,
        target: '≤ 1.05×',
        met: overhead <= 1.05,
        note: `${rounds} generations each, alternated; medians. Tokens per run: serve ${median(serveRuns.map((g) => g.tokens))}, direct ${median(directRuns.map((g) => g.tokens))}.`,
        data: { serveRuns, directRuns, serveTps, directTps, overhead, serveTtft, directTtft },
      },
      {
        bench: 'llama',
        what: 'embedded llama.cpp: time to first token (same runs)',
        baseline: `${ms(directTtft)} direct`,
        measured: ms(serveTtft),
        ratio: `+${ms(serveTtft - directTtft)}`,
        target: 'report',
        met: null,
      },
    ];
  } finally {
    await context.dispose();
    await model.dispose();
    await llama.dispose();
    await serve.stop();
    dir.cleanup();
  }
};
