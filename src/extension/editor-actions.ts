// Putting code from an answer into the editor: insert at the cursor, or apply — replace the
// selection, or (with nothing selected) show the whole-file change as a diff and apply it on confirm.
import * as vscode from 'vscode';

export const PROPOSAL_SCHEME = 'orchestra-proposal';

/** Serves the proposed file contents that the diff view shows on its right side. */
export class ProposalContentProvider implements vscode.TextDocumentContentProvider {
  private readonly contents = new Map<string, string>();
  private counter = 0;

  add(original: vscode.Uri, text: string): vscode.Uri {
    const name = original.path.split('/').pop() || 'proposal';
    const uri = vscode.Uri.from({ scheme: PROPOSAL_SCHEME, path: `/${++this.counter}/${name}` });
    this.contents.set(uri.toString(), text);
    return uri;
  }

  forget(uri: vscode.Uri): void {
    this.contents.delete(uri.toString());
  }

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.contents.get(uri.toString()) ?? '';
  }
}

/** The editor code goes into: the active one, else the most recently visible text editor. */
function targetEditor(): vscode.TextEditor | undefined {
  return vscode.window.activeTextEditor ?? vscode.window.visibleTextEditors[0];
}

export async function insertCode(code: string, language?: string): Promise<void> {
  const editor = targetEditor();
  if (!editor) {
    // No editor open: give the code a new untitled one rather than drop it.
    const doc = await vscode.workspace.openTextDocument({ content: code, language: languageId(language) });
    await vscode.window.showTextDocument(doc);
    return;
  }
  const ok = await editor.edit((b) => b.replace(editor.selection, code));
  if (!ok) throw new Error(`could not insert into ${editor.document.fileName}`);
  await vscode.window.showTextDocument(editor.document, editor.viewColumn);
}

export async function applyCode(code: string, proposals: ProposalContentProvider, language?: string): Promise<'applied' | 'discarded'> {
  const editor = targetEditor();
  if (!editor) {
    await insertCode(code, language);
    return 'applied';
  }
  const doc = editor.document;
  if (!editor.selection.isEmpty) {
    const ok = await editor.edit((b) => b.replace(editor.selection, code));
    if (!ok) throw new Error(`could not apply the code to ${doc.fileName}`);
    return 'applied';
  }
  const proposal = proposals.add(doc.uri, code);
  const name = doc.uri.path.split('/').pop();
  try {
    await vscode.commands.executeCommand('vscode.diff', doc.uri, proposal, `${name} ↔ Orchestra's proposal`, { preview: true });
    const choice = await vscode.window.showInformationMessage(
      `Replace the contents of ${name} with Orchestra's proposal?`,
      'Apply',
      'Discard',
    );
    if (choice !== 'Apply') return 'discarded';
    const edit = new vscode.WorkspaceEdit();
    edit.replace(doc.uri, new vscode.Range(doc.positionAt(0), doc.positionAt(doc.getText().length)), code);
    if (!(await vscode.workspace.applyEdit(edit))) throw new Error(`could not apply the code to ${doc.fileName}`);
    await vscode.window.showTextDocument(doc, editor.viewColumn);
    return 'applied';
  } finally {
    proposals.forget(proposal);
  }
}

function languageId(language?: string): string | undefined {
  if (!language) return undefined;
  const aliases: Record<string, string> = {
    py: 'python',
    js: 'javascript',
    ts: 'typescript',
    sh: 'shellscript',
    bash: 'shellscript',
    shell: 'shellscript',
  };
  return aliases[language] ?? language;
}

/**
 * Opens a workspace file at a line (a search hit's link in a card). The path is relative and was
 * validated by the panel protocol; it must also resolve inside a workspace folder and exist there.
 */
export async function openWorkspaceFile(relPath: string, line?: number): Promise<void> {
  for (const folder of vscode.workspace.workspaceFolders ?? []) {
    const uri = vscode.Uri.joinPath(folder.uri, relPath);
    // joinPath normalises the path; what climbed out of the folder is refused, never opened.
    if (!uri.path.startsWith(`${folder.uri.path.replace(/\/$/, '')}/`)) continue;
    try {
      await vscode.workspace.fs.stat(uri);
    } catch {
      continue;
    }
    const doc = await vscode.workspace.openTextDocument(uri);
    const at = new vscode.Position(Math.min(Math.max(0, (line ?? 1) - 1), Math.max(0, doc.lineCount - 1)), 0);
    await vscode.window.showTextDocument(doc, { selection: new vscode.Range(at, at), preview: true });
    return;
  }
  throw new Error(`${relPath} is not a file in this workspace`);
}
