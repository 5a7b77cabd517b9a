// Approvals the engine waits for (run this code? call this paid model past the soft limit?). Shown
// inline in the panel when it is visible, otherwise as a modal dialog with the code in full; the
// first answer wins and the other place is told. A task that ends or an engine that dies denies
// whatever it still waited for.
import * as vscode from 'vscode';
import type { ApprovalParams } from '../protocol/engine-rpc';

export interface ApprovalSurface {
  panelVisible(): boolean;
  showInPanel(approval: ApprovalParams): void;
  resolvedElsewhere(approvalId: string, approved: boolean): void;
}

export type ApprovalSource = 'panel' | 'modal' | 'task-ended' | 'api';

interface Pending {
  params: ApprovalParams;
  resolve(approved: boolean): void;
}

export class ApprovalBroker implements vscode.Disposable {
  private readonly pending = new Map<string, Pending>();
  private readonly requested = new vscode.EventEmitter<ApprovalParams>();
  private readonly resolved = new vscode.EventEmitter<{ approvalId: string; approved: boolean; source: ApprovalSource }>();
  readonly onDidRequest = this.requested.event;
  readonly onDidResolve = this.resolved.event;
  /** Tests turn the modal off: a modal dialog cannot be answered from the extension host. */
  modalFallback = true;

  constructor(
    private readonly surface: ApprovalSurface,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  request(params: ApprovalParams): Promise<boolean> {
    return new Promise<boolean>((resolve) => {
      this.pending.set(params.approvalId, { params, resolve });
      this.log.info(`task ${params.taskId}: approval ${params.approvalId} requested (${params.kind}): ${params.title}`);
      // Always inline, so opening the panel later still shows it; the modal only when no one sees the panel.
      this.surface.showInPanel(params);
      this.requested.fire(params);
      if (!this.surface.panelVisible() && this.modalFallback) void this.showModal(params);
    });
  }

  /** Records an answer; false when the approval was already answered (first answer wins). */
  answer(approvalId: string, approved: boolean, source: ApprovalSource): boolean {
    const p = this.pending.get(approvalId);
    if (!p) return false;
    this.pending.delete(approvalId);
    this.log.info(`task ${p.params.taskId}: approval ${approvalId} ${approved ? 'approved' : 'denied'} (${source})`);
    if (source !== 'panel') this.surface.resolvedElsewhere(approvalId, approved);
    p.resolve(approved);
    this.resolved.fire({ approvalId, approved, source });
    return true;
  }

  /** Denies what a task still waits for (it ended, or its engine went down). */
  denyTask(taskId: string): void {
    for (const [id, p] of [...this.pending]) if (p.params.taskId === taskId) this.answer(id, false, 'task-ended');
  }

  denyAll(): void {
    for (const id of [...this.pending.keys()]) this.answer(id, false, 'task-ended');
  }

  list(): ApprovalParams[] {
    return [...this.pending.values()].map((p) => p.params);
  }

  private async showModal(params: ApprovalParams): Promise<void> {
    const what = params.kind === 'run_code' ? 'run this code' : params.kind === 'paid_call' ? 'make this paid call' : 'call this MCP tool';
    const choice = await vscode.window.showWarningMessage(
      `Orchestra wants to ${what}: ${params.title}`,
      { modal: true, detail: params.language ? `(${params.language})\n${params.detail}` : params.detail },
      'Approve',
      'Deny',
    );
    // Closing the dialog denies.
    this.answer(params.approvalId, choice === 'Approve', 'modal');
  }

  dispose(): void {
    this.denyAll();
    this.requested.dispose();
    this.resolved.dispose();
  }
}
