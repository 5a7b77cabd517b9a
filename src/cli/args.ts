// A small, strict argument parser: known flags only, values required where a flag takes one, and
// errors that say which flag is wrong (exit code 2 in the CLI).
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export interface FlagSpec {
  /** Flags that take a value (`--config FILE` or `--config=FILE`). */
  values?: string[];
  /** Flags that may be given several times (collected in order). */
  repeatable?: string[];
  /** Flags without a value. */
  booleans?: string[];
}

export interface ParsedArgs {
  positionals: string[];
  values: Record<string, string>;
  lists: Record<string, string[]>;
  flags: Set<string>;
}

export function parseArgs(argv: string[], spec: FlagSpec): ParsedArgs {
  const values = new Set(spec.values ?? []);
  const repeatable = new Set(spec.repeatable ?? []);
  const booleans = new Set(spec.booleans ?? []);
  const out: ParsedArgs = { positionals: [], values: {}, lists: {}, flags: new Set() };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      out.positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!a.startsWith('-') || a === '-') {
      out.positionals.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    const name = eq > 0 ? a.slice(0, eq) : a;
    if (booleans.has(name)) {
      if (eq > 0) throw new UsageError(`${name} takes no value`);
      out.flags.add(name);
      continue;
    }
    if (values.has(name) || repeatable.has(name)) {
      const value = eq > 0 ? a.slice(eq + 1) : argv[++i];
      if (value === undefined || (eq < 0 && value.startsWith('--'))) throw new UsageError(`${name} needs a value`);
      if (repeatable.has(name)) (out.lists[name] ??= []).push(value);
      else {
        if (name in out.values) throw new UsageError(`${name} given twice`);
        out.values[name] = value;
      }
      continue;
    }
    throw new UsageError(`unknown option ${name}`);
  }
  return out;
}
