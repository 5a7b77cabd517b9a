// Which model orchestrates a task under the current rules, and in which dialect it is spoken to:
// the ToolOrchestra protocol for models trained on it, the general tool-calling loop for the rest.
import type { OrchestraConfig } from '../config';
import type { PoolModel } from '../pool';
import { modelVerdict } from '../preferences';

export type Dialect = 'general' | 'toolorchestra';

/**
 * The automatic choice when `orchestrator.model` is empty: among the models the rules allow (in pool
 * order), the first with the `orchestrator` role, else the first. The composer's "Automatic" entry names it.
 */
export function automaticOrchestrator<M extends { roles: readonly string[] }>(eligible: readonly M[]): M | undefined {
  return eligible.find((m) => m.roles.includes('orchestrator')) ?? eligible[0];
}

/**
 * The orchestrator model under the current rules, or why there is none. `requested` names a model the
 * user chose for this task (an answer retried with another model); it must exist and be eligible.
 */
export function pickOrchestrator(
  config: OrchestraConfig,
  models: PoolModel[],
  requested?: string,
): { model: PoolModel; dialect: Dialect } | { error: string } {
  let model: PoolModel | undefined;
  const chosen = requested || config.orchestrator.model;
  if (chosen) {
    model = models.find((m) => m.id === chosen);
    if (!model)
      return { error: `${requested ? 'the requested orchestrator' : 'orchestrator.model'}: no model with id "${chosen}" in models` };
    const v = modelVerdict(model, config);
    if (!v.eligible) return { error: `the orchestrator model cannot be used: ${v.reason}` };
  } else {
    const eligible = models.filter((m) => modelVerdict(m, config).eligible);
    model = automaticOrchestrator(eligible);
    if (!model) {
      if (!models.length) return { error: 'no models are configured (add entries under "models")' };
      const why = models.map((m) => {
        const v = modelVerdict(m, config);
        return v.eligible ? '' : `${m.id}: ${v.reason}`;
      });
      return { error: `no model is eligible to orchestrate:\n${why.filter(Boolean).join('\n')}` };
    }
  }
  const dialect =
    config.orchestrator.dialect === 'auto'
      ? /orchestrator/i.test(model.model)
        ? 'toolorchestra'
        : 'general'
      : config.orchestrator.dialect;
  return { model, dialect };
}
