// What this VS Code session has done: the tasks, which are running, the last one (for "Export last
// trajectory" and "Cancel task"), and the spend of all of them together.
import * as vscode from 'vscode';
import type { EngineEvent } from '../core/protocol/events';

export class SessionState implements vscode.Disposable {
  private readonly dollarsByTask = new Map<string, number>();
  private readonly running = new Set<string>();
  private lastTask: string | undefined;
  private readonly emitter = new vscode.EventEmitter<void>();
  readonly onDidChange = this.emitter.event;

  get lastTaskId(): string | undefined {
    return this.lastTask;
  }
  get runningTasks(): string[] {
    return [...this.running];
  }
  get sessionDollars(): number {
    let sum = 0;
    for (const d of this.dollarsByTask.values()) sum += d;
    return sum;
  }

  taskStarted(taskId: string): void {
    this.lastTask = taskId;
    this.running.add(taskId);
    this.emitter.fire();
  }

  onEvent(e: EngineEvent): void {
    if (e.type === 'cost_update' || e.type === 'done' || e.type === 'error') {
      // Totals of a task are cumulative: the latest one counts.
      this.dollarsByTask.set(e.taskId, e.totals.dollars);
    }
    if (e.type === 'done' || e.type === 'error') this.running.delete(e.taskId);
    if (e.type === 'cost_update' || e.type === 'done' || e.type === 'error') this.emitter.fire();
  }

  dispose(): void {
    this.emitter.dispose();
  }
}
