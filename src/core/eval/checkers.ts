// The checkers of `orchestra eval`: `exact` and `regex` judge the answer text; `test` runs the task's
// own shell command in its workspace, in the same sandbox as run_code, with the answer in
// $ORCHESTRA_ANSWER and in the file $ORCHESTRA_ANSWER_FILE (trailing newlines dropped); exit code 0 passes.
import { randomBytes } from 'node:crypto';
import type { OrchestraConfig } from '../config';
import { runCode, type RunCodeResult } from '../tools/run-code';
import type { Checker } from './tasks';

export interface CheckResult {
  /** `error`: the checker could not judge (the test command was refused or could not start). */
  verdict: 'passed' | 'failed' | 'error';
  detail: string;
}

export interface CheckContext {
  workspace: string;
  /** The pool's configuration: its privacy mode decides whether an unsandboxed test may run. */
  config: OrchestraConfig;
  signal: AbortSignal;
}

const TAIL_CHARS = 600;

function tail(text: string): string {
  const t = text.trim();
  return t.length > TAIL_CHARS ? `…${t.slice(-TAIL_CHARS)}` : t;
}

function quoteForDetail(text: string, max = 120): string {
  const one = JSON.stringify(text);
  return one.length > max ? `${one.slice(0, max)}…"` : one;
}

/** Judges one answer; never throws for a wrong answer or a failing command. */
export async function checkAnswer(answer: string, checker: Checker, ctx: CheckContext): Promise<CheckResult> {
  switch (checker.type) {
    case 'exact': {
      const a = answer.trim();
      const e = checker.expected.trim();
      const same = checker.ignoreCase ? a.toLowerCase() === e.toLowerCase() : a === e;
      return same
        ? { verdict: 'passed', detail: 'the answer equals the expected text' }
        : { verdict: 'failed', detail: `expected ${quoteForDetail(e)}, got ${quoteForDetail(a)}` };
    }
    case 'regex': {
      const re = new RegExp(checker.pattern, checker.flags);
      return re.test(answer)
        ? { verdict: 'passed', detail: `the answer matches /${checker.pattern}/${checker.flags}` }
        : {
            verdict: 'failed',
            detail: `the answer does not match /${checker.pattern}/${checker.flags}: got ${quoteForDetail(answer.trim())}`,
          };
    }
    case 'test':
      return runTestCommand(answer, checker.command, checker.timeoutSeconds, ctx);
  }
}

/**
 * The shell script that runs the test command: the answer goes in through a quoted here-document
 * (never through the command line or the parent's environment), into a variable and a private file.
 */
export function testScript(answer: string, command: string): string {
  let marker = `ORCHESTRA_ANSWER_${randomBytes(8).toString('hex')}`;
  while (answer.includes(marker)) marker = `ORCHESTRA_ANSWER_${randomBytes(8).toString('hex')}`;
  return [
    'ORCHESTRA_ANSWER_FILE="$(mktemp)" || exit 97',
    `cat > "$ORCHESTRA_ANSWER_FILE" <<'${marker}'`,
    answer,
    marker,
    // Read back without the here-document's final newline, and the file rewritten the same way.
    'ORCHESTRA_ANSWER="$(cat "$ORCHESTRA_ANSWER_FILE")"',
    `printf '%s' "$ORCHESTRA_ANSWER" > "$ORCHESTRA_ANSWER_FILE"`,
    'export ORCHESTRA_ANSWER ORCHESTRA_ANSWER_FILE',
    `( ${command}\n)`,
    'status=$?',
    'rm -f "$ORCHESTRA_ANSWER_FILE"',
    'exit $status',
  ].join('\n');
}

async function runTestCommand(answer: string, command: string, timeoutSeconds: number, ctx: CheckContext): Promise<CheckResult> {
  // The user's own command, not a model's: shell is allowed and nothing is asked, but the sandbox,
  // the scrubbed environment and the privacy mode's refusal of unsandboxed code stay as for run_code.
  const config: OrchestraConfig = {
    ...ctx.config,
    tools: {
      ...ctx.config.tools,
      runCode: { ...ctx.config.tools.runCode, enabled: true, allowShell: true, timeoutSeconds, isolation: 'workspace' },
    },
  };
  let r: RunCodeResult;
  try {
    r = await runCode({ language: 'shell', code: testScript(answer, command) }, { workspace: ctx.workspace, config, signal: ctx.signal });
  } catch (err) {
    return { verdict: 'error', detail: `the test command could not run: ${(err as Error).message}` };
  }
  if (r.refused) return { verdict: 'error', detail: `the test command did not run: ${r.refused}` };
  const output = tail([r.stdout, r.stderr].filter(Boolean).join('\n'));
  const where = r.sandboxed ? 'sandboxed' : 'NOT sandboxed';
  if (r.killReason === 'timeout')
    return { verdict: 'failed', detail: `timed out after ${timeoutSeconds} s (${where})${output ? `: ${output}` : ''}` };
  if (r.killReason === 'cancelled') return { verdict: 'error', detail: 'cancelled' };
  if (!r.killed && r.exitCode === 0) return { verdict: 'passed', detail: `exit code 0 in ${r.durationMs} ms (${where})` };
  const how = r.exitCode !== null ? `exit code ${r.exitCode}` : `signal ${r.signal ?? 'unknown'}`;
  return { verdict: 'failed', detail: `${how} (${where})${output ? `: ${output}` : ''}` };
}
