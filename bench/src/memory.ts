// Engine process memory: RSS idle (configured, no task yet) and while running 100 scripted tasks;
// growth is measured after a warm-up, when code paths and caches are in place.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startModelServer } from '../../test/support/model-server';
import { startEngineProcess } from './engine-process';
import { mb, rssBytes, sleep, type Bench } from './util';

export const memory: Bench = async (ctx) => {
  const server = await startModelServer();
  const ws = mkdtempSync(join(tmpdir(), 'orchestra-bench-mem-'));
  writeFileSync(join(ws, 'README.md'), '# memory bench\n');
  const engine = await startEngineProcess(ctx.root);
  try {
    server.setHandler('orch', (body) =>
      body.messages.some((m: any) => m.role === 'tool')
        ? { content: 'The workspace has a README. '.repeat(20) }
        : { toolCalls: [{ name: 'read_file', arguments: { path: 'README.md' } }] },
    );
    await engine.configure({ models: [{ id: 'orch', baseUrl: server.url, model: 'orch', roles: ['orchestrator'] }], orchestrator: { model: 'orch', dialect: 'general' }, tools: { runCode: { enabled: false } } }, ws);
    await sleep(1000);
    const pid = engine.child.pid!;
    const idle = rssBytes(pid);
    const TASKS = 100;
    const WARMUP = 20;
    const samples: Array<{ tasks: number; rss: number }> = [];
    for (let i = 1; i <= TASKS; i++) {
      const end = await engine.ask(`Task ${i}: what is in the workspace?`);
      if (end.type !== 'done') throw new Error(`memory bench: task ${i} ended with ${end.type}`);
      if (i % 10 === 0) samples.push({ tasks: i, rss: rssBytes(pid) });
    }
    await sleep(500);
    const after = rssBytes(pid);
    const atWarm = samples.find((s) => s.tasks === WARMUP)!.rss;
    // Least-squares slope over the samples after warm-up (bytes per task).
    const post = samples.filter((s) => s.tasks >= WARMUP);
    const mx = post.reduce((a, s) => a + s.tasks, 0) / post.length;
    const my = post.reduce((a, s) => a + s.rss, 0) / post.length;
    const slope = post.reduce((a, s) => a + (s.tasks - mx) * (s.rss - my), 0) / post.reduce((a, s) => a + (s.tasks - mx) ** 2, 0);
    const growth = after - atWarm;
    const met = growth <= 5 * 1024 * 1024;
    return [
      {
        bench: 'memory',
        what: `engine process RSS: idle, after ${TASKS} tasks`,
        baseline: `idle ${mb(idle)}`,
        measured: `${mb(after)} after ${TASKS} (${mb(atWarm)} after ${WARMUP})`,
        ratio: `${growth >= 0 ? '+' : ''}${mb(growth)} after warm-up`,
        target: 'report; no growth after warm-up',
        met,
        note: `RSS every 10 tasks: ${samples.map((s) => (s.rss / 1048576).toFixed(1)).join(', ')} MB; slope after warm-up ${(slope / 1024).toFixed(1)} KB/task. "No growth" counted as ≤ 5 MB between task ${WARMUP} and task ${TASKS} (RSS includes V8 heap not yet collected).`,
        data: { idle, afterWarmup: atWarm, after, samples, slopeBytesPerTask: slope },
      },
    ];
  } finally {
    await engine.close();
    await server.close();
    rmSync(ws, { recursive: true, force: true });
  }
};
