// The Orchestra panel's VS Code side: a webview view in its own activity-bar container. It loads the
// bundled panel (dist/webview) under a strict CSP, validates every message the panel sends, and keeps
// the conversation so a reloaded or re-shown view gets it back. Wiring to the engine lives in the
// extension (panel-bridge); this class only needs the handlers.
import * as vscode from 'vscode';
import type { EngineEvent } from '../../core/protocol/events';
import type { ExtensionToPanel } from '../../protocol/panel';
import { ConversationStore, type ConversationStoreOptions } from './conversationStore';
import { makeNonce, panelHtml } from './panelHtml';
import { PanelSession, type PanelHandlers } from './panelSession';

export type { PanelHandlers } from './panelSession';

export class OrchestraPanelProvider implements vscode.WebviewViewProvider, vscode.Disposable {
  static readonly viewId = 'orchestra.panel';
  private view: vscode.WebviewView | undefined;
  private readonly store: ConversationStore;
  private readonly session: PanelSession;
  private viewSubscriptions: vscode.Disposable[] = [];

  constructor(
    private readonly extensionUri: vscode.Uri,
    handlers: PanelHandlers,
    state: vscode.Memento,
    conversations: ConversationStoreOptions,
    log?: (level: 'warn' | 'error', message: string) => void,
    /** Called when a shown view is hidden or closed (approvals shown there need another way to be seen). */
    private readonly onHidden?: () => void,
  ) {
    this.store = new ConversationStore(state, conversations);
    this.session = new PanelSession(this.store, handlers, {
      openLink: (url) => void vscode.env.openExternal(vscode.Uri.parse(url, true)),
      log:
        log ??
        ((level, message) =>
          level === 'error' ? console.error(`[orchestra panel] ${message}`) : console.warn(`[orchestra panel] ${message}`)),
    });
  }

  resolveWebviewView(webviewView: vscode.WebviewView): void {
    this.disposeView();
    this.view = webviewView;
    const webview = webviewView.webview;
    const bundle = vscode.Uri.joinPath(this.extensionUri, 'dist', 'webview');
    webview.options = {
      enableScripts: true,
      enableCommandUris: false,
      // Only the panel bundle: nothing else of the extension is readable from the webview.
      localResourceRoots: [bundle],
    };
    this.session.attach({ postMessage: (m: ExtensionToPanel) => webview.postMessage(m) });
    this.viewSubscriptions = [
      webview.onDidReceiveMessage((m: unknown) => this.session.receive(m)),
      webviewView.onDidChangeVisibility(() => {
        if (webviewView.visible || this.view !== webviewView) return;
        void this.store.flush();
        this.onHidden?.();
      }),
      webviewView.onDidDispose(() => {
        if (this.view === webviewView) {
          this.view = undefined;
          this.session.detach();
          void this.store.flush();
          this.onHidden?.();
        }
      }),
    ];
    webview.html = panelHtml({
      cspSource: webview.cspSource,
      scriptUri: webview.asWebviewUri(vscode.Uri.joinPath(bundle, 'panel.js')).toString(),
      styleUri: webview.asWebviewUri(vscode.Uri.joinPath(bundle, 'panel.css')).toString(),
      nonce: makeNonce(),
    });
  }

  /** Sends a message; engine events are recorded and replayed, so nothing is lost before the view exists. */
  post(msg: ExtensionToPanel): void {
    this.session.post(msg);
  }

  postEngineEvent(e: EngineEvent): void {
    this.session.post({ type: 'event', event: e });
  }

  /** Shows the panel (opening its container if needed). */
  async reveal(): Promise<void> {
    if (this.view) this.view.show(true);
    else await vscode.commands.executeCommand(`${OrchestraPanelProvider.viewId}.focus`);
  }

  /** Archives the current conversation into history and shows an empty one. */
  async newConversation(): Promise<void> {
    this.session.newConversation();
    await this.store.flush();
  }

  get visible(): boolean {
    return this.view?.visible ?? false;
  }

  /** Whether a webview is loaded and listening (approvals are shown inline only then). */
  get ready(): boolean {
    return this.view !== undefined && this.session.isReady;
  }

  private disposeView(): void {
    for (const d of this.viewSubscriptions) d.dispose();
    this.viewSubscriptions = [];
  }

  dispose(): void {
    this.disposeView();
    this.session.detach();
    void this.store.dispose();
  }
}
