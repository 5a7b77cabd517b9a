// Benchmarks of the engine in process, against the project's scripted model server over real HTTP:
// overhead per orchestration turn (vs a bare `openai` SDK loop sending the same requests),
// parallel subtasks (wall / L, and the serial baseline), and cost (cheapest eligible model of the
// needed role vs always the strongest, with the ledger checked against Σ tokens × prices).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { parseConfig, type OrchestraConfig, type OrchestraConfigInput } from '../../src/core/config';
import { createEngine } from '../../src/core/engine';
import type { Engine, EngineHost } from '../../src/core/engine-api';
import type { EngineEvent } from '../../src/core/protocol/events';
import { createWorkspaceTools } from '../../src/core/tools';
import { dollarsFor } from '../../src/core/pool';
import { startModelServer } from '../../test/support/model-server';
import { alternate, median, ms, now, p95, ratio, fanOutOrchestrator, type Bench } from './util';

const host: EngineHost = {
  workspaceTrusted: true,
  getSecret: async () => undefined,
  requestApproval: async () => false,
  // A warning is something the bench set up wrong (e.g. usage the request could not produce): show it.
  log: (level, message) => {
    if (level === 'warn' || level === 'error') console.error(`engine ${level}: ${message}`);
  },
};

function config(input: OrchestraConfigInput): OrchestraConfig {
  const { config: c, problems } = parseConfig({ requests: { timeoutSeconds: 60, retries: 0, stream: true }, ...input });
  if (problems.length) throw new Error(`bench config is invalid: ${JSON.stringify(problems)}`);
  return c;
}

function tempWorkspace(): { dir: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'orchestra-bench-ws-'));
  writeFileSync(join(dir, 'README.md'), '# bench\n');
  writeFileSync(join(dir, 'main.py'), 'print(42)\n');
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

async function runTask(engine: Engine, question: string, workspace: string, onEvent?: (e: EngineEvent) => void) {
  const outcome = await engine.ask({ question, workspace }, (e) => onEvent?.(e));
  if (!outcome.ok) throw new Error(`bench task failed: ${outcome.error?.code}: ${outcome.error?.message}`);
  return outcome;
}

/** Reads a streamed chat completion the way any client must: content and tool-call deltas. */
async function streamOnce(client: OpenAI, body: any): Promise<{ content: string; calls: Array<{ name: string; args: string }> }> {
  const stream = await client.chat.completions.create({ ...body, stream: true } as OpenAI.Chat.ChatCompletionCreateParamsStreaming);
  let content = '';
  const calls: Array<{ name: string; args: string }> = [];
  for await (const chunk of stream) {
    const d = chunk.choices[0]?.delta;
    if (!d) continue;
    if (d.content) content += d.content;
    for (const tc of d.tool_calls ?? []) {
      const c = (calls[tc.index] ??= { name: '', args: '' });
      if (tc.function?.name) c.name += tc.function.name;
      if (tc.function?.arguments) c.args += tc.function.arguments;
    }
  }
  return { content, calls };
}

// ---------------------------------------------------------------------------------------------

export const engineOverhead: Bench = async (ctx) => {
  const server = await startModelServer();
  const ws = tempWorkspace();
  try {
    // Turn 1 calls a cheap tool, turn 2 answers in text: two orchestration turns per task.
    server.setHandler('orch', (body) =>
      body.messages.some((m: any) => m.role === 'tool')
        ? { content: 'The workspace holds README.md and main.py.' }
        : { toolCalls: [{ name: 'list_files', arguments: { path: '.' } }] },
    );
    const cfg = config({
      models: [{ id: 'orch', baseUrl: server.url, model: 'orch', roles: ['orchestrator'] }],
      orchestrator: { model: 'orch', dialect: 'general' },
      tools: { runCode: { enabled: false } },
    });
    const engine = createEngine(host, cfg, { rgPath: '/usr/bin/rg' });
    // The requests the engine sends for one task, replayed byte for byte by the baseline.
    await runTask(engine, 'What files are in the workspace?', ws.dir);
    const bodies = server.requests.slice(-2).map((r) => r.body);
    const client = new OpenAI({ baseURL: server.url, apiKey: 'bench', maxRetries: 0 });
    const listFiles = createWorkspaceTools({
      config: cfg,
      getSecret: async () => undefined,
      workspace: ws.dir,
      workspaceTrusted: true,
      rgPath: '/usr/bin/rg',
    }).find((t) => t.name === 'list_files')!;
    const toolCtx: any = {
      workspace: ws.dir,
      signal: new AbortController().signal,
      callId: 'bench',
      taskId: 'bench',
      progress: () => undefined,
      requestApproval: async () => false,
    };

    const viaEngine = () => runTask(engine, 'What files are in the workspace?', ws.dir);
    const bareLoop = async () => {
      const first = await streamOnce(client, bodies[0]);
      const call = first.calls[0];
      if (call?.name !== 'list_files') throw new Error('baseline: expected a list_files call');
      await listFiles.run(listFiles.schema.parse(JSON.parse(call.args)), toolCtx);
      const second = await streamOnce(client, bodies[1]);
      if (!second.content) throw new Error('baseline: expected an answer');
    };
    const rounds = ctx.quick ? 60 : 300;
    const [eng, bare] = await alternate([viaEngine, bareLoop], rounds, ctx.quick ? 10 : 30);
    await engine.dispose();
    const perTurnEngine = median(eng) / 2;
    const perTurnBare = median(bare) / 2;
    const r = perTurnEngine / perTurnBare;
    return [
      {
        bench: 'engine-overhead',
        what: 'engine overhead per orchestration turn (zero-latency server)',
        baseline: `${ms(perTurnBare)}/turn bare SDK`,
        measured: `${ms(perTurnEngine)}/turn`,
        ratio: ratio(perTurnEngine, perTurnBare),
        target: '≤ 1.10×',
        met: r <= 1.1,
        note: `${rounds} tasks × 2 turns each way, alternated; medians. Absolute overhead ${ms(perTurnEngine - perTurnBare)} per turn.`,
        data: {
          rounds,
          engineTaskMs: { median: median(eng), p95: p95(eng) },
          bareTaskMs: { median: median(bare), p95: p95(bare) },
          ratio: r,
        },
      },
    ];
  } finally {
    await server.close();
    ws.cleanup();
  }
};

// ---------------------------------------------------------------------------------------------

export const parallelSubtasks: Bench = async (ctx) => {
  const L = 300;
  const N = 8;
  const server = await startModelServer();
  const ws = tempWorkspace();
  try {
    server.setHandler('orch', fanOutOrchestrator(N, 'All eight parts are done.'));
    server.setHandler('expert', () => ({ content: 'part done', latencyMs: L }));
    const make = (concurrency: number) =>
      createEngine(
        host,
        config({
          models: [
            { id: 'orch', baseUrl: server.url, model: 'orch', roles: ['orchestrator'] },
            { id: 'expert', baseUrl: server.url, model: 'expert', roles: ['general'] },
          ],
          orchestrator: { model: 'orch', dialect: 'general' },
          concurrency,
          tools: { runCode: { enabled: false } },
        }),
        { rgPath: '/usr/bin/rg' },
      );
    const parallel = make(N);
    const serial = make(1);
    // Wall time of the subtask phase: first call started → last call finished, as the engine reports it.
    const phase = async (engine: Engine): Promise<{ phaseMs: number; taskMs: number }> => {
      let first = Infinity;
      let last = 0;
      let finished = 0;
      const t0 = now();
      await runTask(engine, 'Do the eight parts.', ws.dir, (e) => {
        if (e.type === 'tool_call_started' && e.tool === 'call_model') first = Math.min(first, now());
        if (e.type === 'tool_call_finished' && e.tool === 'call_model') {
          last = Math.max(last, now());
          if (e.state === 'ok') finished++;
        }
      });
      if (finished !== N) throw new Error(`parallel bench: ${finished} of ${N} subtasks finished ok`);
      return { phaseMs: last - first, taskMs: now() - t0 };
    };
    const par: number[] = [];
    const ser: number[] = [];
    const parTask: number[] = [];
    const rounds = ctx.quick ? 2 : 5;
    await phase(parallel); // warm-up (connections, first-use code paths)
    for (let i = 0; i < rounds; i++) {
      const p = await phase(parallel);
      par.push(p.phaseMs);
      parTask.push(p.taskMs);
      ser.push((await phase(serial)).phaseMs);
    }
    await parallel.dispose();
    await serial.dispose();
    const pr = median(par) / L;
    const sr = median(ser) / L;
    return [
      {
        bench: 'parallel',
        what: `parallel subtasks: ${N} call_model subtasks, server latency L = ${L} ms`,
        baseline: `serial ${ms(median(ser))} = ${sr.toFixed(2)} L`,
        measured: `${ms(median(par))} = ${pr.toFixed(2)} L`,
        ratio: `${pr.toFixed(2)} (serial ${sr.toFixed(2)})`,
        target: '≤ 1.15 (serial: 8)',
        met: pr <= 1.15,
        note: `${rounds} tasks each way, alternated; medians of the subtask phase (first call started → last finished). Whole task incl. 2 orchestrator turns: ${ms(median(parTask))}.`,
        data: { L, N, rounds, parallelPhaseMs: par, serialPhaseMs: ser, parallelTaskMs: parTask },
      },
    ];
  } finally {
    await server.close();
    ws.cleanup();
  }
};

// ---------------------------------------------------------------------------------------------

interface PricedModel {
  id: string;
  roles: Array<'general' | 'code' | 'math' | 'reasoning'>;
  inputPricePerMillion: number;
  outputPricePerMillion: number;
  /** Price in hundredths of a dollar per million tokens: integers, for an exact total. */
  centsIn: number;
  centsOut: number;
}

// The ToolOrchestra price pool (dollars per million input / output tokens).
const POOL: PricedModel[] = [
  {
    id: 'gpt-5',
    roles: ['general', 'code', 'math', 'reasoning'],
    inputPricePerMillion: 1.25,
    outputPricePerMillion: 10,
    centsIn: 125,
    centsOut: 1000,
  },
  {
    id: 'gpt-5-mini',
    roles: ['general', 'code', 'reasoning'],
    inputPricePerMillion: 0.25,
    outputPricePerMillion: 2,
    centsIn: 25,
    centsOut: 200,
  },
  { id: 'qwen3-32b', roles: ['general', 'code', 'math'], inputPricePerMillion: 0.8, outputPricePerMillion: 0.8, centsIn: 80, centsOut: 80 },
  { id: 'math-7b', roles: ['math'], inputPricePerMillion: 0.2, outputPricePerMillion: 0.2, centsIn: 20, centsOut: 20 },
];

// The same tasks for both policies: the role each needs and the tokens its expert call uses.
const TASKS: Array<{ question: string; role: 'general' | 'code' | 'math' | 'reasoning'; prompt: number; completion: number }> = [
  { question: 'Integrate x^2 sin x.', role: 'math', prompt: 420, completion: 900 },
  { question: 'Is 2^61-1 prime? Show why.', role: 'math', prompt: 380, completion: 1400 },
  { question: 'Solve the recurrence T(n)=2T(n/2)+n.', role: 'math', prompt: 350, completion: 700 },
  { question: 'Write a debounce in TypeScript.', role: 'code', prompt: 900, completion: 600 },
  { question: 'Refactor this loop into a generator.', role: 'code', prompt: 2600, completion: 1200 },
  { question: 'Write a SQL query for the top 5 customers.', role: 'code', prompt: 700, completion: 250 },
  { question: 'Explain CAP in two sentences.', role: 'general', prompt: 300, completion: 120 },
  { question: 'Summarise this changelog.', role: 'general', prompt: 5200, completion: 400 },
  { question: 'Plan a migration from REST to gRPC.', role: 'reasoning', prompt: 1100, completion: 2200 },
  { question: 'Why does this test flake?', role: 'reasoning', prompt: 3000, completion: 900 },
];
const ORCH_USAGE = { prompt_tokens: 1500, completion_tokens: 80 };

function cheapestFor(role: string, prompt: number, completion: number): PricedModel {
  const eligible = POOL.filter((m) => m.roles.includes(role as never));
  return eligible.reduce((best, m) =>
    dollarsFor(m, { inputTokens: prompt, outputTokens: completion }) < dollarsFor(best, { inputTokens: prompt, outputTokens: completion })
      ? m
      : best,
  );
}

export const cost: Bench = async () => {
  const server = await startModelServer();
  const ws = tempWorkspace();
  try {
    let policy: 'cheapest' | 'strongest' = 'cheapest';
    let taskIndex = 0;
    server.setHandler('orch', (body) => {
      if (body.messages.some((m: any) => m.role === 'tool')) return { content: 'Here is the answer.', usage: ORCH_USAGE };
      const t = TASKS[taskIndex];
      const model = policy === 'cheapest' ? cheapestFor(t.role, t.prompt, t.completion).id : 'gpt-5';
      // The context makes the expert's prompt really as long as the tokens its server reports: the
      // engine records reported usage only up to what the request could have produced.
      return {
        toolCalls: [{ name: 'call_model', arguments: { model, task: t.question, context: 'lorem '.repeat(t.prompt) } }],
        usage: ORCH_USAGE,
      };
    });
    for (const m of POOL)
      server.setHandler(m.id, () => ({
        content: 'expert answer',
        usage: { prompt_tokens: TASKS[taskIndex].prompt, completion_tokens: TASKS[taskIndex].completion },
      }));
    const cfg = config({
      models: [
        {
          id: 'orch',
          baseUrl: server.url,
          model: 'orch',
          roles: ['orchestrator'],
          openWeights: true,
          contextWindow: 131072,
          description: 'local orchestrator (free)',
        },
        ...POOL.map((m) => ({
          id: m.id,
          baseUrl: server.url,
          model: m.id,
          roles: m.roles,
          inputPricePerMillion: m.inputPricePerMillion,
          outputPricePerMillion: m.outputPricePerMillion,
          maxOutputTokens: 4096,
          local: false,
        })),
      ],
      orchestrator: { model: 'orch', dialect: 'general' },
      tools: { runCode: { enabled: false } },
      budget: { maxDollarsPerTask: 1 },
    });
    const engine = createEngine(host, cfg, { rgPath: '/usr/bin/rg' });
    const results: Record<string, { dollars: number; ledgerExact: boolean; centsTimesTokens: bigint; calls: string[] }> = {};
    for (const p of ['cheapest', 'strongest'] as const) {
      policy = p;
      let dollars = 0;
      let exactTotal = 0n;
      let allExact = true;
      const calls: string[] = [];
      for (taskIndex = 0; taskIndex < TASKS.length; taskIndex++) {
        const before = server.requests.length;
        const outcome = await runTask(engine, TASKS[taskIndex].question, ws.dir);
        // Σ tokens × prices, from what the server reported for each request, in call order.
        let sum = 0;
        let exact = 0n;
        for (const req of server.requests.slice(before)) {
          const m =
            req.model === 'orch'
              ? { inputPricePerMillion: 0, outputPricePerMillion: 0, centsIn: 0, centsOut: 0 }
              : POOL.find((x) => x.id === req.model)!;
          const u =
            req.model === 'orch' ? ORCH_USAGE : { prompt_tokens: TASKS[taskIndex].prompt, completion_tokens: TASKS[taskIndex].completion };
          sum += dollarsFor(m, { inputTokens: u.prompt_tokens, outputTokens: u.completion_tokens });
          exact += BigInt(u.prompt_tokens * m.centsIn + u.completion_tokens * m.centsOut);
          if (req.model !== 'orch') calls.push(req.model);
        }
        // The exact value is exact/1e8 dollars; the ledger must equal the float sum bit for bit and round to it.
        const exactDollars = Number(exact) / 1e8;
        if (outcome.totals.dollars !== sum || Math.abs(outcome.totals.dollars - exactDollars) > 1e-15) allExact = false;
        dollars += outcome.totals.dollars;
        exactTotal += exact;
      }
      results[p] = { dollars, ledgerExact: allExact, centsTimesTokens: exactTotal, calls };
    }
    await engine.dispose();
    const c = results.cheapest.dollars / TASKS.length;
    const s = results.strongest.dollars / TASKS.length;
    const ledgerOk = results.cheapest.ledgerExact && results.strongest.ledgerExact;
    return [
      {
        bench: 'cost',
        what: `cost: ${TASKS.length} tasks, cheapest eligible model of the needed role vs always GPT-5`,
        baseline: `$${s.toFixed(6)}/task (GPT-5)`,
        measured: `$${c.toFixed(6)}/task`,
        ratio: ratio(c, s),
        target: 'report; ledger = Σ tokens × prices',
        met: ledgerOk,
        note: `Ledger ${ledgerOk ? 'equals' : 'DIFFERS FROM'} Σ tokens × prices for every task (bit-identical to the per-call sum, and within 1e-15 of the exact integer total: cheapest ${results.cheapest.centsTimesTokens} ¢·tokens/1e6 = $${(Number(results.cheapest.centsTimesTokens) / 1e8).toFixed(8)}, strongest ${results.strongest.centsTimesTokens} = $${(Number(results.strongest.centsTimesTokens) / 1e8).toFixed(8)}). Cheapest picks: ${results.cheapest.calls.join(', ')}. Same token counts for every model (the simulation's simplification).`,
        data: {
          tasks: TASKS,
          orchestratorUsage: ORCH_USAGE,
          cheapestDollars: results.cheapest.dollars,
          strongestDollars: results.strongest.dollars,
          cheapestPicks: results.cheapest.calls,
          ledgerExact: ledgerOk,
        },
      },
    ];
  } finally {
    await server.close();
    ws.cleanup();
  }
};
