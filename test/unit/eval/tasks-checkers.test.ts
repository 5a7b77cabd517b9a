// The eval's task file (every kind of bad input refused with its line and field), its checkers (the
// `test` checker runs a real shell process in the run_code sandbox), the Pareto front, and the
// per-model outcomes read back from records.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseTaskFile, TaskFileError, type Checker } from '../../../src/core/eval/tasks';
import { checkAnswer } from '../../../src/core/eval/checkers';
import { paretoFront, percentile } from '../../../src/core/eval/summary';
import { modelOutcomes, readEvalRecords, type EvalRecord } from '../../../src/core/eval/record';
import { niceTicks } from '../../../src/core/eval/report';
import { parseConfig } from '../../../src/core/config';

const dir = mkdtempSync(join(tmpdir(), 'orchestra-eval-tasks-'));
mkdirSync(join(dir, 'ws'));
const opts = { file: 'tasks.jsonl', baseDir: dir, defaultWorkspace: dir };

function problems(text: string): Array<{ line: number; field: string; message: string }> {
  try {
    parseTaskFile(text, opts);
  } catch (err) {
    assert.ok(err instanceof TaskFileError, String(err));
    return err.problems;
  }
  assert.fail('the task file was accepted');
}

describe('eval task file', () => {
  test('valid lines parse with defaults; blank lines are skipped; workspaces resolve against the file', () => {
    const tasks = parseTaskFile(
      [
        '{"question": "2+2?", "checker": {"type": "exact", "expected": "4"}}',
        '',
        '{"id": "re", "question": "q", "checker": {"type": "regex", "pattern": "^a", "flags": "i"}, "workspace": "ws", "maxDollars": 0.1}',
        '{"id": "t", "question": "q", "checker": {"type": "test", "command": "true"}}',
      ].join('\n'),
      opts,
    );
    assert.equal(tasks.length, 3);
    assert.deepEqual(tasks[0], {
      id: 'task-1',
      line: 1,
      question: '2+2?',
      checker: { type: 'exact', expected: '4', ignoreCase: false },
      workspace: dir,
    });
    assert.equal(tasks[1].workspace, join(dir, 'ws'));
    assert.equal(tasks[1].maxDollars, 0.1);
    assert.deepEqual(tasks[2].checker, { type: 'test', command: 'true', timeoutSeconds: 60 });
  });

  test('bad input fails closed, naming the line and field of every problem', () => {
    const found = problems(
      [
        '{"question": "q", "checker": {"type": "fuzzy", "expected": "x"}}',
        '{"checker": {"type": "exact", "expected": "x"}}',
        '{"question": "q", "checker": {"type": "exact", "expected": "x"}',
        '{"question": "q", "checker": {"type": "exact", "expected": "x"}, "timeout": 5}',
        '{"question": "q", "checker": {"type": "regex", "pattern": "(unclosed"}}',
        '{"question": "q", "checker": {"type": "test"}}',
        '{"question": "q", "checker": {"expected": "x"}}',
        '{"id": "task-1", "question": "q", "checker": {"type": "exact", "expected": "x", "trim": true}}',
        '{"question": "q", "checker": {"type": "exact", "expected": "x"}, "workspace": "missing-folder"}',
        '["not", "an", "object"]',
        '{"question": "   ", "checker": {"type": "exact", "expected": "x"}}',
      ].join('\n'),
    );
    const at = (line: number) => found.filter((p) => p.line === line).map((p) => `${p.field}: ${p.message}`);
    assert.deepEqual(at(1), ['checker.type: unknown checker "fuzzy": use one of exact, regex, test']);
    assert.deepEqual(at(2), ['question: missing']);
    assert.match(at(3)[0], /^\(line\): not valid JSON/);
    assert.deepEqual(at(4), ['(root): unknown key "timeout"']);
    assert.match(at(5)[0], /^checker\.pattern: not a valid regular expression/);
    assert.deepEqual(at(6), ['checker.command: missing']);
    assert.deepEqual(at(7), ['checker.type: the checker needs a "type": one of exact, regex, test']);
    assert.ok(at(8).includes('checker: unknown key "trim"'), at(8).join(' | '));
    assert.match(at(9)[0], /^workspace: .*missing-folder is not a folder$/);
    assert.deepEqual(at(10), ['(line): each line must be a JSON object']);
    assert.deepEqual(at(11), ['question: the question must not be empty']);
  });

  test('duplicate ids and an empty file are refused', () => {
    const dup = problems(
      [
        '{"id": "a", "question": "q", "checker": {"type": "exact", "expected": "1"}}',
        '{"id": "a", "question": "r", "checker": {"type": "exact", "expected": "2"}}',
      ].join('\n'),
    );
    assert.deepEqual(dup, [{ line: 2, field: 'id', message: 'duplicate id "a" (first on line 1)' }]);
    assert.match(problems('\n\n')[0].message, /no tasks/);
  });
});

describe('eval checkers', () => {
  const config = parseConfig({}).config;
  const ctx = { workspace: join(dir, 'ws'), config, signal: new AbortController().signal };
  const check = (answer: string, checker: Checker) => checkAnswer(answer, checker, ctx);

  test('exact compares the trimmed answer, case-sensitively unless asked', async () => {
    assert.equal((await check(' 55\n', { type: 'exact', expected: '55', ignoreCase: false })).verdict, 'passed');
    const wrong = await check('55.', { type: 'exact', expected: '55', ignoreCase: false });
    assert.equal(wrong.verdict, 'failed');
    assert.equal(wrong.detail, 'expected "55", got "55."');
    assert.equal((await check('Paris', { type: 'exact', expected: 'paris', ignoreCase: false })).verdict, 'failed');
    assert.equal((await check('Paris', { type: 'exact', expected: 'paris', ignoreCase: true })).verdict, 'passed');
  });

  test('regex searches the answer with its flags', async () => {
    assert.equal((await check('It has 19 digits.', { type: 'regex', pattern: '\\b19\\b', flags: '' })).verdict, 'passed');
    assert.equal((await check('It has 190 digits.', { type: 'regex', pattern: '\\b19\\b', flags: '' })).verdict, 'failed');
    assert.equal((await check('YES', { type: 'regex', pattern: '^yes$', flags: 'i' })).verdict, 'passed');
  });

  test('test runs the command in the workspace with the answer in $ORCHESTRA_ANSWER and its file; exit 0 passes', async () => {
    const answer = "def f():\n    return 'it''s \"quoted\" $HOME `x`'\nORCHESTRA_ANSWER_EOF\n";
    const command =
      'test "$(pwd)" = "' +
      ctx.workspace +
      '" && printf %s "$ORCHESTRA_ANSWER" > got.txt && cmp -s got.txt "$ORCHESTRA_ANSWER_FILE" && grep -q "quoted" got.txt && echo fine';
    const ok = await check(answer, { type: 'test', command, timeoutSeconds: 30 });
    assert.equal(ok.verdict, 'passed', ok.detail);
    const failing = await check('x', { type: 'test', command: 'echo "wrong answer: $ORCHESTRA_ANSWER" >&2; exit 3', timeoutSeconds: 30 });
    assert.equal(failing.verdict, 'failed');
    assert.match(failing.detail, /^exit code 3 \((NOT )?sandboxed\): wrong answer: x$/);
  });

  test('a test command past its timeout fails; one the privacy mode refuses is an error, not a failure', async () => {
    const slow = await check('x', { type: 'test', command: 'sleep 5', timeoutSeconds: 0.3 });
    assert.equal(slow.verdict, 'failed');
    assert.match(slow.detail, /^timed out after 0.3 s/);
    const localOnly = parseConfig({ privacyMode: 'local-only', tools: { runCode: { enabled: false } } }).config;
    const r = await checkAnswer('x', { type: 'test', command: 'true', timeoutSeconds: 5 }, { ...ctx, config: localOnly });
    // With bubblewrap working the command runs sandboxed (the checker enables run_code for itself);
    // without it, local-only refuses unsandboxed code and the checker says it could not judge.
    assert.ok(r.verdict === 'passed' || (r.verdict === 'error' && /local-only/.test(r.detail)), JSON.stringify(r));
  });
});

describe('eval summary pieces', () => {
  test('the Pareto front keeps the points no other dominates, cheapest first', () => {
    const front = paretoFront([
      { name: 'cheap', accuracy: 0.5, cost: 0 },
      { name: 'dear', accuracy: 1, cost: 0.02 },
      { name: 'worse', accuracy: 0.5, cost: 0.01 },
      { name: 'middle', accuracy: 0.75, cost: 0.01 },
      { name: 'dominated', accuracy: 0.7, cost: 0.03 },
    ]);
    assert.deepEqual(front, ['cheap', 'middle', 'dear']);
    assert.deepEqual(
      paretoFront([
        { name: 'a', accuracy: 1, cost: 1 },
        { name: 'b', accuracy: 1, cost: 1 },
      ]),
      ['a', 'b'],
    );
  });

  test('percentiles and axis ticks', () => {
    assert.equal(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 90), 9);
    assert.equal(percentile([7], 50), 7);
    assert.deepEqual(niceTicks(0.0023), [0, 0.0005, 0.001, 0.0015, 0.002, 0.0025]);
    assert.deepEqual(niceTicks(0), [0]);
  });

  test('records read back and give per-model outcomes (orchestrator and called models, once per role)', () => {
    const record: EvalRecord = {
      version: 1,
      runId: 'eval_1',
      pool: 'large',
      taskId: 't1',
      line: 1,
      status: 'passed',
      checker: 'exact',
      dollars: 0.01,
      unpricedCalls: 0,
      latencyMs: 10,
      inputTokens: 5,
      outputTokens: 5,
      orchestratorModel: 'orch',
      models: ['orch', 'big'],
      modelCalls: [
        { model: 'big', tool: 'call_model', state: 'ok', dollars: 0.01, latencyMs: 5 },
        { model: 'big', tool: 'call_model', role: 'code', state: 'ok', dollars: 0, latencyMs: 5 },
        { model: 'big', tool: 'call_model', state: 'error', dollars: 0, latencyMs: 5 },
      ],
      deniedApprovals: 0,
      startedAt: 1,
      finishedAt: 2,
    };
    const text = `${JSON.stringify(record)}\n{"version": 2}\nnot json\n`;
    const read = readEvalRecords(text);
    assert.deepEqual(read.records, [record]);
    assert.deepEqual(
      read.problems.map((p) => p.line),
      [2, 3],
    );
    const outcomes = [...modelOutcomes([record, { ...record, taskId: 't2', status: 'error', modelCalls: [] }])];
    assert.deepEqual(
      outcomes.map((o) => [o.model, o.role, o.taskId, o.passed, o.errored]),
      [
        ['orch', 'orchestrator', 't1', true, false],
        ['big', 'general', 't1', true, false],
        ['big', 'code', 't1', true, false],
        ['orch', 'orchestrator', 't2', false, true],
      ],
    );
  });
});

process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
