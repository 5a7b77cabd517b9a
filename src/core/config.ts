// The one configuration schema: VS Code settings (`orchestra.*`) and the workspace config file
// (orchestra.json, read by the CLI and the extension) share these keys. Unknown keys are refused like
// invalid values; every problem names its field path, and an unknown key the one probably meant.
import { z } from 'zod';
import { TOOL_CALL_FORMATS } from './toolcalls/types';
import { unknownKeyMessage } from './config-keys';

export const PRIVACY_MODES = ['any', 'open-weights-only', 'local-only'] as const;
export const PrivacyMode = z.enum(PRIVACY_MODES);
export type PrivacyMode = z.infer<typeof PrivacyMode>;

export const MODEL_ROLES = ['orchestrator', 'general', 'code', 'math', 'search-query', 'reasoning', 'answer'] as const;
export const ModelRole = z.enum(MODEL_ROLES);
export type ModelRole = z.infer<typeof ModelRole>;

/**
 * Upper bounds for durations. Node timers hold at most 2^31−1 ms (about 24.8 days); a longer value
 * fires at once, so a huge timeout would end every call immediately. One day per call and a week per
 * task are far beyond any real use and well inside the timer range (prefill allowances included).
 */
export const MAX_CALL_SECONDS = 86_400;
export const MAX_WALL_SECONDS = 604_800;
/** Replicas one model entry may list. */
export const MAX_REPLICAS = 64;

const HttpUrl = z.url({ protocol: /^https?$/ });

export const TOOL_CALL_FORMAT_SETTINGS = ['auto', 'native', ...TOOL_CALL_FORMATS] as const;
export const ToolCallFormatSetting = z.enum(TOOL_CALL_FORMAT_SETTINGS);
export type ToolCallFormatSetting = z.infer<typeof ToolCallFormatSetting>;

const ModelEntryFields = z.strictObject({
  id: z
    .string()
    .min(1)
    .regex(/^[A-Za-z0-9._:-]+$/, 'only letters, digits and . _ : -'),
  /** The endpoint; for several replicas of one deployment give `baseUrls` instead. */
  baseUrl: HttpUrl.optional(),
  /**
   * Replicas of one deployment (vLLM, SGLang, TGI instances) or gateway addresses serving the same
   * model: each request goes to the one with the fewest requests in flight (see pool/replicas.ts).
   */
  baseUrls: z.array(HttpUrl).min(1).max(MAX_REPLICAS).optional(),
  /** Requests each address (`baseUrl`, or each of `baseUrls`) may have in flight at once; more wait. Unset: no cap. */
  maxConcurrentRequests: z.number().int().positive().max(4096).optional(),
  /** Model ids to try, in this order, when this one fails; unset: other eligible models of a shared role. */
  fallbacks: z.array(z.string().min(1)).max(16).optional(),
  model: z.string().min(1),
  /** CLI: name of the environment variable holding the key. VS Code: keys live in SecretStorage under the model id. */
  apiKeyEnv: z.string().optional(),
  inputPricePerMillion: z.number().nonnegative().default(0),
  outputPricePerMillion: z.number().nonnegative().default(0),
  /** Dollars per million prompt tokens the provider served from its cache; unset: the input price. */
  cachedInputPricePerMillion: z.number().nonnegative().optional(),
  contextWindow: z.number().int().positive().default(8192),
  maxOutputTokens: z.number().int().positive().default(2048),
  openWeights: z.boolean().default(false),
  /** Overrides the locality derived from the host (loopback and private addresses are local). */
  local: z.boolean().optional(),
  roles: z.array(ModelRole).default(['general']),
  description: z.string().default(''),
  timeoutSeconds: z.number().positive().max(MAX_CALL_SECONDS).optional(),
  /** Your prior for how often it answers well (0–1); evidence refines it (docs/ROUTING.md). Unset: guessed from price and size. */
  quality: z.number().min(0).max(1).optional(),
  /**
   * How the model's tool calls are read: `auto` (the server's native calls, else the text format its
   * name or output shows), `native` (only the server's), or one text format (see docs/TOOL-CALL-FORMATS.md).
   */
  toolCallFormat: ToolCallFormatSetting.default('auto'),
});

export const ModelEntry = ModelEntryFields.superRefine((e, ctx) => {
  if ((e.baseUrl === undefined) === (e.baseUrls === undefined))
    ctx.addIssue({
      code: 'custom',
      path: ['baseUrl'],
      message: e.baseUrl === undefined ? 'give "baseUrl" (or "baseUrls" for replicas)' : 'give "baseUrl" or "baseUrls", not both',
    });
  e.baseUrls?.forEach((u, i) => {
    if (e.baseUrls!.indexOf(u) !== i) ctx.addIssue({ code: 'custom', path: ['baseUrls', i], message: `"${u}" is listed twice` });
  });
})
  // After parsing `baseUrl` is always set: the first replica when `baseUrls` was given.
  .transform((e) => ({ ...e, baseUrl: e.baseUrl ?? e.baseUrls![0] }));
export type ModelEntryInput = z.input<typeof ModelEntry>;
export type ModelEntry = z.infer<typeof ModelEntry>;

/** The score's weights for one role; each one left out keeps the general weight. */
export const RoleWeights = z
  .strictObject({
    quality: z.number().min(0).max(1),
    cost: z.number().min(0).max(1),
    latency: z.number().min(0).max(1),
    openWeights: z.number().min(0).max(1),
    local: z.number().min(0).max(1),
  })
  .partial();

export const Dialect = z.enum(['auto', 'general', 'toolorchestra']);
export type Dialect = z.infer<typeof Dialect>;

export const McpServer = z
  .strictObject({
    name: z.string().regex(/^[A-Za-z0-9_-]+$/, 'only letters, digits, _ and -'),
    command: z.string().optional(),
    args: z.array(z.string()).default([]),
    url: z.url().optional(),
    env: z.record(z.string(), z.string()).default({}),
    /** Whether the server runs on this machine; stdio servers always do. */
    local: z.boolean().optional(),
  })
  .refine((s) => Boolean(s.command) !== Boolean(s.url), { message: 'give exactly one of "command" or "url"' });
export type McpServer = z.infer<typeof McpServer>;

/**
 * How the editor presents one or more of its language models (VS Code's Language Model API) to the
 * pool: what the provider does not say (where it runs, its weights, its price, what it is good at).
 * Read by the editor from the user's own settings only.
 */
export const LanguageModelOverride = z.strictObject({
  /** Pool id (`lm:<vendor>:<model id>`), `*` as a wildcard: `lm:copilot:*`. */
  match: z.string().min(1),
  roles: z.array(ModelRole).min(1).optional(),
  local: z.boolean().optional(),
  openWeights: z.boolean().optional(),
  inputPricePerMillion: z.number().nonnegative().optional(),
  outputPricePerMillion: z.number().nonnegative().optional(),
  maxOutputTokens: z.number().int().positive().optional(),
  description: z.string().optional(),
});
export type LanguageModelOverride = z.infer<typeof LanguageModelOverride>;

export const OrchestraConfig = z
  .strictObject({
    models: z.array(ModelEntry).default([]),
    orchestrator: z
      .strictObject({
        /** Model id from `models`; empty means the first model with the `orchestrator` role, else the first model. */
        model: z.string().default(''),
        dialect: Dialect.default('auto'),
      })
      .default({ model: '', dialect: 'auto' }),
    privacyMode: PrivacyMode.default('any'),
    preferences: z
      .strictObject({
        quality: z.number().min(0).max(1).default(0.5),
        cost: z.number().min(0).max(1).default(0.3),
        latency: z.number().min(0).max(1).default(0.2),
        /** Soft preference for open-weights models (a score term; the hard rule is privacyMode). */
        openWeights: z.number().min(0).max(1).default(0),
        /** Soft preference for models on this machine or network (a score term; the hard rule is privacyMode). */
        local: z.number().min(0).max(1).default(0),
        /** Weights for one role, over the ones above: `{ "code": { "quality": 0.8, "cost": 0.1 } }`. */
        byRole: z.partialRecord(ModelRole, RoleWeights).default({}),
        /** Try models whose quality is still uncertain now and then (Thompson sampling over the estimates). */
        explore: z.boolean().default(true),
        preferredModels: z.array(z.string()).default([]),
        deniedModels: z.array(z.string()).default([]),
        deniedTools: z.array(z.string()).default([]),
        instructions: z.string().default(''),
      })
      .default({
        quality: 0.5,
        cost: 0.3,
        latency: 0.2,
        openWeights: 0,
        local: 0,
        byRole: {},
        explore: true,
        preferredModels: [],
        deniedModels: [],
        deniedTools: [],
        instructions: '',
      }),
    budget: z
      .strictObject({
        maxDollarsPerTask: z.number().nonnegative().default(0.5),
        /** Paid calls past this spend in one task need approval; 0 disables the prompt. */
        softLimitDollars: z.number().nonnegative().default(0),
        maxTurns: z.number().int().positive().default(20),
        maxWallTimeSeconds: z.number().positive().max(MAX_WALL_SECONDS).default(600),
        subtaskShare: z.number().gt(0).max(1).default(0.5),
      })
      .default({ maxDollarsPerTask: 0.5, softLimitDollars: 0, maxTurns: 20, maxWallTimeSeconds: 600, subtaskShare: 0.5 }),
    concurrency: z.number().int().min(1).max(32).default(4),
    requests: z
      .strictObject({
        timeoutSeconds: z.number().positive().max(MAX_CALL_SECONDS).default(120),
        retries: z.number().int().min(0).max(10).default(2),
        stream: z.boolean().default(true),
      })
      .default({ timeoutSeconds: 120, retries: 2, stream: true }),
    tools: z
      .strictObject({
        runCode: z
          .strictObject({
            enabled: z.boolean().default(true),
            autoApprove: z.boolean().default(false),
            allowShell: z.boolean().default(false),
            timeoutSeconds: z.number().positive().max(MAX_CALL_SECONDS).default(60),
            maxOutputBytes: z.number().int().positive().default(65536),
            isolation: z.enum(['workspace', 'scratch']).default('workspace'),
          })
          .default({
            enabled: true,
            autoApprove: false,
            allowShell: false,
            timeoutSeconds: 60,
            maxOutputBytes: 65536,
            isolation: 'workspace',
          }),
        webSearch: z
          .strictObject({
            provider: z.enum(['none', 'searxng', 'tavily', 'brave']).default('none'),
            url: z.string().default(''),
            apiKeyEnv: z.string().optional(),
            maxResults: z.number().int().positive().max(50).default(5),
          })
          .default({ provider: 'none', url: '', maxResults: 5 }),
        mcpServers: z.array(McpServer).default([]),
      })
      .default({
        runCode: {
          enabled: true,
          autoApprove: false,
          allowShell: false,
          timeoutSeconds: 60,
          maxOutputBytes: 65536,
          isolation: 'workspace',
        },
        webSearch: { provider: 'none', url: '', maxResults: 5 },
        mcpServers: [],
      }),
    local: z
      .strictObject({
        /** GGUF files or folders holding them, served by the embedded llama.cpp runtime. */
        models: z.array(z.string()).default([]),
        modelsDir: z.string().default(''),
        idleUnloadSeconds: z.number().positive().max(MAX_WALL_SECONDS).default(300),
        /** CPU threads for embedded models; 0: the physical cores. */
        threads: z.number().int().min(0).max(1024).default(0),
        /** Layers offloaded to the GPU when a GPU build is installed: auto, max, or a count (0: CPU only). */
        gpuLayers: z.union([z.enum(['auto', 'max']), z.number().int().min(0)]).default('auto'),
      })
      .default({ models: [], modelsDir: '', idleUnloadSeconds: 300, threads: 0, gpuLayers: 'auto' }),
    /** The editor's language models in the pool (VS Code only; the CLI has none). */
    languageModels: z
      .strictObject({
        enabled: z.boolean().default(true),
        overrides: z.array(LanguageModelOverride).default([]),
      })
      .default({ enabled: true, overrides: [] }),
  })
  .superRefine((cfg, ctx) => {
    const seen = new Set<string>();
    cfg.models.forEach((m, i) => {
      if (seen.has(m.id)) ctx.addIssue({ code: 'custom', path: ['models', i, 'id'], message: `duplicate model id "${m.id}"` });
      seen.add(m.id);
    });
    cfg.models.forEach((m, i) =>
      m.fallbacks?.forEach((f, j) => {
        if (!seen.has(f) || f === m.id)
          ctx.addIssue({
            code: 'custom',
            path: ['models', i, 'fallbacks', j],
            message: f === m.id ? 'a model cannot be its own fallback' : `no model with id "${f}" in models`,
          });
      }),
    );
    if (cfg.orchestrator.model && !seen.has(cfg.orchestrator.model)) {
      ctx.addIssue({ code: 'custom', path: ['orchestrator', 'model'], message: `no model with id "${cfg.orchestrator.model}" in models` });
    }
  });
export type OrchestraConfigInput = z.input<typeof OrchestraConfig>;
export type OrchestraConfig = z.infer<typeof OrchestraConfig>;

export interface ConfigProblem {
  /** Dotted path, e.g. `models[1].baseUrl`. */
  path: string;
  message: string;
  /** The file the problem is in, when it comes from a config file rather than the editor's settings. */
  source?: string;
}

/**
 * Why no task runs: the settings have problems. A key dropped for being misspelt or invalid may have
 * been meant to make a rule stricter, so the engine refuses rather than run with weaker rules.
 */
export function invalidSettingsMessage(problems: readonly ConfigProblem[]): string {
  const listed = problems
    .slice(0, 5)
    .map((p) => `${p.source ? `${p.source.split(/[\\/]/).pop()}: ` : ''}${p.path}: ${p.message}`)
    .join('; ');
  const more = problems.length > 5 ? ` (and ${problems.length - 5} more)` : '';
  return `Orchestra will not run while its settings are invalid (a misspelt or invalid key could leave a privacy or budget rule weaker than you meant): ${listed}${more} — fix them, then ask again`;
}

export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out ? `.${String(p)}` : String(p);
  return out || '(root)';
}

/**
 * Validates a raw config. Every problem is reported with its field path; an unknown key (a typo:
 * `privacyMod`, `maxDollarPerTask`) is one too, with the key that was probably meant. The returned
 * config has the invalid entries dropped or reset to their default, for showing what is configured;
 * no task may run while there are problems (the CLI, the engine process and the extension refuse),
 * since a dropped key may have been meant to make the rules stricter.
 */
export function parseConfig(raw: unknown): { config: OrchestraConfig; problems: ConfigProblem[] } {
  const first = OrchestraConfig.safeParse(raw ?? {});
  if (first.success) return { config: first.data, problems: [] };
  const problems: ConfigProblem[] = first.error.issues.flatMap((i) => problemsOf(i, i.path));
  const repaired = structuredClone((raw && typeof raw === 'object' ? raw : {}) as Record<string, unknown>);
  // Dropped array elements shift the rest; these maps turn repaired indices back into the user's.
  const indexMaps: IndexMaps = new Map();
  // Remove each offending leaf (or the array element holding it) and retry; bounded by issue count.
  for (let attempt = 0; attempt < 50; attempt++) {
    const r = OrchestraConfig.safeParse(repaired);
    if (r.success) return { config: r.data, problems };
    for (const issue of r.error.issues) {
      // Cross-field checks (duplicate ids, orchestrator.model) only run once the fields themselves
      // parse, so their issues first appear here: they are reported too, not dropped silently.
      for (const p of problemsOf(issue, originalPath(issue.path, indexMaps)))
        if (!problems.some((q) => q.path === p.path && q.message === p.message)) problems.push(p);
    }
    dropAll(repaired, r.error.issues.flatMap(issuePaths), indexMaps);
  }
  return { config: OrchestraConfig.parse({}), problems };
}

type Issue = z.core.$ZodIssue;

/** One problem per issue; an unknown-keys issue gives one per key, each with its suggestion. */
function problemsOf(issue: Issue, userPath: ReadonlyArray<PropertyKey>): ConfigProblem[] {
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => ({
      path: formatPath([...userPath, key]),
      message: unknownKeyMessage(OrchestraConfig, issue.path, key),
    }));
  }
  return [{ path: formatPath(userPath), message: issue.message }];
}

/** What to drop for an issue: the unknown keys themselves, else the field at its path. */
function issuePaths(issue: Issue): PropertyKey[][] {
  return issue.code === 'unrecognized_keys' ? issue.keys.map((k) => [...issue.path, k]) : [[...issue.path]];
}

/** Per array (keyed by its path in the user's config): the original index of each remaining element. */
type IndexMaps = Map<string, number[]>;

function originalPath(path: ReadonlyArray<PropertyKey>, maps: IndexMaps): PropertyKey[] {
  const out: PropertyKey[] = [];
  for (const seg of path) {
    const map = typeof seg === 'number' ? maps.get(formatPath(out)) : undefined;
    out.push(map && typeof seg === 'number' ? (map[seg] ?? seg) : seg);
  }
  return out;
}

type DropTarget =
  | { kind: 'delete'; container: Record<string | number, unknown>; key: string | number }
  | { kind: 'splice'; array: unknown[]; index: number; arrayKey: string };

/**
 * Where an issue's path is dropped: the whole array element holding it (a half-valid model entry is
 * worse than none), else the leaf key. Undefined when the path no longer exists.
 */
function dropTarget(obj: Record<string, unknown>, path: ReadonlyArray<PropertyKey>, maps: IndexMaps): DropTarget | undefined {
  let cur: unknown = obj;
  for (let i = 0; i < path.length; i++) {
    const key = path[i] as string | number;
    if (cur === null || typeof cur !== 'object') return undefined;
    const isLast = i === path.length - 1;
    const container = cur as Record<string | number, unknown>;
    if (Array.isArray(container) && typeof key === 'number' && (isLast || typeof container[key] === 'object')) {
      return { kind: 'splice', array: container, index: key, arrayKey: formatPath(originalPath(path.slice(0, i), maps)) };
    }
    if (isLast) return { kind: 'delete', container, key };
    cur = container[key];
  }
  return undefined;
}

/**
 * Drops every issue of one parse at once. All paths refer to the array positions before any drop,
 * so elements are removed highest index first, and each only once (an entry with two bad fields must
 * not take its valid neighbour with it).
 */
function dropAll(obj: Record<string, unknown>, paths: ReadonlyArray<ReadonlyArray<PropertyKey>>, maps: IndexMaps): void {
  if (paths.some((p) => p.length === 0)) {
    for (const k of Object.keys(obj)) delete obj[k];
    return;
  }
  const targets = paths.map((p) => dropTarget(obj, p, maps)).filter((t): t is DropTarget => t !== undefined);
  for (const t of targets) if (t.kind === 'delete') delete t.container[t.key];
  const splices = targets.filter((t): t is Extract<DropTarget, { kind: 'splice' }> => t.kind === 'splice');
  const seen = new Set<string>();
  const unique = splices.filter((t) => {
    const id = `${t.arrayKey}#${t.index}`;
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
  for (const t of unique.sort((a, b) => b.index - a.index)) {
    const map = maps.get(t.arrayKey) ?? t.array.map((_, j) => j);
    map.splice(t.index, 1);
    maps.set(t.arrayKey, map);
    t.array.splice(t.index, 1);
  }
}
