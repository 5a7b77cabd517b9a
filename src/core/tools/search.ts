// search_workspace: ripgrep over the workspace (respecting .gitignore and the deny list), matches
// ranked and capped, each with a few lines of context.
import * as fs from 'node:fs';
import { z } from 'zod';
import { defineTool, type Tool } from './tool';
import { deniedReason, resolveInWorkspace, toWorkspaceRelative } from './paths';
import { baseRgArgs, runRg } from './ripgrep';
import { untrusted } from './untrusted';

/** JSON lines read from rg before we stop it; ranking happens over what was read. */
const MAX_RG_LINES = 20_000;
const MAX_MATCHES_PER_FILE = 50;
const MAX_LINE_CHARS = 300;

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
  matches: number[];
  lines: Map<number, string>;
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
}

function lineText(data: { lines?: { text?: string; bytes?: string } }): string {
  const raw = data.lines?.text ?? (data.lines?.bytes ? Buffer.from(data.lines.bytes, 'base64').toString('utf8') : '');
  const text = raw.replace(/\r?\n$/, '');
  return text.length > MAX_LINE_CHARS ? `${text.slice(0, MAX_LINE_CHARS)}… [line cut at ${MAX_LINE_CHARS} chars]` : text;
}

function queryWords(query: string): string[] {
  return [...new Set(query.toLowerCase().split(/[^a-z0-9]+/).filter((w) => w.length >= 3))];
}

export async function searchWorkspace(args: SearchArgs, opts: { workspace: string; rgPath: string; signal: AbortSignal }): Promise<SearchOutcome> {
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
  const rgArgs = [
    '--json',
    ...baseRgArgs(globs),
    '--max-count', String(MAX_MATCHES_PER_FILE),
    '--max-filesize', '2M',
    '--max-columns', '2000',
    '--context', String(args.contextLines),
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

  const byFile = new Map<string, FileHits>();
  for (const line of run.lines) {
    let msg: { type: string; data: { path?: { text?: string; bytes?: string }; line_number?: number; lines?: { text?: string; bytes?: string } } };
    try {
      msg = JSON.parse(line);
    } catch {
      continue;
    }
    if (msg.type !== 'match' && msg.type !== 'context') continue;
    const p = msg.data.path?.text ?? (msg.data.path?.bytes ? Buffer.from(msg.data.path.bytes, 'base64').toString('utf8') : '');
    const rel = p.replace(/^\.\//, '');
    const ln = msg.data.line_number;
    if (!rel || ln === undefined) continue;
    let f = byFile.get(rel);
    if (!f) byFile.set(rel, (f = { path: rel, matches: [], lines: new Map() }));
    f.lines.set(ln, lineText(msg.data));
    // rg may report matching trailing-context lines past --max-count as matches; keep the cap exact.
    if (msg.type === 'match' && f.matches.length < MAX_MATCHES_PER_FILE) f.matches.push(ln);
  }

  const words = queryWords(args.query);
  const ranked = [...byFile.values()]
    .filter((f) => f.matches.length > 0)
    .map((f) => ({ f, pathHits: words.filter((w) => f.path.toLowerCase().includes(w)).length }))
    .sort((a, b) => b.pathHits - a.pathHits || b.f.matches.length - a.f.matches.length || a.f.path.localeCompare(b.f.path))
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
    files.push({ path: f.path, matchCount: f.matches.length, capped: f.matches.length >= MAX_MATCHES_PER_FILE, snippet: renderSnippet(f, shown, args.contextLines) });
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
  };
}

function renderSnippet(f: FileHits, shown: number[], context: number): string {
  const matchSet = new Set(f.matches);
  const wanted = new Set<number>();
  for (const m of shown) for (let l = m - context; l <= m + context; l++) if (f.lines.has(l)) wanted.add(l);
  const order = [...wanted].sort((a, b) => a - b);
  const out: string[] = [];
  let prev: number | undefined;
  for (const l of order) {
    if (prev !== undefined && l > prev + 1) out.push('    --');
    out.push(`  ${l}${matchSet.has(l) ? ':' : '-'} ${f.lines.get(l)}`);
    prev = l;
  }
  return out.join('\n');
}

export function formatSearch(args: SearchArgs, r: SearchOutcome): string {
  if (r.totalMatches === 0) return `No matches for ${args.regex ? 'regex' : 'text'} "${args.query}" (searched files not excluded by .gitignore or the deny list).`;
  const approx = r.countsIncomplete ? 'at least ' : '';
  let head = `Found ${approx}${r.totalMatches} matches in ${approx}${r.totalFiles} files for ${args.regex ? 'regex' : 'text'} "${args.query}"`;
  if (r.cut) head += `; showing ${r.shownMatches} matches in ${r.shownFiles} files (results cut: narrow the query, add include globs or raise maxResults)`;
  head += '. Lines marked ":" match, "-" are context.';
  const body = r.files.map((f) => `${f.path} (${f.matchCount}${f.capped ? '+' : ''} match${f.matchCount === 1 ? '' : 'es'})\n${f.snippet}`).join('\n\n');
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
        return { ok: true, output: formatSearch(args, r), data: r, state: 'ok' };
      } catch (e) {
        const msg = e instanceof Error ? e.message : String(e);
        return { ok: false, output: msg, error: msg, state: msg.startsWith('refused') ? 'denied' : 'error' };
      }
    },
  });
}
