// The status-bar item: privacy mode and the session's spend at a glance; a click switches the mode.
import * as vscode from 'vscode';
import type { PrivacyMode } from '../core/config';
import type { EngineState } from './engine-client';

const MODE_ICON: Record<PrivacyMode, string> = { any: '$(globe)', 'open-weights-only': '$(unlock)', 'local-only': '$(lock)' };
const MODE_LABEL: Record<PrivacyMode, string> = { any: 'any model', 'open-weights-only': 'open-weights only', 'local-only': 'local only' };

export function formatDollars(d: number): string {
  if (d === 0) return '$0.00';
  if (d < 0.01) return `$${d.toFixed(4)}`;
  return `$${d.toFixed(2)}`;
}

export class OrchestraStatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('orchestra.status', vscode.StatusBarAlignment.Right, 100);

  constructor() {
    this.item.name = 'Orchestra';
    this.item.command = 'orchestra.setPrivacyMode';
    this.item.show();
  }

  update(s: { privacyMode: PrivacyMode; sessionDollars: number; engine: EngineState; engineMessage?: string; problems: number }): void {
    const down = s.engine === 'down';
    this.item.text = `${down ? '$(error)' : MODE_ICON[s.privacyMode]} ${MODE_LABEL[s.privacyMode]} · ${formatDollars(s.sessionDollars)}`;
    this.item.backgroundColor =
      down || s.problems ? new vscode.ThemeColor(down ? 'statusBarItem.errorBackground' : 'statusBarItem.warningBackground') : undefined;
    const lines = [
      `**Orchestra** — privacy mode: ${MODE_LABEL[s.privacyMode]} (click to change)`,
      `Spent this session: ${formatDollars(s.sessionDollars)}`,
      `Engine: ${s.engine}${s.engineMessage ? ` — ${s.engineMessage}` : ''}`,
    ];
    if (s.problems) lines.push(`${s.problems} invalid setting(s): see the log`);
    const md = new vscode.MarkdownString(lines.join('\n\n'));
    md.isTrusted = false;
    this.item.tooltip = md;
    this.item.accessibilityInformation = {
      label: `Orchestra, privacy mode ${MODE_LABEL[s.privacyMode]}, spent ${formatDollars(s.sessionDollars)} this session, engine ${s.engine}`,
    };
  }

  dispose(): void {
    this.item.dispose();
  }
}
