// Pools that scale: 64 concurrent call_model subtasks of one task, served by one model entry over four
// replicas (each capped at 4 requests in flight) vs the same entry over one replica with the same cap.
// Each replica is a scripted model server in its own process (as replicas are) answering after L ms;
// the engine runs in this process.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig, type OrchestraConfigInput } from '../../src/core/config';
import { createEngine } from '../../src/core/engine';
import type { Engine, EngineHost } from '../../src/core/engine-api';
import { startModelServer } from '../../test/support/model-server';
import { median, ms, now, fanOutOrchestrator, type Bench } from './util';

const host: EngineHost = {
  workspaceTrusted: true,
  getSecret: async () => undefined,
  requestApproval: async () => false,
  log: (level, message) => {
    if (level === 'warn' || level === 'error') console.error(`engine ${level}: ${message}`);
  },
};

const N = 64;
const CAP = 4;
/** Server latency per request: long enough that the engine's own work per subtask is a small share. */
const L = 1000;

interface Replica {
  url: string;
  child: ChildProcess;
}

/** One replica: `node out/test/support/model-server.js` answering every request after L ms. */
function startReplica(root: string): Promise<Replica> {
  const script = join(root, 'out/test/support/model-server.js');
  if (!existsSync(script)) throw new Error(`${script} is missing: build first (node scripts/build.mjs)`);
  const child = spawn(process.execPath, [script, '--port', '0', '--latency-ms', String(L), '--default-content', 'part done'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /READY (\S+)/.exec(out);
      if (m) resolve({ url: m[1], child });
    });
    child.on('exit', (code) => reject(new Error(`a replica exited (${code}) before it was ready`)));
  });
}

export const replicaThroughput: Bench = async (ctx) => {
  const replicas = await Promise.all(Array.from({ length: 4 }, () => startReplica(ctx.root)));
  const orchServer = await startModelServer();
  orchServer.setHandler('orch', fanOutOrchestrator(N, 'All parts are done.'));
  const ws = mkdtempSync(join(tmpdir(), 'orchestra-bench-replicas-'));
  writeFileSync(join(ws, 'README.md'), '# bench\n');
  const make = (urls: string[]): Engine => {
    const input: OrchestraConfigInput = {
      models: [
        { id: 'orch', baseUrl: orchServer.url, model: 'orch', roles: ['orchestrator'] },
        { id: 'expert', baseUrls: urls, model: 'expert', roles: ['general'], maxConcurrentRequests: CAP },
      ],
      orchestrator: { model: 'orch', dialect: 'general' },
      // The harness's own limit must not be what binds: 32 is its maximum, twice the replicas' total.
      concurrency: 32,
      requests: { timeoutSeconds: 120, retries: 0, stream: true },
      tools: { runCode: { enabled: false } },
    };
    const { config, problems } = parseConfig(input);
    if (problems.length) throw new Error(`bench config is invalid: ${JSON.stringify(problems)}`);
    return createEngine(host, config);
  };
  const four = make(replicas.map((r) => r.url));
  const one = make([replicas[0].url]);
  // Wall time of the subtask phase: first call_model started → last finished, as the engine reports it.
  const phase = async (engine: Engine): Promise<number> => {
    let first = Infinity;
    let last = 0;
    let ok = 0;
    const outcome = await engine.ask({ question: 'Do all the parts.', workspace: ws }, (e) => {
      if (e.type === 'tool_call_started' && e.tool === 'call_model') first = Math.min(first, now());
      if (e.type === 'tool_call_finished' && e.tool === 'call_model') {
        last = Math.max(last, now());
        if (e.state === 'ok') ok++;
      }
    });
    if (!outcome.ok || ok !== N) throw new Error(`replicas bench: ${ok} of ${N} subtasks finished ok (${outcome.error?.message ?? ''})`);
    return last - first;
  };
  try {
    const rounds = ctx.quick ? 1 : 3;
    await phase(four); // warm-up: connections, first-use code paths
    const fourMs: number[] = [];
    const oneMs: number[] = [];
    for (let r = 0; r < rounds; r++) {
      const order = r % 2 ? [one, four] : [four, one];
      for (const e of order) (e === four ? fourMs : oneMs).push(await phase(e));
    }
    const throughputFour = N / (median(fourMs) / 1000);
    const throughputOne = N / (median(oneMs) / 1000);
    const gain = throughputFour / throughputOne;
    return [
      {
        bench: 'replicas',
        what: `replicas: ${N} concurrent call_model subtasks, one model over 4 replicas (each capped at ${CAP} in flight, L = ${L} ms) vs 1 replica`,
        baseline: `1 replica: ${ms(median(oneMs))} = ${throughputOne.toFixed(1)} subtasks/s`,
        measured: `4 replicas: ${ms(median(fourMs))} = ${throughputFour.toFixed(1)} subtasks/s`,
        ratio: `${gain.toFixed(2)}×`,
        target: '≥ 3.6×',
        met: gain >= 3.6,
        note: `${rounds} tasks each way, alternated; medians of the subtask phase (first call started → last finished). Ideal: ${N}/${CAP} = ${N / CAP} L on one replica, ${N / (4 * CAP)} L on four. Each replica is a model-server process. Load average during the run: ${loadavg()[0].toFixed(1)} (the engine's own work per subtask is what keeps the ratio under 4 on a busy machine).`,
        data: { N, CAP, L, rounds, fourReplicasMs: fourMs, oneReplicaMs: oneMs },
      },
    ];
  } finally {
    await four.dispose();
    await one.dispose();
    for (const r of replicas) r.child.kill('SIGTERM');
    await orchServer.close();
    rmSync(ws, { recursive: true, force: true });
  }
};
