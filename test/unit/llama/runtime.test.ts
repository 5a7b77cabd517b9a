// The embedded runtime's sharing of one model between calls: with `concurrency` sequences, calls
// beyond it wait, and a released slot goes to a waiting call, never to a newcomer that would leave
// the waiter with "no sequences left". Real node-llama-cpp, a tiny GGUF written here, one thread.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { makeModelDir, writeRandomModel } from '../../support/gguf';
import { LlamaRuntime } from '../../../src/server/llama/runtime';

describe('LlamaRuntime: concurrent calls share a model', () => {
  const models = makeModelDir();
  const spec = { path: join(models.dir, 'tiny-random.gguf') };
  let runtime: LlamaRuntime;

  before(() => {
    writeRandomModel(spec.path);
    runtime = new LlamaRuntime({ threads: 1, concurrency: 1, gpu: false, contextSize: 512 });
  });
  after(async () => {
    await runtime?.close();
    models.cleanup();
  });

  test('a released slot goes to the waiting call even when a new call arrives at that moment', async () => {
    let holding = 0;
    let most = 0;
    const order: string[] = [];
    const call = async (name: string): Promise<void> => {
      const lease = await runtime.acquire(spec);
      holding++;
      most = Math.max(most, holding);
      order.push(name);
      await new Promise((r) => setImmediate(r));
      holding--;
      lease.release();
    };
    const first = await runtime.acquire(spec);
    const waiting = call('waiter');
    // Release, then a newcomer at once: before the fix the newcomer could take the freed sequence
    // and the waiter failed with "no sequences left".
    first.release();
    // Newcomers at every microtask depth up to 20, so one of them lands between the slot being
    // freed and the waiter resuming.
    const afterTicks = async (n: number): Promise<void> => {
      for (let i = 0; i < n; i++) await Promise.resolve();
    };
    const newcomers = Array.from({ length: 20 }, (_, i) => afterTicks(i).then(() => call(`newcomer-${i}`)));
    const results = await Promise.allSettled([waiting, ...newcomers]);
    assert.deepEqual(
      results.filter((r) => r.status === 'rejected').map((r) => String(r.reason)),
      [],
    );
    assert.equal(most, 1, 'never more calls at once than the concurrency');
    assert.equal(order[0], 'waiter', 'the call that waited first goes first');
  });

  test('a waiting call can be cancelled, and the slot then goes to the next one', async () => {
    const first = await runtime.acquire(spec);
    const controller = new AbortController();
    const cancelled = runtime.acquire(spec, controller.signal);
    const next = runtime.acquire(spec);
    controller.abort();
    await assert.rejects(cancelled, /cancelled while waiting/);
    first.release();
    const lease = await next;
    lease.release();
  });
});
