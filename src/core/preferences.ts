// The user's preferences, acting twice: hard rules the harness enforces whatever the orchestrator
// asks (privacy mode, deny lists), and soft preferences it reads (weights, preferred models, free
// text) plus the order in which eligible models are listed to it.
import type { OrchestraConfig } from './config';
import type { Tool } from './tools/tool';
import { isLocalHost } from './pool/locality';
import type { QualitySource } from './routing/prior';
import { scoreModels } from './routing/score';

export { paramsHint } from './routing/prior';

export interface RuleModel {
  id: string;
  model: string;
  host: string;
  local: boolean;
  /** Where `local` comes from: the model's own `local` setting, or its host (absent: the host). */
  localSource?: 'setting' | 'host';
  /** Set for the editor's own models (VS Code's Language Model API), configured under another setting. */
  hostModel?: object;
  openWeights: boolean;
  roles: string[];
  inputPricePerMillion: number;
  outputPricePerMillion: number;
  latencyMs?: number;
  description?: string;
  /** The user's prior for its quality (0–1). */
  quality?: number;
}

export type Verdict = { eligible: true } | { eligible: false; rule: string; reason: string };

/**
 * Whether a model may be called at all under the hard rules. A refusal names the rule, the model and
 * the setting that would allow it.
 */
export function modelVerdict(m: RuleModel, config: OrchestraConfig): Verdict {
  // Where the model's own flags are set: the model list, or the overrides of the editor's models.
  const entry = m.hostModel ? `its entry in orchestra.languageModels.overrides` : 'the model (orchestra.models)';
  if (matchesAny(config.preferences.deniedModels, [m.id, m.model])) {
    return {
      eligible: false,
      rule: 'preferences.deniedModels',
      reason: `model "${m.id}" is on the deny list (orchestra.preferences.deniedModels); remove it from that list to allow it`,
    };
  }
  if (config.privacyMode === 'local-only' && !m.local) {
    if (m.localSource === 'setting' && m.host.split(', ').every(isLocalHost)) {
      return {
        eligible: false,
        rule: 'privacyMode',
        reason: `privacy mode local-only (orchestra.privacyMode): model "${m.id}" runs on ${m.host}, on this machine, but its settings say "local": false, so it counts as sending data away; remove "local": false from ${entry} to allow it`,
      };
    }
    return {
      eligible: false,
      rule: 'privacyMode',
      reason: `privacy mode local-only (orchestra.privacyMode): model "${m.id}" runs on ${m.host}, which is not this machine or a private network; to allow it, set orchestra.privacyMode to "any" (or "local": true on ${entry}, if it in fact runs on this machine)`,
    };
  }
  if (config.privacyMode === 'open-weights-only' && !m.openWeights) {
    return {
      eligible: false,
      rule: 'privacyMode',
      reason: `privacy mode open-weights-only (orchestra.privacyMode): model "${m.id}" is not marked open-weights; set "openWeights": true on ${entry} if its weights are open, or set orchestra.privacyMode to "any"`,
    };
  }
  return { eligible: true };
}

/**
 * Whether a tool call may run. `args` may be undefined to ask whether the tool can be offered at all
 * (then a tool whose destination depends on its arguments is judged at call time).
 */
export function toolVerdict(tool: Tool, config: OrchestraConfig, args?: unknown): Verdict {
  if (matchesAny(config.preferences.deniedTools, [tool.name])) {
    return {
      eligible: false,
      rule: 'preferences.deniedTools',
      reason: `tool "${tool.name}" is on the deny list (orchestra.preferences.deniedTools); remove it from that list to allow it`,
    };
  }
  // Model-backed and agent tools are judged per model call (modelVerdict), which names the model.
  if (config.privacyMode === 'local-only' && tool.kind !== 'model' && tool.kind !== 'agent') {
    const dest = destinationOf(tool, args);
    if (dest && dest !== 'local') {
      return {
        eligible: false,
        rule: 'privacyMode',
        reason: `privacy mode local-only (orchestra.privacyMode): tool "${tool.name}" would send data to ${dest.host}, which is not this machine or a private network; set orchestra.privacyMode to "any" to allow it`,
      };
    }
  }
  return { eligible: true };
}

/** The tool's destination for these args; undefined when it cannot be told without valid args. */
export function destinationOf(tool: Tool, args?: unknown): 'local' | { host: string } | undefined {
  try {
    return tool.destination(args ?? {});
  } catch {
    return undefined;
  }
}

/** Deny-list entries match exactly, or with `*` as a wildcard (e.g. `github__*` for one MCP server). */
export function matchesAny(patterns: readonly string[], names: readonly string[]): boolean {
  return patterns.some((p) => {
    const re = new RegExp('^' + p.split('*').map(escapeRe).join('.*') + '$', 'i');
    return names.some((n) => re.test(n));
  });
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Orders eligible models for the orchestrator by the routing score (routing/score.ts, docs/ROUTING.md):
 * preferred models first (in the user's order), models of `preferRole` next, then by score.
 */
export function rankModels<T extends RuleModel>(
  models: readonly T[],
  config: OrchestraConfig,
  preferRole?: string,
  quality?: QualitySource,
): T[] {
  if (models.length <= 1) return [...models];
  return scoreModels(models, config, { role: preferRole, quality }).map((s) => s.model);
}

/** The soft preferences as a short block the orchestrator reads. Empty when there is nothing to say. */
export function preferenceInstructions(config: OrchestraConfig, preferRole?: string): string {
  const p = config.preferences;
  const lines: string[] = [];
  const weights = [
    ['answer quality', p.quality],
    ['low cost', p.cost],
    ['low latency', p.latency],
  ] as const;
  const top = [...weights].sort((a, b) => b[1] - a[1]);
  lines.push(
    `The user weighs ${weights.map(([n, w]) => `${n} ${w.toFixed(2)}`).join(', ')}: favour ${top[0][0]}` +
      (top[1][1] > 0 ? `, then ${top[1][0]}` : '') +
      '. Models are listed best-first for these weights.',
  );
  const soft = [
    p.openWeights > 0 ? `open-weights models (${p.openWeights.toFixed(2)})` : '',
    p.local > 0 ? `local models (${p.local.toFixed(2)})` : '',
  ]
    .filter(Boolean)
    .join(' and ');
  if (soft) lines.push(`The user also favours ${soft}; the model list already reflects this.`);
  if (p.preferredModels.length) lines.push(`Preferred models (use them when they fit the subtask): ${p.preferredModels.join(', ')}.`);
  if (config.privacyMode !== 'any') lines.push(`Privacy mode is ${config.privacyMode}: only the models and tools listed here may be used.`);
  if (preferRole) lines.push(`The user asked to hand this task to a ${preferRole} model: delegate the work to one.`);
  if (p.instructions.trim()) lines.push(`User instructions: ${p.instructions.trim()}`);
  return lines.join('\n');
}
