// What a tool call gives back to the orchestrator: the `Observation` (state, output, cost) and the
// text the orchestrator reads for it.
import type { CallState, UnpricedKind, Usage } from '../protocol/events';
import { unpricedLabel } from '../protocol/cost-text';
import { fmtDollars } from '../budget';

/** What one tool result may put into the orchestrator's context. */
const OBSERVATION_CAP = 24_000;

export interface Observation {
  callId: string;
  /** The id the model gave the call (native tool_call id). */
  modelCallId: string;
  tool: string;
  state: CallState;
  output: string;
  error?: string;
  data?: unknown;
  model?: string;
  usage?: Usage;
  dollars: number;
  /** Set when the call ran on a model whose price is a subscription or unknown (`dollars` leaves it out). */
  pricing?: UnpricedKind;
  latencyMs: number;
  args?: unknown;
  /** False when the call was refused before the tool ran (unknown, invalid, denied, unapproved). */
  ran: boolean;
}

/** What the orchestrator reads for one call: the state line first, then the output. */
export function observationText(o: Observation): string {
  const head = [`state: ${o.state}`];
  if (o.model) head.push(`model: ${o.model}`);
  const cost = o.pricing
    ? `${o.dollars > 0 ? `$${fmtDollars(o.dollars)} + ` : ''}${unpricedLabel(o.pricing)}`
    : `$${fmtDollars(o.dollars)}`;
  head.push(`cost: ${cost}`, `latency: ${(o.latencyMs / 1000).toFixed(1)} s`);
  let body = o.output;
  if (o.error) body = body ? `${o.error}\n${body}` : o.error;
  if (body.length > OBSERVATION_CAP)
    body = `${body.slice(0, OBSERVATION_CAP)}\n[cut: ${body.length - OBSERVATION_CAP} more characters not shown]`;
  return `[${head.join(' | ')}]\n${body}`;
}
