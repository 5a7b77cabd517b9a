// Engine process memory: RSS and V8 heapUsed idle (configured, no task yet) and while running 100
// scripted tasks; growth is measured after a warm-up, when code paths and caches are in place.
// The engine process runs with --expose-gc and a bench-only probe (memory-probe.cjs) so every sample
// is taken after a full collection: heapUsed then counts what is retained, not garbage not yet
// collected. BENCH_HEAP_SNAPSHOTS=DIR also writes heap snapshots at the warm-up and at the end.
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startModelServer } from '../../test/support/model-server';
import { startEngineProcess } from '../../test/support/engine-process';
import { mb, sleep, type Bench } from './util';

interface MemorySample {
  rss: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
}

let probeId = 0;
function probe<T>(child: ChildProcess, request: Record<string, unknown>): Promise<T> {
  const id = ++probeId;
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the memory probe did not answer ${String(request.type)}`)), 60_000);
    const onMessage = (m: any) => {
      if (m?.id !== id) return;
      clearTimeout(timer);
      child.off('message', onMessage);
      resolve(m as T);
    };
    child.on('message', onMessage);
    child.send({ ...request, id });
  });
}

const sample = (child: ChildProcess) => probe<MemorySample>(child, { type: 'bench-memory' });

/** Least-squares slope of y over x. */
function slope(points: Array<{ x: number; y: number }>): number {
  const mx = points.reduce((a, p) => a + p.x, 0) / points.length;
  const my = points.reduce((a, p) => a + p.y, 0) / points.length;
  return points.reduce((a, p) => a + (p.x - mx) * (p.y - my), 0) / points.reduce((a, p) => a + (p.x - mx) ** 2, 0);
}

export const memory: Bench = async (ctx) => {
  const server = await startModelServer();
  const ws = mkdtempSync(join(tmpdir(), 'orchestra-bench-mem-'));
  writeFileSync(join(ws, 'README.md'), '# memory bench\n');
  const engine = await startEngineProcess({
    root: ctx.root,
    nodeArgs: ['--expose-gc', '--require', join(ctx.root, 'bench', 'src', 'memory-probe.cjs')],
    ipc: true,
  });
  const snapshots = process.env.BENCH_HEAP_SNAPSHOTS;
  try {
    server.setHandler('orch', (body) =>
      body.messages.some((m: any) => m.role === 'tool')
        ? { content: 'The workspace has a README. '.repeat(20) }
        : { toolCalls: [{ name: 'read_file', arguments: { path: 'README.md' } }] },
    );
    await engine.configure(
      {
        models: [{ id: 'orch', baseUrl: server.url, model: 'orch', roles: ['orchestrator'] }],
        orchestrator: { model: 'orch', dialect: 'general' },
        tools: { runCode: { enabled: false } },
      },
      ws,
    );
    await sleep(1000);
    const idle = await sample(engine.child);
    const TASKS = 200;
    // Half the run: V8 keeps optimising hot code (and growing its young generation) for the first
    // several dozen tasks, and those steps in RSS are warm-up, not retention.
    const WARMUP = 100;
    const samples: Array<{ tasks: number } & MemorySample> = [];
    for (let i = 1; i <= TASKS; i++) {
      const end = await engine.ask(`Task ${i}: what is in the workspace?`);
      if (end.type !== 'done') throw new Error(`memory bench: task ${i} ended with ${end.type}`);
      if (i % 10 === 0) samples.push({ tasks: i, ...(await sample(engine.child)) });
      if (snapshots && (i === WARMUP || i === TASKS))
        await probe(engine.child, { type: 'bench-snapshot', path: join(snapshots, `engine-${i}.heapsnapshot`) });
    }
    await sleep(500);
    const after = await sample(engine.child);
    const atWarm = samples.find((s) => s.tasks === WARMUP)!;
    const post = samples.filter((s) => s.tasks >= WARMUP);
    const heapSlope = slope(post.map((s) => ({ x: s.tasks, y: s.heapUsed })));
    const rssSlope = slope(post.map((s) => ({ x: s.tasks, y: s.rss })));
    const heapGrowth = after.heapUsed - atWarm.heapUsed;
    const rssGrowth = after.rss - atWarm.rss;
    // Retained memory is the heap after a full collection; RSS also moves with the allocator and V8's
    // sizing of its spaces, so it gets a looser bound.
    const met = heapGrowth <= 1024 * 1024 && rssGrowth <= 5 * 1024 * 1024;
    const sign = (n: number) => (n >= 0 ? '+' : '');
    return [
      {
        bench: 'memory',
        what: `engine process memory (after forced GC): idle, after ${TASKS} tasks`,
        baseline: `idle: heap ${mb(idle.heapUsed)}, RSS ${mb(idle.rss)}`,
        measured: `after ${TASKS}: heap ${mb(after.heapUsed)}, RSS ${mb(after.rss)} (after ${WARMUP}: heap ${mb(atWarm.heapUsed)}, RSS ${mb(atWarm.rss)})`,
        ratio: `heap ${sign(heapGrowth)}${mb(heapGrowth)}, RSS ${sign(rssGrowth)}${mb(rssGrowth)} (${sign(rssSlope)}${(rssSlope / 1024).toFixed(1)} KB/task) after warm-up`,
        target: 'report; no growth after warm-up',
        met,
        note:
          `Every 10 tasks, heapUsed ${samples.map((s) => (s.heapUsed / 1048576).toFixed(2)).join(', ')} MB; heapTotal ${samples.map((s) => (s.heapTotal / 1048576).toFixed(1)).join(', ')} MB; RSS ${samples.map((s) => (s.rss / 1048576).toFixed(1)).join(', ')} MB. ` +
          `Slope after warm-up: heap ${(heapSlope / 1024).toFixed(1)} KB/task, RSS ${(rssSlope / 1024).toFixed(1)} KB/task. ` +
          `"No growth" counted as heapUsed ≤ +1 MB and RSS ≤ +5 MB between task ${WARMUP} and task ${TASKS}; each sample follows a full GC in the engine process (--expose-gc, bench only).`,
        data: { idle, afterWarmup: atWarm, after, samples, heapSlopeBytesPerTask: heapSlope, rssSlopeBytesPerTask: rssSlope },
      },
    ];
  } finally {
    await engine.close();
    await server.close();
    rmSync(ws, { recursive: true, force: true });
  }
};
