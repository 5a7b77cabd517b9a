// Every prompt the engine sends, in one readable place: the orchestrator system prompts of both
// dialects and the role prompts given to expert models. Kept short: small local models follow short,
// concrete instructions best.

// ---- ToolOrchestra-native dialect (the exact wording Nemotron-Orchestrator-8B was trained on) ----

export const TOOLORCHESTRA_SYSTEM = 'You are good at using tools.';

export function toolOrchestraUser(problem: string, context: string): string {
  return `Problem: ${problem}\n\n${context}\n\nChoose an appropriate tool.`;
}

export const TOOLORCHESTRA_TOOL_DESCRIPTIONS = {
  search: 'Search for missing information',
  enhance_reasoning: 'Write and run code to compute or check intermediate results',
  answer: 'Give the final answer',
} as const;

// ---- General dialect ----

export function generalOrchestratorSystem(opts: { modelList: string; preferences: string; subtask: boolean; toolNames: string[] }): string {
  const role = opts.subtask
    ? 'You are a sub-orchestrator: another orchestrator delegated one subtask to you. Solve exactly that subtask; your answer goes back to it.'
    : 'You are Orchestra, an orchestrator that solves coding questions by coordinating tools and a pool of models.';
  return [
    role,
    '',
    'How to work:',
    '- Call tools to gather facts (search and read the workspace, run code) and call models for subtasks (call_model with a self-contained task: the model sees nothing else).',
    opts.toolNames.includes('delegate')
      ? '- Independent subtasks run at the same time: use delegate, or several tool calls in one turn.'
      : '- Independent tool calls run at the same time when you make several in one turn.',
    '- Every tool result starts with its state (ok, error, timeout, denied, over_budget) and cost. On error, fix the call or try another way; a denied call breaks a rule and must not be repeated.',
    '- Spend money only where it helps: prefer cheap or local models for easy parts.',
    '- Finish with the answer tool (or, if you cannot call tools, reply with the final answer as plain text).',
    '',
    'Models you can call (id — roles — price in/out per million tokens — latency — capability):',
    opts.modelList || '(none: answer from your own knowledge and the tools)',
    opts.preferences ? `\nPreferences:\n${opts.preferences}` : '',
  ]
    .filter((l) => l !== undefined)
    .join('\n')
    .trim();
}

export const NUDGE_EMPTY_REPLY = 'Your last reply was empty. Call a tool, or give the final answer with the answer tool.';

export function unparseableCallObservation(errors: string[], toolNames: string[]): string {
  return `[state: error] Your tool call could not be used:\n- ${errors.join('\n- ')}\nAvailable tools: ${toolNames.join(', ')}. Call a tool with JSON arguments matching its schema, or answer.`;
}

// ---- Expert role prompts ----

export const ROLE_PROMPTS = {
  general: 'You are an expert assistant. The task below is self-contained: everything you need is in it. Answer precisely and concisely.',
  code: 'You are an expert programmer. Solve the task below; it is self-contained. Give correct, complete code in fenced blocks with the language named, and explain only what is needed.',
  math: 'You are an expert mathematician. Solve the problem below step by step, then put the final answer in \\boxed{}.',
  reasoning: 'You are a careful reasoner. Work through the task below step by step and state your conclusion clearly at the end.',
  'search-query':
    'You write search queries. From the task below, write the one short query (keywords, exact identifiers or error text) most likely to find the missing information. Reply with the query alone.',
  answer:
    'You answer from collected context. Use only the context given with the task below; if it does not contain the answer, say what is missing instead of guessing. Be precise and concise.',
} as const;

/** enhance_reasoning: the chosen model writes python the harness runs (60 s); its stdout joins the context. */
export function codeWriterPrompt(problem: string, context: string): string {
  return [
    'Write self-contained Python 3 code that computes or checks something that helps solve the problem below.',
    'Print every result you need with print(). Use only the standard library (sympy if needed). Put the code in one ```python block.',
    '',
    `Problem: ${problem}`,
    context ? `\n${context}` : '',
  ].join('\n');
}

/** search: the chosen model writes one query in <query> tags. */
export function queryWriterPrompt(problem: string, context: string, target: 'web' | 'workspace'): string {
  const what =
    target === 'web'
      ? 'Write one web search query that finds the missing information.'
      : 'Write one search pattern for ripgrep over the code workspace: a literal identifier, file name fragment or short phrase likely to appear in the relevant code.';
  return [
    what,
    'Reply with the query inside <query></query> tags and nothing else.',
    '',
    `Problem: ${problem}`,
    context ? `\n${context}` : '',
  ].join('\n');
}

/** answer: the chosen model answers from the collected context. */
export function answerPrompt(problem: string, context: string, math: boolean): string {
  const format = math
    ? 'Reason step by step, then put the final answer in \\boxed{}.'
    : 'Think inside <think></think> if you need to, then give the final answer inside <answer></answer>.';
  return [`Answer the problem using the context below. ${format}`, '', `Problem: ${problem}`, context ? `\n${context}` : ''].join('\n');
}

/**
 * Role prompt for a subtask sent with call_model, from the role asked for or the model's roles.
 * The specialist roles win; query writing and answering-from-context only when the model is not
 * also a general model (a general model called by id gets a general task, not a query to write).
 */
export function rolePromptFor(roles: readonly string[]): string {
  if (roles.includes('math')) return ROLE_PROMPTS.math;
  if (roles.includes('code')) return ROLE_PROMPTS.code;
  if (roles.includes('reasoning')) return ROLE_PROMPTS.reasoning;
  if (roles.includes('general')) return ROLE_PROMPTS.general;
  if (roles.includes('search-query')) return ROLE_PROMPTS['search-query'];
  if (roles.includes('answer')) return ROLE_PROMPTS.answer;
  return ROLE_PROMPTS.general;
}
