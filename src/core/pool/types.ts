// The pool's vocabulary: a pool member, a chat request and its result, the options of one call and
// of the pool. Shared by pool.ts and the modules beside it; importers use the pool's index.
import type OpenAI from 'openai';
import type { ModelEntry } from '../config';
import type { Usage } from '../protocol/events';
import type { ParsedToolCall } from '../toolcalls';
import type { ReplyText } from '../tokens/text';
import type { ChatDelta } from './reply';
import type { RouterOptions } from './replicas';
import type { HostChat, Pricing } from './host-models';

export interface PoolModel extends ModelEntry {
  host: string;
  /** From the config's `local` override, else derived from the host. */
  local: boolean;
  /** Where `local` comes from: the model's `local` setting, or its host. */
  localSource: 'setting' | 'host';
  /** Exponential moving average of successful call latency (request to last token); undefined until measured. */
  latencyMs?: number;
  latencySamples: number;
  /** Consecutive failed calls (retries exhausted); reset by a success. */
  failures: number;
  /** Set for a model the host serves (VS Code's Language Model API): the pool asks the host, not an endpoint. */
  hostModel?: { vendor: string; family: string; version: string; name: string; hostModelId: string; toolCalling: boolean };
  /** How its price is known; undefined means the configured per-token prices (`listed`). */
  pricing?: Pricing;
}

export interface ChatRequest {
  messages: OpenAI.Chat.ChatCompletionMessageParam[];
  tools?: OpenAI.Chat.ChatCompletionTool[];
  toolChoice?: 'auto' | 'required' | 'none' | { name: string };
  /** Default: the model's `maxOutputTokens`. */
  maxTokens?: number;
  temperature?: number;
  stop?: string[];
}

export interface ChatAttempt {
  modelId: string;
  error: string;
  status?: number;
  /** How it failed. */
  kind?: ModelCallErrorKind;
  /**
   * Estimated tokens of a request that failed after the server had started answering (a cut or
   * stalled stream): remote APIs bill those, so the ledger can count them. Absent when nothing came back.
   */
  usage?: Usage;
  /** UTF-8 bytes the model streamed before the failure (a hard bound on its output tokens). */
  outputBytes?: number;
  /** What the model streamed before the failure, for counting its tokens. */
  reply?: ReplyText;
  /** How long the attempt ran. */
  latencyMs?: number;
}

export interface ChatResult {
  /** The model that produced this result (differs from the one asked for after a fallback). */
  modelId: string;
  /** The reply text without call markup, reasoning or special tokens. */
  content: string;
  /** The reply text exactly as the model sent it. */
  rawContent: string;
  reasoning: string;
  toolCalls: ParsedToolCall[];
  /**
   * What in the reply could not be used that is no single call's (markup with no readable call, calls
   * in another format than the model's `toolCallFormat`); meant to be shown to the orchestrator.
   * A call's own problem (cut, unreadable) is on the call.
   */
  toolCallErrors: string[];
  finishReason: string;
  usage: Usage;
  /** UTF-8 bytes of everything the model produced (text, reasoning, tool calls): a hard bound on its output tokens. */
  outputBytes: number;
  /** Everything the model produced, as sent, for counting its tokens when the server reported no usage. */
  reply: ReplyText;
  latencyMs: number;
  firstTokenMs?: number;
  /** Every failed attempt before this result, across retries and fallbacks. */
  attempts: ChatAttempt[];
  /** Set when the model asked for failed and this result comes from a fallback model. */
  fellBackFrom?: string;
}

/** What `ChatOptions.beforeAttempt` answers: send (with this max tokens) or do not send, and why. */
export type AttemptDecision = { maxTokens?: number } | { refused: string };

export interface ChatOptions {
  signal?: AbortSignal;
  onDelta?: (d: ChatDelta) => void;
  /** Eligible same-role fallbacks; none when omitted. */
  fallback?: (m: PoolModel) => boolean;
  /** Told before each retry or fallback, so a UI can discard the partial text it showed. */
  onRetry?: (info: {
    modelId: string;
    error: string;
    status?: number;
    nextModelId: string;
    delayMs: number;
    /** The model could not be reached at all (unreachable, or every replica's breaker open). */
    unreachable?: boolean;
  }) => void;
  /**
   * Asked right before every attempt after the first one (a retry of the same model, or a fallback
   * model), so the caller can pay for it (reserve its worst case) and set its max tokens. A refusal
   * means the attempt is not sent: a refused retry moves on to the fallbacks, a refused fallback is
   * skipped; when nothing else is left the call fails with kind `over_budget`.
   */
  beforeAttempt?: (info: { model: PoolModel; retry: boolean }) => AttemptDecision | Promise<AttemptDecision>;
  /**
   * Told of every failed attempt as it happens (not cancellations), with what a cut stream consumed;
   * the next attempt waits until it has settled.
   */
  onAttemptFailed?: (attempt: ChatAttempt) => void | Promise<void>;
}

export interface PoolOptions {
  /** First retry delay; doubles each retry, with jitter. Default 500 ms. */
  backoffBaseMs?: number;
  /** Longest wait between retries, Retry-After included. Default 30 s. */
  maxBackoffMs?: number;
  /**
   * Extra first-token allowance per prompt token, for prefill on slow local hardware
   * (default 5 ms/token ≈ 200 tokens/s). Added to the configured timeout before the first chunk only.
   */
  prefillMsPerToken?: number;
  /** Weight of the newest sample in the latency moving average. Default 0.3. */
  latencyAlpha?: number;
  /** Circuit breakers of the models' addresses (replicas.ts). */
  replicas?: RouterOptions;
  /** How long a health check of an address may take. Default 3 s. */
  healthCheckTimeoutMs?: number;
  /** Runs calls on host models (see `ModelPool.setHostModels`); without it they fail with a clear error. */
  hostChat?: HostChat;
}

/** `over_budget`: a retry or fallback was not sent because the caller's budget could not cover it. */
export type ModelCallErrorKind = 'timeout' | 'network' | 'http' | 'cancelled' | 'bad_response' | 'over_budget';
