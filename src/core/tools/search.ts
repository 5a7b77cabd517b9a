// search_workspace: ripgrep over the workspace (respecting .gitignore and the deny list), matches
// ranked and capped, each with a few lines of context.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import { defineTool, type Tool } from './tool';
import { deniedReason, resolveInWorkspace, toWorkspaceRelative } from './paths';
import { baseRgArgs, runRg } from './ripgrep';
import { untrusted } from './untrusted';
import { snippetLines } from './display';

/** Match lines read from rg before we stop it; ranking happens over what was read. */
const MAX_RG_LINES = 20_000;
const MAX_MATCHES_PER_FILE = 50;
const MAX_LINE_CHARS = 300;
/** Files larger than this are left out of the results (generated bundles, logs, data dumps). */
const MAX_FILE_BYTES = 2 * 1024 * 1024;

export const SearchArgs = z.object({
  query: z.string().min(1, 'query must not be empty').describe('Text to find (literal unless regex is true)'),
  regex: z.boolean().default(false).describe('Treat query as a Rust/PCRE-style regular expression'),
  caseSensitive: z.boolean().optional().describe('Omit for smart case (case-insensitive unless the query has capitals)'),
  include: z.array(z.string().min(1)).max(20).optional().describe('Glob patterns a file must match, e.g. ["*.ts", "src/**"]'),
  exclude: z.array(z.string().min(1)).max(20).optional().describe('Glob patterns to skip, e.g. ["*.test.ts"]'),
  path: z.string().optional().describe('Workspace-relative folder or file to search in (default: the whole workspace)'),
  contextLines: z.number().int().min(0).max(5).default(2).describe('Lines of context around each match'),
  maxResults: z.number().int().min(1).max(200).default(30).describe('Most matches to return'),
});
export type SearchArgs = z.infer<typeof SearchArgs>;

interface FileHits {
  path: string;
  /** Matching line numbers, ascending, at most MAX_MATCHES_PER_FILE. */
  matches: number[];
  /** rg's text of each matching line (already cut to MAX_LINE_CHARS); the fallback when the file cannot be read back. */
  matchText: Map<number, string>;
}

export interface SearchOutcome {
  totalMatches: number;
  totalFiles: number;
  shownMatches: number;
  shownFiles: number;
  /** True when results were cut (by maxResults or by how much rg output we read). */
  cut: boolean;
  /** True when the counts are lower bounds (rg was stopped early). */
  countsIncomplete: boolean;
  /** matchCount stops at the per-file cap; `capped` says when it did. */
  files: Array<{ path: string; matchCount: number; capped: boolean; snippet: string }>;
  /** Files with matches that were left out for being larger than 2 MB. */
  skippedLargeFiles?: number;
}

function cutLine(text: string): string {
  return text.length > MAX_LINE_CHARS ? `${text.slice(0, MAX_LINE_CHARS)}… [line cut at ${MAX_LINE_CHARS} chars]` : text;
}

function queryWords(query: string): string[] {
  return [
    ...new Set(
      query
        .toLowerCase()
        .split(/[^a-z0-9]+/)
        .filter((w) => w.length >= 3),
    ),
  ];
}

/**
 * Parses rg's `--null --line-number --with-filename --no-heading` lines: `PATH\0LINE:TEXT`.
 * Plain output instead of --json because it is cheaper to produce and parse, and because rg's JSON
 * printer ignores --max-columns (one match in a minified file would bring the whole line).
 */
function collectMatches(lines: string[]): Map<string, FileHits> {
  const byFile = new Map<string, FileHits>();
  let current: FileHits | undefined;
  let currentRaw = '';
  for (const line of lines) {
    const nul = line.indexOf('\0');
    if (nul <= 0) continue;
    const colon = line.indexOf(':', nul + 1);
    if (colon < 0) continue;
    const ln = Number(line.slice(nul + 1, colon));
    if (!Number.isInteger(ln) || ln <= 0) continue;
    const rawPath = line.slice(0, nul);
    if (rawPath !== currentRaw || !current) {
      currentRaw = rawPath;
      const rel = rawPath.startsWith('./') ? rawPath.slice(2) : rawPath;
      current = byFile.get(rel);
      if (!current) byFile.set(rel, (current = { path: rel, matches: [], matchText: new Map() }));
    }
    if (current.matches.length >= MAX_MATCHES_PER_FILE) continue;
    current.matches.push(ln);
    let text = line.slice(colon + 1);
    if (text.endsWith('\r')) text = text.slice(0, -1);
    current.matchText.set(ln, cutLine(text));
  }
  return byFile;
}

export async function searchWorkspace(
  args: SearchArgs,
  opts: { workspace: string; rgPath: string; signal: AbortSignal },
): Promise<SearchOutcome> {
  const root = resolveInWorkspace(opts.workspace, '.');
  let target = '.';
  if (args.path && args.path !== '.') {
    const abs = resolveInWorkspace(opts.workspace, args.path);
    const rel = toWorkspaceRelative(root, abs);
    const denied = deniedReason(rel);
    if (denied) throw new Error(`refused: ${denied}`);
    if (!fs.existsSync(abs)) throw new Error(`no such file or folder in the workspace: "${args.path}"`);
    target = rel;
  }
  const globs = [...(args.include ?? []), ...(args.exclude ?? []).map((g) => (g.startsWith('!') ? g : `!${g}`))];
  // rg reports matching lines only. Context is read back from the few files that are shown, and the
  // 2 MB size limit is checked on files with matches only: rg's own --context and --max-filesize
  // cost it work (a stat) on every file of the tree, which made up most of the tool's overhead.
  const rgArgs = [
    ...baseRgArgs(globs),
    '--null',
    '--line-number',
    '--with-filename',
    '--no-heading',
    '--color=never',
    '--max-count',
    String(MAX_MATCHES_PER_FILE),
    '--max-columns',
    String(MAX_LINE_CHARS),
    '--max-columns-preview',
  ];
  if (!args.regex) rgArgs.push('--fixed-strings');
  if (args.caseSensitive === true) rgArgs.push('--case-sensitive');
  else if (args.caseSensitive === false) rgArgs.push('--ignore-case');
  else rgArgs.push('--smart-case');
  rgArgs.push('--regexp', args.query, '--', target);

  const run = await runRg(opts.rgPath, rgArgs, root, opts.signal, MAX_RG_LINES);
  if (run.exitCode === 2 && run.lines.length === 0 && !run.cut) {
    throw new Error(`ripgrep failed: ${run.stderr || 'exit code 2'}`);
  }

  const byFile = collectMatches(run.lines);
  let skippedLargeFiles = 0;
  for (const [rel, f] of byFile) {
    let size = 0;
    try {
      size = fs.statSync(path.join(root, f.path)).size;
    } catch {
      // Gone since rg read it: keep rg's answer.
    }
    if (size > MAX_FILE_BYTES) {
      byFile.delete(rel);
      skippedLargeFiles++;
    }
  }

  const words = queryWords(args.query);
  const ranked = [...byFile.values()]
    .map((f) => {
      const lower = f.path.toLowerCase();
      let pathHits = 0;
      for (const w of words) if (lower.includes(w)) pathHits++;
      return { f, pathHits };
    })
    .sort(
      (a, b) =>
        b.pathHits - a.pathHits || b.f.matches.length - a.f.matches.length || (a.f.path < b.f.path ? -1 : a.f.path > b.f.path ? 1 : 0),
    )
    .map((x) => x.f);

  const totalMatches = ranked.reduce((n, f) => n + f.matches.length, 0);
  let budget = args.maxResults;
  const files: SearchOutcome['files'] = [];
  let shownMatches = 0;
  for (const f of ranked) {
    if (budget <= 0) break;
    const shown = f.matches.slice(0, budget);
    budget -= shown.length;
    shownMatches += shown.length;
    const snippet = renderSnippet(f, shown, args.contextLines, readLines(path.join(root, f.path), shown, args.contextLines));
    files.push({ path: f.path, matchCount: f.matches.length, capped: f.matches.length >= MAX_MATCHES_PER_FILE, snippet });
  }
  const perFileCapHit = ranked.some((f) => f.matches.length >= MAX_MATCHES_PER_FILE);
  return {
    totalMatches,
    totalFiles: ranked.length,
    shownMatches,
    shownFiles: files.length,
    cut: shownMatches < totalMatches || run.cut,
    countsIncomplete: run.cut || perFileCapHit,
    files,
    ...(skippedLargeFiles ? { skippedLargeFiles } : {}),
  };
}

function decodeText(buf: Buffer): string {
  if (buf.length >= 2 && buf[0] === 0xff && buf[1] === 0xfe) return new TextDecoder('utf-16le').decode(buf);
  if (buf.length >= 2 && buf[0] === 0xfe && buf[1] === 0xff) {
    try {
      return new TextDecoder('utf-16be').decode(buf);
    } catch {
      return buf.toString('utf8');
    }
  }
  const text = buf.toString('utf8');
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/** Lines `shown ± context` of one file (1-based numbers), or an empty map when it cannot be read. */
function readLines(absPath: string, shown: number[], context: number): Map<number, string> {
  const out = new Map<number, string>();
  if (shown.length === 0) return out;
  const wanted = new Set<number>();
  for (const m of shown) for (let l = Math.max(1, m - context); l <= m + context; l++) wanted.add(l);
  const last = shown[shown.length - 1] + context;
  let text: string;
  try {
    text = decodeText(fs.readFileSync(absPath));
  } catch {
    return out;
  }
  let start = 0;
  for (let ln = 1; ln <= last && start <= text.length; ln++) {
    let end = text.indexOf('\n', start);
    // The text after the last newline is a line only when it is not empty (as rg counts lines).
    if (end < 0) {
      if (start === text.length) break;
      end = text.length;
    }
    if (wanted.has(ln)) {
      let line = text.slice(start, end);
      if (line.endsWith('\r')) line = line.slice(0, -1);
      out.set(ln, cutLine(line));
    }
    start = end + 1;
  }
  return out;
}

function renderSnippet(f: FileHits, shown: number[], context: number, fileLines: Map<number, string>): string {
  const matchSet = new Set(f.matches);
  const lineAt = (l: number) => fileLines.get(l) ?? f.matchText.get(l);
  const wanted = new Set<number>();
  for (const m of shown) for (let l = m - context; l <= m + context; l++) if (lineAt(l) !== undefined) wanted.add(l);
  const order = [...wanted].sort((a, b) => a - b);
  const out: string[] = [];
  let prev: number | undefined;
  for (const l of order) {
    if (prev !== undefined && l > prev + 1) out.push('    --');
    out.push(`  ${l}${matchSet.has(l) ? ':' : '-'} ${lineAt(l)}`);
    prev = l;
  }
  return out.join('\n');
}

export function formatSearch(args: SearchArgs, r: SearchOutcome): string {
  const large = r.skippedLargeFiles
    ? ` ${r.skippedLargeFiles} file${r.skippedLargeFiles === 1 ? '' : 's'} over 2 MB with matches left out.`
    : '';
  if (r.totalMatches === 0)
    return `No matches for ${args.regex ? 'regex' : 'text'} "${args.query}" (searched files not excluded by .gitignore or the deny list).${large}`;
  const approx = r.countsIncomplete ? 'at least ' : '';
  let head = `Found ${approx}${r.totalMatches} matches in ${approx}${r.totalFiles} files for ${args.regex ? 'regex' : 'text'} "${args.query}"`;
  if (r.cut)
    head += `; showing ${r.shownMatches} matches in ${r.shownFiles} files (results cut: narrow the query, add include globs or raise maxResults)`;
  head += `.${large} Lines marked ":" match, "-" are context.`;
  const body = r.files
    .map((f) => `${f.path} (${f.matchCount}${f.capped ? '+' : ''} match${f.matchCount === 1 ? '' : 'es'})\n${f.snippet}`)
    .join('\n\n');
  return `${head}\n${untrusted('workspace files', body)}`;
}

export function createSearchTool(opts: { workspace: string; rgPath?: string }): Tool {
  return defineTool({
    name: 'search_workspace',
    description:
      'Searches the workspace files with ripgrep (respects .gitignore; .env, key files, .git and node_modules are excluded). Literal text by default, or a regex; optional include/exclude globs. Returns ranked matches with file, line number and context.',
    schema: SearchArgs,
    kind: 'local',
    destination: () => 'local',
    async run(args, ctx) {
      if (!opts.rgPath) {
        const msg = 'search_workspace is unavailable: ripgrep (rg) was not found on PATH or in VS Code';
        return { ok: false, output: msg, error: msg, state: 'error' };
      }
      try {
        const r = await searchWorkspace(args, { workspace: ctx.workspace || opts.workspace, rgPath: opts.rgPath, signal: ctx.signal });
        const output = formatSearch(args, r);
        const summary = output.split('\n', 1)[0] ?? '';
        const files = r.files.map((f) => ({ path: f.path, matchCount: f.matchCount, lines: snippetLines(f.snippet) }));
        return { ok: true, output, data: r, state: 'ok', display: { kind: 'hits', summary, files } };
      } catch (e) {
        const msg = e instanceof Error ? e.message : String(e);
        return { ok: false, output: msg, error: msg, state: msg.startsWith('refused') ? 'denied' : 'error' };
      }
    },
  });
}
