// run_code of a trivial Python program vs bare `python3 -c`, with and without the bubblewrap sandbox.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../src/core/config';
import { findPythonSync, probeSandbox, runCode } from '../../src/core/tools/run-code';
import { alternate, capture, median, ms, p95, ratio, type Bench, type Row } from './util';

export const codeExecution: Bench = async (ctx) => {
  const py = findPythonSync();
  if (!py) throw new Error('run-code bench: no python3 on PATH');
  const sandbox = await probeSandbox();
  const ws = mkdtempSync(join(tmpdir(), 'orchestra-bench-code-'));
  try {
    const config = parseConfig({}).config;
    const code = 'print(6 * 7)';
    const signal = new AbortController().signal;
    const tool = (mode: 'auto' | 'none') => async () => {
      const r = await runCode({ language: 'python', code }, { workspace: ws, config, signal, sandbox: mode });
      if (r.stdout.trim() !== '42') throw new Error(`run_code printed ${JSON.stringify(r.stdout)}: ${r.summary}`);
      if (mode === 'auto' && r.sandboxed !== sandbox.available) throw new Error('run_code sandbox use differs from the probe');
    };
    // The real interpreter, as run_code resolves it (a pyenv shim would add a bash start-up).
    const bare = async () => {
      const r = await capture(py.executable, ['-c', code]);
      if (r.stdout.trim() !== '42') throw new Error('python3 -c printed the wrong thing');
    };
    const fns = sandbox.available ? [bare, tool('auto'), tool('none')] : [bare, tool('none')];
    const times = await alternate(fns, ctx.quick ? 10 : 30, 3);
    const base = median(times[0]);
    const rows: Row[] = [];
    const unsandboxed = times[times.length - 1];
    rows.push({
      bench: 'run-code',
      what: 'code execution: run_code (no sandbox) vs bare python3 -c',
      baseline: `python3 -c ${ms(base)}`,
      measured: ms(median(unsandboxed)),
      ratio: ratio(median(unsandboxed), base),
      target: '≤ 1.3×',
      met: median(unsandboxed) / base <= 1.3,
      note: `p95 ${ms(p95(unsandboxed))} vs ${ms(p95(times[0]))}. Interpreter ${py.executable}.`,
      data: { bareMs: times[0], noSandboxMs: unsandboxed },
    });
    if (sandbox.available) {
      const sb = times[1];
      rows.push({
        bench: 'run-code',
        what: 'code execution: run_code in the bubblewrap sandbox vs bare python3 -c',
        baseline: `python3 -c ${ms(base)}`,
        measured: ms(median(sb)),
        ratio: ratio(median(sb), base),
        target: '≤ 1.3×',
        met: median(sb) / base <= 1.3,
        note: `bubblewrap used (${sandbox.bwrapPath}); p95 ${ms(p95(sb))}.`,
        data: { sandboxMs: sb },
      });
    } else {
      rows[0].note += ` The bubblewrap sandbox is not usable here: ${sandbox.reason}.`;
    }
    return rows;
  } finally {
    rmSync(ws, { recursive: true, force: true });
  }
};
