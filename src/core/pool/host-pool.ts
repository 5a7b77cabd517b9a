// The editor's own models (VS Code's Language Model API) in the pool: each as a pool member, and a
// call on one as the chunk stream an endpoint would send, its failures read into ModelCallErrors.
import type OpenAI from 'openai';
import { ModelCallError, hostCallError } from './errors';
import { hostChunks, type HostChat, type HostModelEntry } from './host-models';
import type { ChatRequest, PoolModel } from './types';

/** The pool member for a host model; what was measured of it (`old`, the same model before) is kept. */
export function hostPoolModel(e: HostModelEntry, old: PoolModel | undefined): PoolModel {
  const same = old?.hostModel?.hostModelId === e.hostModelId && old.hostModel.vendor === e.vendor;
  return {
    id: e.id,
    baseUrl: `vscode-lm://${encodeURIComponent(e.vendor)}/${encodeURIComponent(e.hostModelId)}`,
    model: e.hostModelId,
    host: `vscode-lm/${e.vendor}`,
    local: e.local,
    // The host says whether the model is local; there is no address of ours to judge by.
    localSource: 'setting',
    openWeights: e.openWeights,
    roles: [...e.roles],
    description: e.description || `${e.name} (${e.vendor}, ${e.family}) through VS Code's Language Model API`,
    inputPricePerMillion: e.inputPricePerMillion,
    outputPricePerMillion: e.outputPricePerMillion,
    contextWindow: e.contextWindow,
    maxOutputTokens: e.maxOutputTokens,
    // The Language Model API hands tool calls over as structured parts; text is read as any model's.
    toolCallFormat: 'auto',
    hostModel: {
      vendor: e.vendor,
      family: e.family,
      version: e.version,
      name: e.name,
      hostModelId: e.hostModelId,
      toolCalling: e.toolCalling,
    },
    pricing: e.pricing,
    latencyMs: same ? old.latencyMs : undefined,
    latencySamples: same ? old.latencySamples : 0,
    failures: same ? old.failures : 0,
  };
}

/** A host model's reply as a chunk stream; its failures become ModelCallErrors that say what to do. */
export async function* hostStream(
  hostChat: HostChat | undefined,
  model: PoolModel,
  req: ChatRequest,
  params: { max_tokens?: number | null; max_completion_tokens?: number | null },
  signal: AbortSignal,
): AsyncGenerator<OpenAI.Chat.ChatCompletionChunk> {
  const host = model.hostModel!;
  if (!hostChat) throw new ModelCallError(`${model.id}: this engine's host serves no language models`, model.id, 'http', undefined, []);
  try {
    yield* hostChunks(
      hostChat,
      {
        modelId: model.id,
        vendor: host.vendor,
        hostModelId: host.hostModelId,
        messages: req.messages,
        // A model without tool calling gets the tools described in text by the orchestrator's prompt, not natively.
        tools: host.toolCalling ? req.tools : undefined,
        toolChoice: host.toolCalling ? req.toolChoice : undefined,
        maxTokens: params.max_tokens ?? params.max_completion_tokens ?? model.maxOutputTokens,
        temperature: req.temperature,
      },
      signal,
    );
  } catch (err) {
    // A timeout or cancellation aborted the call: callOnce tells which, as for an endpoint.
    if (signal.aborted) throw new Error('the host call was aborted', { cause: err });
    throw hostCallError(err, model);
  }
}
