// One Orchestra task started from outside the panel (the Chat view's @orchestra, the tools other
// agents call): its events followed as they come, cancellation passed on, and the final event
// returned. The task is also shown in the panel, like every task, so its full tree is one click away.
import { randomUUID } from 'node:crypto';
import * as vscode from 'vscode';
import type { EngineEvent, EventOf } from '../core/protocol/events';
import type { AskParams } from '../protocol/engine-rpc';
import type { Orchestra } from './orchestra';

export type TaskEnd = EventOf<'done'> | EventOf<'error'>;

/** Files a task looked at (read, searched, attached), workspace-relative, in the order first seen. */
export function filesTouched(events: readonly EngineEvent[]): string[] {
  const out = new Set<string>();
  for (const e of events) {
    if (e.type === 'tool_call_started' && e.tool === 'read_file') {
      const path = (e.args as { path?: unknown } | undefined)?.path;
      if (typeof path === 'string' && path) out.add(path);
    } else if (e.type === 'tool_call_finished' && e.tool === 'search_workspace' && e.state === 'ok') {
      // search_workspace lists each file as "path (N matches)".
      for (const m of e.result.matchAll(/^(\S[^\n]*?) \(\d+\+? match(?:es)?\)$/gm)) out.add(m[1]);
    } else if (e.type === 'task_started') {
      for (const a of e.attachments ?? []) out.add(a.path);
    }
  }
  return [...out];
}

/**
 * Runs `params` as a task; `onEvent` sees each of its events (subtasks included) as it arrives.
 * Cancelling `token` cancels the task. Resolves with its final event.
 */
export async function runTask(
  o: Orchestra,
  params: Omit<AskParams, 'taskId'>,
  token: vscode.CancellationToken,
  onEvent: (e: EngineEvent) => void = () => undefined,
): Promise<{ taskId: string; end: TaskEnd; events: EngineEvent[] }> {
  const taskId = randomUUID();
  const events: EngineEvent[] = [];
  let finish: (e: TaskEnd) => void = () => undefined;
  const ended = new Promise<TaskEnd>((resolve) => (finish = resolve));
  // Subscribed before asking: the first events may arrive before the answer to `ask`.
  const sub = o.engine.onEvent((e) => {
    if (e.taskId !== taskId) return;
    events.push(e);
    try {
      onEvent(e);
    } catch (err) {
      o.log.warn(`a task listener failed: ${err instanceof Error ? err.message : String(err)}`);
    }
    if (e.type === 'done' || e.type === 'error') finish(e);
  });
  const cancel = token.onCancellationRequested(() => void o.cancel(taskId));
  try {
    await o.engine.ask({ ...params, taskId, workspace: params.workspace ?? o.workspacePath() });
    o.session.taskStarted(taskId);
    if (token.isCancellationRequested) void o.cancel(taskId);
    return { taskId, end: await ended, events };
  } finally {
    sub.dispose();
    cancel.dispose();
  }
}
