// Cards for the calls of a turn while the model is still writing them: a card appears (state
// `writing`) as soon as a call's name is known, its arguments stream into it, and when the turn is
// read the finished calls take over their cards. A card whose call never came whole ends as an error.
import type { ChatDelta } from '../pool';
import type { ParsedToolCall } from '../toolcalls';
import { newId } from '../ids';
import type { Scope } from './runtime';
import { WholeTokens } from './whole-tokens';

interface Card {
  callId: string;
  name: string;
  /** Characters of the arguments received so far. */
  received: number;
  /** Its arguments as they stream, in whole tokens (secrets are scrubbed event by event). */
  shown: WholeTokens;
  started: number;
  taken: boolean;
}

export class LiveCalls {
  private readonly cards = new Map<string, Card>();

  constructor(
    private readonly scope: Scope,
    private readonly turn: number,
  ) {}

  /** A call's piece as the pool streams it (native or written in the text). */
  update(d: NonNullable<ChatDelta['toolCall']>): void {
    const key = `${d.origin}:${d.index}`;
    let card = this.cards.get(key);
    if (!card) {
      if (!d.name) return;
      const tree = this.scope.tree;
      const callId = newId('call');
      card = {
        callId,
        name: d.name,
        received: 0,
        shown: new WholeTokens((text) => tree.emit({ type: 'tool_call_delta', callId, text })),
        started: Date.now(),
        taken: false,
      };
      this.cards.set(key, card);
      tree.ledger.link(card.callId, this.scope.parentCallId);
      tree.emit({
        type: 'tool_call_started',
        callId: card.callId,
        turn: this.turn,
        tool: d.name,
        args: {},
        state: 'writing',
        parentCallId: this.scope.parentCallId,
      });
    }
    // The piece itself when the pool says what it added (slicing the whole text each time would be quadratic).
    const added = d.delta ?? (d.arguments.length > card.received ? d.arguments.slice(card.received) : '');
    if (!added) return;
    card.received += added.length;
    card.shown.push(added);
  }

  /**
   * The card ids the turn's calls keep (matched by stream position and name). Cards no call took are
   * ended: `reason` says why (the reply was read differently, or the turn failed).
   */
  settle(calls: ParsedToolCall[], reason = 'not run: the reply ended without this call in a readable form'): Map<ParsedToolCall, string> {
    const ids = new Map<ParsedToolCall, string>();
    for (const c of calls) {
      const key = `${c.source === 'native' ? 'native' : 'text'}:${c.streamIndex ?? -1}`;
      const card = this.cards.get(key);
      if (card && !card.taken && (card.name === c.name || !c.name)) {
        card.taken = true;
        ids.set(c, card.callId);
      }
    }
    for (const card of this.cards.values()) if (!card.taken) this.end(card, reason);
    this.cards.clear();
    return ids;
  }

  private end(card: Card, error: string): void {
    card.shown.flush();
    const tree = this.scope.tree;
    const now = Date.now();
    tree.ledger.record({
      callId: card.callId,
      parentCallId: this.scope.parentCallId,
      tool: card.name,
      turn: this.turn,
      state: 'error',
      parts: [],
      dollars: 0,
      latencyMs: now - card.started,
      remoteHosts: [],
      startedAt: card.started,
      finishedAt: now,
      error,
    });
    tree.emit({
      type: 'tool_call_finished',
      callId: card.callId,
      tool: card.name,
      state: 'error',
      preview: error,
      result: error,
      error,
      dollars: 0,
      latencyMs: now - card.started,
    });
  }
}
