// The model pool: OpenAI-compatible endpoints behind one call with streaming, retries, fallback and live latency.
export { ModelPool, ModelCallError } from './pool';
export type {
  PoolModel,
  ChatRequest,
  ChatResult,
  ChatAttempt,
  ChatOptions,
  ChatDelta,
  PoolOptions,
  ModelCallErrorKind,
  AttemptDecision,
} from './pool';
export {
  estimateTokens,
  estimateMessagesTokens,
  dollarsFor,
  worstCasePrices,
  toolsJsonSize,
  type PricedModel,
  type PricedUsage,
} from './estimate';
export { isLocalHost, hostOf } from './locality';
export { HostChatError, hostChunks, priceLabel, setAsideHostOrchestrator } from './host-models';
export type { HostChat, HostChatDelta, HostChatErrorKind, HostChatRequest, HostChatResult, HostModelEntry, Pricing } from './host-models';
