// Builds engine event streams for the panel tests. Every event goes through the engine's own zod
// schema, so a fixture that drifts from the protocol fails here, not silently in the browser.
import { EngineEvent, type EngineEventType, type EventOf } from '../../../src/core/protocol/events';

type Fields<T extends EngineEventType> = Omit<EventOf<T>, 'type' | 'taskId' | 'seq' | 'time'> & { taskId?: string };

export class EventScript {
  private seq = 0;
  private clock: number;

  constructor(
    readonly taskId: string,
    start = Date.now(),
  ) {
    this.clock = start;
  }

  ev<T extends EngineEventType>(type: T, fields: Fields<T>, advanceMs = 120): EventOf<T> {
    this.clock += advanceMs;
    const { taskId, ...rest } = fields as Fields<T> & { taskId?: string };
    return EngineEvent.parse({ ...rest, type, taskId: taskId ?? this.taskId, seq: this.seq++, time: this.clock }) as EventOf<T>;
  }
}

export const msg = (event: EngineEvent) => ({ type: 'event' as const, event });

export interface MainScenario {
  start: EngineEvent[];
  progress: EngineEvent[];
  approvalTurn: EngineEvent[];
  approvalDone: EngineEvent[];
  delegateTurn: EngineEvent[];
  answer: EngineEvent[];
  code: string;
  totals: EventOf<'done'>['totals'];
}

/** One task: two parallel calls, an approved run_code, a delegate with two subtasks, a Markdown answer. */
export function mainScenario(taskId = 't1', start = Date.now() - 30_000): MainScenario {
  const s = new EventScript(taskId, start);
  const startEvents = [
    s.ev('task_started', {
      question: 'Why does parseConfig drop my second model entry?',
      dialect: 'general',
      orchestratorModel: 'orch-8b',
      privacyMode: 'any',
      budgetDollars: 0.5,
      attachments: [{ kind: 'selection', path: 'src/core/config.ts', startLine: 120, endLine: 140 }],
    }),
    s.ev('turn_started', { turn: 1 }),
    s.ev('orchestrator_delta', { turn: 1, text: 'I will search the workspace and ask a code model ' }),
    s.ev('orchestrator_delta', { turn: 1, text: 'at the same time.' }),
    s.ev('tool_call_started', {
      callId: 'c1',
      turn: 1,
      tool: 'search_workspace',
      args: { query: 'parseConfig', path: 'src' },
      state: 'running',
    }),
    s.ev('tool_call_started', {
      callId: 'c2',
      turn: 1,
      tool: 'call_model',
      model: 'coder-large',
      args: { model: 'coder-large', task: 'Explain dropPath in config.ts' },
      state: 'queued',
    }),
  ];
  const longResult = Array.from(
    { length: 80 },
    (_, i) => `src/core/config.ts:${100 + i}: \u001b[31mparseConfig\u001b[0m(raw) // line ${i}`,
  ).join('\n');
  const progress = [
    s.ev('tool_call_started', {
      callId: 'c2',
      turn: 1,
      tool: 'call_model',
      model: 'coder-large',
      args: { model: 'coder-large', task: 'Explain dropPath in config.ts' },
      state: 'running',
    }),
    s.ev('tool_call_delta', { callId: 'c2', text: 'dropPath removes the whole ' }),
    s.ev('tool_call_delta', { callId: 'c2', text: 'array element when one field is invalid.' }),
    s.ev('tool_call_finished', {
      callId: 'c1',
      tool: 'search_workspace',
      state: 'ok',
      preview: longResult.slice(0, 500),
      result: longResult,
      dollars: 0,
      latencyMs: 35,
    }),
    s.ev('tool_call_finished', {
      callId: 'c2',
      tool: 'call_model',
      model: 'coder-large',
      state: 'ok',
      preview: 'dropPath removes the whole array element when one field is invalid.',
      result: 'dropPath removes the whole array element when one field is invalid.',
      usage: { inputTokens: 1200, outputTokens: 340, estimated: false },
      dollars: 0.0042,
      latencyMs: 2100,
    }),
    s.ev('cost_update', { totals: totals(0.0049, 1500, 400, 2, ['orch-8b', 'coder-large'], ['api.example.com']), budgetLeft: 0.4951 }),
  ];
  const approvalTurn = [
    s.ev('turn_started', { turn: 2 }),
    s.ev('tool_call_started', {
      callId: 'c3',
      turn: 2,
      tool: 'run_code',
      args: { language: 'python', code: 'print(sum(range(10)))' },
      state: 'queued',
    }),
    s.ev('approval_requested', {
      approvalId: 'a1',
      callId: 'c3',
      kind: 'run_code',
      title: 'Run Python code in the workspace',
      detail: 'print(sum(range(10)))',
      language: 'python',
    }),
  ];
  const approvalDone = [
    s.ev('approval_resolved', { approvalId: 'a1', approved: true }),
    s.ev('tool_call_finished', { callId: 'c3', tool: 'run_code', state: 'ok', preview: '45', result: '45', dollars: 0, latencyMs: 80 }),
  ];
  const delegateTurn = [
    s.ev('turn_started', { turn: 3 }),
    s.ev('tool_call_started', {
      callId: 'd1',
      turn: 3,
      tool: 'delegate',
      args: {
        subtasks: [
          { task: 'Check the schema', role: 'code' },
          { task: 'Write a test', role: 'code' },
        ],
      },
      state: 'running',
    }),
    s.ev('task_started', {
      taskId: `${taskId}.s1`,
      parentCallId: 'd1',
      question: 'Check the schema for id rules',
      dialect: 'general',
      orchestratorModel: 'orch-8b',
      privacyMode: 'any',
      budgetDollars: 0.2,
    }),
    s.ev('task_started', {
      taskId: `${taskId}.s2`,
      parentCallId: 'd1',
      question: 'Write a regression test',
      dialect: 'general',
      orchestratorModel: 'orch-8b',
      privacyMode: 'any',
      budgetDollars: 0.2,
    }),
    s.ev('turn_started', { taskId: `${taskId}.s1`, turn: 1, parentCallId: 'd1' }),
    s.ev('turn_started', { taskId: `${taskId}.s2`, turn: 1, parentCallId: 'd1' }),
    s.ev('tool_call_started', {
      taskId: `${taskId}.s1`,
      callId: 's1c1',
      turn: 1,
      tool: 'call_model',
      model: 'small-a',
      args: { model: 'small-a', task: 'Check id regex' },
      state: 'running',
      parentCallId: 'd1',
    }),
    s.ev('tool_call_started', {
      taskId: `${taskId}.s2`,
      callId: 's2c1',
      turn: 1,
      tool: 'call_model',
      model: 'small-b',
      args: { model: 'small-b', task: 'Write the test' },
      state: 'running',
      parentCallId: 'd1',
    }),
    s.ev('tool_call_finished', {
      taskId: `${taskId}.s1`,
      callId: 's1c1',
      tool: 'call_model',
      model: 'small-a',
      state: 'ok',
      preview: 'ids allow . _ : -',
      result: 'ids allow . _ : -',
      usage: { inputTokens: 300, outputTokens: 50, estimated: true },
      dollars: 0.001,
      latencyMs: 900,
    }),
    s.ev('tool_call_finished', {
      taskId: `${taskId}.s2`,
      callId: 's2c1',
      tool: 'call_model',
      model: 'small-b',
      state: 'ok',
      preview: 'test written',
      result: 'test written',
      usage: { inputTokens: 400, outputTokens: 150, estimated: false },
      dollars: 0.002,
      latencyMs: 1300,
    }),
    s.ev('done', {
      taskId: `${taskId}.s1`,
      answer: 'The id regex rejects spaces.',
      totals: totals(0.001, 300, 50, 1, ['small-a'], ['api.example.com'], true),
    }),
    s.ev('done', { taskId: `${taskId}.s2`, answer: 'Added a test.', totals: totals(0.002, 400, 150, 1, ['small-b'], ['api.example.com']) }),
    s.ev('tool_call_finished', {
      callId: 'd1',
      tool: 'delegate',
      state: 'ok',
      preview: '2 subtasks done',
      result: '1. ok: The id regex rejects spaces.\n2. ok: Added a test.',
      dollars: 0.003,
      latencyMs: 1500,
    }),
  ];
  const code = 'const { config, problems } = parseConfig({ models: [a, b] });\nconsole.log(problems[0].path); // models[1].baseUrl';
  const answerText = `## What happens\n\nYour second entry has an invalid \`baseUrl\`, so **parseConfig** drops the whole entry and reports it:\n\n1. The schema check fails at \`models[1].baseUrl\`.\n2. \`dropPath\` removes the array element.\n\n\`\`\`ts\n${code}\n\`\`\`\n\nSee [the zod docs](https://zod.dev/api) for URL rules.\n`;
  const answer: EngineEvent[] = [];
  for (let i = 0; i < answerText.length; i += 17) answer.push(s.ev('answer_delta', { text: answerText.slice(i, i + 17) }, 5));
  const finalTotals = totals(0.0083, 2400, 640, 6, ['orch-8b', 'coder-large', 'small-a', 'small-b'], ['api.example.com'], true, 30_000);
  answer.push(s.ev('cost_update', { totals: finalTotals, budgetLeft: 0.4917 }));
  answer.push(s.ev('done', { answer: answerText, totals: finalTotals }));
  return { start: startEvents, progress, approvalTurn, approvalDone, delegateTurn, answer, code, totals: finalTotals };
}

export function totals(
  dollars: number,
  inputTokens: number,
  outputTokens: number,
  calls: number,
  models: string[],
  remoteHosts: string[],
  estimated = false,
  wallMs = 4000,
) {
  return { dollars, inputTokens, outputTokens, calls, wallMs, models, remoteHosts, estimated };
}
