// The task file of `orchestra eval`: JSON Lines, one task a line (a question, a checker, optionally a
// workspace and a dollar cap). Parsing is strict and fails closed: every problem names its line and
// field, and a file with any problem runs nothing.
import { statSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import { formatPath } from '../config';

export const CHECKER_TYPES = ['exact', 'regex', 'test'] as const;

const ExactChecker = z
  .object({
    type: z.literal('exact'),
    /** The whole answer must equal this, both trimmed of surrounding whitespace. */
    expected: z.string(),
    ignoreCase: z.boolean().default(false),
  })
  .strict();

const RegexChecker = z
  .object({
    type: z.literal('regex'),
    /** Searched anywhere in the answer (anchor it with ^…$ to match the whole answer). */
    pattern: z.string().min(1),
    flags: z
      .string()
      .regex(/^[imsuv]*$/, 'only the flags i, m, s, u, v')
      .default(''),
  })
  .strict()
  .superRefine((c, ctx) => {
    try {
      new RegExp(c.pattern, c.flags);
    } catch (err) {
      ctx.addIssue({ code: 'custom', path: ['pattern'], message: `not a valid regular expression: ${(err as Error).message}` });
    }
  });

const TestChecker = z
  .object({
    type: z.literal('test'),
    /** A shell command run in the task's workspace, in the run_code sandbox; exit code 0 passes. */
    command: z.string().min(1),
    timeoutSeconds: z.number().positive().max(3600).default(60),
  })
  .strict();

export const Checker = z.discriminatedUnion('type', [ExactChecker, RegexChecker, TestChecker]);
export type Checker = z.infer<typeof Checker>;

const TaskLine = z
  .object({
    id: z
      .string()
      .regex(/^[A-Za-z0-9._:-]{1,80}$/, 'only letters, digits and . _ : - (at most 80)')
      .optional(),
    question: z.string().trim().min(1, 'the question must not be empty'),
    checker: Checker,
    /** Folder the tools (and a test checker) work in, relative to the task file; default the run's workspace. */
    workspace: z.string().min(1).optional(),
    /** This task's dollar cap instead of the pool's `budget.maxDollarsPerTask`. */
    maxDollars: z.number().nonnegative().optional(),
  })
  .strict();

export interface EvalTask {
  id: string;
  /** 1-based line in the task file. */
  line: number;
  question: string;
  checker: Checker;
  /** Absolute path of the workspace. */
  workspace: string;
  maxDollars?: number;
}

export interface TaskProblem {
  line: number;
  /** Dotted field path, or `(line)` for the line as a whole. */
  field: string;
  message: string;
}

/** A task file that cannot be run; `problems` lists every line and field that is wrong. */
export class TaskFileError extends Error {
  constructor(
    readonly file: string,
    readonly problems: TaskProblem[],
  ) {
    super(`${file}: ${problems.map((p) => `line ${p.line}: ${p.field}: ${p.message}`).join('; ')}`);
    this.name = 'TaskFileError';
  }
}

/** The most problems reported for one file: past that, the rest are counted, not listed. */
const MAX_PROBLEMS = 20;

/** The checker's `type` when it is missing or not one of CHECKER_TYPES (zod's union message would not say which). */
function badCheckerType(raw: Record<string, unknown>): string | undefined {
  const checker = raw.checker;
  if (!checker || typeof checker !== 'object' || Array.isArray(checker)) return undefined;
  const type = (checker as Record<string, unknown>).type;
  if (CHECKER_TYPES.includes(type as never)) return undefined;
  return type === undefined
    ? `the checker needs a "type": one of ${CHECKER_TYPES.join(', ')}`
    : `unknown checker ${JSON.stringify(type)}: use one of ${CHECKER_TYPES.join(', ')}`;
}

function issueMessage(issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys')
    return `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
  if (issue.code === 'invalid_type' && issue.input === undefined) return 'missing';
  return issue.message;
}

function lineProblems(issues: z.core.$ZodIssue[], raw: Record<string, unknown>, line: number): TaskProblem[] {
  const out: TaskProblem[] = [];
  const checkerType = badCheckerType(raw);
  if (checkerType) out.push({ line, field: 'checker.type', message: checkerType });
  for (const issue of issues) {
    if (checkerType && issue.path[0] === 'checker') continue;
    const problem = { line, field: formatPath(issue.path), message: issueMessage(issue) };
    if (!out.some((p) => p.field === problem.field && p.message === problem.message)) out.push(problem);
  }
  return out;
}

function isFolder(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/**
 * Parses a task file's text. `baseDir` resolves relative workspaces (the task file's folder);
 * `defaultWorkspace` is used by tasks that name none. Throws TaskFileError listing every problem.
 */
export function parseTaskFile(text: string, opts: { file: string; baseDir: string; defaultWorkspace: string }): EvalTask[] {
  const problems: TaskProblem[] = [];
  const tasks: EvalTask[] = [];
  const ids = new Map<string, number>();
  const lines = text.split(/\r?\n/);
  lines.forEach((content, i) => {
    const line = i + 1;
    if (!content.trim()) return;
    let raw: unknown;
    try {
      raw = JSON.parse(content);
    } catch (err) {
      problems.push({ line, field: '(line)', message: `not valid JSON: ${(err as Error).message}` });
      return;
    }
    if (!raw || typeof raw !== 'object' || Array.isArray(raw)) {
      problems.push({ line, field: '(line)', message: 'each line must be a JSON object' });
      return;
    }
    const parsed = TaskLine.safeParse(raw);
    if (!parsed.success) {
      problems.push(...lineProblems(parsed.error.issues, raw as Record<string, unknown>, line));
      return;
    }
    const t = parsed.data;
    const id = t.id ?? `task-${line}`;
    const seen = ids.get(id);
    if (seen !== undefined) problems.push({ line, field: 'id', message: `duplicate id "${id}" (first on line ${seen})` });
    ids.set(id, seen ?? line);
    const workspace = t.workspace ? (isAbsolute(t.workspace) ? t.workspace : resolve(opts.baseDir, t.workspace)) : opts.defaultWorkspace;
    if (!isFolder(workspace)) problems.push({ line, field: 'workspace', message: `${workspace} is not a folder` });
    tasks.push({
      id,
      line,
      question: t.question,
      checker: t.checker,
      workspace,
      ...(t.maxDollars !== undefined ? { maxDollars: t.maxDollars } : {}),
    });
  });
  if (!problems.length && !tasks.length) problems.push({ line: 1, field: '(file)', message: 'no tasks: the file holds no JSON line' });
  if (problems.length) {
    const shown = problems.slice(0, MAX_PROBLEMS);
    if (problems.length > MAX_PROBLEMS)
      shown.push({ line: problems[MAX_PROBLEMS].line, field: '(file)', message: `and ${problems.length - MAX_PROBLEMS} more problems` });
    throw new TaskFileError(opts.file, shown);
  }
  return tasks;
}
