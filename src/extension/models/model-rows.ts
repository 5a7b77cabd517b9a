// What the Models view shows for each pool member: the settings entry, the engine's view of it
// (embedded local models, measured latency, eligibility), the key in SecretStorage and the last
// check, merged into one row, and the words and marks each row is drawn with. Pure (no `vscode`), so
// it is tested in plain Node.
import type { ModelEntry, OrchestraConfig } from '../../core/config';
import type { ModelInfo, QualityRow } from '../../core/engine-api';
import { automaticOrchestrator } from '../../core/orchestrator/pick';
import { hostOf, isLocalHost } from '../../core/pool/locality';

/** Where a pool member comes from, which decides what can be done with it. */
export type ModelSource = 'settings' | 'embedded' | 'other';

/** The last check of an endpoint: a listing of its models (free), or a test call. */
export type Reachability =
  | { state: 'unknown' }
  | { state: 'checking' }
  | { state: 'reachable'; latencyMs: number; at: number; tested: boolean; listed?: boolean }
  | { state: 'unreachable'; error: string; at: number; tested: boolean };

export type KeyState = 'set' | 'none' | 'other-endpoint';

/** A model's quality estimate in one role (docs/ROUTING.md): the posterior mean over its prior and evidence. */
export interface RowQuality {
  role: string;
  mean: number;
  low: number;
  high: number;
  /** Weighted outcomes seen (0 while the estimate is the prior alone). */
  evidence: number;
  prior: number;
  priorSource: string;
}

export interface ModelRow {
  id: string;
  model: string;
  baseUrl: string;
  source: ModelSource;
  local: boolean;
  openWeights: boolean;
  contextWindow: number;
  inputPricePerMillion: number;
  outputPricePerMillion: number;
  roles: string[];
  description: string;
  orchestrator: boolean;
  preferred: boolean;
  denied: boolean;
  key: KeyState;
  reach: Reachability;
  /** The engine's moving average over real calls. */
  measuredLatencyMs?: number;
  eligible: boolean;
  ineligibleReason?: string;
  /** How tool calls are read from this model: its `toolCallFormat` and, for `auto`, the format its name suggests. */
  toolCallFormat?: string;
  /** Its quality estimate per role, the role it is used in most first (empty until the engine reported them). */
  quality: RowQuality[];
}

export interface RowInputs {
  config: OrchestraConfig;
  /** The pool as the engine last reported it (undefined while it has not). */
  pool: ModelInfo[] | undefined;
  /** The origin each model's stored key is bound to, for models that have one. */
  keyOrigins: ReadonlyMap<string, string>;
  reach: ReadonlyMap<string, Reachability>;
  /** The engine's quality estimates (undefined while it has not reported them). */
  quality?: QualityRow[];
}

/**
 * The model the automatic choice (`orchestrator.model` empty) resolves to, by the engine's rule: the
 * settings' models first, then the engine's own (embedded, the editor's), as its pool lists them; the
 * ones its last report says the rules exclude are passed over.
 */
export function automaticOrchestratorOf(config: OrchestraConfig, pool: readonly ModelInfo[] | undefined): string | undefined {
  const reported = new Map((pool ?? []).map((m) => [m.id, m]));
  const all = [...config.models, ...(pool ?? []).filter((p) => !config.models.some((m) => m.id === p.id))];
  return automaticOrchestrator(all.filter((m) => reported.get(m.id)?.eligible !== false))?.id;
}

/** The orchestrator as the engine picks it: the setting, else the automatic choice. */
export function effectiveOrchestrator(config: OrchestraConfig, pool: readonly ModelInfo[] | undefined): string | undefined {
  return config.orchestrator.model || automaticOrchestratorOf(config, pool);
}

function originOf(url: string): string | undefined {
  try {
    return new URL(url).origin;
  } catch {
    return undefined;
  }
}

export function modelRows(inp: RowInputs): ModelRow[] {
  const { config, pool } = inp;
  const orchestrator = effectiveOrchestrator(config, pool);
  const prefs = config.preferences;
  const entries = new Map<string, ModelEntry>(config.models.map((m) => [m.id, m]));
  // Settings entries first, in their order; then what only the engine knows (embedded local models, …).
  const ids = [...config.models.map((m) => m.id), ...(pool ?? []).map((m) => m.id).filter((id) => !entries.has(id))];
  return ids.map((id): ModelRow => {
    const entry = entries.get(id);
    const info = pool?.find((m) => m.id === id);
    const baseUrl = entry?.baseUrl ?? info?.baseUrl ?? '';
    const keyOrigin = inp.keyOrigins.get(id);
    const format = info?.toolCallFormat ?? entry?.toolCallFormat;
    const detected = info?.detectedToolCallFormat;
    return {
      id,
      model: entry?.model ?? info?.model ?? id,
      baseUrl,
      source: entry ? 'settings' : id.startsWith('local:') ? 'embedded' : 'other',
      local: info?.local ?? entry?.local ?? (baseUrl ? isLocalHost(hostOf(baseUrl)) : false),
      openWeights: info?.openWeights ?? entry?.openWeights ?? false,
      contextWindow: info?.contextWindow ?? entry?.contextWindow ?? 0,
      inputPricePerMillion: info?.inputPricePerMillion ?? entry?.inputPricePerMillion ?? 0,
      outputPricePerMillion: info?.outputPricePerMillion ?? entry?.outputPricePerMillion ?? 0,
      roles: info?.roles ?? entry?.roles ?? [],
      description: info?.description ?? entry?.description ?? '',
      orchestrator: id === orchestrator,
      preferred: prefs.preferredModels.includes(id),
      denied: prefs.deniedModels.includes(id),
      key: !keyOrigin ? 'none' : keyOrigin === originOf(baseUrl) ? 'set' : 'other-endpoint',
      reach: inp.reach.get(id) ?? { state: 'unknown' },
      measuredLatencyMs: info?.latencyMs,
      eligible: info?.eligible ?? !prefs.deniedModels.includes(id),
      ineligibleReason: info?.ineligibleReason,
      toolCallFormat: format && detected ? `${format} (${detected} by the model's name, unless the server returns native calls)` : format,
      quality: rowQuality(id, id === orchestrator, inp.quality),
    };
  });
}

/**
 * A model's estimates, the one the description shows first: as orchestrator for the orchestrator,
 * else the role with the most evidence (ties: the order of its roles).
 */
function rowQuality(id: string, orchestrator: boolean, rows: QualityRow[] | undefined): RowQuality[] {
  const mine = (rows ?? [])
    .filter((r) => r.model === id && r.inPool)
    .map((r) => ({
      role: r.role,
      mean: r.mean,
      low: r.low,
      high: r.high,
      evidence: r.successes + r.failures,
      prior: r.prior,
      priorSource: r.priorSource,
    }));
  const rank = (q: RowQuality) => (orchestrator && q.role === 'orchestrator' ? Number.POSITIVE_INFINITY : q.evidence);
  return mine
    .map((q, i) => ({ q, i }))
    .sort((a, b) => rank(b.q) - rank(a.q) || a.i - b.i)
    .map(({ q }) => q);
}

/** `0.82 (n=14)`: the estimate and how much evidence it rests on (n=0: the prior alone). */
export function qualityText(q: RowQuality): string {
  return `${q.mean.toFixed(2)} (n=${Number(q.evidence.toFixed(1))})`;
}

// ── how a row reads ────────────────────────────────────────────────────────────────────────────

export function formatTokens(n: number): string {
  if (!n) return 'unknown';
  return n >= 1024 && n % 1024 === 0 ? `${n / 1024}K` : n >= 1000 ? `${Math.round(n / 1000)}K` : String(n);
}

export function formatPrice(row: Pick<ModelRow, 'inputPricePerMillion' | 'outputPricePerMillion'>): string {
  if (!row.inputPricePerMillion && !row.outputPricePerMillion) return 'free';
  const d = (n: number) => `$${Number(n.toFixed(4))}`;
  return `${d(row.inputPricePerMillion)} in / ${d(row.outputPricePerMillion)} out per 1M tokens`;
}

export function reachText(r: Reachability): string {
  switch (r.state) {
    case 'unknown':
      return 'not checked yet';
    case 'checking':
      return 'checking…';
    case 'reachable':
      return `${r.tested ? 'answered a test call' : 'reachable'} in ${Math.round(r.latencyMs)} ms${r.listed === false ? ' (the model is not in the server’s list)' : ''}`;
    case 'unreachable':
      return `${r.tested ? 'test call failed' : 'unreachable'}: ${r.error}`;
  }
}

export function keyText(row: ModelRow): string {
  if (row.source === 'embedded') return 'not needed (runs in Orchestra)';
  switch (row.key) {
    case 'set':
      return 'set (in VS Code’s secret storage)';
    case 'other-endpoint':
      return 'stored for another endpoint: not sent; set it again for this one';
    case 'none':
      return row.local ? 'none (local servers usually need none)' : 'none';
  }
}

/** The short line beside the name: the marks that matter at a glance. */
export function rowDescription(row: ModelRow): string {
  const parts: string[] = [];
  if (row.orchestrator) parts.push('orchestrator');
  if (row.denied) parts.push('denied');
  else if (row.preferred) parts.push('preferred');
  if (row.reach.state === 'unreachable') parts.push('unreachable');
  else if (row.reach.state === 'checking') parts.push('checking…');
  else if (row.reach.state === 'reachable') parts.push(`${Math.round(row.reach.latencyMs)} ms`);
  parts.push(row.local ? 'local' : 'remote');
  if (!row.inputPricePerMillion && !row.outputPricePerMillion) parts.push('free');
  if (row.quality.length) parts.push(`quality ${qualityText(row.quality[0])}`);
  return parts.join(' · ');
}

/** Every fact of a row, one `label: value` line each (the tooltip and the expanded row). */
export function rowDetails(row: ModelRow): Array<{ label: string; value: string }> {
  const out = [
    { label: 'Model', value: row.model },
    { label: 'Endpoint', value: row.baseUrl || 'none' },
    { label: 'State', value: reachText(row.reach) },
    {
      label: 'Latency',
      value: row.measuredLatencyMs !== undefined ? `${Math.round(row.measuredLatencyMs)} ms average over real calls` : 'no calls yet',
    },
    { label: 'Context window', value: row.contextWindow ? `${row.contextWindow.toLocaleString('en-US')} tokens` : 'unknown' },
    { label: 'Price', value: formatPrice(row) },
    {
      label: 'Runs',
      value: row.source === 'embedded' ? 'in Orchestra (embedded llama.cpp)' : row.local ? 'on this machine or network' : 'remotely',
    },
    { label: 'Weights', value: row.openWeights ? 'open' : 'closed' },
    { label: 'API key', value: keyText(row) },
    { label: 'Roles', value: row.roles.join(', ') || 'none' },
  ];
  for (const q of row.quality)
    out.push({
      label: `Quality as ${q.role}`,
      value: `${qualityText(q)}, 90% interval ${q.low.toFixed(2)}–${q.high.toFixed(2)}; prior ${q.prior.toFixed(2)} (${q.priorSource})`,
    });
  if (row.toolCallFormat) out.push({ label: 'Tool calls', value: row.toolCallFormat });
  if (!row.eligible)
    out.push({ label: 'Not used now', value: row.ineligibleReason ?? (row.denied ? 'denied in the preferences' : 'not eligible') });
  if (row.description) out.push({ label: 'Description', value: row.description });
  return out;
}

/** What a screen reader says for a row. */
export function rowAccessibleLabel(row: ModelRow): string {
  return `${row.id}, ${rowDescription(row)}, ${reachText(row.reach)}`;
}

/** The flags `when` clauses of the view's menus test (`viewItem =~ /;orchestrator;/` and so on). */
export function rowContext(row: ModelRow): string {
  const flags = ['model', row.source];
  if (row.orchestrator) flags.push('orchestrator');
  if (row.preferred) flags.push('preferred');
  if (row.denied) flags.push('denied');
  if (row.key !== 'none') flags.push('hasKey');
  return `;${flags.join(';')};`;
}
