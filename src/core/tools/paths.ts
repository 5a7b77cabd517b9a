// Workspace confinement and the default deny list. Every file tool goes through here, so a path
// that leaves the workspace (`..`, an absolute path elsewhere, a symlink pointing out) or names a
// secret-bearing file is refused before anything is read.
import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * Files and folders no tool reads, lists or searches: environment files, private keys, VCS
 * internals and dependency trees. ripgrep globs (a glob without `/` matches a name at any depth).
 */
export const DENIED_GLOBS: readonly string[] = [
  '.env*',
  '*.pem',
  '*.key',
  'id_rsa*',
  'id_ed25519*',
  'id_ecdsa*',
  'id_dsa*',
  '.git',
  'node_modules',
];

const DENIED_NAME: RegExp[] = [/^\.env/, /\.pem$/i, /\.key$/i, /^id_(rsa|ed25519|ecdsa|dsa)/];
const DENIED_DIR = new Set(['.git', 'node_modules']);

/**
 * Why a workspace-relative path is denied by default, or undefined when it is allowed.
 * Checks every segment, so `node_modules/x/y.js` and `config/.env.local` are both caught.
 */
export function deniedReason(relPath: string): string | undefined {
  const segments = relPath.split(/[\\/]+/).filter((s) => s && s !== '.');
  for (let i = 0; i < segments.length; i++) {
    const seg = segments[i];
    if (DENIED_DIR.has(seg)) return `"${seg}/" is excluded from the workspace tools`;
    if (DENIED_NAME.some((re) => re.test(seg))) return `"${seg}" may hold secrets (environment or key files are denied by default)`;
  }
  return undefined;
}

function isInside(root: string, candidate: string): boolean {
  const rel = path.relative(root, candidate);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/** realpath of the longest existing prefix, with the missing tail appended (for not-yet-created paths). */
function realpathLenient(p: string): string {
  let current = p;
  const tail: string[] = [];
  for (;;) {
    try {
      return path.join(fs.realpathSync.native(current), ...tail.reverse());
    } catch {
      const parent = path.dirname(current);
      if (parent === current) return p;
      tail.push(path.basename(current));
      current = parent;
    }
  }
}

/**
 * Resolves `p` (relative to the workspace, or absolute) to a real absolute path inside the
 * workspace. Throws a clear Error when it escapes, whether by `..`, an absolute path elsewhere or a
 * symlink that resolves outside.
 */
export function resolveInWorkspace(workspace: string, p: string): string {
  if (typeof p !== 'string') throw new Error('path must be a string');
  if (p.includes('\0')) throw new Error('path contains a NUL byte');
  const root = realpathLenient(path.resolve(workspace));
  const requested = path.resolve(root, p === '' ? '.' : p);
  if (!isInside(root, requested)) {
    throw new Error(`refused: path "${p}" is outside the workspace (${root})`);
  }
  const real = realpathLenient(requested);
  if (!isInside(root, real)) {
    throw new Error(`refused: path "${p}" resolves through a symlink to "${real}", which is outside the workspace`);
  }
  return real;
}

/** Workspace-relative form with forward slashes ('.' for the root). */
export function toWorkspaceRelative(workspace: string, abs: string): string {
  const root = realpathLenient(path.resolve(workspace));
  const rel = path.relative(root, abs).split(path.sep).join('/');
  return rel === '' ? '.' : rel;
}
