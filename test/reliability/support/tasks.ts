// Running a task through the real engine under an outer timer, and checking the event stream's
// contract: every event valid, seq increasing, exactly one done/error and it comes last.
import assert from 'node:assert/strict';
import type { Engine, TaskOutcome, TaskRequest } from '../../../src/core/engine-api';
import { EngineEvent, type EventOf } from '../../../src/core/protocol/events';
import { within } from './random';

export interface CheckedRun {
  outcome: TaskOutcome;
  events: EngineEvent[];
  terminal: EventOf<'done'> | EventOf<'error'>;
  of<T extends EngineEvent['type']>(type: T): Array<EventOf<T>>;
}

/** Runs one task; fails (instead of hanging) when it has not ended `graceMs` after its wall-time limit. */
export async function runChecked(engine: Engine, req: TaskRequest, graceMs = 15_000): Promise<CheckedRun> {
  const events: EngineEvent[] = [];
  const limitMs = engine.config.budget.maxWallTimeSeconds * 1000 + graceMs;
  const outcome = await within(
    engine.ask(req, (e) => events.push(e)),
    limitMs,
    `task "${req.question.slice(0, 60)}"`,
  );
  for (const e of events) {
    const parsed = EngineEvent.safeParse(e);
    assert.ok(parsed.success, `event ${e.type} must match the protocol: ${parsed.success ? '' : JSON.stringify(parsed.error.issues)}`);
    assert.equal(e.taskId, outcome.taskId, 'every event carries the task id');
  }
  for (let i = 1; i < events.length; i++) assert.ok(events[i].seq > events[i - 1].seq, 'seq increases');
  assert.equal(events[0]?.type, 'task_started', 'the stream starts with task_started');
  const terminals = events.filter((e): e is EventOf<'done'> | EventOf<'error'> => e.type === 'done' || e.type === 'error');
  assert.equal(terminals.length, 1, `exactly one done or error event (got ${terminals.map((t) => t.type).join(', ') || 'none'})`);
  assert.equal(events[events.length - 1], terminals[0], 'the terminal event comes last');
  const terminal = terminals[0];
  assert.equal(outcome.ok, terminal.type === 'done', 'the outcome agrees with the terminal event');
  if (terminal.type === 'error') {
    assert.ok(terminal.message.trim().length >= 10, `the error says what failed: "${terminal.message}"`);
    assert.equal(outcome.error?.message, terminal.message);
  }
  return { outcome, events, terminal, of: (type) => events.filter((e) => e.type === type) as never };
}

/** Collects uncaught exceptions and unhandled rejections: any of them is a crash the suite reports. */
export function crashWatch(): { crashes: string[]; stop(): void } {
  const crashes: string[] = [];
  const onError = (err: unknown) => crashes.push(`uncaught: ${(err as Error)?.stack ?? String(err)}`);
  const onRejection = (err: unknown) => crashes.push(`unhandled rejection: ${(err as Error)?.stack ?? String(err)}`);
  process.on('uncaughtException', onError);
  process.on('unhandledRejection', onRejection);
  return {
    crashes,
    stop() {
      process.off('uncaughtException', onError);
      process.off('unhandledRejection', onRejection);
    },
  };
}
