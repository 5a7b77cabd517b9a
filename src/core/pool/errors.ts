// How a model call fails: the error every attempt ends in (with its kind, so retries, fallbacks and
// the user's message can tell a timeout from a refusal), and the reading of SDK and host errors into it.
import OpenAI from 'openai';
import { HostChatError } from './host-models';
import type { Usage } from '../protocol/events';
import type { ReplyText } from '../tokens/text';
import type { ChatAttempt, ModelCallErrorKind, PoolModel } from './types';

export class ModelCallError extends Error {
  constructor(
    message: string,
    readonly modelId: string,
    readonly kind: ModelCallErrorKind,
    readonly status: number | undefined,
    readonly attempts: ChatAttempt[],
    /** Seconds the server asked to wait (Retry-After), when it did. */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = 'ModelCallError';
  }
  /** Estimated usage of a stream that failed part-way (see ChatAttempt.usage). */
  usage?: Usage;
  /** UTF-8 bytes streamed before the failure (see ChatAttempt.outputBytes). */
  outputBytes?: number;
  /** What streamed before the failure (see ChatAttempt.reply). */
  reply?: ReplyText;
  /** Set when the model was not asked at all: every replica's circuit breaker is open. */
  down?: boolean;
}

/** Anything thrown by an attempt as a ModelCallError (a bug in parsing must not surface without a kind). */
export function toModelCallError(err: unknown, model: PoolModel): ModelCallError {
  if (err instanceof ModelCallError) return err;
  return new ModelCallError(
    `${model.id} sent a reply that could not be read: ${(err as Error)?.message ?? String(err)}`,
    model.id,
    'bad_response',
    undefined,
    [],
  );
}

/**
 * A host model's failure, classified: consent, quota and a vanished model are not retried (the same
 * request would fail the same way); other provider errors are, like a network error.
 */
export function hostCallError(err: unknown, model: PoolModel): ModelCallError {
  if (err instanceof ModelCallError) return err;
  const vendor = model.hostModel?.vendor ?? 'its provider';
  if (err instanceof HostChatError) {
    switch (err.kind) {
      case 'no_permissions':
        return new ModelCallError(
          `${model.id}: Orchestra may not use this ${vendor} model yet (${err.message}). Allow it when VS Code asks, or in the Chat view's language model access settings, then ask again.`,
          model.id,
          'http',
          undefined,
          [],
        );
      case 'blocked':
        return new ModelCallError(
          `${model.id}: ${vendor} refused the request, usually because a quota or rate limit is reached (${err.message}). Try again later or use another model.`,
          model.id,
          'http',
          undefined,
          [],
        );
      case 'not_found':
        return new ModelCallError(`${model.id}: the model is no longer available (${err.message})`, model.id, 'http', 404, []);
      case 'cancelled':
        return new ModelCallError(`call to ${model.id} cancelled`, model.id, 'cancelled', undefined, []);
      default:
        return new ModelCallError(`${model.id}: ${vendor} reported an error: ${err.message}`, model.id, 'network', undefined, []);
    }
  }
  return new ModelCallError(`${model.id}: ${(err as Error)?.message ?? String(err)}`, model.id, 'network', undefined, []);
}

export function isRetryable(e: ModelCallError): boolean {
  if (e.kind === 'cancelled' || e.kind === 'over_budget') return false;
  if (e.kind === 'http') return e.status === 408 || e.status === 429 || (e.status !== undefined && e.status >= 500);
  return true; // timeout, network, bad_response
}

export function retryAfterSeconds(headers: Headers | undefined): number | undefined {
  if (!headers || typeof headers.get !== 'function') return undefined;
  const ms = headers.get('retry-after-ms');
  if (ms && Number.isFinite(Number(ms))) return Number(ms) / 1000;
  const v = headers.get('retry-after');
  if (!v) return undefined;
  if (/^\d+(\.\d+)?$/.test(v.trim())) return Number(v);
  const date = Date.parse(v);
  return Number.isNaN(date) ? undefined : Math.max(0, (date - Date.now()) / 1000);
}

/** Which of an attempt's timers fired, if one did. */
export interface TimerState {
  timedOut: false | 'first' | 'idle' | 'total';
}

/** Why an attempt failed, as a ModelCallError: cancelled, timed out (and which timer), an HTTP or in-stream error, a malformed reply, or the network. */
export function classifyCallError(
  err: unknown,
  model: PoolModel,
  key: string | undefined,
  timer: TimerState,
  signal: AbortSignal | undefined,
  timeoutMs: number,
  firstByteMs: number,
): ModelCallError {
  const scrub = (s: string) => (key && key.length >= 4 ? s.split(key).join('***') : s);
  if (err instanceof ModelCallError) return err;
  if (signal?.aborted) return new ModelCallError(`call to ${model.id} cancelled`, model.id, 'cancelled', undefined, []);
  if (timer.timedOut) {
    const what =
      timer.timedOut === 'first'
        ? `no first token within ${Math.round(firstByteMs / 100) / 10} s`
        : timer.timedOut === 'idle'
          ? `the stream stalled for ${Math.round(timeoutMs / 100) / 10} s`
          : `no reply within ${Math.round((firstByteMs + timeoutMs) / 100) / 10} s`;
    return new ModelCallError(`${model.id} timed out: ${what}`, model.id, 'timeout', undefined, []);
  }
  if (err instanceof OpenAI.APIError && err.status === undefined && err.error && typeof err.error === 'object') {
    // An error event inside a stream that had begun (the SDK gives it no status): the server's
    // own words; a request error is as final as an HTTP 400, anything else may pass on retry.
    const e = err.error as { message?: unknown; type?: unknown; code?: unknown };
    const said = scrub(typeof e.message === 'string' ? e.message : err.message);
    const code = typeof e.code === 'string' ? ` (${e.code})` : '';
    if (e.type === 'invalid_request_error')
      return new ModelCallError(`${model.id}: HTTP 400 in the stream: ${said}${code}`, model.id, 'http', 400, []);
    return new ModelCallError(`${model.id} reported an error in the stream: ${said}${code}`, model.id, 'bad_response', undefined, []);
  }
  if (err instanceof OpenAI.APIError && typeof err.status === 'number') {
    const retryAfter = retryAfterSeconds(err.headers as Headers | undefined);
    let detail = scrub(err.message);
    if (err.status === 401 && !key)
      detail += model.apiKeyEnv ? ` (no API key: set ${model.apiKeyEnv})` : ' (no API key configured for this model)';
    return new ModelCallError(`${model.id}: HTTP ${detail}`, model.id, 'http', err.status, [], retryAfter);
  }
  const cause = err instanceof Error ? (err.cause instanceof Error ? `${err.message}: ${err.cause.message}` : err.message) : String(err);
  if (err instanceof SyntaxError || /JSON|Unexpected end|could not parse/i.test(cause)) {
    return new ModelCallError(`${model.id} sent a malformed reply: ${scrub(cause)}`, model.id, 'bad_response', undefined, []);
  }
  return new ModelCallError(
    `${model.id} could not be reached or dropped the connection: ${scrub(cause)}`,
    model.id,
    'network',
    undefined,
    [],
  );
}
