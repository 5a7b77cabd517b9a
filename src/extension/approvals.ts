// Approvals the engine waits for (run this code? call this paid model past the soft limit?). Shown
// inline in the panel when it is visible, otherwise (or once the panel is hidden or closed) as a
// modal dialog with the code in full; the first answer wins and the other place is told. A task
// that ends or an engine that dies denies whatever it still waited for.
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

/** Shows the modal dialog for an approval; resolves with the button chosen (undefined: closed). */
export type ApprovalModal = (params: ApprovalParams) => Thenable<string | undefined>;

export class ApprovalBroker implements vscode.Disposable {
  private readonly pending = new Map<string, Pending>();
  /** Approvals whose modal is open (or was): never shown twice. */
  private readonly modalShown = new Set<string>();
  private readonly requested = new vscode.EventEmitter<ApprovalParams>();
  readonly onDidRequest = this.requested.event;
  /** Tests turn the modal off: a modal dialog cannot be answered from the extension host. */
  modalFallback = true;

  constructor(
    private readonly surface: ApprovalSurface,
    private readonly log: Pick<vscode.LogOutputChannel, 'info'>,
    private readonly modal: ApprovalModal = showApprovalModal,
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
    this.modalShown.delete(approvalId);
    this.log.info(`task ${p.params.taskId}: approval ${approvalId} ${approved ? 'approved' : 'denied'} (${source})`);
    if (source !== 'panel') this.surface.resolvedElsewhere(approvalId, approved);
    p.resolve(approved);
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

  /**
   * The panel was hidden or closed: approvals it showed inline can no longer be seen there, so each
   * gets its modal now (the first answer, panel or modal, still wins).
   */
  panelHidden(): void {
    if (!this.modalFallback) return;
    for (const p of [...this.pending.values()]) void this.showModal(p.params);
  }

  private async showModal(params: ApprovalParams): Promise<void> {
    if (this.modalShown.has(params.approvalId)) return;
    this.modalShown.add(params.approvalId);
    const choice = await this.modal(params);
    // Closing the dialog denies (unless it was answered elsewhere meanwhile: then this is a no-op).
    this.answer(params.approvalId, choice === 'Approve', 'modal');
  }

  dispose(): void {
    this.denyAll();
    this.requested.dispose();
  }
}

function showApprovalModal(params: ApprovalParams): Thenable<string | undefined> {
  const what = params.kind === 'run_code' ? 'run this code' : params.kind === 'paid_call' ? 'make this paid call' : 'call this MCP tool';
  return vscode.window.showWarningMessage(
    `Orchestra wants to ${what}: ${params.title}`,
    { modal: true, detail: params.language ? `(${params.language})\n${params.detail}` : params.detail },
    'Approve',
    'Deny',
  );
}
