// The embedded runtime's benchmarks. Throughput: a tiny GGUF model served by `orchestra serve` (a real
// process) and read with the `openai` SDK, vs the same model driven by node-llama-cpp directly in
// this process; same prompt, same sampling, same thread count, both keeping their KV cache between
// calls, runs alternated. Tokens/s end to end and time to first token. KV-cache reuse: the time to
// first token of turn N against turn 1 of a conversation that grows to about 4k tokens, and of the
// same last turn with nothing cached.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import OpenAI from 'openai';
import { makeModelDir, writeRandomModel } from '../../test/support/gguf';
import { coreCount, createChatWrapper, detectChatFormat, loadNodeLlamaCpp } from '../../src/server/llama/runtime';
import { median, ms, now, type Bench } from './util';

interface Gen {
  totalMs: number;
  ttftMs: number;
  /** From the request to the last piece of text. */
  lastMs: number;
  tokens: number;
}

/** Decode throughput: the tokens after the first over the time from the first to the last (time to first token is its own row). */
const decodeTps = (g: Gen) => (g.tokens - 1) / ((g.lastMs - g.ttftMs) / 1000);
/** End to end: every token over the whole request. */
const requestTps = (g: Gen) => g.tokens / (g.totalMs / 1000);

const PROMPT = 'Tell me a long story about a lighthouse keeper.';
const MAX_TOKENS = 64;
const CONTEXT = 4096;

/** Rounds run before measuring, on both sides. */
const WARM_UP_ROUNDS = 3;

interface Serve {
  baseUrl: string;
  stop(): Promise<void>;
}

async function startServe(root: string, models: string[], threads: number, context = CONTEXT): Promise<Serve> {
  const child = spawn(
    process.execPath,
    [
      join(root, 'dist', 'cli.js'),
      'serve',
      ...models.flatMap((m) => ['--model', m]),
      '--port',
      '0',
      '--cpu',
      '--threads',
      String(threads),
      '--context',
      String(context),
      '--concurrency',
      '1',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
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

interface ModelCase {
  /** Row label. */
  label: string;
  file: string;
  /** Model id the server gives the file. */
  id: string;
  rounds: number;
}

interface Rate {
  direct: number;
  served: number;
  /** Direct over served, medians of each side. */
  overhead: number;
  /** The median of direct/served in each round (the two runs of a round are adjacent in time). */
  roundOverhead: number;
}

interface CaseResult {
  serveRuns: Gen[];
  directRuns: Gen[];
  decode: Rate;
  request: Rate;
  serveTtft: number;
  directTtft: number;
}

async function measure(serve: Serve, threads: number, c: ModelCase): Promise<CaseResult> {
  const lib = await loadNodeLlamaCpp();
  const llama = await lib.getLlama({
    gpu: false,
    build: 'never',
    maxThreads: threads,
    progressLogs: false,
    logLevel: lib.LlamaLogLevel.error,
  });
  const model = await llama.loadModel({ modelPath: c.file });
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
      let last = 0;
      let tokens = 0;
      const stream = await client.chat.completions.create({
        model: c.id,
        messages: [{ role: 'user', content: PROMPT }],
        max_tokens: MAX_TOKENS,
        temperature: 0.7,
        seed: 7,
        stream: true,
        stream_options: { include_usage: true },
      });
      for await (const chunk of stream) {
        if (chunk.choices[0]?.delta?.content) {
          last = now();
          first ||= last;
        }
        if (chunk.usage) tokens = chunk.usage.completion_tokens;
      }
      return { totalMs: now() - t0, ttftMs: first - t0, lastMs: last - t0, tokens };
    };
    // One sequence kept across calls and a LlamaChat per call, as the server does per request: on
    // both sides the repeated prompt is found in the KV cache and only the generation is new work.
    const sequence = context.getSequence();
    const direct = async (): Promise<Gen> => {
      const t0 = now();
      let first = 0;
      let last = 0;
      const chat = new lib.LlamaChat({ contextSequence: sequence, chatWrapper });
      const before = sequence.tokenMeter.usedOutputTokens;
      try {
        await chat.generateResponse(
          [
            { type: 'user', text: PROMPT },
            { type: 'model', response: [] },
          ],
          {
            maxTokens: MAX_TOKENS,
            temperature: 0.7,
            seed: 7,
            // As the server does for an OpenAI request without frequency/presence penalties.
            repeatPenalty: false,
            onTextChunk: (t: string) => {
              if (!t) return;
              last = now();
              first ||= last;
            },
          },
        );
        return { totalMs: now() - t0, ttftMs: first - t0, lastMs: last - t0, tokens: sequence.tokenMeter.usedOutputTokens - before };
      } finally {
        chat.dispose({ disposeSequence: false });
      }
    };
    const serveRuns: Gen[] = [];
    const directRuns: Gen[] = [];
    for (let r = -WARM_UP_ROUNDS; r < c.rounds; r++) {
      const pair = r % 2 ? [direct, viaServe] : [viaServe, direct];
      for (const fn of pair) {
        const g = await fn();
        if (r >= 0) (fn === direct ? directRuns : serveRuns).push(g);
      }
    }
    for (const g of [...serveRuns, ...directRuns]) {
      if (g.tokens !== MAX_TOKENS)
        throw new Error(`a ${c.label} run generated ${g.tokens} tokens, not ${MAX_TOKENS}: the two sides would not do the same work`);
    }
    const rate = (tps: (g: Gen) => number): Rate => {
      const direct = median(directRuns.map(tps));
      const served = median(serveRuns.map(tps));
      return { direct, served, overhead: direct / served, roundOverhead: median(serveRuns.map((g, i) => tps(directRuns[i]) / tps(g))) };
    };
    return {
      serveRuns,
      directRuns,
      decode: rate(decodeTps),
      request: rate(requestTps),
      serveTtft: median(serveRuns.map((g) => g.ttftMs)),
      directTtft: median(directRuns.map((g) => g.ttftMs)),
    };
  } finally {
    await context.dispose();
    await model.dispose();
    await llama.dispose();
  }
}

interface TurnTiming {
  turn: number;
  promptTokens: number;
  cachedTokens: number;
  ttftMs: number;
}

/** Words of the test vocabulary: each is one token, so a turn's size is known in tokens. */
const FILLER = 'the answer file read name path query function tool call result json object string number true'.split(' ');
function filler(tokens: number, seed: number): string {
  return Array.from({ length: tokens }, (_, i) => FILLER[(i * 7 + seed) % FILLER.length]).join(' ');
}

/**
 * A conversation of `turns` turns growing to about 4k tokens (a system prompt, then each turn adds a
 * user message and the model's answer), sent through `orchestra serve` turn after turn as an agent
 * does; the time to first token of each turn, then of the last turn again with nothing cached (its
 * first message changed, so no sequence holds a prefix of it).
 */
async function conversationTtft(ctx: Parameters<Bench>[0], threads: number, file: string, id: string, turns: number) {
  const serve = await startServe(ctx.root, [file], threads, 8192);
  try {
    const client = new OpenAI({ baseURL: serve.baseUrl, apiKey: 'unused', maxRetries: 0 });
    const ttft = async (messages: OpenAI.ChatCompletionMessageParam[]) => {
      const t0 = now();
      let first = 0;
      let text = '';
      let usage: OpenAI.CompletionUsage | undefined;
      const stream = await client.chat.completions.create({
        model: id,
        messages,
        max_tokens: 16,
        temperature: 0,
        stream: true,
        stream_options: { include_usage: true },
      });
      for await (const chunk of stream) {
        const piece = chunk.choices[0]?.delta?.content;
        if (piece) {
          if (!first) first = now();
          text += piece;
        }
        if (chunk.usage) usage = chunk.usage;
      }
      return {
        ms: first - t0,
        text,
        promptTokens: usage?.prompt_tokens ?? 0,
        cachedTokens: usage?.prompt_tokens_details?.cached_tokens ?? 0,
      };
    };
    // Load the model first (an unrelated prompt), so turn 1 is an evaluation like the others.
    await ttft([{ role: 'user', content: 'warm up' }]);
    const perTurn = Math.floor(3600 / turns);
    const messages: OpenAI.ChatCompletionMessageParam[] = [{ role: 'system', content: `You are a coding assistant. ${filler(300, 0)}` }];
    const timings: TurnTiming[] = [];
    for (let t = 1; t <= turns; t++) {
      messages.push({ role: 'user', content: filler(perTurn, t) });
      const r = await ttft(messages);
      timings.push({ turn: t, promptTokens: r.promptTokens, cachedTokens: r.cachedTokens, ttftMs: r.ms });
      messages.push({ role: 'assistant', content: r.text });
    }
    // The last turn's prompt again, but with its first message changed: nothing of it is cached.
    const cold = await ttft([
      { role: 'system', content: `You are a careful coding assistant. ${filler(300, 0)}` },
      ...messages.slice(1, -1),
    ]);
    return { timings, cold };
  } finally {
    await serve.stop();
  }
}

export const llamaServe: Bench = async (ctx) => {
  const dir = makeModelDir();
  // The tiny test model makes a token in well under a millisecond, so it shows every fixed cost of
  // the endpoint at its largest. The larger one (same generator: embedding 1024, 2 layers, about
  // 90 MB) costs a few milliseconds a token at one thread, closer to what a real model costs.
  const tiny = join(dir.dir, 'tiny-random.gguf');
  writeRandomModel(tiny);
  const larger = join(dir.dir, 'larger-random.gguf');
  // A context of 8192 so the conversation benchmark's 4k-token prompts fit.
  writeRandomModel(larger, { name: 'larger-random', embedding: 1024, layers: 2, contextLength: 8192 });
  // One core is left to the rest on both sides: the bench's own JS (direct) or the HTTP client (serve).
  // With every core computing, the figure measured which side lost its core to the other work more
  // often (0.7× to 3.4× from one run to the next on a 2-core machine), not the endpoint.
  const threads = Math.max(1, coreCount() - 1);
  try {
    const cases: ModelCase[] = [
      { label: 'tiny model', file: tiny, id: 'local:tiny-random', rounds: ctx.quick ? 4 : 30 },
      { label: 'larger model', file: larger, id: 'local:larger-random', rounds: ctx.quick ? 2 : 16 },
    ];
    const rows = [];
    const turns = ctx.quick ? 4 : 8;
    const conv = await conversationTtft(ctx, threads, larger, 'local:larger-random', turns);
    const first = conv.timings[0];
    const last = conv.timings[conv.timings.length - 1];
    rows.push(
      {
        bench: 'llama',
        what: `embedded llama.cpp: time to first token of turn ${last.turn} (${last.promptTokens} prompt tokens, ${last.cachedTokens} cached) vs turn 1 (${first.promptTokens} tokens) of one conversation (larger model, ${threads} threads)`,
        baseline: `${ms(first.ttftMs)} turn 1`,
        measured: `${ms(last.ttftMs)} turn ${last.turn}`,
        ratio: `${(last.ttftMs / first.ttftMs).toFixed(2)}×`,
        target: 'report (KV-cache prefix reuse: only the new turn is evaluated)',
        met: null,
        note: `Each turn adds about ${Math.floor(3600 / turns)} tokens; per turn: ${conv.timings.map((t) => `${t.turn}: ${ms(t.ttftMs)} (${t.cachedTokens}/${t.promptTokens} cached)`).join(', ')}.`,
        data: conv,
      },
      {
        bench: 'llama',
        what: `embedded llama.cpp: turn ${last.turn} with its prefix cached vs the same prompt with nothing cached (${conv.cold.promptTokens} tokens evaluated)`,
        baseline: `${ms(conv.cold.ms)} cold`,
        measured: `${ms(last.ttftMs)} cached`,
        ratio: `${(conv.cold.ms / last.ttftMs).toFixed(1)}× faster`,
        target: 'report',
        met: null,
      },
    );
    // One server for both models, as one bench process drives both on the direct side: each side's
    // JavaScript is as warm as the other's when the larger model is measured.
    const serve = await startServe(
      ctx.root,
      cases.map((c) => c.file),
      threads,
    );
    const measured: Array<[ModelCase, CaseResult]> = [];
    try {
      for (const c of cases) measured.push([c, await measure(serve, threads, c)]);
    } finally {
      await serve.stop();
    }
    for (const [c, m] of measured) {
      const msPerToken = 1000 / m.decode.direct;
      const rounds = `${c.rounds} generations each, alternated; medians (median of the per-round ratios: decode ${m.decode.roundOverhead.toFixed(2)}×, request ${m.request.roundOverhead.toFixed(2)}×). Every run generated ${MAX_TOKENS} tokens on both sides.`;
      rows.push(
        {
          bench: 'llama',
          what: `embedded llama.cpp: decode throughput, orchestra serve + openai SDK vs node-llama-cpp direct (${c.label}, ${msPerToken.toFixed(2)} ms/token direct, ${MAX_TOKENS} tokens, ${threads} threads)`,
          baseline: `${m.decode.direct.toFixed(0)} tok/s direct`,
          measured: `${m.decode.served.toFixed(0)} tok/s`,
          ratio: `${m.decode.overhead.toFixed(2)}× overhead`,
          target: '≤ 1.05×',
          met: m.decode.overhead <= 1.05,
          note: `${c.label}: tokens after the first over the time from the first to the last, as the client sees them; ${rounds}`,
          data: { model: c.label, ...m },
        },
        {
          bench: 'llama',
          what: `embedded llama.cpp: time to first token (${c.label}, same runs)`,
          baseline: `${ms(m.directTtft)} direct`,
          measured: ms(m.serveTtft),
          ratio: `+${ms(m.serveTtft - m.directTtft)}`,
          target: 'report (the fixed cost of a request: HTTP, the openai client, rendering the prompt)',
          met: null,
        },
        {
          bench: 'llama',
          what: `embedded llama.cpp: whole ${MAX_TOKENS}-token request, first token included (${c.label}, same runs)`,
          baseline: `${m.request.direct.toFixed(0)} tok/s direct`,
          measured: `${m.request.served.toFixed(0)} tok/s`,
          ratio: `${m.request.overhead.toFixed(2)}× overhead`,
          target: 'report',
          met: null,
        },
      );
    }
    return rows;
  } finally {
    dir.cleanup();
  }
};
