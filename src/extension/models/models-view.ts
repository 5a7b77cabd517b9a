// The Models view in the Orchestra side bar: every pool member with its state (reachable, latency,
// context window, price, where it runs, open weights, key), each expandable to all its facts, with
// its actions in the row's inline and context menus (package.json `view/item/context`). A native tree:
// keyboard, screen readers, themes and narrow side bars come with it.
import * as vscode from 'vscode';
import type { Orchestra } from '../orchestra';
import { errorText } from '../engine-client';
import { modelRows, rowAccessibleLabel, rowContext, rowDescription, rowDetails, type ModelRow, type Reachability } from './model-rows';

type Node = { kind: 'model'; row: ModelRow } | { kind: 'detail'; row: ModelRow; label: string; value: string };

/** A local endpoint's listing is checked again when older than this (remote ones only on Test). */
const RECHECK_MS = 60_000;

export class ModelsView implements vscode.TreeDataProvider<Node>, vscode.Disposable {
  private rows: ModelRow[] = [];
  private readonly reach = new Map<string, Reachability>();
  private keyOrigins = new Map<string, string>();
  private readonly disposables: vscode.Disposable[] = [];
  private refreshing: Promise<void> | undefined;
  private visible = false;
  private built = false;

  /** `changed` is the activation bundle's event, so the tree can be registered before this is loaded. */
  constructor(
    private readonly o: Orchestra,
    private readonly changed: vscode.EventEmitter<void>,
  ) {
    this.disposables.push(
      o.settings.onDidChange(() => void this.refresh()),
      o.onDidRefreshModels(() => void this.refresh()),
      o.engine.onDidChangeState(({ state }) => {
        if (state !== 'ready') return;
        o.refreshModelsSoon();
        void this.refresh();
      }),
    );
  }

  /** The view became visible or hidden (extension.ts forwards it): local endpoints are checked while it shows. */
  setVisible(visible: boolean): void {
    this.visible = visible;
    if (visible) {
      this.o.refreshModelsSoon();
      void this.refresh();
    }
  }

  get models(): readonly ModelRow[] {
    return this.rows;
  }

  row(id: string): ModelRow | undefined {
    return this.rows.find((r) => r.id === id);
  }

  /** Rebuilds the rows from the settings, the engine's pool and the stored keys; then checks local endpoints. */
  refresh(): Promise<void> {
    this.refreshing ??= this.rebuild().finally(() => (this.refreshing = undefined));
    return this.refreshing;
  }

  private async rebuild(): Promise<void> {
    const config = this.o.settings.config;
    const keyOrigins = new Map<string, string>();
    for (const m of config.models) {
      const origin = await this.o.keys.modelKeyOrigin(m.id);
      if (origin) keyOrigins.set(m.id, origin);
    }
    this.keyOrigins = keyOrigins;
    this.rows = modelRows({ config, pool: this.o.models, keyOrigins: this.keyOrigins, reach: this.reach, quality: this.o.quality });
    this.built = true;
    this.changed.fire();
    if (this.visible) this.checkLocal();
  }

  /** Sets a row's check state and redraws. */
  setReach(id: string, reach: Reachability): void {
    this.reach.set(id, reach);
    this.rows = modelRows({
      config: this.o.settings.config,
      pool: this.o.models,
      keyOrigins: this.keyOrigins,
      reach: this.reach,
      quality: this.o.quality,
    });
    this.changed.fire();
  }

  /**
   * Lists the models of each local endpoint (free, nothing leaves the machine) to show whether it
   * answers. Only while the engine runs: the view never starts (or restarts) it by itself.
   */
  private checkLocal(): void {
    if (this.o.engine.state !== 'ready') return;
    const now = Date.now();
    for (const row of this.rows) {
      if (!row.local || !row.baseUrl) continue;
      const r = this.reach.get(row.id);
      if (r && (r.state === 'checking' || (r.state !== 'unknown' && (r.tested || now - r.at < RECHECK_MS)))) continue;
      this.setReach(row.id, { state: 'checking' });
      const started = Date.now();
      this.o.engine.probeEndpoint({ baseUrl: row.baseUrl, timeoutMs: 5_000 }).then(
        (res) =>
          this.setReach(
            row.id,
            res.error
              ? { state: 'unreachable', error: res.error.replace(/^listing models at \S+ failed: /, ''), at: Date.now(), tested: false }
              : {
                  state: 'reachable',
                  latencyMs: Date.now() - started,
                  at: Date.now(),
                  tested: false,
                  listed: res.models.includes(row.model),
                },
          ),
        (err) => this.setReach(row.id, { state: 'unreachable', error: errorText(err), at: Date.now(), tested: false }),
      );
    }
  }

  getTreeItem(node: Node): vscode.TreeItem {
    if (node.kind === 'detail') {
      const item = new vscode.TreeItem(node.label, vscode.TreeItemCollapsibleState.None);
      item.id = `model:${node.row.id}:${node.label}`;
      item.description = node.value;
      item.tooltip = `${node.label}: ${node.value}`;
      item.accessibilityInformation = { label: `${node.label}: ${node.value}` };
      return item;
    }
    const row = node.row;
    const item = new vscode.TreeItem(row.id, vscode.TreeItemCollapsibleState.Collapsed);
    item.id = `model:${row.id}`;
    item.description = rowDescription(row);
    item.contextValue = rowContext(row);
    item.iconPath = stateIcon(row);
    item.accessibilityInformation = { label: rowAccessibleLabel(row) };
    const tip = new vscode.MarkdownString(`**${escapeMd(row.id)}**${row.orchestrator ? ' — orchestrator' : ''}\n\n`);
    tip.appendMarkdown(
      rowDetails(row)
        .map((d) => `- ${d.label}: ${escapeMd(d.value)}`)
        .join('\n'),
    );
    item.tooltip = tip;
    return item;
  }

  async getChildren(node?: Node): Promise<Node[]> {
    if (!node) {
      // Asked for the rows: the view shows. The first time, build them before answering.
      if (!this.visible) this.setVisible(true);
      if (!this.built) await this.refresh();
      return this.rows.map((row) => ({ kind: 'model', row }));
    }
    if (node.kind === 'model') return rowDetails(node.row).map((d) => ({ kind: 'detail', row: node.row, ...d }));
    return [];
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}

function stateIcon(row: ModelRow): vscode.ThemeIcon {
  if (row.denied) return new vscode.ThemeIcon('circle-slash', new vscode.ThemeColor('disabledForeground'));
  switch (row.reach.state) {
    case 'checking':
      return new vscode.ThemeIcon('loading~spin');
    case 'reachable':
      return new vscode.ThemeIcon(row.orchestrator ? 'star-full' : 'pass', new vscode.ThemeColor('testing.iconPassed'));
    case 'unreachable':
      return new vscode.ThemeIcon('error', new vscode.ThemeColor('errorForeground'));
    default:
      return new vscode.ThemeIcon(row.orchestrator ? 'star-empty' : 'circle-outline');
  }
}

function escapeMd(s: string): string {
  return s.replace(/[\\`*_{}[\]()#+\-.!|<>]/g, (c) => `\\${c}`);
}
