// `orchestra eval TASKS.jsonl --pool a.json --pool b.json`: runs the user's own tasks under each pool
// configuration and reports accuracy, cost and latency per pool, with results.jsonl (one record per
// task and pool, written as each finishes), an HTML report with the Pareto plot, and summary.json.
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { basename, dirname, extname, join, resolve } from 'node:path';
import type { OrchestraConfig, PrivacyMode } from '../core/config';
import type { EngineHost } from '../core/engine-api';
import { renderHtmlReport, renderParetoSvg } from '../core/eval/report';
import { runEval, type EvalPool } from '../core/eval/runner';
import { summarize } from '../core/eval/summary';
import { parseTaskFile, TaskFileError, type EvalTask } from '../core/eval/tasks';
import { newId } from '../core/ids';
import { parseArgs, UsageError } from './args';
import { EvalProgress, summaryTable } from './eval-output';
import { sanitizeTerminal } from './terminal';

export const EVAL_USAGE = `usage: orchestra eval TASKS.jsonl [--pool [NAME=]FILE]... [options]
Runs every task of TASKS.jsonl under each pool configuration and reports accuracy, cost and latency
per pool, with a Pareto plot of accuracy against cost (docs/EVAL.md).
  --pool [NAME=]FILE   an Orchestra config file (as for --config), validated the same way; repeat to
                       compare pools; NAME defaults to the file's name. None: the config ask would use
  --out DIR            where results go (default ./orchestra-eval-<date>): results.jsonl (one record per
                       task and pool), report.html (self-contained, with the plot), pareto.svg, summary.json
  --workspace DIR      folder for tasks that name no "workspace" (default: the current folder)
  --concurrency N      tasks run at the same time, 1 to 32 (default 1: latencies are not disturbed)
  --privacy MODE       any | open-weights-only | local-only, for every pool
  --yes                approve every approval request (run_code, paid calls past the soft limit, MCP
                       tools); without it they are denied and counted
  --json               print the summary as JSON on stdout instead of the table
Each line of TASKS.jsonl: {"id": "…", "question": "…", "checker": {"type": "exact", "expected": "…"}}
(or "regex" with "pattern", or "test" with a shell "command" that gets the answer in $ORCHESTRA_ANSWER
and $ORCHESTRA_ANSWER_FILE), optionally "workspace" (relative to the file) and "maxDollars".
Exit codes: 0 every task ran (whatever it scored), 1 some task ended in an error, 2 usage, task file or
config error, 130 stopped with Ctrl-C (what finished is written and reported).`;

export interface EvalCommandIo {
  // Properties, not methods: `err` is handed to the progress display unbound.
  out: (text: string) => void;
  err: (text: string) => void;
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** Progress is a redrawn bar when stderr is a terminal, plain lines otherwise. */
  stderrIsTty: boolean;
}

export interface EvalCommandDeps {
  /** The validated configuration with the embedded models serving, or undefined once the reason was printed. */
  loadConfig(file: string | undefined): Promise<{ config: OrchestraConfig; close(): Promise<void> } | undefined>;
  privacy(value: string | undefined): PrivacyMode | undefined;
}

interface PoolSpec {
  name: string;
  file: string | undefined;
}

/** `--pool FILE` or `--pool NAME=FILE`; names must differ (they label the results). */
export function poolSpecs(values: string[] | undefined, cwd: string): PoolSpec[] {
  if (!values?.length) return [{ name: 'default', file: undefined }];
  const specs = values.map((v) => {
    const m = /^([A-Za-z0-9._-]+)=(.+)$/.exec(v);
    if (m && !existsSync(resolve(cwd, v))) return { name: m[1], file: m[2] };
    return { name: basename(v, extname(v)) || v, file: v };
  });
  const seen = new Set<string>();
  for (const s of specs) {
    if (seen.has(s.name)) throw new UsageError(`two pools are named "${s.name}": name them with --pool NAME=FILE`);
    seen.add(s.name);
  }
  return specs;
}

function positiveInt(flag: string, value: string | undefined, fallback: number, max: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > max) throw new UsageError(`${flag} needs a whole number from 1 to ${max}, got "${value}"`);
  return n;
}

function folderOrThrow(flag: string, dir: string): string {
  try {
    if (statSync(dir).isDirectory()) return dir;
  } catch {
    // Reported below.
  }
  throw new UsageError(`${flag} ${dir} is not a folder`);
}

/** `./orchestra-eval-2026-12-07-031500` (UTC), so runs sort by time and never collide within a second. */
export function defaultOutDir(cwd: string, now: Date): string {
  const iso = now.toISOString();
  return resolve(cwd, `orchestra-eval-${iso.slice(0, 10)}-${iso.slice(11, 19).replace(/:/g, '')}`);
}

function readTasks(file: string, io: EvalCommandIo, workspace: string): EvalTask[] | undefined {
  const path = resolve(io.cwd, file);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    io.err(`orchestra: cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}\n`);
    return undefined;
  }
  try {
    return parseTaskFile(text, { file: path, baseDir: dirname(path), defaultWorkspace: workspace });
  } catch (err) {
    if (!(err instanceof TaskFileError)) throw err;
    io.err(`orchestra: invalid task file ${path}:\n${err.problems.map((p) => `  line ${p.line}: ${p.field}: ${p.message}`).join('\n')}\n`);
    return undefined;
  }
}

/** Loads every pool; on a bad one, closes those already started and returns undefined (the reason was printed). */
async function loadPools(
  specs: PoolSpec[],
  deps: EvalCommandDeps,
  privacy: PrivacyMode | undefined,
): Promise<{ pools: EvalPool[]; close(): Promise<void> } | undefined> {
  const loaded: Array<{ close(): Promise<void> }> = [];
  const pools: EvalPool[] = [];
  const close = async () => {
    await Promise.all(loaded.map((l) => l.close()));
  };
  for (const spec of specs) {
    const l = await deps.loadConfig(spec.file);
    if (!l) {
      await close();
      return undefined;
    }
    loaded.push(l);
    pools.push({ name: spec.name, config: privacy ? { ...l.config, privacyMode: privacy } : l.config });
  }
  return { pools, close };
}

function evalHost(io: EvalCommandIo, yes: boolean, progress: () => EvalProgress | undefined): EngineHost {
  let deniedShown = false;
  const say = (text: string) => {
    const p = progress();
    if (p) p.note(text);
    else io.err(text);
  };
  return {
    workspaceTrusted: true,
    getSecret: (ref) => Promise.resolve(ref.env ? io.env[ref.env] : undefined),
    requestApproval(req) {
      if (yes) return Promise.resolve(true);
      if (!deniedShown)
        say(`orchestra: approval requests are denied (first: ${sanitizeTerminal(req.title)}); pass --yes to approve them\n`);
      deniedShown = true;
      return Promise.resolve(false);
    },
    log(level, message) {
      if (level === 'warn' || level === 'error' || io.env.ORCHESTRA_DEBUG) say(`orchestra ${level}: ${sanitizeTerminal(message)}\n`);
    },
  };
}

/** The output folder, created; refused when it already holds an eval's results (nothing is overwritten). */
function prepareOutDir(dir: string): string {
  if (existsSync(join(dir, 'results.jsonl'))) throw new UsageError(`${dir} already holds eval results: pass another --out`);
  try {
    mkdirSync(dir, { recursive: true });
  } catch (err) {
    throw new UsageError(`cannot create --out ${dir}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  return dir;
}

export async function runEvalCommand(argv: string[], io: EvalCommandIo, deps: EvalCommandDeps): Promise<number> {
  const a = parseArgs(argv, {
    values: ['--out', '--workspace', '--concurrency', '--privacy'],
    repeatable: ['--pool'],
    booleans: ['--json', '--yes', '--help'],
  });
  if (a.flags.has('--help')) {
    io.out(`${EVAL_USAGE}\n`);
    return 0;
  }
  if (a.positionals.length !== 1) throw new UsageError('eval needs exactly one task file: orchestra eval TASKS.jsonl --pool a.json');
  const specs = poolSpecs(a.lists['--pool'], io.cwd);
  const concurrency = positiveInt('--concurrency', a.values['--concurrency'], 1, 32);
  const privacy = deps.privacy(a.values['--privacy']);
  const workspace = folderOrThrow('--workspace', resolve(io.cwd, a.values['--workspace'] ?? '.'));
  const taskFile = resolve(io.cwd, a.positionals[0]);
  const tasks = readTasks(taskFile, io, workspace);
  if (!tasks) return 2;
  const createdAt = new Date();
  const outArg = resolve(io.cwd, a.values['--out'] ?? defaultOutDir(io.cwd, createdAt));
  const loaded = await loadPools(specs, deps, privacy);
  if (!loaded) return 2;
  try {
    const outDir = prepareOutDir(outArg);
    const flags = { yes: a.flags.has('--yes'), json: a.flags.has('--json') };
    return await runAndReport({ io, tasks, pools: loaded.pools, outDir, taskFile, createdAt, concurrency, ...flags });
  } finally {
    await loaded.close();
  }
}

interface RunPlan {
  io: EvalCommandIo;
  tasks: EvalTask[];
  pools: EvalPool[];
  outDir: string;
  taskFile: string;
  createdAt: Date;
  concurrency: number;
  yes: boolean;
  json: boolean;
}

async function runAndReport(plan: RunPlan): Promise<number> {
  const { io, tasks, pools, outDir } = plan;
  const runId = newId('eval');
  const files = {
    results: join(outDir, 'results.jsonl'),
    report: join(outDir, 'report.html'),
    svg: join(outDir, 'pareto.svg'),
    summary: join(outDir, 'summary.json'),
  };
  const progress = new EvalProgress(io.err, tasks.length * pools.length, io.stderrIsTty);
  const controller = new AbortController();
  let interrupts = 0;
  const onSigint = () => {
    if (++interrupts > 1) process.exit(130);
    progress.note('\norchestra: stopping… the finished tasks are kept (Ctrl-C again to quit at once)\n');
    controller.abort();
  };
  process.on('SIGINT', onSigint);
  // One synchronous write per record: a crash or a second Ctrl-C leaves only whole lines behind.
  const fd = openSync(files.results, 'a');
  let result: Awaited<ReturnType<typeof runEval>>;
  try {
    result = await runEval({
      runId,
      tasks,
      pools,
      host: evalHost(io, plan.yes, () => progress),
      concurrency: plan.concurrency,
      signal: controller.signal,
      onStart: () => progress.taskStarted(),
      onRecord: (r) => {
        writeSync(fd, `${JSON.stringify(r)}\n`);
        progress.finished(r);
      },
    });
  } finally {
    process.off('SIGINT', onSigint);
    progress.stop();
    closeSync(fd);
  }
  const summary = summarize(
    runId,
    pools.map((p) => p.name),
    result.records,
  );
  const report = { createdAt: plan.createdAt, interrupted: result.interrupted, taskFile: plan.taskFile };
  writeFileSync(files.svg, `${renderParetoSvg(summary)}\n`);
  writeFileSync(files.report, renderHtmlReport({ summary, tasks, records: result.records, ...report }));
  const machine = {
    ...summary,
    interrupted: result.interrupted,
    unfinished: result.unfinished,
    taskFile: plan.taskFile,
    out: outDir,
    files,
  };
  writeFileSync(files.summary, `${JSON.stringify(machine, null, 2)}\n`);
  if (plan.json) io.out(`${JSON.stringify(machine)}\n`);
  else {
    io.out(summaryTable(summary));
    if (result.interrupted) io.out(`Stopped early: ${result.unfinished} of ${tasks.length * pools.length} runs did not finish.\n`);
    io.out(`Results: ${files.results}\nReport:  ${files.report}\n`);
  }
  if (result.interrupted) return 130;
  return result.records.some((r) => r.status === 'error') ? 1 : 0;
}
