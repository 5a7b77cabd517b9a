// read_file and list_files, confined to the workspace and subject to the deny list.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import { defineTool, type Tool } from './tool';
import { deniedReason, resolveInWorkspace, toWorkspaceRelative } from './paths';
import { baseRgArgs, runRg } from './ripgrep';
import { untrusted } from './untrusted';

export const DEFAULT_READ_BYTES = 64 * 1024;
const MAX_READ_BYTES = 512 * 1024;

export const ReadFileArgs = z
  .object({
    path: z.string().min(1, 'path must not be empty').describe('Workspace-relative file path'),
    startLine: z.number().int().min(1).optional().describe('First line to return (1-based)'),
    endLine: z.number().int().min(1).optional().describe('Last line to return (inclusive)'),
    maxBytes: z.number().int().min(1).max(MAX_READ_BYTES).optional().describe(`Most bytes to return (default ${DEFAULT_READ_BYTES})`),
  })
  .refine((a) => a.startLine === undefined || a.endLine === undefined || a.endLine >= a.startLine, {
    message: 'endLine must be at least startLine',
    path: ['endLine'],
  });
export type ReadFileArgs = z.infer<typeof ReadFileArgs>;

export interface ReadFileOutcome {
  path: string;
  startLine: number;
  endLine: number;
  totalLines: number;
  sizeBytes: number;
  cut: boolean;
  text: string;
}

function isBinary(buf: Buffer): boolean {
  const n = Math.min(buf.length, 8192);
  for (let i = 0; i < n; i++) if (buf[i] === 0) return true;
  return false;
}

export function readWorkspaceFile(workspace: string, args: ReadFileArgs): ReadFileOutcome {
  const abs = resolveInWorkspace(workspace, args.path);
  const rel = toWorkspaceRelative(workspace, abs);
  const denied = deniedReason(rel);
  if (denied) throw new Error(`refused: ${denied}`);
  let st: fs.Stats;
  try {
    st = fs.statSync(abs);
  } catch {
    throw new Error(`no such file in the workspace: "${args.path}"`);
  }
  if (st.isDirectory()) throw new Error(`"${args.path}" is a folder; use list_files to see its contents`);
  if (!st.isFile()) throw new Error(`"${args.path}" is not a regular file`);
  // Line ranges on a huge file still need the lines before them; reading is capped at 32 MiB.
  if (st.size > 32 * 1024 * 1024)
    throw new Error(`"${args.path}" is ${st.size} bytes, too large to read (limit 32 MiB); search it with search_workspace instead`);
  const buf = fs.readFileSync(abs);
  if (isBinary(buf)) throw new Error(`refused: "${args.path}" is a binary file (${st.size} bytes)`);
  const all = buf.toString('utf8').split(/\r?\n/);
  if (all.length > 1 && all[all.length - 1] === '') all.pop();
  const totalLines = all.length;
  const start = args.startLine ?? 1;
  if (start > Math.max(totalLines, 1)) throw new Error(`startLine ${start} is past the end of "${args.path}" (${totalLines} lines)`);
  const requestedEnd = Math.min(args.endLine ?? totalLines, totalLines);
  const maxBytes = args.maxBytes ?? DEFAULT_READ_BYTES;
  const out: string[] = [];
  let bytes = 0;
  let end = start - 1;
  for (let l = start; l <= requestedEnd; l++) {
    const line = `${l}| ${all[l - 1]}`;
    const size = Buffer.byteLength(line) + 1;
    if (bytes + size > maxBytes && out.length > 0) break;
    out.push(size > maxBytes ? line.slice(0, maxBytes) : line);
    bytes += size;
    end = l;
  }
  return { path: rel, startLine: start, endLine: end, totalLines, sizeBytes: st.size, cut: end < requestedEnd, text: out.join('\n') };
}

export function formatRead(r: ReadFileOutcome): string {
  let head = `${r.path}: lines ${r.startLine}-${r.endLine} of ${r.totalLines} (${r.sizeBytes} bytes)`;
  if (r.cut) head += `; cut at the size cap, continue with startLine=${r.endLine + 1}`;
  else if (r.endLine < r.totalLines || r.startLine > 1) head += '; a range of the file';
  return `${head}\n${untrusted(`the workspace file ${r.path}`, r.text)}`;
}

export const ListFilesArgs = z.object({
  path: z.string().default('.').describe('Workspace-relative folder (default: the workspace root)'),
  recursive: z.boolean().default(false).describe('List subfolders too'),
  depth: z.number().int().min(1).max(20).optional().describe('How many levels deep when recursive (default 4)'),
  maxEntries: z.number().int().min(1).max(2000).default(300).describe('Most entries to return'),
});
export type ListFilesArgs = z.infer<typeof ListFilesArgs>;

export interface ListFilesOutcome {
  path: string;
  entries: string[];
  totalEntries: number;
  cut: boolean;
  /** Set when rg was unavailable and .gitignore could not be applied. */
  note?: string;
}

/** Files under `absDir` (relative to it), via `rg --files` so .gitignore applies. */
async function listViaRg(
  rgPath: string,
  absDir: string,
  maxDepth: number,
  signal: AbortSignal,
): Promise<{ files: string[]; cut: boolean }> {
  const run = await runRg(rgPath, ['--files', ...baseRgArgs(), '--max-depth', String(maxDepth)], absDir, signal, 50_000);
  if (run.exitCode === 2 && run.lines.length === 0) throw new Error(`ripgrep failed: ${run.stderr || 'exit code 2'}`);
  return { files: run.lines.filter(Boolean).map((l) => l.replace(/^\.\//, '')), cut: run.cut };
}

/** Fallback without ripgrep: a plain walk that applies the deny list but not .gitignore. */
function listViaWalk(absDir: string, maxDepth: number): { files: string[]; cut: boolean } {
  const files: string[] = [];
  const walk = (dir: string, rel: string, level: number) => {
    if (files.length >= 50_000) return;
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const childRel = rel ? `${rel}/${e.name}` : e.name;
      if (deniedReason(e.name)) continue;
      if (e.isDirectory()) {
        if (level < maxDepth) walk(path.join(dir, e.name), childRel, level + 1);
      } else files.push(childRel);
    }
  };
  walk(absDir, '', 1);
  return { files, cut: files.length >= 50_000 };
}

export async function listWorkspaceFiles(
  workspace: string,
  args: ListFilesArgs,
  rgPath: string | undefined,
  signal: AbortSignal,
): Promise<ListFilesOutcome> {
  const abs = resolveInWorkspace(workspace, args.path);
  const rel = toWorkspaceRelative(workspace, abs);
  const denied = deniedReason(rel);
  if (denied) throw new Error(`refused: ${denied}`);
  if (!fs.existsSync(abs)) throw new Error(`no such folder in the workspace: "${args.path}"`);
  if (!fs.statSync(abs).isDirectory()) throw new Error(`"${args.path}" is a file; use read_file to read it`);
  const depth = args.recursive ? (args.depth ?? 4) : 1;
  // Read a little deeper than shown so folders at the edge can say how many files they hold.
  const scanDepth = depth + 8;
  const listed = rgPath ? await listViaRg(rgPath, abs, scanDepth, signal) : listViaWalk(abs, scanDepth);

  const entries = new Map<string, number>(); // entry → files below (0 for files)
  for (const f of listed.files) {
    const parts = f.split('/');
    if (parts.length <= depth) entries.set(f, 0);
    const dirs = Math.min(parts.length - 1, depth);
    for (let i = 1; i <= dirs; i++) {
      const d = `${parts.slice(0, i).join('/')}/`;
      entries.set(d, (entries.get(d) ?? 0) + 1);
    }
  }
  const sorted = [...entries.keys()].sort((a, b) => a.localeCompare(b));
  const shown = sorted.slice(0, args.maxEntries).map((e) => {
    if (!e.endsWith('/')) return e;
    const count = entries.get(e)!;
    const atEdge = e.split('/').length - 1 >= depth;
    return atEdge ? `${e} (${count}${listed.cut ? '+' : ''} file${count === 1 ? '' : 's'})` : e;
  });
  return {
    path: rel,
    entries: shown,
    totalEntries: sorted.length,
    cut: sorted.length > args.maxEntries || listed.cut,
    ...(rgPath ? {} : { note: 'ripgrep was not found, so .gitignore was not applied to this listing' }),
  };
}

export function formatList(r: ListFilesOutcome): string {
  let head = `${r.path === '.' ? 'Workspace root' : r.path}: ${r.entries.length} entries`;
  if (r.cut) head += ` (cut: ${r.totalEntries} in all; narrow the path or depth)`;
  head += '. Folders end with "/". Ignored (.gitignore), .env/key files, .git and node_modules are not listed.';
  if (r.note) head += ` Note: ${r.note}.`;
  return `${head}\n${r.entries.join('\n') || '(empty)'}`;
}

function failure(e: unknown) {
  const msg = e instanceof Error ? e.message : String(e);
  return { ok: false, output: msg, error: msg, state: msg.startsWith('refused') ? ('denied' as const) : ('error' as const) };
}

export function createReadFileTool(opts: { workspace: string }): Tool {
  return defineTool({
    name: 'read_file',
    description: `Reads a text file in the workspace, with line numbers; optional startLine/endLine; at most ${DEFAULT_READ_BYTES} bytes unless maxBytes is given. Binary, .env and key files are refused.`,
    schema: ReadFileArgs,
    kind: 'local',
    destination: () => 'local',
    run(args, ctx) {
      try {
        const r = readWorkspaceFile(ctx.workspace || opts.workspace, args);
        const output = formatRead(r);
        const display = {
          kind: 'file' as const,
          path: r.path,
          startLine: r.startLine,
          summary: output.split('\n', 1)[0] ?? '',
          text: r.text.replace(/^\d+\| /gm, ''),
        };
        return Promise.resolve({ ok: true, output, data: { ...r, text: undefined }, state: 'ok' as const, display });
      } catch (e) {
        return Promise.resolve(failure(e));
      }
    },
  });
}

export function createListFilesTool(opts: { workspace: string; rgPath?: string }): Tool {
  return defineTool({
    name: 'list_files',
    description:
      'Lists files and folders in a workspace folder (respects .gitignore). recursive=true with depth lists subfolders; large folders are summarised by file count.',
    schema: ListFilesArgs,
    kind: 'local',
    destination: () => 'local',
    async run(args, ctx) {
      try {
        const r = await listWorkspaceFiles(ctx.workspace || opts.workspace, args, opts.rgPath, ctx.signal);
        return { ok: true, output: formatList(r), data: r, state: 'ok' };
      } catch (e) {
        return failure(e);
      }
    },
  });
}
