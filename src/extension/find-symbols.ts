// Serves the engine's `orchestra/findSymbols` request from VS Code's workspace symbol providers.
import * as vscode from 'vscode';
import type { FindSymbolsResult, SymbolHit } from '../protocol/engine-rpc';

export async function findWorkspaceSymbols(params: { query: string; maxResults: number }): Promise<FindSymbolsResult> {
  const found =
    (await vscode.commands.executeCommand<vscode.SymbolInformation[] | undefined>('vscode.executeWorkspaceSymbolProvider', params.query)) ??
    [];
  const symbols: SymbolHit[] = [];
  for (const s of found) {
    if (symbols.length >= params.maxResults) break;
    // Some providers resolve the range lazily and send only the file.
    const location = s.location as { uri?: vscode.Uri; range?: vscode.Range } | undefined;
    if (!location?.uri) continue;
    symbols.push({
      name: s.name,
      kind: vscode.SymbolKind[s.kind] ?? 'Symbol',
      containerName: s.containerName || undefined,
      path: vscode.workspace.asRelativePath(location.uri, false),
      line: (location.range?.start.line ?? 0) + 1,
    });
  }
  return { symbols };
}
