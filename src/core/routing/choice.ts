// The `model_choice` events: which model serves a call and why. Built here so every dialect and the
// harness say it the same way — a ranked pick with its reasons and runner-up, a model the
// orchestrator named, or a fallback after a model failed ("A down → B").
import type { EventOf } from '../protocol/events';

export type ModelChoiceBody = Omit<EventOf<'model_choice'>, 'taskId' | 'seq' | 'time' | 'type'> & { type: 'model_choice' };

export interface CallPlace {
  callId: string;
  turn: number;
  parentCallId?: string;
}

/** The pool moved on from `from` to `to` within one call. */
export function fallbackChoice(
  place: CallPlace,
  info: { modelId: string; nextModelId: string; error: string; unreachable?: boolean },
): ModelChoiceBody {
  return {
    type: 'model_choice',
    ...place,
    model: info.nextModelId,
    how: 'fallback',
    reasons: [`${info.modelId} ${info.unreachable ? 'is down' : 'failed'}: ${info.error}`],
    from: { model: info.modelId, reason: info.error, unreachable: info.unreachable === true },
  };
}
