// The workspace config file (`orchestra.json`), read by the CLI and by the extension alike: the
// same keys as the `orchestra.*` settings, nested ({"budget": {"maxTurns": 5}}) or as settings.json
// writes them ({"orchestra.budget.maxTurns": 5}); comments and trailing commas are allowed.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, printParseErrorCode, type ParseError } from 'jsonc-parser/lib/esm/main.js';
import type { ConfigProblem } from './config';

/** Looked for, in this order, in the workspace folder (the CLI: the current folder). */
export const CONFIG_FILE_NAMES = ['orchestra.json', '.orchestra.json'] as const;

export type ConfigFileRead = { ok: true; raw: Record<string, unknown> } | { ok: false; problems: ConfigProblem[] };

/** The first config file in `dir`, as an absolute path; undefined when there is none. */
export function findConfigFile(dir: string): string | undefined {
  return CONFIG_FILE_NAMES.map((f) => join(dir, f)).find((f) => existsSync(f));
}

/** Reads and parses a config file into the nested shape the schema expects (not yet validated). */
export function readConfigFile(path: string): ConfigFileRead {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    return { ok: false, problems: [{ path: '(file)', message: `cannot read ${path}: ${code}` }] };
  }
  return parseConfigText(text, path);
}

/** Parses config file text (JSON with comments); syntax errors name their line and column. */
export function parseConfigText(text: string, name: string): ConfigFileRead {
  const errors: ParseError[] = [];
  const raw: unknown = parse(text, errors, { allowTrailingComma: true, disallowComments: false });
  if (errors.length) {
    const problems = errors.slice(0, 5).map((e) => {
      const { line, column } = lineColumn(text, e.offset);
      return { path: '(file)', message: `${name}:${line}:${column}: not valid JSON: ${syntaxError(printParseErrorCode(e.error))}` };
    });
    return { ok: false, problems };
  }
  if (!raw || typeof raw !== 'object' || Array.isArray(raw))
    return { ok: false, problems: [{ path: '(root)', message: `${name} must hold a JSON object` }] };
  const { $schema, ...rest } = raw as Record<string, unknown>;
  // Editors read `$schema` to validate the file; it is no setting. Anything but a string is a mistake.
  if ($schema !== undefined && typeof $schema !== 'string')
    return { ok: false, problems: [{ path: '$schema', message: 'must be a string (the URL or path of the schema)' }] };
  return { ok: true, raw: unflattenSettings(rest) };
}

function lineColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset).split('\n');
  return { line: before.length, column: before[before.length - 1].length + 1 };
}

function syntaxError(code: string): string {
  // "CloseBraceExpected" → "close brace expected"
  return code.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase();
}

/**
 * Turns `{"orchestra.budget.maxTurns": 5}` into `{budget: {maxTurns: 5}}`; nested keys pass through.
 * Any other key is kept as written, so that validation reports it (a dotted key outside `orchestra.`,
 * `orchestr.privacyMode`, is a typo, never something to skip).
 */
export function unflattenSettings(raw: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(raw)) {
    if (!key.startsWith('orchestra.')) {
      out[key] = mergeValue(out[key], value);
      continue;
    }
    const path = key.slice('orchestra.'.length).split('.');
    let cur = out;
    path.forEach((p, i) => {
      if (i === path.length - 1) cur[p] = mergeValue(cur[p], value);
      else cur = (cur[p] = isPlainObject(cur[p]) ? cur[p] : {}) as Record<string, unknown>;
    });
  }
  return out;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return Boolean(v) && typeof v === 'object' && !Array.isArray(v);
}

function mergeValue(existing: unknown, value: unknown): unknown {
  return isPlainObject(existing) && isPlainObject(value) ? { ...existing, ...value } : value;
}
