// The page an `orchestra eval` report is shown with in VS Code (the "Open eval report" command): the
// run's report.html or pareto.svg, under a CSP of our own that allows no script, no frame, no form and
// nothing from outside, whatever the file holds. Pure (no `vscode`), so it is tested in plain Node.
import { escapeXml as escapeHtml } from '../core/eval/report';

/** What the webview may do: show the report's inline styles and data images, nothing else. */
export const REPORT_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'none'; base-uri 'none'";

const CSP_META = `<meta http-equiv="Content-Security-Policy" content="${REPORT_CSP}">`;

/** How the command names the reports it can show. */
export type ReportKind = 'html' | 'svg';

/**
 * The webview page for a report file's text. The HTML report keeps its own page with our CSP put first
 * in its head (a page's CSPs all apply: the report's own cannot loosen ours); the SVG plot is shown as
 * an image (an image runs no script and loads nothing). Text that is not an Orchestra eval report is
 * refused with an error that says so.
 */
export function reportPage(kind: ReportKind, text: string, title: string): string {
  if (kind === 'svg') {
    if (!/^\s*(?:<\?xml[^>]*>\s*)?<svg[\s>]/.test(text)) throw new Error('the file is not an SVG image (it does not start with <svg>)');
    const data = Buffer.from(text, 'utf8').toString('base64');
    return `<!doctype html>
<html lang="en">
<head>
${CSP_META}
<meta charset="utf-8">
<title>${escapeHtml(title)}</title>
<style>body{margin:1rem;background:#fff}img{max-width:100%;height:auto}</style>
</head>
<body><img src="data:image/svg+xml;base64,${data}" alt="${escapeHtml(title)}"></body>
</html>
`;
  }
  if (!/<title>Orchestra eval /.test(text))
    throw new Error('the file is not an Orchestra eval report (report.html written by orchestra eval)');
  const head = /<head(?:\s[^>]*)?>/i.exec(text);
  if (!head) throw new Error('the report has no <head>: it is not a report orchestra eval wrote');
  const at = head.index + head[0].length;
  return `${text.slice(0, at)}\n${CSP_META}${text.slice(at)}`;
}
