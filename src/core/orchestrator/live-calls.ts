// Cards for the calls of a turn while the model is still writing them: a card appears (state
// `writing`) as soon as a call's name is known, its arguments stream into it, and when the turn is
// read the finished calls take over their cards. A card whose call never came whole ends as an error.
import type { ChatDelta } from '../pool';
import type { ParsedToolCall } from '../toolcalls';
import { newId } from '../ids';
import type { Scope } from './runtime';

/**
 * Secrets are scrubbed event by event, so a key must never be split across two deltas: argument text
 * goes out up to the last character that cannot be inside a key, and the token still arriving waits.
 */
const TOKEN_END = /[\s"'`,:;=(){}[\]<>]/;
/** A run without any such character longer than this is no key: it goes out rather than wait for the call's end. */
const MAX_HELD = 4096;

function shownUpTo(text: string): number {
  if (text.length > MAX_HELD) return text.length;
  for (let i = text.length - 1; i >= 0; i--) if (TOKEN_END.test(text[i])) return i + 1;
  return 0;
}

interface Card {
  callId: string;
  name: string;
  /** Characters of the arguments received so far. */
  received: number;
  /** Received but not shown yet: the end of a token that may still grow. */
  held: string;
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
      card = { callId: newId('call'), name: d.name, received: 0, held: '', started: Date.now(), taken: false };
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
    const pending = card.held + added;
    const cut = shownUpTo(pending);
    card.held = pending.slice(cut);
    if (cut > 0) this.scope.tree.emit({ type: 'tool_call_delta', callId: card.callId, text: pending.slice(0, cut) });
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
