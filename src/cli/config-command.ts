// `orchestra config check` (is the config file valid? every problem with its path and what was
// probably meant) and `orchestra config schema` (the JSON Schema editors use to check the file).
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { configJsonSchema, type SettingDoc } from '../core/config-schema';
import { parseArgs, UsageError } from './args';
import { configFilePath, loadConfig } from './config-file';

export const CONFIG_USAGE = `orchestra config check [--config FILE] [--json]
    validate the config file: exit 0 when valid, 2 with every problem named by its path
orchestra config schema [--output FILE]
    print the JSON Schema of the config file (the extension ships it for orchestra.json)
`;

interface Io {
  out(text: string): void;
  err(text: string): void;
  env: NodeJS.ProcessEnv;
  cwd: string;
}

export function configCommand(argv: string[], io: Io): number {
  const [sub, ...rest] = argv;
  if (sub === 'check') return check(rest, io);
  if (sub === 'schema') return schema(rest, io);
  if (sub === undefined || sub === '--help' || sub === '-h') {
    io.out(CONFIG_USAGE);
    return sub === undefined ? 2 : 0;
  }
  throw new UsageError(`unknown config command "${sub}" (check, schema)`);
}

function check(argv: string[], io: Io): number {
  const a = parseArgs(argv, { values: ['--config'], booleans: ['--json'] });
  if (a.positionals.length) throw new UsageError(`config check takes no arguments, got "${a.positionals[0]}"`);
  const loaded = loadConfig(a.values['--config'], { cwd: io.cwd, env: io.env, required: true });
  const file = loaded.file ?? configFilePath(a.values['--config'], { cwd: io.cwd, env: io.env });
  if (a.flags.has('--json')) {
    io.out(`${JSON.stringify({ file, valid: loaded.ok, problems: loaded.ok ? [] : loaded.problems })}\n`);
    return loaded.ok ? 0 : 2;
  }
  if (!loaded.ok) {
    const n = loaded.problems.length;
    io.err(
      `${file ?? 'orchestra'}: ${n} problem${n === 1 ? '' : 's'}:\n${loaded.problems.map((p) => `  ${p.path}: ${p.message}`).join('\n')}\n`,
    );
    return 2;
  }
  const c = loaded.config;
  io.out(
    `${loaded.file}: valid — ${c.models.length} model${c.models.length === 1 ? '' : 's'}, privacy ${c.privacyMode}, at most $${c.budget.maxDollarsPerTask} and ${c.budget.maxTurns} turns per task\n`,
  );
  return 0;
}

function schema(argv: string[], io: Io): number {
  const a = parseArgs(argv, { values: ['--output'] });
  if (a.positionals.length) throw new UsageError(`config schema takes no arguments, got "${a.positionals[0]}"`);
  const text = `${JSON.stringify(configJsonSchema(settingDocs()), null, 2)}\n`;
  if (a.values['--output']) writeFileSync(resolve(io.cwd, a.values['--output']), text);
  else io.out(text);
  return 0;
}

/** The descriptions of the settings, from the package.json next to the bundle (none when absent). */
function settingDocs(): Record<string, SettingDoc> {
  try {
    const pkg = JSON.parse(readFileSync(resolve(__dirname, '..', 'package.json'), 'utf8'));
    return pkg.contributes?.configuration?.properties ?? {};
  } catch {
    return {};
  }
}
