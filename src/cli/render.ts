// The CLI's readable live view of the engine's event stream (also used by `replay`): each tool call
// with its state, model, cost and latency, nested under its delegate/subtask; then the answer and
// the totals, including which hosts (if any) received data.
import type { EngineEvent, EventOf, Totals } from '../core/protocol/events';
import { fmtDollars } from '../core/budget';
import { costSummary, unpricedLabel } from '../core/protocol/cost-text';
import { sanitizeDeep } from './terminal';

export interface RenderStyle {
  color: boolean;
  /** Print why each model was chosen (`ask --explain`); fallbacks are printed either way. */
  explain?: boolean;
}

const codes = { dim: [2, 22], bold: [1, 22], red: [31, 39], green: [32, 39], yellow: [33, 39], cyan: [36, 39] } as const;

export class LiveView {
  private readonly depth = new Map<string, number>();
  private midLine = false;
  private answer = '';

  constructor(
    private readonly write: (text: string) => void,
    private readonly style: RenderStyle,
  ) {}

  private c(kind: keyof typeof codes, text: string): string {
    if (!this.style.color) return text;
    const [on, off] = codes[kind];
    return `\x1b[${on}m${text}\x1b[${off}m`;
  }

  private line(indent: number, text: string): void {
    if (this.midLine) this.write('\n');
    this.midLine = false;
    this.write(`${'  '.repeat(indent)}${text}\n`);
  }

  private indentOf(parentCallId: string | undefined): number {
    return parentCallId ? (this.depth.get(parentCallId) ?? 0) + 1 : 0;
  }

  handle(event: EngineEvent): void {
    const e = sanitizeDeep(event);
    switch (e.type) {
      case 'task_started': {
        const indent = this.indentOf(e.parentCallId);
        if (e.parentCallId)
          this.line(indent, this.c('dim', `subtask led by ${e.orchestratorModel} · budget $${fmtDollars(e.budgetDollars)}`));
        else
          this.line(
            0,
            this.c('bold', 'Orchestra') +
              this.c(
                'dim',
                ` · ${e.dialect} dialect · orchestrator ${e.orchestratorModel || '(none)'} · privacy ${e.privacyMode} · budget $${fmtDollars(e.budgetDollars)}`,
              ),
          );
        break;
      }
      case 'turn_started':
        this.line(this.indentOf(e.parentCallId), this.c('dim', `── turn ${e.turn}`));
        break;
      case 'orchestrator_delta': {
        const text = e.text.replace(/\s+/g, ' ');
        if (!text.trim()) break;
        if (!this.midLine) this.write('  '.repeat(this.indentOf(e.parentCallId)) + this.c('dim', '· '));
        this.write(this.c('dim', text));
        this.midLine = true;
        break;
      }
      case 'tool_call_started': {
        // A call still being written is shown once it runs (or ends).
        if (e.state === 'writing') break;
        const indent = this.indentOf(e.parentCallId);
        this.depth.set(e.callId, indent);
        const model = e.model ? this.c('cyan', ` ${e.model}`) : '';
        this.line(
          indent,
          `${e.state === 'queued' ? this.c('yellow', '… queued') : '→'} ${e.tool}${model} ${this.c('dim', summarizeArgs(e.args))}`,
        );
        break;
      }
      case 'tool_call_finished': {
        const indent = this.depth.get(e.callId) ?? 0;
        const mark =
          e.state === 'ok'
            ? this.c('green', '✓')
            : e.state === 'denied' || e.state === 'over_budget'
              ? this.c('yellow', '⊘')
              : e.state === 'cancelled'
                ? '■'
                : this.c('red', '✗');
        const model = e.model ? ` ${e.model}` : '';
        const detail = (e.state === 'ok' ? e.preview : (e.error ?? e.preview)).split('\n').find((l) => l.trim()) ?? '';
        this.line(
          indent,
          `${mark} ${e.tool}${model} · ${e.state} · ${e.pricing ? (e.dollars > 0 ? `$${fmtDollars(e.dollars)} + ` : '') + unpricedLabel(e.pricing) : `$${fmtDollars(e.dollars)}`} · ${(e.latencyMs / 1000).toFixed(1)} s${detail ? this.c('dim', ` — ${clip(detail, 120)}`) : ''}`,
        );
        break;
      }
      case 'model_choice': {
        const line = choiceLine(e, !!this.style.explain);
        if (line)
          this.line(this.depth.get(e.callId) ?? this.indentOf(e.parentCallId), this.c(e.how === 'fallback' ? 'yellow' : 'dim', line));
        break;
      }
      case 'approval_requested':
        this.line(0, this.c('yellow', `? approval needed: ${e.title}`));
        break;
      case 'approval_resolved':
        this.line(0, this.c('dim', e.approved ? '  approved' : '  denied'));
        break;
      case 'answer_delta':
        // A reset replaces what streamed before it (it was not the answer after all).
        this.answer = e.reset ? e.text : this.answer + e.text;
        break;
      case 'done':
        this.line(0, '');
        this.line(0, this.c('bold', 'Answer'));
        this.write(`${e.answer || this.answer}\n`);
        this.line(0, '');
        this.line(0, this.c('dim', totalsLine(e.totals)));
        if (e.trajectoryPath) this.line(0, this.c('dim', `trajectory: ${e.trajectoryPath}`));
        break;
      case 'error':
        this.line(0, '');
        // Stopped by the user is not a failure: said plainly, with what was spent so far.
        this.line(0, e.code === 'cancelled' ? `■ stopped: ${e.message}` : this.c('red', `✗ ${e.code}: ${e.message}`));
        this.line(0, this.c('dim', totalsLine(e.totals)));
        break;
      case 'tool_call_delta':
      case 'cost_update':
        break;
    }
  }
}

/** A `model_choice` event as one line: a fallback always, the reasons of a pick only when explaining. */
export function choiceLine(e: EventOf<'model_choice'>, explain: boolean): string | undefined {
  if (e.how === 'fallback' && e.from)
    return `↪ ${e.from.model} ${e.from.unreachable ? 'down' : 'failed'} → ${e.model}: ${clip(e.from.reason, 160)}`;
  if (!explain) return undefined;
  const lead = e.how === 'named' ? `${e.model}: named by the orchestrator` : `why ${e.model}${e.role ? ` for ${e.role}` : ''}`;
  const score = e.score !== undefined ? ` (score ${e.score.toFixed(2)})` : '';
  const runnerUp = e.runnerUp ? ` — runner-up ${e.runnerUp.model} (${e.runnerUp.score.toFixed(2)}): ${e.runnerUp.reasons.join(', ')}` : '';
  return `  ${lead}${score}: ${e.reasons.join(' · ')}${runnerUp}`;
}

export function totalsLine(t: Totals): string {
  const where = t.remoteHosts.length ? `data sent to ${t.remoteHosts.join(', ')}` : 'nothing left this machine';
  const cost = t.unpriced?.length ? costSummary({ ...t, estimated: false }, (d) => `$${fmtDollars(d)}`) : `$${fmtDollars(t.dollars)}`;
  return `${cost}${t.estimated ? ' (partly estimated)' : ''} · ${t.inputTokens} in / ${t.outputTokens} out tokens · ${t.calls} calls · ${(t.wallMs / 1000).toFixed(1)} s · models: ${t.models.join(', ') || 'none'} · ${where}`;
}

function clip(s: string, n: number): string {
  return s.length > n ? `${s.slice(0, n - 1)}…` : s;
}

function summarizeArgs(args: unknown): string {
  if (args === undefined) return '';
  let text: string;
  try {
    text = JSON.stringify(args);
  } catch {
    text = '(arguments that are not JSON)';
  }
  return clip(text, 100);
}
