// Tests that ran in `run_code` as quality evidence (docs/ROUTING.md, "Tests run in run_code"): which
// runs are test runs, whether they passed, and which models wrote the code they tested. Read from the
// task's events, like the rest of the evidence; ToolOrchestra rewards the outcome of the code a model
// wrote, so a test verdict goes to the code's author in the role it wrote it, not to every model.
import type { EngineEvent } from '../protocol/events';

/** A model in the role it served (quality.ts's `Served`). */
interface Served {
  model: string;
  role: string;
}

/** A test verdict for one model in one role. */
export interface TestVerdict extends Served {
  passed: boolean;
}

/**
 * Whether a program is a test run: it asserts (Python `assert`, Node's `assert` module) or runs a test
 * framework (unittest, pytest, doctest, node:test; in shell, the usual test commands). A program that
 * only prints says nothing the harness can judge, and `console.assert` does not change the exit code.
 */
export function isTestRun(language: string, code: string): boolean {
  if (language === 'python')
    return /^[ \t]*assert\b/m.test(code) || /\b(?:import|from)\s+(?:unittest|pytest|doctest)\b|\bdoctest\.testmod\(/.test(code);
  if (language === 'javascript') return /(?:require\(\s*|from\s+|import\s+)['"](?:node:)?(?:assert(?:\/strict)?|test)['"]/.test(code);
  if (language === 'shell')
    return /(?:^|[\s;&|(])(?:pytest|python3? -m (?:pytest|unittest)|node --test|npm (?:run )?test|yarn test|pnpm test|go test|cargo test|jest|vitest|mocha|make (?:test|check)|ctest)\b/m.test(
      code,
    );
  return false;
}

/**
 * The verdict of a finished run: passed on exit code 0; failed on another exit code; nothing when it
 * never ran to an end of its own (refused, cancelled, timed out) or could not start its tests (a test
 * tool or module missing on this machine: exit 126/127, "No module named", "Cannot find module",
 * "command not found"), since that is the machine's fault, not the code's.
 */
export function testVerdict(state: string, error: string | undefined, result: string): boolean | undefined {
  if (state === 'ok') return true;
  const exit = /^exit code (\d+)$/.exec(error ?? '');
  if (state !== 'error' || !exit) return undefined;
  if (exit[1] === '126' || exit[1] === '127') return undefined;
  if (/No module named|Cannot find module|command not found|ERR_MODULE_NOT_FOUND/.test(result)) return undefined;
  return false;
}

/** A line long enough to say who wrote it (`}` or `return x` could come from anyone). */
const MIN_LINE = 12;

function codeLines(text: string): Set<string> {
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.length >= MIN_LINE && !l.startsWith('```'));
  return new Set(lines);
}

/**
 * Whether `code` contains `output`'s code: at least two of its substantial lines (or its only one)
 * appear, trimmed, as lines of the program.
 */
export function containsCodeOf(code: string, output: string): boolean {
  const theirs = codeLines(output);
  if (!theirs.size) return false;
  const ours = codeLines(code);
  let shared = 0;
  for (const l of theirs) if (ours.has(l)) shared++;
  return shared >= Math.min(2, theirs.size);
}

interface Started {
  tool: string;
  model?: string;
  args: unknown;
  parent?: string;
}

interface Written extends Served {
  output: string;
}

/**
 * Collects a task's test verdicts from its events. The author of a run's code is each model whose
 * earlier ok call's output the code contains (in the role it was chosen for); when none, the model
 * that wrote the run_code call itself: the subtask's model inside a `delegate`, else the orchestrator.
 * One verdict per author per task: the last, as the code the task ended with is what it delivered.
 */
export class TestEvidence {
  private orchestrator?: string;
  private readonly started = new Map<string, Started>();
  private readonly written: Written[] = [];
  private readonly verdicts = new Map<string, TestVerdict>();

  /** `roleOf`: the role a call's model was chosen for (its `model_choice`), if one was said. */
  see(e: EngineEvent, roleOf: (callId: string) => string | undefined): void {
    // The first task_started is the task's; a subtask inside `delegate` starts with its own.
    if (e.type === 'task_started') this.orchestrator ??= e.orchestratorModel;
    else if (e.type === 'tool_call_started')
      this.started.set(e.callId, { tool: e.tool, model: e.model, args: e.args, parent: e.parentCallId });
    else if (e.type === 'tool_call_finished') {
      const call = this.started.get(e.callId);
      if (e.tool === 'run_code' && call) this.ranCode(call, e, roleOf);
      else if (e.model && e.state === 'ok') this.written.push({ model: e.model, role: roleOf(e.callId) ?? 'general', output: e.result });
    }
  }

  list(): TestVerdict[] {
    return [...this.verdicts.values()];
  }

  private ranCode(call: Started, done: { state: string; error?: string; result: string }, roleOf: (id: string) => string | undefined) {
    const { language, code } = (call.args ?? {}) as { language?: unknown; code?: unknown };
    if (typeof language !== 'string' || typeof code !== 'string' || !isTestRun(language, code)) return;
    const passed = testVerdict(done.state, done.error, done.result);
    const parent = call.parent;
    if (passed === undefined) return;
    let authors: Served[] = this.written.filter((w) => containsCodeOf(code, w.output)).map(({ model, role }) => ({ model, role }));
    if (!authors.length) {
      const sub = parent ? this.started.get(parent) : undefined;
      // A subtask led by the orchestrator itself (no model or role named) is its work as orchestrator.
      if (sub?.model)
        authors = [{ model: sub.model, role: roleOf(parent!) ?? (sub.model === this.orchestrator ? 'orchestrator' : 'general') }];
      else if (this.orchestrator) authors = [{ model: this.orchestrator, role: 'orchestrator' }];
    }
    for (const a of authors) {
      const key = `${a.model}\u0000${a.role}`;
      this.verdicts.delete(key); // keeps the map in the order of each author's last verdict
      this.verdicts.set(key, { ...a, passed });
    }
  }
}
