// `orchestra`: the headless CLI over the same engine the extension uses.
//   orchestra ask [--continue [ID]] "QUESTION" [--config FILE] [--workspace DIR] [--json] [--trajectory FILE] [--yes] [--privacy MODE] [--explain]
//   orchestra history [ID] [--delete ID] [--json]
//   orchestra models [--config FILE] [--discover] [--probe KIND:PORT]... [--json] [--stats] [--reset-stats [--model ID]]
//   orchestra feedback TASK_ID up|down|none
//   orchestra replay FILE [--json]
//   orchestra config check|schema
//   orchestra serve ... / orchestra local ...   (embedded llama.cpp models)
//   orchestra mcp [--http] ...                  (the orchestrator as an MCP server)
//   orchestra eval TASKS.jsonl --pool a.json ... (accuracy, cost and latency per pool configuration)
// Exit codes: 0 answered / ok, 1 the task failed, 2 usage or config error, 141 output pipe closed.
import { createInterface } from 'node:readline';
import { resolve } from 'node:path';
import { readFileSync, statSync } from 'node:fs';
import { PRIVACY_MODES, type OrchestraConfig, type PrivacyMode } from '../core/config';
import type { Engine, EngineHost, ModelInfo, TokenCounting } from '../core/engine-api';
import type { EngineEvent } from '../core/protocol/events';
import { createEngine } from '../core/engine';
import { discoverLocalServers, discoveredToModelEntries } from '../core/discovery';
import type { DiscoveredServer } from '../core/engine-api';
import { readTrajectory } from '../core/trajectory';
import { newId } from '../core/ids';
import { parseArgs, UsageError } from './args';
import { continuation, conversationsDir, dataDir, historyCommand } from './history';
import { ConversationLibrary, newConversationId } from '../core/conversations/library';
import { configCommand } from './config-command';
import { LiveView } from './render';
import { sanitizeTerminal } from './terminal';
import { formatBytes } from '../server/llama/gguf-info';
import { replicaLines } from './models-view';
import { feedbackCommand, qualityFile, qualityStatsTable } from './quality-cli';
import { defaultModelsDir } from '../server/llama/catalog';
import type { LocalModelListing } from '../server/llama/embedded';
import { loadConfigWithLocalModels, type LocalOverrides } from './local-registry';
import { parseGpuLayers } from './serve';

export const USAGE = `orchestra — a small orchestrator model that coordinates tools and a pool of models

Usage:
  orchestra ask "QUESTION" [options]     solve a question in a workspace (it starts a conversation)
  orchestra ask --continue [ID] "QUESTION"
                           a follow-up in the workspace's latest conversation (or conversation ID): the
                           earlier questions, answers and tool results go into its context
      --config FILE        JSON config (same keys as the orchestra.* settings); default $ORCHESTRA_CONFIG or ./orchestra.json
      --workspace DIR      folder the tools work in (default: current folder)
      --json               one engine event per line, ending with a done or error line
      --trajectory FILE    write the task's JSONL trajectory (docs/TRAJECTORY.md)
      --yes                approve every approval request (running code, paid calls past the soft limit, MCP tools)
      --privacy MODE       any | open-weights-only | local-only (overrides the config)
      --explain            print why each model was chosen: its score's top reasons and the runner-up
      --data-dir DIR       where conversations are kept (default $ORCHESTRA_DATA_DIR, else ~/.local/share/orchestra)
      --threads N          CPU threads for embedded GGUF models (default: local.threads, else the physical cores)
      --gpu-layers N       GPU offload for embedded models when a GPU build is installed: auto | max | N (0: CPU only)
  Every GGUF file in the models folder (local.modelsDir, else $ORCHESTRA_MODELS_DIR, else ~/.orchestra/models)
  joins the pool as "local:<file name>", so it can be orchestrator.model; with no config file they are the pool.
  orchestra history [ID] [--delete ID] [--json]
                           the workspace's conversations; with ID, that conversation as Markdown
  orchestra models [--config FILE] [--discover] [--probe KIND:PORT]... [--json]
                           the model pool and each model's eligibility under the current preferences;
                           --discover lists local model servers (Ollama, LM Studio, vLLM, llama.cpp, SGLang)
      --stats              each model's quality estimate per role: evidence, prior, 90% interval (docs/ROUTING.md)
      --reset-stats        forget the quality evidence (of --model ID only, when given)
  orchestra feedback TASK_ID up|down|none
                           your verdict on a task's answer: evidence for the models that served it
  orchestra replay FILE [--json]         show a trajectory as it ran
  orchestra config check [--config FILE] validate the config file: every problem with its path (exit 2 when invalid)
  orchestra config schema [--output F]   the config file's JSON Schema (for editors)
  orchestra serve --model FILE.gguf ...  serve GGUF models over an OpenAI-compatible API (orchestra serve --help)
  orchestra local list|download|verify   local GGUF models in the models folder (orchestra local --help)
  orchestra mcp [--http] ...             the orchestrator as an MCP server for other agents (orchestra mcp --help)
  orchestra eval TASKS.jsonl --pool a.json --pool b.json
                                         your own tasks under each pool: accuracy, cost, latency, Pareto plot (orchestra eval --help)
  orchestra --help | --version

API keys come from the environment variable named by each model's "apiKeyEnv".
Exit codes: 0 answered (or done), 1 the task failed, 2 usage or configuration error,
141 the output pipe was closed (e.g. piped into head). \`orchestra serve\` exits 0 when stopped
with Ctrl-C or SIGTERM.
`;

export interface CliIo {
  // Properties, not methods: they are handed around unbound (the live view writes through `out`).
  out: (text: string) => void;
  err: (text: string) => void;
  stdinIsTty: boolean;
  stdoutIsTty: boolean;
  env: NodeJS.ProcessEnv;
  cwd: string;
}

const processIo = (): CliIo => ({
  out: (t) => process.stdout.write(t),
  err: (t) => process.stderr.write(t),
  stdinIsTty: !!process.stdin.isTTY,
  stdoutIsTty: !!process.stdout.isTTY,
  env: process.env,
  cwd: process.cwd(),
});

export async function main(argv: string[], io: CliIo = processIo()): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case undefined:
      case '--help':
      case '-h':
      case 'help':
        io.out(USAGE);
        return command === undefined ? 2 : 0;
      case '--version':
      case '-v':
        io.out(`${version()}\n`);
        return 0;
      case 'ask':
        return await askCommand(rest, io);
      case 'models':
        return await modelsCommand(rest, io);
      case 'replay':
        return replayCommand(rest, io);
      case 'feedback':
        return feedbackCommand(rest, io, USAGE);
      case 'history':
        return historyCommand(rest, io);
      case 'config':
        return configCommand(rest, io);
      case 'serve': {
        const { runServeCommand } = await import('./serve');
        return await runServeCommand(rest);
      }
      case 'local': {
        const { runLocalModelsCommand } = await import('./local-models');
        return await runLocalModelsCommand(rest);
      }
      case 'mcp': {
        const { runMcpCommand } = await import('./mcp');
        return await runMcpCommand(rest, io, {
          loadConfig: (file) => loadConfigWithLocalModels(file, io, { requireModels: true }),
          privacy: privacyOrThrow,
          version: version(),
        });
      }
      case 'eval': {
        const { runEvalCommand } = await import('./eval');
        return await runEvalCommand(
          rest,
          { ...io, stderrIsTty: !!process.stderr.isTTY },
          {
            loadConfig: (file) => loadConfigWithLocalModels(file, io, { requireModels: true }),
            privacy: privacyOrThrow,
          },
        );
      }
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`orchestra: ${err.message}\nRun "orchestra --help" for usage.\n`);
      return 2;
    }
    io.err(`orchestra: ${(err as Error).message}\n`);
    return 1;
  }
}

function version(): string {
  try {
    return (JSON.parse(readFileSync(resolve(__dirname, '..', 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

function privacyOrThrow(value: string | undefined): PrivacyMode | undefined {
  if (value === undefined) return undefined;
  if (!(PRIVACY_MODES as readonly string[]).includes(value))
    throw new UsageError(`--privacy must be one of ${PRIVACY_MODES.join(', ')}, got "${value}"`);
  return value as PrivacyMode;
}

/** `--threads` and `--gpu-layers` of ask: override `local.threads` / `local.gpuLayers` for this run. */
function localOverrides(values: Record<string, string>): LocalOverrides {
  const out: LocalOverrides = {};
  if (values['--threads'] !== undefined) {
    const n = Number(values['--threads']);
    if (!Number.isInteger(n) || n < 1 || n > 1024)
      throw new UsageError(`--threads needs a whole number from 1 to 1024, got "${values['--threads']}"`);
    out.threads = n;
  }
  if (values['--gpu-layers'] !== undefined) {
    try {
      out.gpuLayers = parseGpuLayers('--gpu-layers', values['--gpu-layers']);
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
  }
  return out;
}

function cliHost(io: CliIo, opts: { yes: boolean }): EngineHost {
  // Approvals are asked one at a time on the terminal, in the order they arrive.
  let queue: Promise<unknown> = Promise.resolve();
  return {
    workspaceTrusted: true,
    getSecret(ref) {
      return Promise.resolve(ref.env ? io.env[ref.env] : undefined);
    },
    requestApproval(req) {
      if (opts.yes) return Promise.resolve(true);
      if (!io.stdinIsTty) {
        io.err(
          `orchestra: approval needed (${req.kind}): ${sanitizeTerminal(req.title)} — denied: stdin is not a terminal; pass --yes to approve\n`,
        );
        return Promise.resolve(false);
      }
      const asked = queue.then(
        () =>
          new Promise<boolean>((resolveAnswer) => {
            // The user approves exactly what is shown: no escape sequence may hide or rewrite it.
            io.err(`\n${sanitizeTerminal(req.title)}\n${indent(sanitizeTerminal(req.detail))}\n`);
            const rl = createInterface({ input: process.stdin, output: process.stderr });
            rl.question('Approve? [y/N] ', (answer) => {
              rl.close();
              resolveAnswer(/^y(es)?$/i.test(answer.trim()));
            });
          }),
      );
      queue = asked.catch(() => undefined);
      return asked;
    },
    log(level, message) {
      if (level === 'warn' || level === 'error' || io.env.ORCHESTRA_DEBUG) io.err(`orchestra ${level}: ${sanitizeTerminal(message)}\n`);
    },
  };
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((l) => `    ${l}`)
    .join('\n');
}

async function askCommand(argv: string[], io: CliIo): Promise<number> {
  const a = parseArgs(argv, {
    values: ['--config', '--workspace', '--trajectory', '--privacy', '--data-dir', '--threads', '--gpu-layers'],
    booleans: ['--json', '--yes', '--help', '--continue', '--explain'],
  });
  if (a.flags.has('--help')) {
    io.out(USAGE);
    return 0;
  }
  const privacy = privacyOrThrow(a.values['--privacy']);
  const workspace = resolve(io.cwd, a.values['--workspace'] ?? '.');
  try {
    if (!statSync(workspace).isDirectory()) throw new Error('not a folder');
  } catch {
    throw new UsageError(`--workspace ${workspace} is not a folder`);
  }
  const library = new ConversationLibrary(conversationsDir(dataDir(a.values['--data-dir'], io), workspace));
  const follow = a.flags.has('--continue') ? continuation(library, a.positionals) : undefined;
  const question = follow ? follow.question : a.positionals.join(' ').trim();
  if (!question) throw new UsageError(`ask needs a question: orchestra ask ${follow ? '--continue ' : ''}"QUESTION"`);
  const conversation = follow
    ? { dir: library.dir, id: follow.conversationId, parentTaskId: follow.parentTaskId }
    : { dir: library.dir, id: newConversationId() };
  const embedded = await loadConfigWithLocalModels(a.values['--config'], io, { requireModels: true, ...localOverrides(a.values) });
  if (!embedded) return 2;
  const config = privacy ? { ...embedded.config, privacyMode: privacy } : embedded.config;
  const json = a.flags.has('--json');
  const engine = createEngine(cliHost(io, { yes: a.flags.has('--yes') }), config, {
    qualityFile: qualityFile(io.env, io.cwd, a.values['--data-dir']),
  });
  const view = new LiveView(io.out, { color: io.stdoutIsTty && !io.env.NO_COLOR, explain: a.flags.has('--explain') });
  const taskId = newId('task');
  let interrupts = 0;
  const onSigint = () => {
    interrupts++;
    if (interrupts === 1) {
      io.err('\norchestra: cancelling… (Ctrl-C again to quit at once)\n');
      engine.cancel(taskId);
    } else process.exit(130);
  };
  process.on('SIGINT', onSigint);
  try {
    const outcome = await engine.ask(
      {
        taskId,
        question,
        workspace,
        conversation,
        trajectoryPath: a.values['--trajectory'] ? resolve(io.cwd, a.values['--trajectory']) : undefined,
      },
      (e: EngineEvent) => {
        if (json) io.out(`${JSON.stringify(e)}\n`);
        else view.handle(e);
      },
    );
    if (a.flags.has('--explain') && !json) io.out(`\nRate this answer: orchestra feedback ${taskId} up|down\n`);
    if (!json) io.err(`conversation ${conversation.id} · follow up with: orchestra ask --continue "…"\n`);
    return outcome.ok ? 0 : 1;
  } finally {
    process.off('SIGINT', onSigint);
    await engine.dispose();
    await embedded.close();
  }
}

function parseProbes(values: string[] | undefined): Array<{ port: number; kind: DiscoveredServer['kind'] }> | undefined {
  if (!values?.length) return undefined;
  const kinds: DiscoveredServer['kind'][] = ['ollama', 'lmstudio', 'vllm', 'llamacpp', 'sglang', 'openai-compatible'];
  return values.map((v) => {
    const m = /^([a-z-]+):(\d{1,5})$/.exec(v);
    if (!m || !kinds.includes(m[1] as DiscoveredServer['kind']) || Number(m[2]) > 65535)
      throw new UsageError(`--probe wants KIND:PORT with KIND one of ${kinds.join(', ')}, got "${v}"`);
    return { kind: m[1] as DiscoveredServer['kind'], port: Number(m[2]) };
  });
}

async function modelsCommand(argv: string[], io: CliIo): Promise<number> {
  const a = parseArgs(argv, {
    values: ['--config', '--privacy', '--model'],
    repeatable: ['--probe'],
    booleans: ['--discover', '--json', '--help', '--stats', '--reset-stats'],
  });
  if (a.flags.has('--help')) {
    io.out(USAGE);
    return 0;
  }
  if (a.positionals.length) throw new UsageError(`models takes no arguments, got "${a.positionals[0]}"`);
  const probes = parseProbes(a.lists['--probe']);
  const discover = a.flags.has('--discover') || !!probes;
  const privacy = privacyOrThrow(a.values['--privacy']);
  if (a.values['--model'] && !a.flags.has('--reset-stats')) throw new UsageError('--model goes with --reset-stats');
  const loaded = await loadConfigWithLocalModels(a.values['--config'], io, { requireModels: !discover });
  if (!loaded) return 2;
  const config = privacy ? { ...loaded.config, privacyMode: privacy } : loaded.config;
  const quality = qualityFile(io.env, io.cwd);
  const engine: Engine = createEngine(cliHost(io, { yes: false }), config, { qualityFile: quality });
  try {
    if (a.flags.has('--reset-stats')) {
      const n = engine.resetQuality(a.values['--model']);
      io.out(`Reset ${n} quality estimate${n === 1 ? '' : 's'}${a.values['--model'] ? ` of ${a.values['--model']}` : ''} (${quality}).\n`);
      return 0;
    }
    if (a.flags.has('--stats')) {
      const rows = engine.qualityStats();
      io.out(a.flags.has('--json') ? `${JSON.stringify({ file: quality, estimates: rows }, null, 2)}\n` : qualityStatsTable(rows, quality));
      return 0;
    }
    const counting = new Map((await engine.tokenCounting()).map((c) => [c.id, c.counting]));
    const models = engine.listModels().map((m) => ({ ...m, tokenCounting: counting.get(m.id) ?? 'estimate' }));
    const servers = discover ? await discoverLocalServers({ ports: probes }) : undefined;
    const local = await localGgufModels(config, io.env);
    if (a.flags.has('--json')) {
      io.out(
        `${JSON.stringify({ privacyMode: config.privacyMode, models, local, discovered: servers?.map((s) => ({ ...s, suggestedEntries: discoveredToModelEntries(s) })) }, null, 2)}\n`,
      );
      return 0;
    }
    io.out(`Privacy mode: ${config.privacyMode}\n`);
    if (models.length) io.out(modelTable(models));
    else if (!local) io.out('No models configured.\n');
    if (local) io.out(localGgufTable(local));
    if (servers) {
      io.out('\nLocal servers found:\n');
      if (!servers.length) io.out('  none (probed Ollama 11434, LM Studio 1234, vLLM 8000, llama.cpp 8080, SGLang 30000 on 127.0.0.1)\n');
      for (const s of servers) {
        io.out(`  ${s.kind} at ${s.baseUrl}\n`);
        for (const m of s.models)
          io.out(
            `    ${m.id}${m.contextWindow ? ` · context ${m.contextWindow}${m.contextSource ? ` (${m.contextSource})` : ''}` : ''}${m.toolCallFormat ? ` · tool calls ${m.toolCallFormat} (chat template)` : ''}\n`,
          );
      }
      const entries = servers.flatMap(discoveredToModelEntries);
      if (entries.length) io.out(`\nTo use them, add to "models" in your config:\n${JSON.stringify(entries, null, 2)}\n`);
    }
    return 0;
  } finally {
    await engine.dispose();
    await loaded.close();
  }
}

/** The GGUF models `config.local` names (files and folders), or undefined when it names none. */
async function localGgufModels(config: OrchestraConfig, env: NodeJS.ProcessEnv): Promise<LocalModelListing[] | undefined> {
  // The header readers only: the llama.cpp runtime is never loaded to list models.
  const { describeLocalModels, effectiveModelsDir, localModelListing, resolveLocalModelFiles } = await import('../server/llama/embedded');
  const modelsDir = await effectiveModelsDir(config.local.modelsDir, defaultModelsDir(env));
  if (!config.local.models.length && !modelsDir) return undefined;
  const { files, problems } = await resolveLocalModelFiles({ models: config.local.models, modelsDir });
  const described = await describeLocalModels(files);
  return [...described.map(localModelListing), ...problems.map((p) => ({ id: '', file: p.file, problem: p.message }))];
}

function localGgufTable(local: LocalModelListing[]): string {
  const lines = ['', 'Local GGUF models (the models folder and orchestra.local, served by the embedded llama.cpp runtime):'];
  if (!local.length) lines.push('  none found');
  for (const m of local) {
    if (!m.id) {
      lines.push(`  problem: ${m.problem}`);
      continue;
    }
    lines.push(`  ${m.id}  ${m.file}`);
    if (m.sizeBytes !== undefined) {
      lines.push(
        `    ${formatBytes(m.sizeBytes)}, ${m.architecture}, ${m.parameters} parameters, ${m.quantization}, trained context ${m.trainedContext ?? 'unknown'} tokens; ${m.fits ? 'fits in memory' : 'does NOT fit in memory'}: ${m.memory}`,
      );
    }
    if (m.problem) lines.push(`    problem: ${m.problem}`);
  }
  return `${lines.join('\n')}\n`;
}

/** How a model's prompt tokens are counted before a call, as the TOKENS column says it. */
const COUNTING_LABEL: Record<TokenCounting, string> = {
  server: 'exact (server)',
  bpe: 'exact (BPE)',
  estimate: 'estimate',
  'not-asked': '-',
};

function modelTable(models: Array<ModelInfo & { tokenCounting: TokenCounting }>): string {
  const rows = [
    ['ID', 'MODEL', 'WHERE', 'OPEN', 'ROLES', '$IN/M', '$OUT/M', 'CONTEXT', 'TOKENS', 'LATENCY', 'TOOL CALLS', 'ELIGIBLE'],
    ...models.map((m) => [
      m.id,
      m.model,
      m.local ? `local (${m.host})` : m.host,
      m.openWeights ? 'yes' : 'no',
      m.roles.join(','),
      String(m.inputPricePerMillion),
      String(m.outputPricePerMillion),
      String(m.contextWindow),
      COUNTING_LABEL[m.tokenCounting],
      m.latencyMs !== undefined ? `${Math.round(m.latencyMs)} ms` : '-',
      m.detectedToolCallFormat ? `${m.toolCallFormat} (${m.detectedToolCallFormat})` : m.toolCallFormat,
      m.eligible ? 'yes' : `no: ${m.ineligibleReason}`,
    ]),
  ];
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => (i === rows[0].length - 1 ? 0 : r[i].length))));
  const lines = rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]))).join('  '));
  return [...lines, ...models.flatMap(replicaLines)].join('\n') + '\n';
}

function replayCommand(argv: string[], io: CliIo): number {
  const a = parseArgs(argv, { booleans: ['--json', '--help'] });
  if (a.flags.has('--help')) {
    io.out(USAGE);
    return 0;
  }
  const file = a.positionals[0];
  if (!file || a.positionals.length > 1) throw new UsageError('replay needs exactly one trajectory file');
  let text: string;
  try {
    text = readFileSync(resolve(io.cwd, file), 'utf8');
  } catch (err) {
    io.err(`orchestra: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}\n`);
    return 2;
  }
  const t = readTrajectory(text);
  if (!t.header) {
    io.err(`orchestra: ${file} is not an Orchestra trajectory (no header line)\n`);
    return 2;
  }
  for (const p of t.problems) io.err(`orchestra: ${file}:${p.line}: ${p.message}\n`);
  if (a.flags.has('--json')) {
    for (const e of t.events) io.out(`${JSON.stringify(e)}\n`);
    return 0;
  }
  const h = t.header;
  io.out(
    `Trajectory ${h.taskId} · ${new Date(h.startedAt).toISOString()} · ${h.pool.length} models in the pool\nQuestion: ${h.question}\n\n`,
  );
  const view = new LiveView(io.out, { color: io.stdoutIsTty && !io.env.NO_COLOR });
  for (const e of t.events) view.handle(e);
  return 0;
}

/** Exit status when the reader of our output went away (`orchestra local list | head -1`), as for SIGPIPE. */
export const EXIT_PIPE_CLOSED = 141;

/** A closed output pipe ends the command quietly: no stack trace, no further output. */
function endQuietlyOnClosedPipe(): void {
  for (const stream of [process.stdout, process.stderr])
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EPIPE') throw err;
      process.exit(EXIT_PIPE_CLOSED);
    });
}

// Run when executed as dist/cli.js (or the `orchestra` bin link); stay passive when bundled into tests.
if (require.main === module && /(?:^|[\\/])(?:cli\.js|orchestra)$/.test(process.argv[1] ?? '')) {
  endQuietlyOnClosedPipe();
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`orchestra: ${(err as Error).stack ?? String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
