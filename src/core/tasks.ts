// The engine's running tasks (so one can be stopped, or one call inside it) and the trajectories of
// the last few finished ones (for `Engine.trajectory`, e.g. "Export last trajectory").
import { TaskFailure, type TaskTree } from './orchestrator/runtime';

export class RunningTasks {
  private readonly controllers = new Map<string, AbortController>();
  /** The running tasks' trees, so one call in them can be stopped (`cancelCall`). */
  private readonly trees = new Map<string, TaskTree>();

  /** Registers a task; its controller stops everything under it. */
  start(taskId: string): AbortController {
    if (this.controllers.has(taskId)) throw new Error(`a task with id ${taskId} is already running`);
    const controller = new AbortController();
    this.controllers.set(taskId, controller);
    return controller;
  }

  has(taskId: string): boolean {
    return this.controllers.has(taskId);
  }

  attach(taskId: string, tree: TaskTree): void {
    this.trees.set(taskId, tree);
  }

  end(taskId: string): void {
    this.controllers.delete(taskId);
    this.trees.delete(taskId);
  }

  cancel(taskId: string, reason = 'cancelled by the user'): boolean {
    const c = this.controllers.get(taskId);
    if (!c || c.signal.aborted) return false;
    c.abort(new TaskFailure('cancelled', reason));
    return true;
  }

  cancelCall(taskId: string, callId: string): boolean {
    const c = this.controllers.get(taskId);
    if (!c || c.signal.aborted) return false;
    return this.trees.get(taskId)?.cancelCall(callId) ?? false;
  }

  /** The engine shuts down under every task: not the user's stop, so each ends interrupted (resumable). */
  interruptAll(reason: string): void {
    for (const c of this.controllers.values()) c.abort(new TaskFailure('interrupted', reason));
  }
}

/** The JSONL trajectories of the last `keep` finished tasks, oldest dropped first. */
export class RecentTrajectories {
  private readonly texts = new Map<string, string>();

  constructor(private readonly keep: number) {}

  remember(taskId: string, text: string): void {
    this.texts.set(taskId, text);
    while (this.texts.size > this.keep) this.texts.delete(this.texts.keys().next().value as string);
  }

  get(taskId: string): string | undefined {
    return this.texts.get(taskId);
  }
}
