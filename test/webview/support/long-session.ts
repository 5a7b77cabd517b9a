// A long session for the virtual-list test and the scroll bench: one task with thousands of finished
// tool calls of several kinds (some failed, model calls with Markdown), and one call still streaming.
import type { EngineEvent } from '../../../src/core/protocol/events';
import type { EventScript } from './events';

/** One task of `cards` finished calls (`perTurn` per turn, of four kinds), and one call still streaming in turn 1. */
export function longSession(s: EventScript, cards: number, perTurn = 4): EngineEvent[] {
  const out: EngineEvent[] = [
    s.ev('task_started', {
      question: 'Survey the repository',
      dialect: 'general',
      orchestratorModel: 'orch',
      privacyMode: 'any',
      budgetDollars: 50,
    }),
    s.ev('tool_call_started', {
      callId: 'live',
      turn: 1,
      tool: 'run_code',
      args: { language: 'shell', code: 'tail -f build.log' },
      state: 'running',
    }),
  ];
  const tools = ['search_workspace', 'read_file', 'call_model', 'run_code'];
  for (let n = 0; n < cards; n++) {
    const turn = Math.floor(n / perTurn) + 1;
    const tool = tools[n % tools.length];
    const callId = `c${n}`;
    out.push(
      s.ev(
        'tool_call_started',
        {
          callId,
          turn,
          tool,
          args: { path: `src/m${n % 97}/f${n}.ts`, query: `symbol${n}` },
          state: 'running',
          ...(tool === 'call_model' ? { model: 'coder-7b' } : {}),
        },
        1,
      ),
      s.ev(
        'tool_call_finished',
        {
          callId,
          tool,
          state: n % 53 === 7 ? 'error' : 'ok',
          ...(n % 53 === 7 ? { error: 'exit code 1' } : {}),
          preview: `result ${n}`,
          result: `result ${n}\n`.repeat(20),
          usage: { inputTokens: 100 + n, outputTokens: 20, estimated: false },
          dollars: 0.0001,
          latencyMs: 10 + (n % 40),
          ...(tool === 'call_model' ? { model: 'coder-7b', display: { kind: 'markdown' as const, text: `Answer **${n}**` } } : {}),
        },
        1,
      ),
    );
  }
  return out;
}
