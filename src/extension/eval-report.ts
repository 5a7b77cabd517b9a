// "Orchestra: Open eval report": shows an `orchestra eval` run's report (its results folder,
// report.html or pareto.svg) in a webview panel that runs no script and loads nothing (eval-report-html.ts).
import * as vscode from 'vscode';
import { basename, dirname, extname } from 'node:path';
import { reportPage, type ReportKind } from './eval-report-html';

/** A report bigger than this is not one orchestra eval wrote for a task set a person reads. */
const MAX_REPORT_BYTES = 32 * 1024 * 1024;

export interface OpenedReport {
  file: string;
  title: string;
  /** The page the panel shows (for tests and the log). */
  html: string;
}

/** Opens the report at `target` (a folder, report.html or pareto.svg), or the one the user picks. */
export async function openEvalReport(target?: vscode.Uri): Promise<OpenedReport | undefined> {
  const picked = target instanceof vscode.Uri ? target : await pickReport();
  if (!picked) return undefined;
  const { uri, kind } = await reportFile(picked);
  const bytes = await vscode.workspace.fs.readFile(uri);
  if (bytes.byteLength > MAX_REPORT_BYTES) throw new Error(`${uri.fsPath} is ${bytes.byteLength} bytes: too big for an eval report`);
  const run = kind === 'html' ? basename(dirname(uri.fsPath)) : basename(uri.fsPath);
  const title = `Eval report: ${run}`;
  const html = reportPage(kind, new TextDecoder('utf-8').decode(bytes), title);
  const panel = vscode.window.createWebviewPanel(
    'orchestra.evalReport',
    title,
    vscode.ViewColumn.Active,
    // No script, no file it may read, nothing kept when hidden (the page is static).
    { enableScripts: false, enableForms: false, localResourceRoots: [], enableFindWidget: true },
  );
  panel.webview.html = html;
  return { file: uri.fsPath, title, html };
}

async function pickReport(): Promise<vscode.Uri | undefined> {
  const picked = await vscode.window.showOpenDialog({
    title: 'Open an orchestra eval report',
    openLabel: 'Open report',
    canSelectFiles: true,
    canSelectFolders: true,
    canSelectMany: false,
    defaultUri: vscode.workspace.workspaceFolders?.[0]?.uri,
    filters: { 'Eval report (report.html, pareto.svg)': ['html', 'svg'] },
  });
  return picked?.[0];
}

/** The report a picked path stands for: a folder's report.html (else its pareto.svg), or the file itself. */
async function reportFile(uri: vscode.Uri): Promise<{ uri: vscode.Uri; kind: ReportKind }> {
  const stat = await vscode.workspace.fs.stat(uri);
  if (stat.type & vscode.FileType.Directory) {
    for (const [name, kind] of [
      ['report.html', 'html'],
      ['pareto.svg', 'svg'],
    ] as const) {
      const file = vscode.Uri.joinPath(uri, name);
      const found = await vscode.workspace.fs.stat(file).then(
        (s) => (s.type & vscode.FileType.File) !== 0,
        () => false,
      );
      if (found) return { uri: file, kind };
    }
    throw new Error(`${uri.fsPath} holds no report.html or pareto.svg: pick the folder orchestra eval wrote (--out)`);
  }
  const ext = extname(uri.fsPath).toLowerCase();
  if (ext === '.html' || ext === '.htm') return { uri, kind: 'html' };
  if (ext === '.svg') return { uri, kind: 'svg' };
  throw new Error(`${basename(uri.fsPath)} is not an eval report: pick report.html, pareto.svg or their folder`);
}
