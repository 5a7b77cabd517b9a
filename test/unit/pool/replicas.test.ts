// Pools that scale: one model entry over several replicas (`baseUrls`) of the scripted model server,
// over real HTTP. Requests go to the replica with the fewest in flight within each one's cap, a 429's
// Retry-After keeps requests away from that replica, a killed replica is taken out by its circuit
// breaker (no request is lost, and none reaches it once the breaker is open) and a health check
// brings it back; a model that is down is left at once for its fallback, as a reported step.
import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig, type ModelEntryInput } from '../../../src/core/config';
import { ModelPool, type ChatOptions, type ChatRequest, type PoolOptions } from '../../../src/core/pool';
import { startModelServer, type ModelServer, type RecordedRequest } from '../../support/model-server';
import { startTapProxy, type TapProxy } from '../../support/tap-proxy';

const ask = (text = 'hi'): ChatRequest => ({ messages: [{ role: 'user', content: text }] });

function makePool(models: ModelEntryInput[], options: PoolOptions = {}, retries = 2) {
  const { config, problems } = parseConfig({ models, requests: { retries, timeoutSeconds: 20, stream: true } });
  assert.deepEqual(problems, []);
  const logs: Array<{ at: number; text: string }> = [];
  const pool = new ModelPool(
    config,
    async () => undefined,
    (level, text) => logs.push({ at: Date.now(), text: `${level}: ${text}` }),
    { backoffBaseMs: 5, maxBackoffMs: 50, ...options },
  );
  return { pool, logs };
}

/** The most requests a server had open at one moment. */
function maxOverlap(requests: RecordedRequest[]): number {
  const points = requests.flatMap((r) => [
    { t: r.receivedAt, d: 1 },
    { t: r.finishedAt ?? Number.POSITIVE_INFINITY, d: -1 },
  ]);
  points.sort((a, b) => a.t - b.t || a.d - b.d);
  let open = 0;
  let max = 0;
  for (const p of points) max = Math.max(max, (open += p.d));
  return max;
}

const chats = (s: ModelServer) => s.requests.filter((r) => r.model === 'm');

describe('replicas: configuration', () => {
  test('baseUrls replaces baseUrl; giving both, neither, or a replica twice is refused by name', () => {
    const ok = parseConfig({ models: [{ id: 'm', model: 'm', baseUrls: ['http://10.0.0.1:8000/v1', 'http://10.0.0.2:8000/v1'] }] });
    assert.deepEqual(ok.problems, []);
    assert.equal(ok.config.models[0].baseUrl, 'http://10.0.0.1:8000/v1', 'the first replica stands for the model');
    const both = parseConfig({ models: [{ id: 'm', model: 'm', baseUrl: 'http://a/v1', baseUrls: ['http://b/v1'] }] });
    assert.match(JSON.stringify(both.problems), /models\[0\]\.baseUrl.*not both/);
    const neither = parseConfig({ models: [{ id: 'm', model: 'm' }] });
    assert.match(JSON.stringify(neither.problems), /give \\"baseUrl\\"/);
    const twice = parseConfig({ models: [{ id: 'm', model: 'm', baseUrls: ['http://b/v1', 'http://b/v1'] }] });
    assert.match(JSON.stringify(twice.problems), /models\[0\]\.baseUrls\[1\].*listed twice/);
    const fallback = parseConfig({ models: [{ id: 'a', model: 'a', baseUrl: 'http://a/v1', fallbacks: ['nope'] }] });
    assert.match(JSON.stringify(fallback.problems), /models\[0\]\.fallbacks\[0\].*no model with id \\"nope\\"/);
  });

  test('a model is local only when every replica is', () => {
    const { pool } = makePool([
      { id: 'lan', model: 'm', baseUrls: ['http://10.0.0.1:8000/v1', 'http://192.168.1.2:8000/v1'] },
      { id: 'mixed', model: 'm', baseUrls: ['http://10.0.0.1:8000/v1', 'https://gpu.example.com/v1'] },
    ]);
    assert.equal(pool.get('lan')!.local, true);
    assert.equal(pool.get('mixed')!.local, false);
    assert.equal(pool.get('mixed')!.host, '10.0.0.1, gpu.example.com');
  });
});

describe('replicas: routing', () => {
  const servers: ModelServer[] = [];
  before(async () => {
    for (let i = 0; i < 4; i++) servers.push(await startModelServer({ latencyMs: 120, defaultReply: { content: `replica ${i}` } }));
  });
  after(async () => {
    await Promise.all(servers.map((s) => s.close()));
  });
  afterEach(() => servers.forEach((s) => s.reset()));

  test('requests spread over the replicas with the fewest in flight, never past a replica’s cap', async () => {
    const { pool } = makePool([{ id: 'm', model: 'm', baseUrls: servers.map((s) => s.url), maxConcurrentRequests: 2 }]);
    const results = await Promise.all(Array.from({ length: 16 }, (_, i) => pool.chat('m', ask(`q${i}`))));
    assert.equal(results.length, 16);
    for (const s of servers) {
      assert.equal(chats(s).length, 4, 'each replica serves its share');
      assert.ok(maxOverlap(chats(s)) <= 2, `at most 2 in flight on ${s.url}, saw ${maxOverlap(chats(s))}`);
    }
    const status = pool.replicaStatus('m');
    assert.deepEqual(
      status.map((r) => [r.state, r.inFlight, r.sent]),
      servers.map(() => ['closed', 0, 4]),
    );
  });

  test('a 429 with Retry-After keeps requests away from that replica until it expires; the request moves on at once', async () => {
    const [a, b] = servers;
    a.setHandler('m', () => ({ fault: 'http429', retryAfterSeconds: 30 }));
    const { pool } = makePool([{ id: 'm', model: 'm', baseUrls: [a.url, b.url] }], {}, 0);
    for (let i = 0; i < 6; i++) {
      const r = await pool.chat('m', ask());
      assert.equal(r.content, 'replica 1');
      assert.deepEqual(r.attempts, [], 'moving to another replica is not a failed attempt');
    }
    assert.equal(chats(a).length, 1, 'the replica that asked to wait got no further request');
    assert.ok(pool.replicaStatus('m')[0].coolingUntil! > Date.now() + 20_000);
  });

  test('when every replica asks to wait, the call fails with the shortest Retry-After for the pool’s retry to honour', async () => {
    const [a, b] = servers;
    a.setHandler('m', () => ({ fault: 'http429', retryAfterSeconds: 20 }));
    b.setHandler('m', () => ({ fault: 'http429', retryAfterSeconds: 10 }));
    const { pool } = makePool([{ id: 'm', model: 'm', baseUrls: [a.url, b.url] }], {}, 0);
    await assert.rejects(pool.chat('m', ask()), (e: Error & { status?: number; retryAfterSeconds?: number }) => {
      assert.equal(e.status, 429);
      assert.ok(e.retryAfterSeconds! > 9 && e.retryAfterSeconds! <= 10, `retry after ${e.retryAfterSeconds}`);
      return true;
    });
    assert.equal(chats(a).length + chats(b).length, 2, 'each replica was asked once');
  });
});

describe('replicas: circuit breaker', () => {
  const servers: ModelServer[] = [];
  const taps: TapProxy[] = [];
  before(async () => {
    for (let i = 0; i < 4; i++) {
      // Streamed slowly enough that requests are in flight when a replica dies.
      servers.push(
        await startModelServer({ latencyMs: 30, tokensPerSecond: 100, defaultReply: { content: `answer from replica ${i} ok` } }),
      );
      taps.push(await startTapProxy(servers[i].port));
    }
  });
  after(async () => {
    await Promise.all([...taps.map((t) => t.close()), ...servers.map((s) => s.close())]);
  });

  test('four replicas, one killed mid-run: no request lost; none reaches it once its breaker opens; a health check brings it back', async () => {
    const { pool, logs } = makePool([{ id: 'm', model: 'm', baseUrls: taps.map((t) => t.url), maxConcurrentRequests: 4 }], {
      replicas: { failureThreshold: 2, openMs: 300 },
      healthCheckTimeoutMs: 500,
    });
    const dead = taps[3];
    const opened = () => logs.find((l) => l.text.includes(dead.url) && l.text.includes('taken out of rotation'));
    const run = Array.from({ length: 48 }, (_, i) => pool.chat('m', ask(`task ${i}`)));
    // Kill it while its first requests are streaming.
    while (chats(servers[3]).length < 2) await new Promise((r) => setTimeout(r, 5));
    dead.kill();
    const results = await Promise.allSettled(run);
    const lost = results.filter((r) => r.status === 'rejected');
    assert.deepEqual(lost, [], 'every request was answered by a live replica');
    for (const r of results) assert.match((r as PromiseFulfilledResult<{ content: string }>).value.content, /answer from replica [012] ok/);
    const open = opened();
    assert.ok(open, `the breaker opened: ${logs.map((l) => l.text).join('\n')}`);
    // Every request routed before the breaker opened has finished by now: from here on, nothing but
    // health checks may reach the dead address, however much traffic there is.
    const quietFrom = Date.now();
    await Promise.all(Array.from({ length: 24 }, () => pool.chat('m', ask())));
    assert.equal(pool.replicaStatus('m')[3].state === 'closed', false, 'still out of rotation');
    assert.deepEqual(
      dead.deadHits.filter((h) => h.at >= quietFrom && !h.requestLine.startsWith('GET /v1/models')),
      [],
      'no request went to the dead replica after its breaker opened',
    );
    assert.ok(
      chats(servers[3]).some((r) => r.aborted),
      'requests were cut mid-stream when it died (and were answered elsewhere)',
    );

    // Back up: a health check (GET /models) passes, one trial request succeeds, and it serves again.
    dead.revive();
    const before = chats(servers[3]).length;
    for (let i = 0; i < 100 && chats(servers[3]).length === before; i++) {
      await Promise.all(Array.from({ length: 4 }, () => pool.chat('m', ask())));
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.ok(chats(servers[3]).length > before, 'the revived replica gets requests again');
    assert.ok(
      logs.some((l) => l.text.includes(dead.url) && l.text.includes('answers its health check')),
      'it came back through a health check',
    );
    assert.equal(pool.replicaStatus('m')[3].state, 'closed');
  });

  test('a model that is down is left at once for its fallback, reported as a fallback step', async () => {
    const downTap = await startTapProxy(servers[0].port);
    downTap.kill();
    try {
      const { pool } = makePool(
        [
          { id: 'a', model: 'm', baseUrl: downTap.url, fallbacks: ['b'] },
          { id: 'b', model: 'm', baseUrl: servers[1].url },
        ],
        { replicas: { failureThreshold: 2, openMs: 60_000 } },
      );
      const steps: Array<Parameters<NonNullable<ChatOptions['onRetry']>>[0]> = [];
      const opts: ChatOptions = { fallback: () => true, onRetry: (i) => steps.push(i) };
      const first = await pool.chat('a', ask(), opts);
      assert.equal(first.modelId, 'b');
      assert.equal(first.fellBackFrom, 'a');
      const moved = steps.filter((s) => s.nextModelId === 'b');
      assert.equal(moved.length, 1);
      assert.equal(moved[0].unreachable, true);
      const hits = downTap.deadHits.length;
      assert.ok(hits >= 2, 'a was tried (and retried) first');

      steps.length = 0;
      const second = await pool.chat('a', ask(), opts);
      assert.equal(second.modelId, 'b');
      assert.equal(downTap.deadHits.length, hits, 'a down model is not sent the request at all');
      assert.match(steps.find((s) => s.nextModelId === 'b')!.error, /a is down \(circuit open/);
      assert.equal(steps.filter((s) => s.nextModelId === 'a').length, 0, 'and not retried');
    } finally {
      await downTap.close();
    }
  });
});
