// A busy panel for the layout tests: a finished task (parallel cards, an approval, subtasks, a Markdown
// answer) and a running one with three parallel calls under long model and tool names, a pending
// approval and a long answer streaming in (a wide code block, a wide table, long unbroken words).
import type { EngineEvent } from '../../../src/core/protocol/events';
import type { PanelApproval, PanelStatus } from '../../../src/protocol/panel';
import { EventScript, mainScenario, msg, totals } from './events';

export const LONG_MODEL = 'meta-llama/Llama-3.3-70B-Instruct-Turbo-Q4_K_M-GGUF-extended-context-128k';
export const LONG_TOOL = 'mcp__github_enterprise_server__search_repository_issues_and_pull_requests';
export const LONG_ORCHESTRATOR = 'Qwen2.5-Coder-7B-Instruct-orchestrator-finetune-Q5_K_M';
export const WIDE_LINE = `const result = ${Array.from({ length: 24 }, (_, i) => `someVeryLongIdentifierNumber${i}`).join(' + ')};`;

export const BUSY_STATUS: PanelStatus = {
  privacyMode: 'open-weights-only',
  budgetDollars: 12.5,
  sessionDollars: 1234.5678,
  engine: { state: 'ready' },
  modelCount: 3,
  problems: [],
  orchestratorModel: LONG_ORCHESTRATOR,
  // Nothing set: the picker says "Automatic · <the long name>" and lists Automatic first.
  automaticOrchestrator: { active: true, model: LONG_ORCHESTRATOR },
  models: [
    {
      id: LONG_ORCHESTRATOR,
      local: true,
      openWeights: true,
      roles: ['orchestrator'],
      inputPricePerMillion: 0,
      outputPricePerMillion: 0,
      eligible: true,
    },
    {
      id: LONG_MODEL,
      local: false,
      openWeights: true,
      roles: ['code'],
      inputPricePerMillion: 0.9,
      outputPricePerMillion: 0.9,
      eligible: true,
    },
    {
      id: 'small-a',
      local: true,
      openWeights: true,
      roles: ['general'],
      inputPricePerMillion: 0,
      outputPricePerMillion: 0,
      eligible: true,
    },
  ],
};

const LONG_ANSWER = [
  '## Why the second entry disappears',
  '',
  `The entry at \`models[1]\` fails validation because \`baseUrl\` is \`http://this-is-a-rather-long-host-name.internal.example.com:8080/v1/chat/completions?with=query&and=more\`, which the schema refuses. The path it reports is \`orchestra.models[1].baseUrl.protocolMustBeHttpOrHttpsAndHostMustResolve\`.`,
  '',
  ...Array.from(
    { length: 6 },
    (_, i) => `${i + 1}. Step ${i + 1}: the parser reads the raw settings, checks each entry and drops what fails, reporting it by path.`,
  ),
  '',
  '```ts',
  WIDE_LINE,
  'console.log(result);',
  '```',
  '',
  '| setting | value | what happens when it is wrong | where it is reported |',
  '| --- | --- | --- | --- |',
  '| `orchestra.models[1].baseUrl` | `not-a-url` | the whole entry is dropped from the pool | the Problems banner and the Output channel |',
  '| `orchestra.orchestrator.model` | `missing-model-id` | the orchestrator falls back to the first capable model | the status bar and the panel header |',
  '',
  `A link written out in full: https://example.com/a/very/long/path/that/never/breaks/${'x'.repeat(120)}`,
  '',
  ...Array.from(
    { length: 8 },
    (_, i) => `Paragraph ${i + 1} of the answer explains one more detail of how the configuration is parsed, validated and reported.\n`,
  ),
].join('\n');

export interface BusyPanel {
  messages: unknown[];
  approval: PanelApproval;
}

export function busyTask(): BusyPanel {
  const done = mainScenario('t1');
  const s = new EventScript('t2', Date.now() - 10_000);
  const running: EngineEvent[] = [
    s.ev('task_started', {
      question: `Refactor ${'src/core/config/'.repeat(6)}parse.ts so that one invalid model entry never drops the others, and explain why it happened`,
      dialect: 'general',
      orchestratorModel: LONG_ORCHESTRATOR,
      privacyMode: 'open-weights-only',
      budgetDollars: 12.5,
      attachments: [{ kind: 'file', path: `src/${'deeply/nested/'.repeat(8)}config.ts` }],
    }),
    s.ev('turn_started', { turn: 1 }),
    s.ev('tool_call_started', {
      callId: 'p1',
      turn: 1,
      tool: 'call_model',
      model: LONG_MODEL,
      args: { model: LONG_MODEL, task: 'Explain why the entry is dropped' },
      state: 'running',
    }),
    s.ev('tool_call_started', {
      callId: 'p2',
      turn: 1,
      tool: LONG_TOOL,
      args: { query: 'parseConfig drops entry', repository: 'example-org/an-extremely-long-repository-name-for-testing' },
      state: 'running',
    }),
    s.ev('tool_call_started', {
      callId: 'p3',
      turn: 1,
      tool: 'run_code',
      args: { language: 'typescript', code: WIDE_LINE },
      state: 'queued',
    }),
    s.ev('model_choice', {
      callId: 'p1',
      turn: 1,
      model: LONG_MODEL,
      role: 'code',
      how: 'ranked',
      score: 0.71,
      reasons: ['quality 0.82 for code (+0.41)', 'open weights (+0.30)'],
      runnerUp: { model: `${LONG_MODEL}-runner-up`, score: 0.55, reasons: ['quality 0.90 for code (+0.45)'] },
    }),
    s.ev('model_choice', {
      callId: 'p1',
      turn: 1,
      model: LONG_MODEL,
      how: 'fallback',
      reasons: ['the first choice failed'],
      from: { model: `${LONG_MODEL}-primary`, reason: `${LONG_MODEL}-primary: HTTP 500 internal error`, unreachable: false },
    }),
    s.ev('tool_call_delta', { callId: 'p1', text: `Streaming: ${'averyveryverylongwordwithoutanybreaks'.repeat(4)} and more.` }),
    s.ev('tool_call_finished', {
      callId: 'p2',
      tool: LONG_TOOL,
      state: 'ok',
      preview: `${'https://github.example.com/org/repo/issues/'.repeat(3)}1234`,
      result: `${'https://github.example.com/org/repo/issues/'.repeat(3)}1234`,
      dollars: 0,
      latencyMs: 1234,
    }),
    s.ev('approval_requested', {
      approvalId: 'a2',
      callId: 'p3',
      kind: 'run_code',
      title: 'Run TypeScript code in the workspace',
      detail: WIDE_LINE,
      language: 'typescript',
    }),
    s.ev('cost_update', {
      totals: totals(123.4567, 123_456_789, 98_765_432, 3, [LONG_ORCHESTRATOR, LONG_MODEL], ['api.example.com']),
      budgetLeft: 4.5,
    }),
  ];
  for (let i = 0; i < LONG_ANSWER.length; i += 200) running.push(s.ev('answer_delta', { text: LONG_ANSWER.slice(i, i + 200) }, 5));
  const approval: PanelApproval = {
    approvalId: 'a2',
    taskId: 't2',
    callId: 'p3',
    kind: 'run_code',
    title: 'Run TypeScript code in the workspace',
    detail: WIDE_LINE,
    language: 'typescript',
  };
  const all = [
    ...done.start,
    ...done.progress,
    ...done.approvalTurn,
    ...done.approvalDone,
    ...done.delegateTurn,
    ...done.answer,
    ...running,
  ];
  return {
    approval,
    messages: [
      { type: 'status', status: BUSY_STATUS },
      ...all.map(msg),
      { type: 'approval', approval },
      {
        type: 'compose',
        question: 'And what about the third entry?',
        attachments: [{ kind: 'selection', path: `src/${'deeply/nested/'.repeat(8)}config.ts`, text: 'x', startLine: 120, endLine: 140 }],
        focus: false,
      },
    ],
  };
}
