// Issue 20's "done when" for replicas, end to end: a set of tasks runs at once through the engine, each
// asking an expert that is served by four replicas (four scripted model servers behind TCP taps, real
// HTTP/SSE); one replica dies while requests are on it. No task is lost, and once that replica's breaker
// opens it gets no request. Deterministic: the replicas hold their first requests until eight have
// arrived, so the dead one has exactly its share in flight when it dies; no clock is compared.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createEngine } from '../../../src/core/engine';
import type { ModelInfo } from '../../../src/core/engine-api';
import { startModelServer, type ModelServer } from '../../support/model-server';
import { startTapProxy, type TapProxy } from '../../support/tap-proxy';
import { FAST_POOL, config, lastUserOrToolText, model, recordingHost, runTask, tempWorkspace } from './helpers';

const HELD = 8;
const TASKS = 12;

describe('replicas under a task set: one killed mid-run', () => {
  const replicas: ModelServer[] = [];
  const taps: TapProxy[] = [];
  let orch: ModelServer;
  const ws = tempWorkspace({ 'README.md': '# demo\n' });
  before(async () => {
    orch = await startModelServer();
    for (let i = 0; i < 4; i++) {
      replicas.push(await startModelServer({ latencyMs: 10, tokensPerSecond: 400 }));
      taps.push(await startTapProxy(replicas[i].port));
    }
  });
  after(async () => {
    await Promise.all([orch.close(), ...taps.map((t) => t.close()), ...replicas.map((s) => s.close())]);
    ws.cleanup();
  });

  test('no task is lost, and the dead replica gets no request after its breaker opens', async () => {
    const dead = taps[3];
    // Every replica holds the requests it gets until HELD have arrived in all: least-outstanding routing
    // has then put HELD / 4 on each, the dead one included. That moment the dead replica is killed (its
    // held requests are cut before any byte) and the others are let go.
    let arrived = 0;
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    replicas.forEach((server, i) =>
      server.setHandler('m', async (body) => {
        if (++arrived === HELD) {
          dead.kill();
          release();
        }
        await gate;
        return { content: `answer from replica ${i} to [${lastUserOrToolText(body).match(/task \d+/)?.[0]}]` };
      }),
    );
    // The orchestrator asks the expert once per task, then answers with what the expert said.
    orch.setHandler('orch', (body) => {
      const tool = [...body.messages].reverse().find((m: { role: string }) => m.role === 'tool');
      if (tool) return { toolCalls: [{ name: 'answer', arguments: { answer: `expert said: ${tool.content}` } }] };
      const task = lastUserOrToolText(body).match(/task \d+/)?.[0];
      return { toolCalls: [{ name: 'call_model', arguments: { model: 'm', task: `Answer ${task}.` } }] };
    });

    const host = recordingHost();
    // The router's own count of requests it sent to the dead replica, read the moment its breaker opens
    // (the pool logs that synchronously, inside the router).
    let sentAtOpen: number | undefined;
    const deadStatus = () => engine.listModels().find((m: ModelInfo) => m.id === 'm')!.replicas![3];
    const log = host.log!.bind(host);
    host.log = (level, message) => {
      if (sentAtOpen === undefined && message.includes(dead.url) && message.includes('taken out of rotation'))
        sentAtOpen = deadStatus().sent;
      log(level, message);
    };
    const engine = createEngine(
      host,
      config({
        models: [
          model('orch', orch.url, { roles: ['orchestrator'] }),
          { id: 'm', model: 'm', roles: ['general'], baseUrls: taps.map((t) => t.url), maxConcurrentRequests: 4 },
        ],
        orchestrator: { model: 'orch', dialect: 'general' },
        tools: { runCode: { enabled: false } },
      }),
      // No health check runs during the test: the breaker stays open once opened.
      { pool: { ...FAST_POOL.pool, replicas: { failureThreshold: 2, openMs: 600_000 } } },
    );

    const ask = (i: number) => runTask(engine, { question: `Please do task ${i}.`, workspace: ws.dir });
    const runs = await Promise.all(Array.from({ length: TASKS }, (_, i) => ask(i)));
    runs.forEach((run, i) => {
      assert.equal(run.outcome.ok, true, `task ${i}: ${JSON.stringify(run.outcome.error)}`);
      assert.match(
        run.outcome.answer ?? '',
        new RegExp(`answer from replica [012] to \\[task ${i}\\]`),
        `task ${i} was answered by a live replica`,
      );
    });

    assert.ok(sentAtOpen !== undefined, `the dead replica's breaker opened:\n${host.logs.join('\n')}`);
    assert.ok(sentAtOpen >= HELD / 4, 'its held requests were among those sent to it');
    assert.equal(deadStatus().state, 'open');
    assert.equal(deadStatus().sent, sentAtOpen, 'the router sent it nothing after its breaker opened');
    // What reached it at all (before and after it died) is bounded by what was sent before it opened.
    const deadPosts = () => dead.deadHits.filter((h) => h.requestLine.startsWith('POST ')).length;
    const reached = replicas[3].requestsFor('m').length + deadPosts();
    assert.ok(reached <= sentAtOpen, `${reached} requests reached it, ${sentAtOpen} were sent before it opened`);
    assert.ok(replicas[3].requestsFor('m').length >= 1, 'it had requests in flight when it died');

    // A second wave, wholly after the breaker opened: the dead address sees nothing at all.
    const hitsBefore = dead.deadHits.length;
    const second = await Promise.all(Array.from({ length: TASKS }, (_, i) => ask(TASKS + i)));
    for (const run of second) assert.equal(run.outcome.ok, true, JSON.stringify(run.outcome.error));
    assert.equal(dead.deadHits.length, hitsBefore, 'no connection reached the dead replica in the second wave');
    assert.equal(deadStatus().sent, sentAtOpen);
    const live = replicas.slice(0, 3).map((s) => s.requestsFor('m').length);
    assert.equal(
      live.reduce((a, b) => a + b, 0),
      2 * TASKS,
      `the live replicas answered every expert call (${live.join(', ')})`,
    );
  });
});
