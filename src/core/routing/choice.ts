// The `model_choice` events: which model serves a call and why. Built here so every dialect and the
// harness say it the same way — a ranked pick with its reasons and runner-up, a model the
// orchestrator named, or a fallback after a model failed ("A down → B").
import type { EventOf, ModelScore } from '../protocol/events';
import { reasonsOf, type Scored, type ScoredInput } from './score';

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

/** What a choice says, before it is placed on a call. */
export type ChoiceFields = Pick<ModelChoiceBody, 'model' | 'role' | 'how' | 'score' | 'reasons' | 'runnerUp'>;

const round = (x: number) => Math.round(x * 1000) / 1000;

function scoreOf(s: Scored<ScoredInput>): ModelScore {
  return { model: s.model.id, score: round(s.score), reasons: reasonsOf(s) };
}

/** The best-scored candidate was picked: its reasons, and the next one as the runner-up. */
export function rankedChoice(ranked: ReadonlyArray<Scored<ScoredInput>>, pick: Scored<ScoredInput>, role?: string): ChoiceFields {
  const runner = ranked.find((s) => s !== pick);
  return {
    model: pick.model.id,
    role,
    how: 'ranked',
    score: round(pick.score),
    reasons: reasonsOf(pick),
    ...(runner ? { runnerUp: scoreOf(runner) } : {}),
  };
}

/**
 * The orchestrator named the model: its own score among the role's candidates (when it is one), and
 * the best other candidate as the runner-up, so a user sees when the scoring would have chosen otherwise.
 */
export function namedChoice(ranked: ReadonlyArray<Scored<ScoredInput>>, modelId: string, role?: string): ChoiceFields {
  const own = ranked.find((s) => s.model.id === modelId);
  const best = ranked.find((s) => s.model.id !== modelId);
  const rank = own ? ranked.indexOf(own) + 1 : undefined;
  return {
    model: modelId,
    role,
    how: 'named',
    ...(own ? { score: round(own.score) } : {}),
    reasons: [
      ...(rank ? [`ranked #${rank} of ${ranked.length}${role ? ` for ${role}` : ''} by the scoring`] : []),
      ...(own ? reasonsOf(own) : []),
    ],
    ...(best ? { runnerUp: scoreOf(best) } : {}),
  };
}
