// Turns whose tool calls could not be used (cut, unreadable, unknown tools, arguments that fail the
// schema) are fed back so the orchestrator can correct itself; only after several in a row does
// another eligible model take over, and it says so. When none is left the task ends, naming why.
import type { PoolModel } from '../pool';
import { rankModels } from '../preferences';
import { TaskFailure, type Observation, type Scope } from './runtime';

/** Consecutive unusable turns after which another model leads. */
export const MAX_BAD_TURNS = 3;
/** With no other model to take over, the same one gets this many before the task ends. */
export const MAX_BAD_TURNS_ALONE = 2 * MAX_BAD_TURNS;

/** A turn is bad when the model tried to call tools and none of its calls could even start. */
export function isBadTurn(observations: Observation[], turnErrors: string[]): boolean {
  if (!observations.length) return turnErrors.length > 0;
  return observations.every((ob) => !ob.ran && ob.state === 'error');
}

export class BadTurns {
  private count = 0;
  private readonly reasons: string[] = [];
  private readonly tried = new Set<string>();

  constructor(
    private readonly scope: Scope,
    first: PoolModel,
  ) {
    this.tried.add(first.id);
  }

  /** Records a turn; returns the model that leads the next one (a fallback after too many bad turns). */
  record(current: PoolModel, bad: boolean, why: string[]): PoolModel {
    if (!bad) {
      this.count = 0;
      this.reasons.length = 0;
      return current;
    }
    this.count++;
    this.reasons.push(...why);
    if (this.count < MAX_BAD_TURNS) return current;
    const next = this.fallback(current);
    const summary = [...new Set(this.reasons)].slice(-3).join('; ');
    if (!next) {
      // Each error went back to the model, which may still correct itself; past a point it cannot.
      if (this.count < MAX_BAD_TURNS_ALONE) return current;
      throw new TaskFailure(
        'model_failed',
        `the orchestrator (${current.id}) wrote ${this.count} turns in a row whose tool calls could not be used, and no other eligible model can take over: ${summary}`,
      );
    }
    const tree = this.scope.tree;
    const note = `${current.id} wrote ${this.count} turns in a row whose tool calls could not be used (${summary}); ${next.id} takes over.`;
    tree.host.log?.('warn', note);
    tree.emit({ type: 'orchestrator_delta', turn: this.scope.turnsUsed, text: `\n[${note}]\n`, parentCallId: this.scope.parentCallId });
    this.tried.add(next.id);
    this.count = 0;
    this.reasons.length = 0;
    return next;
  }

  /** The best eligible model not tried yet that can lead: orchestrators first, then general models. */
  private fallback(current: PoolModel): PoolModel | undefined {
    const tree = this.scope.tree;
    const leads = (m: PoolModel) => m.roles.some((r) => r === 'orchestrator' || r === 'general' || current.roles.includes(r));
    const candidates = tree.pool.all().filter((m) => !this.tried.has(m.id) && leads(m) && tree.modelVerdict(m).eligible);
    const ranked = rankModels(candidates, this.scope.config);
    return ranked.find((m) => m.roles.includes('orchestrator')) ?? ranked[0];
  }
}
