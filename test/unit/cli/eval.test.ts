// `orchestra eval` as a real child process against the scripted model server: the bundled task set
// and pools (their addresses pointed at the server) end to end — the pool that calls the priced
// model answers right and costs more, both on the Pareto front — then bad input, and Ctrl-C.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startModelServer, type ModelServer } from '../../support/model-server';
import { CLI, runCli } from '../../support/cli-process';
import { findRepoRoot } from '../../support/engine-process';
import { readEvalRecords } from '../../../src/core/eval/record';

const root = findRepoRoot();
const examples = join(root, 'examples', 'eval');

/** The right answers (the 32B model's) and the 7B model's own, some wrong. */
const RIGHT: Record<string, string> = {
  fib: '55',
  digits: 'fib(90) = 2880067194370816120 has 19 digits.',
  prime:
    '```python\ndef is_prime(n):\n    if n < 2:\n        return False\n    d = 2\n    while d * d <= n:\n        if n % d == 0:\n            return False\n        d += 1\n    return True\n```',
};
const SMALL: Record<string, string> = { fib: '55', digits: 'It has 18 digits.', prime: 'def is_prime(n):\n    return n % 2 == 1' };

function which(text: string): string {
  if (text.includes('fib(10)')) return 'fib';
  if (text.includes('decimal digits')) return 'digits';
  if (text.includes('is_prime')) return 'prime';
  return 'other';
}

describe('orchestra eval (child process)', () => {
  let server: ModelServer;
  const dir = mkdtempSync(join(tmpdir(), 'orchestra-eval-cli-'));
  const pool = (name: string) => {
    // The bundled pool with its local servers' addresses pointed at the scripted server.
    const text = readFileSync(join(examples, `pool-${name}.json`), 'utf8').replace(/http:\/\/127\.0\.0\.1:\d+\/v1/g, server.url);
    const file = join(dir, `${name}.json`);
    writeFileSync(file, text);
    return file;
  };

  before(async () => {
    assert.ok(existsSync(CLI), `build the CLI first (node scripts/build.mjs): ${CLI} is missing`);
    server = await startModelServer();
    server.setHandler('qwen2.5-coder:7b', (body: { messages: Array<{ role: string; content?: string }> }) => {
      const all = JSON.stringify(body.messages);
      const task = which(String(body.messages.find((m) => m.role === 'user')?.content ?? ''));
      if (task === 'other') return { fault: 'hang-before' };
      if (!all.includes('qwen-32b')) return { toolCalls: [{ name: 'answer', arguments: { answer: SMALL[task] } }] };
      if (!body.messages.some((m) => m.role === 'tool'))
        return {
          toolCalls: [{ name: 'call_model', arguments: { model: 'qwen-32b', task: body.messages[body.messages.length - 1].content } }],
        };
      return { toolCalls: [{ name: 'answer', arguments: { answer: RIGHT[task] } }] };
    });
    server.setHandler('Qwen/Qwen2.5-Coder-32B-Instruct', (body: { messages: Array<{ content?: string }> }) => ({
      content: RIGHT[which(JSON.stringify(body.messages))],
      // Within what the request can produce (the pool clamps larger claims to its bounds).
      usage: { prompt_tokens: 100, completion_tokens: 500 },
    }));
  });
  after(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('the bundled task set under the two bundled pools: accuracy, cost, Pareto front, records and report', async () => {
    const out = join(dir, 'run1');
    const r = await runCli([
      'eval',
      join(examples, 'tasks.jsonl'),
      '--pool',
      pool('small'),
      '--pool',
      pool('large'),
      '--out',
      out,
      '--concurrency',
      '2',
    ]);
    assert.equal(r.code, 0, r.stderr);
    // Plain progress lines without a terminal, one per finished task and pool.
    assert.equal(r.stderr.match(/^eval: \[\d\/6\] (small|large) [a-z0-9-]+: (passed|failed) · /gm)?.length, 6, r.stderr);
    assert.match(r.stdout, /^POOL +TASKS +PASSED +ACCURACY/m);
    assert.match(r.stdout, /^small +3 +1 +33\.3% +0 +\$0 /m);
    assert.match(r.stdout, /^large +3 +3 +100\.0% +0 +\$0\.0003 +\$0\.0010 /m);

    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    assert.deepEqual(summary.front, ['small', 'large']);
    const byName = Object.fromEntries(summary.pools.map((p: { pool: string }) => [p.pool, p]));
    assert.equal(byName.small.accuracy, 1 / 3);
    assert.equal(byName.large.accuracy, 1);
    assert.equal(byName.small.totalDollars, 0);
    // 3 calls × (100 × $0.2 + 500 × $0.6) per million tokens.
    assert.ok(Math.abs(byName.large.totalDollars - 0.00096) < 1e-12, String(byName.large.totalDollars));

    const { records, problems } = readEvalRecords(readFileSync(join(out, 'results.jsonl'), 'utf8'));
    assert.deepEqual(problems, []);
    assert.equal(records.length, 6);
    const rec = (p: string, t: string) => records.find((x) => x.pool === p && x.taskId === t)!;
    assert.equal(rec('small', 'is-prime').status, 'failed');
    assert.match(rec('small', 'is-prime').checkDetail!, /exit code 1 .*is_prime is wrong/s);
    assert.equal(rec('large', 'is-prime').status, 'passed');
    assert.equal(rec('small', 'fib-90-digits').checkDetail, 'the answer does not match /\\b19\\b/: got "It has 18 digits."');
    assert.deepEqual(
      rec('large', 'fib-10').modelCalls.map((c) => [c.model, c.tool, c.state]),
      [['qwen-32b', 'call_model', 'ok']],
    );
    assert.equal(rec('large', 'fib-10').orchestratorModel, 'qwen-7b');

    const svg = readFileSync(join(out, 'pareto.svg'), 'utf8');
    assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    assert.ok(html.includes(svg.trim()), 'the report embeds the plot');
  });

  test('--json prints the summary; the same --out is refused rather than overwritten', async () => {
    const out = join(dir, 'run-json');
    const tasks = join(dir, 'one.jsonl');
    writeFileSync(tasks, '{"id": "f", "question": "What does fib(10) return?", "checker": {"type": "exact", "expected": "55"}}\n');
    const r = await runCli(['eval', tasks, '--pool', `mine=${pool('small')}`, '--out', out, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const s = JSON.parse(r.stdout);
    assert.equal(s.pools[0].pool, 'mine');
    assert.equal(s.pools[0].passed, 1);
    assert.equal(s.interrupted, false);
    assert.equal(s.files.results, join(out, 'results.jsonl'));
    const again = await runCli(['eval', tasks, '--pool', pool('small'), '--out', out]);
    assert.equal(again.code, 2);
    assert.match(again.stderr, /already holds eval results: pass another --out/);
  });

  test('bad input exits 2 naming the line and field; a failing pool config names its field', async () => {
    const tasks = join(dir, 'bad.jsonl');
    writeFileSync(
      tasks,
      '{"question": "q", "checker": {"type": "exact", "expected": "1"}}\n{"question": "q", "checker": {"type": "judge"}}\n',
    );
    const r = await runCli(['eval', tasks, '--pool', pool('small'), '--out', join(dir, 'never')]);
    assert.equal(r.code, 2);
    assert.match(
      r.stderr,
      /invalid task file .*bad\.jsonl:\n {2}line 2: checker\.type: unknown checker "judge": use one of exact, regex, test/,
    );
    assert.equal(existsSync(join(dir, 'never')), false, 'nothing is written for a refused run');

    const badPool = join(dir, 'bad-pool.json');
    writeFileSync(badPool, JSON.stringify({ models: [{ id: 'x', baseUrl: 'not a url', model: 'x' }] }));
    const p = await runCli(['eval', join(examples, 'tasks.jsonl'), '--pool', badPool, '--out', join(dir, 'never')]);
    assert.equal(p.code, 2);
    assert.match(p.stderr, /invalid config .*bad-pool\.json:\n {2}models\[0\]\.baseUrl: /);

    const help = await runCli(['eval', '--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /^usage: orchestra eval TASKS\.jsonl/);
    assert.match(help.stdout, /Exit codes: 0 every task ran/);

    for (const [args, message] of [
      [['--concurrency', '0'], /--concurrency needs a whole number from 1 to 32/],
      [['--pool', pool('small'), '--pool', pool('small')], /two pools are named "small"/],
      [['--bogus'], /unknown option --bogus/],
    ] as const) {
      const u = await runCli(['eval', join(examples, 'tasks.jsonl'), ...args]);
      assert.equal(u.code, 2, u.stderr);
      assert.match(u.stderr, message);
    }
  });

  test('Ctrl-C stops cleanly: the finished task is written and reported, exit 130', async () => {
    const out = join(dir, 'run-int');
    const tasks = join(dir, 'int.jsonl');
    writeFileSync(
      tasks,
      [
        '{"id": "quick", "question": "What does fib(10) return?", "checker": {"type": "exact", "expected": "55"}}',
        '{"id": "slow", "question": "Something slow", "checker": {"type": "exact", "expected": "x"}}',
        '{"id": "never", "question": "What does fib(10) return?", "checker": {"type": "exact", "expected": "55"}}',
      ].join('\n'),
    );
    const child = spawn(process.execPath, [CLI, 'eval', tasks, '--pool', pool('small'), '--out', out], {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    let stdout = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => {
      stderr += d;
      // The quick task is done and the slow one waits on the model: stop now.
      if (/\[1\/3\] small quick: passed/.test(stderr) && !child.killed) child.kill('SIGINT');
    });
    const code = await new Promise<number | null>((done) => child.on('close', done));
    assert.equal(code, 130, stderr);
    assert.match(stderr, /stopping… the finished tasks are kept/);
    const { records } = readEvalRecords(readFileSync(join(out, 'results.jsonl'), 'utf8'));
    assert.deepEqual(
      records.map((r) => r.taskId),
      ['quick'],
    );
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    assert.equal(summary.interrupted, true);
    assert.equal(summary.unfinished, 2);
    assert.match(stdout, /Stopped early: 2 of 3 runs did not finish/);
    assert.match(readFileSync(join(out, 'report.html'), 'utf8'), /stopped early/);
  });
});
