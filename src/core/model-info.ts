// A pool member as hosts and the panel see it: what it is, where it runs, what it costs, and whether
// the current rules let it be called (with the rule's reason when not).
import type { OrchestraConfig } from './config';
import type { ModelInfo } from './engine-api';
import type { PoolModel } from './pool';
import type { ReplicaStatus } from './pool/replicas';
import { modelVerdict } from './preferences';
import { formatFromModelName } from './toolcalls';

export function modelInfo(m: PoolModel, config: OrchestraConfig, replicas: ReplicaStatus[] = []): ModelInfo {
  const v = modelVerdict(m, config);
  return {
    id: m.id,
    model: m.model,
    baseUrl: m.baseUrl,
    host: m.host,
    local: m.local,
    openWeights: m.openWeights,
    roles: [...m.roles],
    description: m.description,
    inputPricePerMillion: m.inputPricePerMillion,
    outputPricePerMillion: m.outputPricePerMillion,
    contextWindow: m.contextWindow,
    ...(m.pricing && m.pricing !== 'listed' ? { pricing: m.pricing } : {}),
    ...(m.hostModel
      ? {
          provider: {
            kind: 'vscode-lm' as const,
            vendor: m.hostModel.vendor,
            family: m.hostModel.family,
            version: m.hostModel.version,
            name: m.hostModel.name,
            maxOutputTokens: m.maxOutputTokens,
          },
        }
      : {}),
    latencyMs: m.latencyMs,
    eligible: v.eligible,
    ineligibleReason: v.eligible ? undefined : v.reason,
    ...(m.baseUrls || replicas.some((r) => r.state !== 'closed') ? { replicas } : {}),
    toolCallFormat: m.toolCallFormat,
    detectedToolCallFormat: m.toolCallFormat === 'auto' ? (formatFromModelName(m.model) ?? formatFromModelName(m.id)) : undefined,
  };
}
